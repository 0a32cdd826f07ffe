//! Many servers on one shared store: each follows the changes the others commit, in commit order,
//! into its own index, ledger and base map, and writes only once it has taken all of them.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use refuge_core::{Facility, FacilityId, Movement, SpatialIndex, StockLedger};
use refuge_store::{Action, Change, Store};

use crate::error::ApiError;
use crate::state::{Announced, AppState};

/// How long a follower waits for a notification before it looks at the change log anyway: a
/// notification that was lost costs at most this.
pub const POLL: Duration = Duration::from_secs(1);

/// Changes read from the log at a time.
const BATCH: i64 = 10_000;

/// How many times a write is tried again after taking other servers' changes, before it takes
/// the store's turn.
const ATTEMPTS: usize = 5;

impl AppState {
    /// Runs `attempt`, a store write; if the store refuses it because another server committed a
    /// change this one has not taken, takes the changes and runs it again. A server that other
    /// servers' writes keep putting behind takes the store's turn (their writes wait) to catch
    /// up and write, so it never starves.
    pub(crate) fn current<T>(
        &self,
        mut attempt: impl FnMut() -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        for _ in 0..ATTEMPTS {
            match attempt() {
                Err(error) if error.is_behind() => {
                    self.catch_up()?;
                }
                answer => return answer,
            }
        }
        let in_turn = self.store()?.in_turn(|| {
            self.catch_up()?;
            attempt()
        })?;
        match in_turn {
            // Its turn taken, no other server can write: unreachable, but never a 500.
            Err(error) if error.is_behind() => Err(ApiError::busy(
                "the other servers on this store keep writing; try again in a moment",
            )),
            answer => answer,
        }
    }

    /// Takes the changes other servers committed to a shared store since this one last did, into
    /// the index, the ledger and the base map, each batch as one snapshot. Returns how many.
    pub fn catch_up(&self) -> Result<usize, ApiError> {
        let Some(store) = self.store.as_deref().filter(|store| store.is_shared()) else {
            return Ok(0);
        };
        let mut taken = 0;
        loop {
            let mut batch = 0;
            let mut events = Vec::new();
            let snapshot = self
                .index
                .update(|index| -> Result<SpatialIndex, ApiError> {
                    // Read in the writers' turn: nobody else takes changes meanwhile.
                    let changes = store.changes_since(store.followed(), BATCH)?;
                    if !changes.complete {
                        tracing::warn!("the change log was pruned past this server: loading all");
                        let (next, through) = self.reload(index, store)?;
                        store.follow(through);
                        batch = 1;
                        return Ok(next);
                    }
                    batch = changes.changes.len();
                    if batch == 0 {
                        return Ok(index.unchanged());
                    }
                    let next = self.apply(index, store, changes.changes, &mut events)?;
                    store.follow(changes.through);
                    Ok(next)
                })?;
            for (action, facility) in events {
                self.announce(action, facility, snapshot.version());
            }
            taken += batch;
            if batch < BATCH as usize {
                return Ok(taken);
            }
        }
    }

