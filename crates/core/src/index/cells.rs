//! Counts and sums per H3 cell.

use std::collections::BTreeMap;

use h3o::{CellIndex, LatLng, Resolution};
use serde::Serialize;

use super::{Filter, SpatialIndex};
use crate::{BBox, Error, FacilityDetails, LonLat, Result, RiskLevel};

/// The cell every facility is filed under; coarser cells are its parents.
pub(super) fn finest_cell(p: LonLat) -> Result<CellIndex> {
    let lat_lng = LatLng::new(p.lat(), p.lon()).map_err(|e| Error::H3(e.to_string()))?;
    Ok(lat_lng.to_cell(Resolution::Fifteen))
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
        let slots: Box<dyn Iterator<Item = u32>> = match bbox {
            Some(bbox) => Box::new(
                self.within_bbox(bbox, filter)
                    .into_iter()
                    .filter_map(|facility| self.slot(facility.id)),
            ),
            None => Box::new(
                (0u32..)
                    .zip(&self.facilities)
                    .filter(|(_, facility)| self.matches(facility, filter))
                    .map(|(slot, _)| slot),
            ),
        };
        let mut stats: BTreeMap<CellIndex, CellStats> = BTreeMap::new();
        for slot in slots {
            let Some(cell) = self.cells[slot as usize].parent(resolution) else {
                continue;
            };
            let entry = stats.entry(cell).or_default();
            entry.count += 1;
            match &self.facility_at(slot).details {
                FacilityDetails::Shelter(shelter) => {
                    entry.capacity += u64::from(shelter.capacity().unwrap_or(0));
                    entry.occupancy += u64::from(shelter.occupancy);
                }
                FacilityDetails::Hazard(hazard) => {
                    // `RiskLevel` orders Major first, so the minimum is the worst.
                    entry.worst_risk =
                        Some(entry.worst_risk.map_or(hazard.risk, |r| r.min(hazard.risk)));
                }
                _ => {}
            }
        }
        Ok(stats)
    }
}
