//! Which shelters an emergency opens: the designated shelters of an area that suit the hazard and
//! lie outside every active zone of it.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{Filter, SpatialIndex};
use crate::{Designation, FacilityId, FacilityKind, HazardType, LiveStatus, Suitability};

/// What an activation would do, shelter by shelter.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ActivationPlan {
    /// Shelters to open (on standby now), by id.
    pub open: Vec<FacilityId>,
    /// Of those, the ones whose suitability for any hazard is not stated.
    pub suitability_unknown: Vec<FacilityId>,
    /// Designated shelters of the area left as they are, and why.
    pub left: Vec<LeftShelter>,
}

/// A shelter of the area an activation does not open.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeftShelter {
    /// The shelter.
    pub id: FacilityId,
    /// Why it stays as it is.
    #[serde(flatten)]
    pub reason: LeftReason,
}

/// Why an activation leaves a shelter as it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum LeftReason {
    /// It states hazards it suits, and not this one.
    Unsuitable,
    /// It lies inside the zone or influence radius of a hazard source that threatens people
    /// sheltering from this hazard.
    InHazardZone {
        /// The hazard source.
        hazard: FacilityId,
    },
    /// Its live status is not standby (already open, full, closed or damaged): a report made on
    /// the ground is not overruled.
    Status {
        /// Its status.
        status: LiveStatus,
    },
}

impl SpatialIndex {
    /// The activation plan for `hazard` over `area`: every designated shelter inside it opens if
    /// it is on standby, suits the hazard (or states no suitability, flagged), and is outside
    /// every active hazard source that threatens people sheltering from `hazard`.
    pub fn activation_plan(&self, hazard: HazardType, area: &geo::MultiPolygon) -> ActivationPlan {
        let shelters = Filter::default().kind(FacilityKind::Shelter);
        let candidates: Vec<_> = self
            .within_polygon(area, &shelters)
            .into_iter()
            .filter(|f| f.designation == Designation::Designated)
            .collect();
        let wanted: BTreeSet<FacilityId> = candidates.iter().map(|f| f.id).collect();
        // The hazard sources that threaten this emergency, and the shelters each reaches.
        let mut exposed = std::collections::BTreeMap::new();
        for exposure in self.exposures(Some(hazard), &shelters) {
            if wanted.contains(&exposure.facility) {
                exposed.entry(exposure.facility).or_insert(exposure.hazard);
            }
        }
        let mut plan = ActivationPlan::default();
        for facility in candidates {
            let Some(shelter) = facility.shelter() else {
                continue;
            };
            let left = |reason| LeftShelter {
                id: facility.id,
                reason,
            };
            let suitability = shelter.suitability(hazard);
            if suitability == Suitability::Unsuitable {
                plan.left.push(left(LeftReason::Unsuitable));
            } else if let Some(source) = exposed.get(&facility.id) {
                plan.left
                    .push(left(LeftReason::InHazardZone { hazard: *source }));
            } else if facility.status != LiveStatus::Standby {
                plan.left.push(left(LeftReason::Status {
                    status: facility.status,
                }));
            } else {
                plan.open.push(facility.id);
                if suitability == Suitability::Unknown {
                    plan.suitability_unknown.push(facility.id);
                }
            }
        }
        plan
    }
}
