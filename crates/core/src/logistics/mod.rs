//! Logistics: where the goods a place needs come from.

mod allocation;
mod kept;
mod resupply;
mod supply;

pub use allocation::{Allocation, AllocationProblem, Coverage, Shipment, Transport, allocate};
pub use kept::{Bundle, KeptPlan, PlanBody, PlanRefusal, PlanState, PlannedDispatch};
pub use resupply::{
    Destination, Leg, MAX_NEED, MAX_NEEDS, Need, ResupplyPlan, Stage, plan_resupply, validate_needs,
};
pub use supply::{DailyNeed, NeedsProfile, PROFILES, Provider, Supply, days_of_supply};
