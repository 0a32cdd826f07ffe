//! The resupply chain of an import: each depot's `parent` should be a depot one tier up
//! (community → sub-district → district), each micro-storage site's a community depot, and no
//! chain may loop. Checked once the whole input is read; what is wrong is reported, not refused
//! (a chain can be mended by a later import).

use std::collections::{HashMap, HashSet};

use refuge_core::{Facility, FacilityDetails, FacilityId, ReserveTier};

use crate::sink::{ImportSink, Outcome, Stated};
use crate::{BaseFeature, Result};

/// A link of the chain as a record states it.
#[derive(Debug, Clone)]
struct Link {
    /// The record's id in its source (or the facility id).
    record: String,
    /// The depot's tier; `None` for a micro-storage site.
    tier: Option<ReserveTier>,
    parent: Option<FacilityId>,
}

/// A sink that notes the chain links of the facilities passing through to `inner`.
pub(crate) struct ChainCheck<'s> {
    inner: &'s mut dyn ImportSink,
    links: HashMap<FacilityId, Link>,
}

impl<'s> ChainCheck<'s> {
    pub(crate) fn new(inner: &'s mut dyn ImportSink) -> Self {
        Self {
            inner,
            links: HashMap::new(),
        }
    }

    /// What is wrong with the chains of the facilities accepted, one line each, in record order.
    pub(crate) fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let looping = self.looping();
        let mut links: Vec<(&FacilityId, &Link)> = self.links.iter().collect();
        links.sort_by(|a, b| a.1.record.cmp(&b.1.record));
        for (id, link) in links {
            let Some(parent) = link.parent else {
                continue;
            };
            let what = match link.tier {
                Some(tier) => format!("the {tier} depot `{}`", link.record),
                None => format!("the micro-storage site `{}`", link.record),
            };
            let wanted = match link.tier {
                Some(tier) => tier.parent(),
                None => Some(ReserveTier::Community),
            };
            let Some(above) = self.links.get(&parent) else {
                problems.push(format!(
                    "{what}: its parent {parent} is not in this input, and must be in the store \
                     already"
                ));
                continue;
            };
            match (wanted, above.tier) {
                (None, _) => problems.push(format!(
                    "{what}: a district depot is the top of its chain and has no parent"
                )),
                (Some(_), None) => problems.push(format!(
                    "{what}: its parent `{}` is a micro-storage site, not a depot",
                    above.record
                )),
                (Some(wanted), Some(found)) if wanted != found => problems.push(format!(
                    "{what}: its parent `{}` is a {found} depot; the chain goes to a {wanted} \
                     depot next",
                    above.record
                )),
                _ => {}
            }
            if looping.contains(id) {
                problems.push(format!("{what}: its chain of parents loops back on itself"));
            }
        }
        problems
    }

    /// The facilities whose chain of parents loops: those on a loop, and those whose parents
    /// lead into one. Each facility is walked once.
    fn looping(&self) -> HashSet<FacilityId> {
        let mut looping = HashSet::new();
        let mut done: HashSet<FacilityId> = HashSet::new();
        for start in self.links.keys() {
            // The walk from `start` until it meets a facility already decided or a repeat.
            let mut path: Vec<FacilityId> = Vec::new();
            let mut on_path: HashSet<FacilityId> = HashSet::new();
            let mut next = Some(*start);
            let mut loops = false;
            while let Some(id) = next {
                if done.contains(&id) {
                    loops = looping.contains(&id);
                    break;
                }
                if !on_path.insert(id) {
                    loops = true;
                    break;
                }
                path.push(id);
                next = self.links.get(&id).and_then(|link| link.parent);
            }
            for id in path {
                done.insert(id);
                if loops {
                    looping.insert(id);
                }
            }
        }
        looping
    }
}

impl ImportSink for ChainCheck<'_> {
    fn facility(&mut self, facility: Facility, stated: Stated) -> Result<Outcome> {
        let link = match &facility.details {
            FacilityDetails::Reserve(depot) => Some((Some(depot.tier), depot.parent)),
            FacilityDetails::MicroStorage(site) => Some((None, site.parent_depot)),
            _ => None,
        };
        let id = facility.id;
        let record = facility
            .source
            .record
            .clone()
            .unwrap_or_else(|| id.to_string());
        let outcome = self.inner.facility(facility, stated)?;
        if let (Outcome::Accepted, Some((tier, parent))) = (&outcome, link) {
            self.links.insert(
                id,
                Link {
                    record,
                    tier,
                    parent,
                },
            );
        }
        Ok(outcome)
    }

    fn base(&mut self, feature: BaseFeature) -> Result<Outcome> {
        self.inner.base(feature)
    }
}