    /// `index` with `changes` applied: the stock figures first, then the facilities, so that
    /// the snapshot says where the facilities changed (tiles made before are checked by that).
    fn apply(
        &self,
        index: &SpatialIndex,
        store: &Store,
        changes: Vec<(i64, Change)>,
        events: &mut Vec<(Action, Announced)>,
    ) -> Result<SpatialIndex, ApiError> {
        let mut last: BTreeMap<FacilityId, Option<Facility>> = BTreeMap::new();
        let mut movements: Vec<Movement> = Vec::new();
        let mut backdrop = false;
        let mut population = false;
        for (_, change) in changes {
            match change {
                Change::Facility(facility) => {
                    last.insert(facility.id, Some(*facility));
                }
                Change::Removed(id) => {
                    last.insert(id, None);
                }
                Change::Movement(movement) => movements.push(movement),
                Change::Backdrop => backdrop = true,
                Change::Population => population = true,
            }
        }
        // What can fail is done before the ledger takes anything: a batch that fails is taken
        // again whole, and must not find its movements already counted.
        let backdrop = if backdrop {
            Some(store.backdrop_from_primary()?)
        } else {
            None
        };
        if population {
            // Its stamp, read once: the coverage tiles' version moves on with it.
            store.population_stamp()?;
        }
        let removals: Vec<FacilityId> = last
            .iter()
            .filter(|(id, now)| now.is_none() && index.get(**id).is_some())
            .map(|(id, _)| *id)
            .collect();
        for id in &removals {
            if let Some(facility) = index.get(*id) {
                events.push((Action::FacilityDelete, facility.into()));
            }
        }
        let upserts: Vec<Facility> = last.into_values().flatten().collect();
        for facility in &upserts {
            facility.validate().map_err(ApiError::internal)?;
            events.push((Action::FacilityUpdate, facility.into()));
        }
        let mut next = index.unchanged();
        if !movements.is_empty() {
            let mut ledger = self.ledger();
            let mark = ledger.mark(&movements);
            for movement in &movements {
                // Checked by the server that wrote it, against the same stock: it fits.
                if let Err(error) = ledger.record(movement.clone()) {
                    ledger.rewind(mark);
                    return Err(ApiError::internal(error));
                }
            }
            next = next.with_stock_levels(ledger.usable_after(&movements, Utc::now().date_naive()));
            for movement in movements {
                if let Some(facility) = next.get(movement.facility) {
                    events.push((Action::of_movement(&movement.kind), facility.into()));
                }
            }
        }
        if !upserts.is_empty() || !removals.is_empty() {
            // Validated above: this cannot fail.
            next = next
                .with_changes(upserts, &removals)
                .map_err(ApiError::internal)?;
        }
        if let Some((base, sources)) = backdrop {
            self.backdrop
                .store(Arc::new(self.next_backdrop(Some(base), &next, &sources)));
        }
        Ok(next)
    }

    /// Everything loaded from the primary again, as a change of every facility; and the last
    /// change the load holds, to follow from.
    fn reload(&self, index: &SpatialIndex, store: &Store) -> Result<(SpatialIndex, i64), ApiError> {
        let contents = store.load_from_primary()?;
        let through = contents.changes_through;
        // The log that was pruned may have said the population changed too.
        store.population_stamp()?;
        let ledger = StockLedger::replay(contents.movements).map_err(ApiError::internal)?;
        let totals = ledger.usable_totals(Utc::now().date_naive());
        *self.ledger() = ledger;
        let kept: std::collections::HashSet<FacilityId> =
            contents.facilities.iter().map(|f| f.id).collect();
        let removals: Vec<FacilityId> = index
            .facilities()
            .map(|f| f.id)
            .filter(|id| !kept.contains(id))
            .collect();
        let next = index
            .with_stock_totals(totals)
            .with_brief_changes(contents.facilities, &removals)
            .map_err(ApiError::internal)?;
        self.backdrop.store(Arc::new(self.next_backdrop(
            Some(contents.base),
            &next,
            &contents.sources,
        )));
        Ok((next, through))
    }

    /// Follows a shared store until the server stops: wakes on each commit's notification (or
    /// every [`POLL`]) and takes the changes. While the database cannot be reached, the server
    /// serves what it has and says so in `/healthz`. Does nothing for a SQLite store.
    pub fn follow_store(&self) -> Option<std::thread::JoinHandle<()>> {
        let store = self.store.clone().filter(|store| store.is_shared())?;
        let state = self.clone();
        let follower = std::thread::Builder::new()
            .name("refuge-follower".into())
            .spawn(move || {
                let mut pause = Duration::from_millis(100);
                while !state.stopping.is_cancelled() {
                    let followed = store
                        .wait_for_changes(POLL)
                        .map_err(ApiError::from)
                        .and_then(|_| state.catch_up());
                    match followed {
                        Ok(_) => {
                            state.store_health(None);
                            pause = Duration::from_millis(100);
                        }
                        Err(error) => {
                            tracing::warn!(%error, "cannot follow the store");
                            state.store_health(Some(error.to_string()));
                            std::thread::sleep(pause);
                            pause = (pause * 2).min(POLL);
                        }
                    }
                }
            });
        match follower {
            Ok(handle) => Some(handle),
            Err(error) => {
                tracing::error!(%error, "cannot start following the store");
                None
            }
        }
    }

    /// Records whether the store can be followed: `None` when it can, else why not.
    fn store_health(&self, problem: Option<String>) {
        let mut health = self
            .store_problem
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *health = problem;
    }

    /// Why the shared store cannot be followed now, if it cannot.
    pub fn store_problem(&self) -> Option<String> {
        self.store_problem
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}
