//! Plans kept for dispatch.
//!
//! A resupply plan or an allocation is kept with an id, together with the dispatches that
//! carrying it out books: one shipment per source, item and destination, of the lots the plan saw.
//! Reserving a plan sets those lots aside at their sources; dispatching it sends them, every
//! dispatch or none. An unreserved plan whose stock changed since it was made is not dispatched:
//! the lots each source would give now must be the ones the plan saw.
//!
//! What became of a plan is not stored with it. The ledger knows, by the dispatches' ids (a
//! reservation and the shipment that sends it share one), so every server sharing a store agrees.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    Allocation, FacilityId, ItemId, Lot, Movement, MovementKind, Progress, ResupplyPlan,
    StockLedger,
};

/// What was planned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PlanBody {
    /// Goods for one destination.
    Resupply(ResupplyPlan),
    /// Scarce stock shared across destinations.
    Allocation(Allocation),
}

/// One shipment a plan books when it is dispatched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlannedDispatch {
    /// The shipment's id (and its reservation's): the plan's id and a number.
    pub id: String,
    /// The source.
    pub from: FacilityId,
    /// The destination; none when the plan is for a place rather than a facility.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<FacilityId>,
    /// The item.
    pub item: ItemId,
    /// Units.
    pub quantity: u64,
    /// The lots the plan saw, first expiring first.
    pub lots: Vec<Lot>,
}

/// Where a kept plan stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PlanState {
    /// Made, holding nothing.
    Proposed,
    /// Its stock is set aside at the sources.
    Reserved,
    /// Its shipments were sent (they may since have arrived or been called back).
    Dispatched,
    /// Its reservation was given up.
    Released,
}

impl PlanState {
    /// The word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            PlanState::Proposed => "proposed",
            PlanState::Reserved => "reserved",
            PlanState::Dispatched => "dispatched",
            PlanState::Released => "released",
        }
    }
}

/// A plan kept for dispatch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeptPlan {
    /// Its id.
    pub id: String,
    /// When it was made.
    pub made_at: DateTime<Utc>,
    /// Who made it.
    pub made_by: String,
    /// The shipments dispatching it books, in order.
    pub dispatches: Vec<PlannedDispatch>,
    /// The plan as it was answered.
    pub body: PlanBody,
}

/// Stock movements to book together, each with the lots it must take, if it must.
pub type Bundle = Vec<(Movement, Option<Vec<Lot>>)>;

/// Why a plan cannot be reserved, dispatched or released now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanRefusal {
    /// It is in the wrong state for the step.
    #[error("plan `{plan}` is {}: only a {} plan can be {step}", state.as_str(), .wanted.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" or "))]
    State {
        /// The plan.
        plan: String,
        /// Where it stands.
        state: PlanState,
        /// The step asked for.
        step: &'static str,
        /// The states the step starts from.
        wanted: &'static [PlanState],
    },
    /// It goes to a place, not a facility, so nothing can be sent.
    #[error(
        "plan `{0}` is for a place, not a facility: plan for the facility to reserve or dispatch"
    )]
    NoDestination(String),
    /// It found nothing to send.
    #[error("plan `{0}` sends nothing: no source had the items")]
    Empty(String),
}

impl KeptPlan {
    /// Keeps a resupply plan: one dispatch per leg.
    pub fn resupply(id: String, plan: ResupplyPlan, made_by: String) -> Self {
        let dispatches = plan
            .legs
            .iter()
            .enumerate()
            .map(|(n, leg)| PlannedDispatch {
                id: format!("{id}.{}", n + 1),
                from: leg.source,
                to: plan.destination,
                item: leg.item.clone(),
                quantity: leg.quantity,
                lots: leg.lots.clone(),
            })
            .collect();
        Self {
            id,
            made_at: Utc::now(),
            made_by,
            dispatches,
            body: PlanBody::Resupply(plan),
        }
    }

