#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

#[macro_use]
mod named_enum;
mod crs;
mod distance;
mod error;
mod index;
mod logistics;
mod lonlat;
mod model;
pub mod planning;
pub mod routing;

pub use crs::{Crs, in_mainland_china};
pub use distance::{EARTH_RADIUS_M, GreatCircle};
pub use error::{Error, Result};
pub use index::{
    ActivationPlan, BBox, CellStats, Changed, Exposure, Filter, Hit, LeftReason, LeftShelter,
    LiveIndex, Place, Skip, Skipped, SpatialIndex, doc_support,
};
pub use logistics::{
    Allocation, AllocationProblem, Bundle, Coverage, DailyNeed, Destination, KeptPlan, Leg,
    MAX_NEED, MAX_NEEDS, Need, NeedsProfile, PROFILES, PlanBody, PlanRefusal, PlanState,
    PlannedDispatch, Provider, ResupplyPlan, Shipment, Stage, Supply, Transport, allocate,
    days_of_supply, plan_resupply, validate_needs,
};
pub use lonlat::LonLat;
pub use model::*;

/// H3 cell indexes, as returned by [`SpatialIndex::cell_stats`].
pub use h3o::CellIndex;
