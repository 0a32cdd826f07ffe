//! Change announcements for live maps: after each committed write, before its response.

use serde::Serialize;

/// One change.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    /// What happened: `facility.create`, `facility.update`, `facility.status`, `facility.delete`,
    /// `stock.movement`.
    pub action: String,
    /// The facility.
    pub facility: u64,
    /// Its kind.
    pub kind: String,
    /// West, south, east, north of what changed (a point for most changes).
    pub bbox: [f64; 4],
    /// The data version that includes the change: tile URLs carry it.
    pub data_version: u64,
}
