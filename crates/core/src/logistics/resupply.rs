//! A resupply plan: where the goods for one destination come from.
//!
//! Sources are tried in a fixed order. First the destination's own resupply chain, by `parent`
//! links: its community depot, then that depot's sub-district depot, then the district depot.
//! Then every other depot or micro-storage site that holds the item, nearest first. The order is
//! a hard preference: a unit is taken from a later source only when the earlier ones have none
//! left. Within that order the plan needs the fewest unit-kilometres (units × great-circle
//! kilometres) for the quantity, and nearest-first is what achieves it: every unit travels
//! independently, so each comes from the nearest source that still has one.
//!
//! Only usable stock counts (lots not expired on the day of the plan), and lots are taken first
//! expiring first, as an issue would take them. A plan reserves nothing: dispatching it checks
//! the stock again.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::Serialize;

use crate::{
    Catalog, Error, FacilityBrief, FacilityId, FacilityKind, GreatCircle, ItemId, LonLat, Lot,
    ReserveTier, Result, SpatialIndex, StockLedger,
};

/// The most of one item one plan may ask for.
pub const MAX_NEED: u64 = 1_000_000_000;

/// The most items one plan may ask for.
pub const MAX_NEEDS: usize = 100;

/// How much of an item is needed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Need {
    /// The catalogue item.
    pub item: ItemId,
    /// How many units.
    pub quantity: u64,
}

/// Where the goods go.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Destination {
    /// A facility: its chain is followed first.
    Facility(FacilityId),
    /// A place: the chain of the nearest community depot is followed first.
    Point(LonLat),
}

/// A stage of the search for sources, in the order tried.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum Stage {
    /// A depot of the destination's resupply chain.
    Chain {
        /// The depot.
        depot: FacilityId,
        /// Its tier.
        tier: ReserveTier,
    },
    /// Every other depot or micro-storage site that holds the item, nearest first.
    Nearest,
}

/// Goods of one item from one source.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Leg {
    /// The depot or micro-storage site they come from.
    pub source: FacilityId,
    /// Which stage found it: a tier of the chain, or `nearest`.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub stage: Stage,
    /// The item.
    pub item: ItemId,
    /// How many units.
    pub quantity: u64,
    /// The lots they are taken from, first expiring first.
    pub lots: Vec<Lot>,
    /// Great-circle metres from the source to the destination.
    pub distance_m: f64,
}

/// A resupply plan.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResupplyPlan {
    /// The destination facility, if the plan is for one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination: Option<FacilityId>,
    /// Where the goods go.
    #[cfg_attr(feature = "openapi", schema(value_type = [f64; 2]))]
    pub at: LonLat,
    /// The day whose usable stock the plan counts.
    pub day: NaiveDate,
    /// The stages, in the order tried.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub stages: Vec<Stage>,
    /// Where each part of each need comes from.
    pub legs: Vec<Leg>,
    /// What no source has.
    pub unmet: Vec<Need>,
    /// Units × great-circle kilometres over every leg: what the plan makes as small as the stage
    /// order allows.
    pub unit_km: f64,
}

/// Checks a list of needs: at least one, no item twice, every item in the catalogue, each
/// quantity from 1 to [`MAX_NEED`]. The error names the need.
pub fn validate_needs(needs: &[Need], catalog: &Catalog) -> Result<()> {
    if needs.is_empty() {
        return Err(Error::field("needs", "at least one need"));
    }
    if needs.len() > MAX_NEEDS {
        return Err(Error::field(
            "needs",
            format!("at most {MAX_NEEDS} items in one plan"),
        ));
    }
    let mut seen = BTreeSet::new();
    for (n, need) in needs.iter().enumerate() {
        if !seen.insert(&need.item) {
            return Err(Error::field(
                "needs",
                format!("needs[{n}]: `{}` is asked for twice", need.item),
            ));
        }
        if catalog.get(&need.item).is_err() {
            return Err(Error::field(
                "needs",
                format!("needs[{n}]: `{}` is not in the item catalogue", need.item),
            ));
        }
        if need.quantity == 0 || need.quantity > MAX_NEED {
            return Err(Error::field(
                "needs",
                format!(
                    "needs[{n}]: a quantity is from 1 to {MAX_NEED}, not {}",
                    need.quantity
                ),
            ));
        }
    }
    Ok(())
}

