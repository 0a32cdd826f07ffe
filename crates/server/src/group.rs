//! Group commit: writes that arrive while another group is being committed wait, and the next of
//! them to find nobody committing commits them all in one transaction (one disk sync) and swaps
//! them into the index in one snapshot. Under load a write then costs a share of a sync, not a
//! whole one; alone, it is committed at once, as before. Facility writes and stock movements each
//! have their own groups.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::mpsc::{SyncSender, TryRecvError, sync_channel};
use std::sync::{Condvar, Mutex, MutexGuard};

use chrono::Utc;
use refuge_core::{Bundle, Facility, FacilityId, Movement, SpatialIndex};
use refuge_store::{Action, Actor, FacilityWrite, Store};

use crate::error::ApiError;
use crate::state::AppState;

/// A stored facility (for a delete, as it was) and the data version that first shows the write.
pub type Written = (Facility, u64);

/// Writes of one sort waiting for the next group, and whether someone is committing one now.
#[derive(Debug)]
pub struct Groups<W, A> {
    state: Mutex<Pending<W, A>>,
    /// Signalled when a group has been committed and answered.
    done: Condvar,
}

#[derive(Debug)]
struct Pending<W, A> {
    waiting: Vec<(W, SyncSender<Result<A, ApiError>>)>,
    committing: bool,
}

impl<W, A> Default for Groups<W, A> {
    fn default() -> Self {
        Self {
            state: Mutex::new(Pending {
                waiting: Vec::new(),
                committing: false,
            }),
            done: Condvar::new(),
        }
    }
}

/// Ends a commit, however it ends: the next group may start, and the writers waiting learn it.
struct Committed<'a, W, A>(&'a Groups<W, A>);

impl<W, A> Drop for Committed<'_, W, A> {
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

