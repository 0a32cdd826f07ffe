//! What each snapshot changed on the map, by data version: caches of things drawn from the index
//! (tiles) keep what a write did not touch.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::{FacilityBrief, FacilityKind, LonLat};

/// A change of more facilities than this is taken to reach everywhere.
const MANY: usize = 1_000;

/// How many changed places a [`ChangeLog`] remembers (about 24 MB); anything made before the
/// oldest change remembered is out of date.
const REMEMBERED: usize = 1_000_000;

/// How many changed places one check looks at before it calls the thing touched: past this,
/// making it again is cheaper than the check.
const CHECKED: usize = 10_000;

/// Where a facility was or is, and what kind it is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Place {
    /// The position.
    pub at: LonLat,
    /// The kind: a hazard source's area reaches past its position.
    pub kind: FacilityKind,
}

/// What a snapshot changed on the map from the one it was made from.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Changed {
    /// No facility (a stock figure, a compaction, a new index).
    #[default]
    Nothing,
    /// The facilities at these places, where they were and where they are.
    Places(Arc<[Place]>),
    /// Too many facilities to list.
    Everywhere,
}

impl Changed {
    /// The change of each facility from `before` (absent for a new one) to `after` (absent for a
    /// removal).
    pub(super) fn of<'a>(
        changes: impl IntoIterator<Item = (Option<&'a FacilityBrief>, Option<&'a FacilityBrief>)>,
    ) -> Changed {
        let mut places = Vec::new();
        for (before, after) in changes {
            for facility in before.into_iter().chain(after) {
                if places.len() >= MANY {
                    return Changed::Everywhere;
                }
                places.push(Place {
                    at: facility.location,
                    kind: facility.kind(),
                });
            }
        }
        if places.is_empty() {
            Changed::Nothing
        } else {
            Changed::Places(places.into())
        }
    }
}

/// The changes of recent data versions, oldest first.
#[derive(Debug, Default)]
pub(super) struct ChangeLog {
    changes: VecDeque<(u64, Changed)>,
    /// How many places `changes` holds (a change everywhere counts one).
    places: usize,
    /// The newest version whose change is no longer remembered.
    forgotten: u64,
}

impl Changed {
    /// How many places it names (a change everywhere counts one).
    fn size(&self) -> usize {
        match self {
            Changed::Places(places) => places.len(),
            Changed::Nothing | Changed::Everywhere => 1,
        }
    }
}

impl ChangeLog {
    /// Records what data `version` changed.
    pub(super) fn record(&mut self, version: u64, changed: &Changed) {
        if *changed == Changed::Nothing {
            return;
        }
        self.changes.push_back((version, changed.clone()));
        self.places += changed.size();
        while self.places > REMEMBERED {
            let Some((gone, change)) = self.changes.pop_front() else {
                break;
            };
            self.places -= change.size();
            self.forgotten = gone;
        }
    }

    /// Whether no change after version `since`, up to `upto`, was at a place `touches` names.
    pub(super) fn untouched(
        &self,
        since: u64,
        upto: u64,
        touches: impl Fn(&Place) -> bool,
    ) -> bool {
        if since >= upto {
            return true;
        }
        if since < self.forgotten {
            return false;
        }
        let first = self
            .changes
            .partition_point(|(version, _)| *version <= since);
        let mut checked = 0;
        self.changes
            .range(first..)
            .take_while(|(version, _)| *version <= upto)
            .all(|(_, changed)| {
                checked += changed.size();
                checked <= CHECKED
                    && match changed {
                        Changed::Nothing => true,
                        Changed::Places(places) => !places.iter().any(&touches),
                        Changed::Everywhere => false,
                    }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(lon: f64) -> Changed {
        let at = LonLat::new(lon, 0.0).unwrap_or(LonLat::WORLD_MIN);
        Changed::Places(
            vec![Place {
                at,
                kind: FacilityKind::Shelter,
            }]
            .into(),
        )
    }

    #[test]
    fn a_change_is_seen_by_readers_past_it_and_only_where_it_was() {
        let mut log = ChangeLog::default();
        log.record(11, &at(10.0));
        log.record(12, &Changed::Nothing);
        let near = |p: &Place| (p.at.lon() - 10.0).abs() < 1.0;
        let far = |p: &Place| (p.at.lon() - 50.0).abs() < 1.0;
        assert!(!log.untouched(10, 12, near), "the change at 11");
        assert!(log.untouched(11, 12, near), "made after it");
        assert!(log.untouched(10, 12, far));
        log.record(13, &Changed::Everywhere);
        assert!(!log.untouched(10, 13, far));
        assert!(log.untouched(10, 12, far), "a reader at 12 does not see 13");
    }

    #[test]
    fn a_check_past_its_budget_calls_the_thing_touched() {
        let mut log = ChangeLog::default();
        for version in 1..=(CHECKED as u64 + 1) {
            log.record(version, &at(10.0));
        }
        let far = |p: &Place| (p.at.lon() - 50.0).abs() < 1.0;
        assert!(log.untouched(CHECKED as u64 - 5, CHECKED as u64 + 1, far));
        assert!(
            !log.untouched(0, CHECKED as u64 + 1, far),
            "too many to check"
        );
    }

    #[test]
    fn what_was_made_before_the_oldest_remembered_change_is_out_of_date() {
        let mut log = ChangeLog::default();
        for version in 1..=(REMEMBERED as u64 + 10) {
            log.record(version, &at(10.0));
        }
        let far = |p: &Place| (p.at.lon() - 50.0).abs() < 1.0;
        let last = REMEMBERED as u64 + 10;
        assert!(!log.untouched(5, last, far), "forgotten");
        assert!(log.untouched(last - 5, last, far));
        assert_eq!(log.places, REMEMBERED);
    }
}
