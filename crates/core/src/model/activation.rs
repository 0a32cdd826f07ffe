//! An emergency activation: one decision that opens the suitable shelters of an area.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{Facility, FacilityId, HazardType, LeftShelter, Suitability};

/// An activation for a hazard over an area, and what it did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Activation {
    /// Its number, given by the store.
    pub id: u64,
    /// The emergency.
    pub hazard: HazardType,
    /// The district it was asked for, if it was asked by district.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
    /// The area, WGS84.
    pub area: geo::MultiPolygon,
    /// The shelters it opened.
    pub opened: Vec<FacilityId>,
    /// Of those, the ones whose suitability is not stated.
    #[serde(default)]
    pub suitability_unknown: Vec<FacilityId>,
    /// The designated shelters of the area it left as they were, and why.
    #[serde(default)]
    pub left: Vec<LeftShelter>,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// Who started it.
    pub started_by: String,
    /// When it ended, if it has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<DateTime<Utc>>,
    /// Who ended it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_by: Option<String>,
    /// The shelters its end returned to standby (the others had a later status report).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub returned_to_standby: Vec<FacilityId>,
    /// The shelters its end left open for another activation still in force over them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub handed_over: Vec<FacilityId>,
}

impl Activation {
    /// The reporter its status reports carry, by which its end knows the shelters whose status
    /// it still sets.
    pub fn reporter(&self) -> String {
        format!("activation {}", self.id)
    }

    /// Whether it would keep `facility` open: a shelter in its area that does not state itself
    /// unsuitable for its hazard.
    pub fn covers(&self, facility: &Facility) -> bool {
        use geo::Intersects;
        facility
            .shelter()
            .is_some_and(|s| s.suitability(self.hazard) != Suitability::Unsuitable)
            && self.area.intersects(&facility.location.point())
    }

    /// Whether it is still in force.
    pub fn is_active(&self) -> bool {
        self.ended_at.is_none()
    }
}
