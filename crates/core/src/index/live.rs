//! The live index: readers take the current snapshot without waiting; a writer builds the next
//! snapshot and swaps it in whole, so no reader ever sees half an update. When enough changes have
//! gathered in the recent layer, a background thread folds them into the middle layer (or, once
//! that is full, everything into a new base) and swaps that in under the writer's turn, keeping
//! the changes made meanwhile. It also remembers where each
//! version changed the map, for caches of what is drawn from it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use arc_swap::ArcSwap;

use super::SpatialIndex;
use super::changes::{ChangeLog, Place};

/// The current [`SpatialIndex`] snapshot, swappable.
#[derive(Debug)]
pub struct LiveIndex {
    current: ArcSwap<SpatialIndex>,
    /// The writers' turn, and where recent versions changed the map.
    writer: Mutex<()>,
    log: Mutex<ChangeLog>,
    compacting: AtomicBool,
}

impl LiveIndex {
    /// Starts with `index` as the current snapshot.
    pub fn new(index: SpatialIndex) -> Self {
        Self {
            current: ArcSwap::from_pointee(index),
            writer: Mutex::new(()),
            log: Mutex::default(),
            compacting: AtomicBool::new(false),
        }
    }

    /// The current snapshot. Holding it never blocks writers; it just stays as it was.
    pub fn snapshot(&self) -> Arc<SpatialIndex> {
        self.current.load_full()
    }

    /// Builds the next snapshot from the current one with `change` and swaps it in. Writers take
    /// turns, so no change is lost; if `change` fails, the current snapshot stays. A snapshot that
    /// wants compacting starts a compaction on a background thread.
    pub fn update<E>(
        self: &Arc<Self>,
        change: impl FnOnce(&SpatialIndex) -> std::result::Result<SpatialIndex, E>,
    ) -> std::result::Result<Arc<SpatialIndex>, E> {
        let next = {
            let _turn = self.turn();
            let next = Arc::new(change(&self.current.load())?);
            // Logged before the swap: whoever sees the new snapshot also sees what it changed.
            self.log().record(next.version(), next.changed());
            self.current.store(Arc::clone(&next));
            next
        };
        if next.wants_compaction() && !self.compacting.swap(true, Ordering::SeqCst) {
            let live = Arc::clone(self);
            let started = std::thread::Builder::new()
                .name("refuge-compaction".into())
                .spawn(move || {
                    loop {
                        // Cleared however the compaction ends, a panic included.
                        let done = Compacting(&live.compacting);
                        live.compact();
                        drop(done);
                        // Writes made meanwhile may want another; a writer that saw this one
                        // running did not start it.
                        let again = live.snapshot().wants_compaction()
                            && !live.compacting.swap(true, Ordering::SeqCst);
                        if !again {
                            break;
                        }
                    }
                });
            if started.is_err() {
                // No thread to spare: the next write tries again.
                self.compacting.store(false, Ordering::SeqCst);
            }
        }
        Ok(next)
    }

    /// Folds the recent changes into the middle layer, or everything into a new base once the
    /// middle layer is full (see [`SpatialIndex::compacted`]): built from the snapshot current now,
    /// without holding up writers, then swapped in under a writer's turn on top of whatever
    /// changed meanwhile. Answers stay the same; only the layout changes.
    pub fn compact(&self) {
        let from = self.snapshot();
        // One snapshot's records have distinct ids, so this cannot fail; if it did, the layers
        // stay as they are and answers stay right.
        let Ok(compacted) = from.compacted() else {
            return;
        };
        let _turn = self.turn();
        if let Some(next) = self.current.load().rebased(&compacted, &from) {
            self.current.store(Arc::new(next));
        }
    }

    /// Whether no version after `since`, up to `upto`, changed a facility at a place `touches`
    /// names: a tile made from version `since` then still shows version `upto`. Changes older
    /// than the last 100,000 are forgotten, and count as touching.
    pub fn untouched(&self, since: u64, upto: u64, touches: impl Fn(&Place) -> bool) -> bool {
        since >= upto || self.log().untouched(since, upto, touches)
    }

    fn log(&self) -> MutexGuard<'_, ChangeLog> {
        self.log
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn turn(&self) -> MutexGuard<'_, ()> {
        self.writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Clears the compaction flag when dropped.
struct Compacting<'a>(&'a AtomicBool);

impl Drop for Compacting<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}
