//! What a list, a map marker, a tile and a popup's first line show of a facility: made in one
//! place, so the API, the tiles and the page agree on every name.

use std::collections::BTreeSet;

use serde::Serialize;

use super::{
    Designation, Facility, FacilityBrief, FacilityKind, HazardKind, HazardType, LiveStatus, Names,
    PoiKind, ReserveTier, RiskLevel, Room, ShelterType,
};

/// A facility's public summary. Fields that belong to one kind are present for that kind only.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FacilitySummary {
    /// The facility's id.
    pub id: u64,
    /// Its kind.
    pub kind: FacilityKind,
    /// Its names.
    pub name: Names,
    /// Its live status.
    pub status: LiveStatus,
    /// Planned, designated or decommissioned.
    pub designation: Designation,
    /// A shelter's GB 51143 function type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shelter_type: Option<ShelterType>,
    /// A shelter's capacity in persons, where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity: Option<u32>,
    /// People in a shelter now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub occupancy: Option<u32>,
    /// Places left in a shelter, where its capacity is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available: Option<u32>,
    /// Whether a shelter has room, is full, or cannot tell.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub room: Option<Room>,
    /// The hazards a shelter states it suits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suitable_for: Option<BTreeSet<HazardType>>,
    /// Whether a shelter states no suitability at all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suitability_unknown: Option<bool>,
    /// A reserve depot's tier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier: Option<ReserveTier>,
    /// A hazard source's kind.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hazard_kind: Option<HazardKind>,
    /// A hazard source's risk level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk: Option<RiskLevel>,
    /// The risk level as a number, 1 (low) to 4 (major), for styles that scale by it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grade: Option<u8>,
    /// How far a hazard source's influence reaches, metres.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub influence_radius_m: Option<f64>,
    /// A point of interest's kind.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub poi_kind: Option<PoiKind>,
}

impl FacilitySummary {
    /// The summary of a facility, from what the index keeps of it.
    pub fn of(facility: &FacilityBrief) -> Self {
        let mut summary = Self {
            id: facility.id.get(),
            kind: facility.kind(),
            name: facility.name(),
            status: facility.status,
            designation: facility.designation,
            shelter_type: None,
            capacity: None,
            occupancy: None,
            available: None,
            room: None,
            suitable_for: None,
            suitability_unknown: None,
            tier: None,
            hazard_kind: None,
            risk: None,
            grade: None,
            influence_radius_m: None,
            poi_kind: facility.poi_kind(),
        };
        if let Some(shelter) = facility.shelter() {
            let suitable_for = shelter.suitable_for();
            summary.shelter_type = Some(shelter.shelter_type);
            summary.capacity = shelter.capacity();
            summary.occupancy = Some(shelter.occupancy);
            summary.available = shelter.available();
            summary.room = Some(shelter.room());
            summary.suitability_unknown = Some(suitable_for.is_empty());
            summary.suitable_for = Some(suitable_for);
        }
        if let Some(depot) = facility.reserve() {
            summary.tier = Some(depot.tier);
        }
        if let Some(hazard) = facility.hazard() {
            summary.hazard_kind = Some(hazard.hazard_kind);
            summary.risk = Some(hazard.risk);
            summary.grade = Some(hazard.risk.grade());
            summary.influence_radius_m = Some(hazard.influence_radius_m);
        }
        summary
    }

    /// The summary of a whole record.
    pub fn of_facility(facility: &Facility) -> Self {
        Self::of(&FacilityBrief::of(facility))
    }
}