impl<W, A> Groups<W, A> {
    /// Makes `write` part of the next group and blocks until it is answered. Whoever finds
    /// nobody committing commits the group with `commit`, which answers each write in order (or
    /// fails them all). A writer whose write was in someone else's group returns as soon as that
    /// group is answered.
    pub fn join(
        &self,
        write: W,
        commit: impl FnOnce(Vec<W>) -> Result<Vec<Result<A, ApiError>>, ApiError>,
    ) -> Result<A, ApiError> {
        let (answer, answered) = sync_channel(1);
        let mut pending = lock(&self.state);
        pending.waiting.push((write, answer));
        let mut commit = Some(commit);
        loop {
            match answered.try_recv() {
                Ok(answer) => return answer,
                // Its group's commit ended without answering (a panic): nothing to wait for.
                Err(TryRecvError::Disconnected) => {
                    return Err(ApiError::internal("a write was lost from its group"));
                }
                Err(TryRecvError::Empty) => {}
            }
            if !pending.committing {
                let Some(commit) = commit.take() else {
                    // Led once already, so the answer came: unreachable, but never wait forever.
                    return Err(ApiError::internal("a write was lost from its group"));
                };
                pending.committing = true;
                let group = std::mem::take(&mut pending.waiting);
                drop(pending);
                let committed = Committed(self);
                let (writes, answers): (Vec<W>, Vec<_>) = group.into_iter().unzip();
                match commit(writes) {
                    Ok(results) => {
                        for (answer, result) in answers.into_iter().zip(results) {
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
                drop(committed);
                pending = lock(&self.state);
                continue;
            }
            pending = self
                .done
                .wait(pending)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }
}

impl AppState {
    /// Makes one facility write as part of the next group commit; blocks until it is committed
    /// and visible in the index (or refused).
    pub(crate) fn write_in_group(&self, write: FacilityWrite) -> Result<Written, ApiError> {
        let store = self.store()?;
        self.facility_groups
            .join(write, |group| self.commit_facilities(store, group))
    }

    /// Commits facility writes in one transaction, swaps the facilities they changed into the
    /// index in one snapshot, and announces each.
    fn commit_facilities(
        &self,
        store: &Store,
        writes: Vec<FacilityWrite>,
    ) -> Result<Vec<Result<Written, ApiError>>, ApiError> {
        let actions: Vec<Action> = writes.iter().map(FacilityWrite::action).collect();
        let mut stored = Vec::new();
        let snapshot = self.current(|| {
            self.index
                .update(|index| -> Result<SpatialIndex, ApiError> {
                    stored = store.write_facilities(writes.clone())?;
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
                    if upserts.is_empty() && removals.is_empty() {
                        // Every write refused: no new data version.
                        return Ok(index.unchanged());
                    }
                    index
                        .with_changes(upserts, &removals)
                        .map_err(ApiError::internal)
                })
        })?;
        let version = snapshot.version();
        Ok(stored
            .into_iter()
            .zip(actions)
            .map(|(result, action)| {
                result.map_err(ApiError::from).map(|facility| {
                    self.announce(action, &facility, version);
                    (facility, version)
                })
            })
            .collect())
    }

    /// Records a bundle of stock movements as part of the next group commit, all or none: the
    /// ledger checks them inside the store's transaction, after the bundles before them in the
    /// group, so a refused bundle writes nothing. Returns their sequence numbers.
    pub(crate) fn move_in_group(&self, booking: Booking) -> Result<Vec<i64>, ApiError> {
        let store = self.store()?;
        self.movement_groups
            .join(booking, |group| self.commit_movements(store, group))
    }

    /// Commits bundles of stock movements in one transaction. The ledger takes each bundle as the
    /// store accepts it, and goes back to where it was if the transaction is not committed; the
    /// index's stock figures follow for the places the movements changed, in one snapshot.
    fn commit_movements(
        &self,
        store: &Store,
        group: Vec<Booking>,
    ) -> Result<Vec<Result<Vec<i64>, ApiError>>, ApiError> {
        let bundles: Vec<(Vec<Movement>, Actor)> = group
            .iter()
            .map(|booking| {
                let movements = booking.movements.iter().map(|(m, _)| m.clone()).collect();
                (movements, booking.actor.clone())
            })
            .collect();
        let mut stored = Vec::new();
        let snapshot = self.current(|| {
            self.index
                .update(|index| -> Result<SpatialIndex, ApiError> {
                    let mut ledger = self.ledger();
                    let mark = ledger.mark(bundles.iter().flat_map(|(bundle, _)| bundle));
                    let check = |n: usize, _: &[Movement]| ledger.record_all(&group[n].movements);
                    stored = match store.append_movements(&bundles, check) {
                        Ok(stored) => stored,
                        Err(error) => {
                            ledger.rewind(mark);
                            return Err(error.into());
                        }
                    };
                    let booked: Vec<&Movement> = bundles
                        .iter()
                        .zip(&stored)
                        .filter(|(_, seqs)| seqs.is_ok())
                        .flat_map(|((bundle, _), _)| bundle)
                        .collect();
                    if booked.is_empty() {
                        // Every bundle refused: no new data version.
                        return Ok(index.unchanged());
                    }
                    let today = Utc::now().date_naive();
                    Ok(index.with_stock_levels(ledger.usable_after(booked, today)))
                })
        })?;
        let version = snapshot.version();
        Ok(bundles
            .iter()
            .zip(stored)
            .map(|((bundle, _), seqs)| {
                let seqs = seqs.map_err(ApiError::from)?;
                let places: BTreeSet<FacilityId> = bundle.iter().map(|m| m.facility).collect();
                for facility in places.iter().filter_map(|id| snapshot.get(*id)) {
                    self.announce(Action::StockMovement, facility, version);
                }
                Ok(seqs)
            })
            .collect())
    }
}

/// Stock movements to be booked together, all or none, by one actor. A movement paired with lots
/// must take exactly those (see [`refuge_core::StockLedger::record_all`]).
#[derive(Debug, Clone)]
pub struct Booking {
    /// The movements, in order, each with the lots it must take, if it must.
    pub movements: Bundle,
    /// Who books them.
    pub actor: Actor,
}

impl Booking {
    /// One movement, taking whatever the ledger gives it.
    pub fn one(movement: Movement, actor: Actor) -> Self {
        Self {
            movements: vec![(movement, None)],
            actor,
        }
    }
}
