//! Stress-test scenarios: draft hazard zones, facilities out of service and more people, run on
//! a copy of the current data that the live map never sees, with figures before and after.
//!
//! The copy is a snapshot made with [`SpatialIndex::with_changes`]: it shares every untouched
//! part with the live one, and nothing installs it. Before and after are measured alike:
//! coverage of the population in the scenario's hazard (only shelters safe in it count), the
//! facilities hazards threaten, the depots cut off (out of service, or threatened), and the kept
//! logistics plans that draw on a depot cut off.

use std::collections::BTreeSet;

use serde::Serialize;

use super::coverage::{AreaCoverage, CoverageOptions, coverage};
use super::population::PopulationLayer;
use crate::{
    Designation, Error, Facility, FacilityBrief, FacilityId, FacilityKind, Filter, HazardType,
    KeptPlan, LiveStatus, PlanState, Result, SpatialIndex, StockLedger,
};

/// The most a scenario may multiply the population by.
pub const MAX_DEMAND_MULTIPLIER: f64 = 100.0;

/// A stress test.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Its name.
    pub name: String,
    /// The hazard it plays out.
    pub hazard: HazardType,
    /// Draft hazard zones and sources (hazard facilities, not stored).
    pub zones: Vec<Facility>,
    /// Facilities out of service.
    pub out_of_service: Vec<FacilityId>,
    /// How many times today's population needs a place (1 for as many as live there).
    pub demand_multiplier: f64,
}

/// The figures of one side of a scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Figures {
    /// Coverage per district, when the store has a population layer.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub districts: Vec<AreaCoverage>,
    /// Coverage in all, when the store has a population layer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<AreaCoverage>,
    /// Facilities a hazard in force that brings the hazard threatens.
    pub exposed: Vec<FacilityId>,
    /// Depots and micro-storage sites out of service or threatened.
    pub depots_cut_off: Vec<FacilityId>,
    /// Kept plans, not yet dispatched, that draw on a depot cut off.
    pub plans_unmet: Vec<String>,
}

/// What a scenario changes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Outcome {
    /// The scenario's name.
    pub name: String,
    /// Its hazard.
    pub hazard: HazardType,
    /// Its demand multiplier.
    pub demand_multiplier: f64,
    /// How the population was placed, in words (empty without a layer).
    pub method: Vec<String>,
    /// Today.
    pub before: Figures,
    /// With the scenario.
    pub after: Figures,
}

