//! Group commit: facility writes that arrive while another group is being committed wait, and the
//! next of them to get the turn commits them all in one transaction (one disk sync) and swaps them
//! into the index in one snapshot. Under load a write then costs a share of a sync, not a whole
//! one; alone, it is committed at once, as before.

use std::collections::BTreeMap;
use std::sync::mpsc::{SyncSender, TryRecvError, sync_channel};
use std::sync::{Condvar, Mutex, MutexGuard};

use refuge_core::{Facility, FacilityId, SpatialIndex};
use refuge_store::{Action, FacilityWrite, Store};

use crate::error::ApiError;
use crate::state::AppState;

/// A stored facility (for a delete, as it was) and the data version that first shows the write.
pub type Written = (Facility, u64);

/// Writes waiting for the next group, and whether someone is committing one now.
#[derive(Debug, Default)]
pub struct WriteGroups {
    state: Mutex<Groups>,
    /// Signalled when a group has been committed and answered.
    done: Condvar,
}

#[derive(Debug, Default)]
struct Groups {
    waiting: Vec<Waiting>,
    committing: bool,
}

#[derive(Debug)]
struct Waiting {
    write: FacilityWrite,
    answer: SyncSender<Result<Written, ApiError>>,
}

/// Ends a commit, however it ends: the next group may start, and the writers waiting learn it.
struct Committed<'a>(&'a WriteGroups);

impl Drop for Committed<'_> {
    fn drop(&mut self) {
        lock(&self.0.state).committing = false;
        self.0.done.notify_all();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl AppState {
    /// Makes one facility write as part of the next group commit; blocks until it is committed
    /// and visible in the index (or refused). A writer whose write was in someone else's group
    /// returns as soon as that group is answered.
    pub(crate) fn write_in_group(&self, write: FacilityWrite) -> Result<Written, ApiError> {
        let store = self.store()?;
        let (answer, answered) = sync_channel(1);
        let mut groups = lock(&self.groups.state);
        groups.waiting.push(Waiting { write, answer });
        loop {
            match answered.try_recv() {
                Ok(answer) => return answer,
                // Its group's commit ended without answering (a panic): nothing to wait for.
                Err(TryRecvError::Disconnected) => {
                    return Err(ApiError::internal("a write was lost from its group"));
                }
                Err(TryRecvError::Empty) => {}
            }
            if !groups.committing {
                groups.committing = true;
                let group = std::mem::take(&mut groups.waiting);
                drop(groups);
                let committed = Committed(&self.groups);
                self.commit_group(store, group);
                drop(committed);
                groups = lock(&self.groups.state);
                continue;
            }
            groups = self
                .groups
                .done
                .wait(groups)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }

    /// Commits `group` in one transaction, swaps the facilities it changed into the index in one
    /// snapshot, announces each, and answers each writer.
    fn commit_group(&self, store: &Store, group: Vec<Waiting>) {
        let (writes, answers): (Vec<FacilityWrite>, Vec<_>) =
            group.into_iter().map(|w| (w.write, w.answer)).unzip();
        let actions: Vec<Action> = writes.iter().map(FacilityWrite::action).collect();
        let mut stored = Vec::new();
        let snapshot = self
            .index
            .update(|index| -> Result<SpatialIndex, ApiError> {
                stored = store.write_facilities(writes)?;
                // What each facility ends up as, in the order the writes were made.
                let mut last: BTreeMap<FacilityId, Option<Facility>> = BTreeMap::new();
                for (answer, action) in stored.iter().zip(&actions) {
                    if let Ok(facility) = answer {
                        let deleted = *action == Action::FacilityDelete;
                        last.insert(facility.id, (!deleted).then(|| facility.clone()));
                    }
                }
                let removals: Vec<FacilityId> = last
                    .iter()
                    .filter(|(id, now)| now.is_none() && index.get(**id).is_some())
                    .map(|(id, _)| *id)
                    .collect();
                let upserts: Vec<Facility> = last.into_values().flatten().collect();
                index
                    .with_changes(upserts, &removals)
                    .map_err(ApiError::internal)
            });
        match snapshot {
            Ok(snapshot) => {
                let version = snapshot.version();
                for ((answer, result), action) in answers.into_iter().zip(stored).zip(actions) {
                    let result = result.map_err(ApiError::from).map(|facility| {
                        self.announce(action, &facility, version);
                        (facility, version)
                    });
                    // The writer waits for its answer; it cannot have gone.
                    let _ = answer.send(result);
                }
            }
            Err(error) => {
                for answer in answers {
                    let _ = answer.send(Err(error.clone()));
                }
            }
        }
    }
}
