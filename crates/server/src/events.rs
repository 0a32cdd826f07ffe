//! Change announcements for live maps: after each committed write, before its response.

use refuge_core::FacilityKind;
use refuge_store::Action;
use serde::Serialize;
use utoipa::ToSchema;

/// One change.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Event {
    /// What happened.
    pub action: Action,
    /// The facility, for a change to one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facility: Option<u64>,
    /// Its kind, for a change to one facility.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<FacilityKind>,
    /// How many records changed, for a change to many (an import, an activation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// West, south, east, north of what changed (a point for most changes).
    pub bbox: [f64; 4],
    /// The data version that includes the change: tile URLs carry it.
    pub data_version: u64,
}
