//! Loading the facilities a command works on.

use std::path::Path;

use anyhow::{Context, Result};
use refuge_core::{Crs, Facility, FacilityId, SpatialIndex};
use refuge_io::demo::{City, demo_city, demo_time};
use refuge_io::{GeoJsonTarget, ImportOptions, read_geojson};

use crate::DataArgs;

/// The facilities and their index: from the given files, or the demo city with its stock.
pub struct Dataset {
    /// The index over every facility.
    pub index: SpatialIndex,
    /// The whole records, sorted by id (the index keeps a brief of each).
    pub records: Vec<Facility>,
    /// The demo city, when no files were given (it carries stock and quotas).
    pub city: Option<City>,
}

impl Dataset {
    pub fn load(data: &DataArgs) -> Result<Self> {
        if data.files.is_empty() {
            let city = demo_city().context("cannot build the demo city")?;
            let index = city.index(demo_time().date_naive())?;
            return Ok(Self {
                index,
                records: sorted(city.facilities.clone()),
                city: Some(city),
            });
        }
        let mut facilities = Vec::new();
        for path in &data.files {
            facilities.extend(read_refuge_geojson(path)?);
        }
        let index = SpatialIndex::new(facilities.clone())
            .context("the data files do not form one valid index")?;
        Ok(Self {
            index,
            records: sorted(facilities),
            city: None,
        })
    }

    /// The whole record of a facility.
    pub fn record(&self, id: FacilityId) -> Option<&Facility> {
        self.records
            .binary_search_by_key(&id, |f| f.id)
            .ok()
            .and_then(|at| self.records.get(at))
    }
}

fn sorted(mut facilities: Vec<Facility>) -> Vec<Facility> {
    facilities.sort_by_key(|f| f.id);
    facilities
}

fn read_refuge_geojson(path: &Path) -> Result<Vec<refuge_core::Facility>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let options = ImportOptions::new(path.display().to_string(), Crs::Wgs84);
    let import = read_geojson(&text, GeoJsonTarget::Facilities, &options)?;
    if !import.report.rejected.is_empty() {
        anyhow::bail!(
            "{} is not a clean Refuge GeoJSON file (write it with `refuge import --output`):\n{}",
            path.display(),
            import.report
        );
    }
    Ok(import.facilities)
}