/// The plan for `needs` at `destination`, from the stock `ledger` holds usable on `day`.
pub fn plan_resupply(
    index: &SpatialIndex,
    ledger: &StockLedger,
    destination: Destination,
    needs: &[Need],
    day: NaiveDate,
) -> Result<ResupplyPlan> {
    let (target, at) = match destination {
        Destination::Facility(id) => {
            let facility = index.get(id).ok_or(Error::field(
                "destination",
                format!("no facility with id {id}"),
            ))?;
            (Some(facility), facility.location)
        }
        Destination::Point(at) => (None, at),
    };
    let stages: Vec<Stage> = chain(index, target, at)
        .into_iter()
        .map(|(depot, tier)| Stage::Chain { depot, tier })
        .chain(std::iter::once(Stage::Nearest))
        .collect();
    let metric = GreatCircle;
    let mut plan = ResupplyPlan {
        destination: target.map(|f| f.id),
        at,
        day,
        stages: stages.clone(),
        legs: Vec::new(),
        unmet: Vec::new(),
        unit_km: 0.0,
    };
    for need in needs {
        let mut left = need.quantity;
        // The sources of each stage, in the order they are drawn on.
        for stage in &stages {
            if left == 0 {
                break;
            }
            let sources = match stage {
                Stage::Chain { depot, .. } => vec![*depot],
                Stage::Nearest => {
                    nearest_holders(index, ledger, &need.item, at, &stages, target, day)
                }
            };
            for source in sources {
                if left == 0 {
                    break;
                }
                let Some(facility) = index.get(source) else {
                    continue;
                };
                let take = left.min(ledger.usable(source, &need.item, day));
                if take == 0 {
                    continue;
                }
                left -= take;
                let distance_m = metric.distance_m(facility.location, at);
                plan.unit_km += take as f64 * distance_m / 1_000.0;
                plan.legs.push(Leg {
                    source,
                    stage: stage.clone(),
                    item: need.item.clone(),
                    quantity: take,
                    lots: ledger.fefo(source, &need.item, take, day),
                    distance_m,
                });
            }
        }
        if left > 0 {
            plan.unmet.push(Need {
                item: need.item.clone(),
                quantity: left,
            });
        }
    }
    Ok(plan)
}

/// The destination's resupply chain, lowest tier first: a depot's parents; a micro-storage
/// site's depot and its parents; for anything else (a shelter, a place), the community depot of
/// its community, else the nearest community depot, and its parents. A chain that loops stops
/// where it would repeat itself.
fn chain(
    index: &SpatialIndex,
    target: Option<&FacilityBrief>,
    at: LonLat,
) -> Vec<(FacilityId, ReserveTier)> {
    let first = match target {
        Some(facility) if facility.kind() == FacilityKind::Reserve => {
            facility.reserve().and_then(|depot| depot.parent)
        }
        Some(facility) if facility.kind() == FacilityKind::MicroStorage => {
            match facility.whole().map(|whole| &whole.details) {
                Some(crate::FacilityDetails::MicroStorage(site)) => site.parent_depot,
                _ => None,
            }
        }
        _ => community_depot(index, target, at),
    };
    let mut chain = Vec::new();
    let mut next = first;
    while let Some(id) = next {
        if chain.iter().any(|(seen, _)| *seen == id) || target.is_some_and(|t| t.id == id) {
            break;
        }
        let Some(depot) = index.get(id).and_then(FacilityBrief::reserve) else {
            break;
        };
        chain.push((id, depot.tier));
        next = depot.parent;
    }
    chain
}

/// The community depot serving `target`'s community, else the one nearest `at`.
fn community_depot(
    index: &SpatialIndex,
    target: Option<&FacilityBrief>,
    at: LonLat,
) -> Option<FacilityId> {
    let community = target.and_then(|t| t.admin().community.as_deref());
    let filter = crate::Filter::default()
        .kind(FacilityKind::Reserve)
        .tier(ReserveTier::Community);
    let depots = index.nearest(at, index.len().min(10_000), &filter);
    depots
        .iter()
        .find(|hit| community.is_some() && hit.facility.admin().community.as_deref() == community)
        .or(depots.first())
        .map(|hit| hit.facility.id)
}

/// Every depot and micro-storage site holding usable `item` on `day`, outside the chain and not
/// the destination, nearest `at` first (ties by id).
fn nearest_holders(
    index: &SpatialIndex,
    ledger: &StockLedger,
    item: &ItemId,
    at: LonLat,
    stages: &[Stage],
    target: Option<&FacilityBrief>,
    day: NaiveDate,
) -> Vec<FacilityId> {
    let in_chain = |id: FacilityId| {
        stages
            .iter()
            .any(|stage| matches!(stage, Stage::Chain { depot, .. } if *depot == id))
    };
    let metric = GreatCircle;
    let mut holders: Vec<(f64, FacilityId)> = ledger
        .holders(item, day)
        .into_iter()
        .filter(|(id, _)| !in_chain(*id) && target.is_none_or(|t| t.id != *id))
        .filter_map(|(id, _)| {
            let facility = index.get(id)?;
            matches!(
                facility.kind(),
                FacilityKind::Reserve | FacilityKind::MicroStorage
            )
            .then(|| (metric.distance_m(facility.location, at), id))
        })
        .collect();
    holders.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    holders.into_iter().map(|(_, id)| id).collect()
}