    /// Keeps an allocation: one dispatch per shipment, of the lots each source would give in
    /// turn (first expiring first) from `ledger` on the allocation's day.
    pub fn allocation(
        id: String,
        allocation: Allocation,
        ledger: &StockLedger,
        made_by: String,
    ) -> Self {
        let takes = allocation
            .shipments
            .iter()
            .map(|s| (s.source, s.item.clone(), s.quantity));
        let lots = ledger.fefo_in_turn(takes, allocation.day);
        let dispatches = allocation
            .shipments
            .iter()
            .zip(lots)
            .enumerate()
            .map(|(n, (shipment, lots))| PlannedDispatch {
                id: format!("{id}.{}", n + 1),
                from: shipment.source,
                to: Some(shipment.destination),
                item: shipment.item.clone(),
                quantity: shipment.quantity,
                lots,
            })
            .collect();
        Self {
            id,
            made_at: Utc::now(),
            made_by,
            dispatches,
            body: PlanBody::Allocation(allocation),
        }
    }

    /// Where the plan stands, by what the ledger says of its dispatches.
    pub fn state(&self, ledger: &StockLedger) -> PlanState {
        let progress: Vec<Option<Progress>> = self
            .dispatches
            .iter()
            .map(|d| ledger.progress(&d.id))
            .collect();
        let any = |wanted: &[Progress]| progress.iter().flatten().any(|p| wanted.contains(p));
        if any(&[Progress::OnRoad, Progress::Arrived, Progress::Returned]) {
            PlanState::Dispatched
        } else if any(&[Progress::Reserved]) {
            PlanState::Reserved
        } else if any(&[Progress::Released]) {
            PlanState::Released
        } else {
            PlanState::Proposed
        }
    }

    /// The reservations that set the plan's stock aside: each must take the lots the plan saw.
    pub fn reservation(
        &self,
        ledger: &StockLedger,
        at: DateTime<Utc>,
        by: &str,
    ) -> Result<Bundle, PlanRefusal> {
        self.may("reserved", &[PlanState::Proposed], ledger)?;
        self.bundle(at, by, |d, _| {
            let kind = MovementKind::Reserve {
                hold: d.id.clone(),
                quantity: d.quantity,
            };
            (kind, Some(d.lots.clone()))
        })
    }

    /// The shipments that send the plan: a reserved plan's reservations, or else fresh stock that
    /// must be the lots the plan saw.
    pub fn dispatch(
        &self,
        ledger: &StockLedger,
        at: DateTime<Utc>,
        by: &str,
    ) -> Result<Bundle, PlanRefusal> {
        let reserved = self.may(
            "dispatched",
            &[PlanState::Proposed, PlanState::Reserved],
            ledger,
        )? == PlanState::Reserved;
        self.bundle(at, by, |d, to| {
            let kind = MovementKind::Dispatch {
                shipment: d.id.clone(),
                to,
                quantity: d.quantity,
                reserved,
            };
            (kind, (!reserved).then(|| d.lots.clone()))
        })
    }

    /// The releases that give the plan's reservation up.
    pub fn release(
        &self,
        ledger: &StockLedger,
        at: DateTime<Utc>,
        by: &str,
    ) -> Result<Bundle, PlanRefusal> {
        self.may("released", &[PlanState::Reserved], ledger)?;
        self.bundle(at, by, |d, _| {
            (MovementKind::Release { hold: d.id.clone() }, None)
        })
    }

    /// The plan's state, if `step` may start from it.
    fn may(
        &self,
        step: &'static str,
        wanted: &'static [PlanState],
        ledger: &StockLedger,
    ) -> Result<PlanState, PlanRefusal> {
        let state = self.state(ledger);
        if !wanted.contains(&state) {
            return Err(PlanRefusal::State {
                plan: self.id.clone(),
                state,
                step,
                wanted,
            });
        }
        Ok(state)
    }

    /// One movement per dispatch, at its source.
    fn bundle(
        &self,
        at: DateTime<Utc>,
        by: &str,
        kind: impl Fn(&PlannedDispatch, FacilityId) -> (MovementKind, Option<Vec<Lot>>),
    ) -> Result<Bundle, PlanRefusal> {
        if self.dispatches.is_empty() {
            return Err(PlanRefusal::Empty(self.id.clone()));
        }
        self.dispatches
            .iter()
            .map(|d| {
                let to =
                    d.to.ok_or_else(|| PlanRefusal::NoDestination(self.id.clone()))?;
                let (kind, lots) = kind(d, to);
                let movement = Movement {
                    facility: d.from,
                    item: d.item.clone(),
                    kind,
                    at,
                    by: Some(by.to_owned()),
                };
                Ok((movement, lots))
            })
            .collect()
    }
}
