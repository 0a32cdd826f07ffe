//! Counts and sums per H3 cell.

use std::collections::BTreeMap;

use h3o::{CellIndex, LatLng, Resolution};
use serde::Serialize;

use super::{Filter, SpatialIndex};
use crate::{BBox, Error, LonLat, Result, RiskLevel};

/// The cell of a position at a resolution.
fn cell_of(p: LonLat, resolution: Resolution) -> Result<CellIndex> {
    let lat_lng = LatLng::new(p.lat(), p.lon()).map_err(|e| Error::H3(e.to_string()))?;
    Ok(lat_lng.to_cell(resolution))
}

/// What the facilities of one H3 cell add up to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CellStats {
    /// Facilities in the cell.
    pub count: u64,
    /// Shelter capacity, persons.
    pub capacity: u64,
    /// Shelter occupancy, persons.
    pub occupancy: u64,
    /// The worst hazard risk level in the cell.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worst_risk: Option<RiskLevel>,
}

impl SpatialIndex {
    /// Counts and sums of the facilities matching `filter` per H3 cell at `resolution` (0–15),
    /// optionally only inside `bbox`.
    pub fn cell_stats(
        &self,
        resolution: u8,
        bbox: Option<BBox>,
        filter: &Filter,
    ) -> Result<BTreeMap<CellIndex, CellStats>> {
        let resolution = Resolution::try_from(resolution).map_err(|_| {
            Error::field(
                "resolution",
                format!("{resolution} is not an H3 resolution (0-15)"),
            )
        })?;
        let facilities: Vec<&crate::FacilityBrief> = match bbox {
            Some(bbox) => self.within_bbox(bbox, filter),
            None => self
                .facilities()
                .filter(|facility| self.matches(facility, filter))
                .collect(),
        };
        let mut stats: BTreeMap<CellIndex, CellStats> = BTreeMap::new();
        for facility in facilities {
            let entry = stats
                .entry(cell_of(facility.location, resolution)?)
                .or_default();
            entry.count += 1;
            if let Some(shelter) = facility.shelter() {
                entry.capacity += u64::from(shelter.capacity().unwrap_or(0));
                entry.occupancy += u64::from(shelter.occupancy);
            }
            if let Some(hazard) = facility.hazard() {
                // `RiskLevel` orders Major first, so the minimum is the worst.
                entry.worst_risk =
                    Some(entry.worst_risk.map_or(hazard.risk, |r| r.min(hazard.risk)));
            }
        }
        Ok(stats)
    }
}