impl Scenario {
    /// Checks it against the live data: a multiplier above 0 and at most
    /// [`MAX_DEMAND_MULTIPLIER`], every facility out of service known, every zone a hazard with
    /// a valid zone whose id is not another facility's. The error names what is wrong.
    pub fn validate(&self, index: &SpatialIndex) -> Result<()> {
        if !(self.demand_multiplier > 0.0 && self.demand_multiplier <= MAX_DEMAND_MULTIPLIER) {
            return Err(Error::field(
                "demand_multiplier",
                format!(
                    "{} is not above 0 and at most {MAX_DEMAND_MULTIPLIER}",
                    self.demand_multiplier
                ),
            ));
        }
        if let Some(unknown) = self
            .out_of_service
            .iter()
            .find(|id| index.get(**id).is_none())
        {
            return Err(Error::field(
                "out_of_service",
                format!("no facility with id {unknown}"),
            ));
        }
        for (n, zone) in self.zones.iter().enumerate() {
            let Some(hazard) = zone.hazard() else {
                return Err(Error::field(
                    "zones",
                    format!("zone {}: not a hazard", n + 1),
                ));
            };
            if let Some(geometry) = &hazard.zone {
                crate::check_zone(geometry)
                    .map_err(|e| Error::field("zones", format!("zone {}: {e}", n + 1)))?;
            }
            zone.validate()
                .map_err(|e| Error::field("zones", format!("zone {}: {e}", n + 1)))?;
            if index
                .get(zone.id)
                .is_some_and(|f| f.kind() != FacilityKind::Hazard)
            {
                return Err(Error::field(
                    "zones",
                    format!(
                        "zone {}: id {} is a facility that is not a hazard",
                        n + 1,
                        zone.id
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The scenario's copy of the data: its zones in force, its facilities closed. The live
    /// snapshot is left as it was.
    pub fn view(&self, index: &SpatialIndex) -> Result<SpatialIndex> {
        let mut upserts = Vec::with_capacity(self.zones.len() + self.out_of_service.len());
        for zone in &self.zones {
            let mut zone = zone.clone();
            zone.status.status = LiveStatus::Open;
            zone.validate()?;
            upserts.push(FacilityBrief::from_facility(zone));
        }
        for id in &self.out_of_service {
            if let Some(facility) = index.get(*id) {
                upserts.push(facility.with_status(LiveStatus::Closed));
            }
        }
        Ok(index.with_brief_changes(upserts, &[])?.detached())
    }
}

/// Runs `scenario` on `index`: figures before and after, with coverage when a population `layer`
/// is given, and which of the `open_plans` (kept plans not yet dispatched or released: see
/// [`open_plans`]) draw on a depot cut off.
pub fn run_scenario(
    index: &SpatialIndex,
    layer: Option<&PopulationLayer>,
    scenario: &Scenario,
    open_plans: &[KeptPlan],
    max_cells: usize,
) -> Result<Outcome> {
    scenario.validate(index)?;
    let view = scenario.view(index)?;
    let scaled = layer.map(|layer| {
        let mut more = layer.clone();
        for cell in &mut more.cells {
            cell.people *= scenario.demand_multiplier;
        }
        more
    });
    let before = figures(index, layer, scenario.hazard, open_plans, max_cells)?;
    let after = figures(
        &view,
        scaled.as_ref(),
        scenario.hazard,
        open_plans,
        max_cells,
    )?;
    let method = layer
        .map(|l| {
            l.districts
                .iter()
                .map(|d| format!("{}: {}", d.name, d.placement.describe()))
                .collect()
        })
        .unwrap_or_default();
    Ok(Outcome {
        name: scenario.name.clone(),
        hazard: scenario.hazard,
        demand_multiplier: scenario.demand_multiplier,
        method,
        before,
        after,
    })
}

/// The kept plans not yet dispatched or released, by `ledger`.
pub fn open_plans(plans: Vec<KeptPlan>, ledger: &StockLedger) -> Vec<KeptPlan> {
    plans
        .into_iter()
        .filter(|plan| {
            matches!(
                plan.state(ledger),
                PlanState::Proposed | PlanState::Reserved
            )
        })
        .collect()
}

fn figures(
    index: &SpatialIndex,
    layer: Option<&PopulationLayer>,
    hazard: HazardType,
    plans: &[KeptPlan],
    max_cells: usize,
) -> Result<Figures> {
    let (districts, total) = match layer {
        Some(layer) => {
            let options = CoverageOptions {
                hazard: Some(hazard),
                max_cells,
                ..CoverageOptions::default()
            };
            let answer = coverage(index, layer, options)?;
            (answer.districts, Some(answer.total))
        }
        None => (Vec::new(), None),
    };
    let exposed: BTreeSet<FacilityId> = index
        .exposures(Some(hazard), &Filter::default())
        .into_iter()
        .map(|e| e.facility)
        .collect();
    let depots_cut_off: Vec<FacilityId> = index
        .facilities()
        .filter(|f| matches!(f.kind(), FacilityKind::Reserve | FacilityKind::MicroStorage))
        .filter(|f| {
            f.designation == Designation::Decommissioned
                || matches!(f.status, LiveStatus::Closed | LiveStatus::Damaged)
                || exposed.contains(&f.id)
        })
        .map(|f| f.id)
        .collect();
    let cut: BTreeSet<&FacilityId> = depots_cut_off.iter().collect();
    let plans_unmet = plans
        .iter()
        .filter(|plan| plan.dispatches.iter().any(|d| cut.contains(&d.from)))
        .map(|plan| plan.id.clone())
        .collect();
    Ok(Figures {
        districts,
        total,
        exposed: exposed.into_iter().collect(),
        depots_cut_off,
        plans_unmet,
    })
}
