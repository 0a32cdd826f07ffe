//! The live index: readers take the current snapshot without waiting; a writer builds the next
//! snapshot and swaps it in whole, so no reader ever sees half an update.

use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;

use super::SpatialIndex;

/// The current [`SpatialIndex`] snapshot, swappable.
#[derive(Debug)]
pub struct LiveIndex {
    current: ArcSwap<SpatialIndex>,
    writer: Mutex<()>,
}

impl LiveIndex {
    /// Starts with `index` as the current snapshot.
    pub fn new(index: SpatialIndex) -> Self {
        Self {
            current: ArcSwap::from_pointee(index),
            writer: Mutex::new(()),
        }
    }

    /// The current snapshot. Holding it never blocks writers; it just stays as it was.
    pub fn snapshot(&self) -> Arc<SpatialIndex> {
        self.current.load_full()
    }

    /// Builds the next snapshot from the current one with `change` and swaps it in. Writers take
    /// turns, so no change is lost; if `change` fails, the current snapshot stays.
    pub fn update<E>(
        &self,
        change: impl FnOnce(&SpatialIndex) -> std::result::Result<SpatialIndex, E>,
    ) -> std::result::Result<Arc<SpatialIndex>, E> {
        let _turn = self
            .writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let next = Arc::new(change(&self.current.load())?);
        self.current.store(Arc::clone(&next));
        Ok(next)
    }
}
