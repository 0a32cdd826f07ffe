//! Logistics: where the goods a place needs come from.

mod resupply;

pub use resupply::{
    Destination, Leg, MAX_NEED, MAX_NEEDS, Need, ResupplyPlan, Stage, plan_resupply, validate_needs,
};
