#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod catalog;
mod chain;
mod csv;
pub mod demo;
mod encoding;
mod error;
mod format;
#[cfg(feature = "gdal")]
mod gdal;
mod geojson;
mod mapping;
pub mod osm;
mod population;
mod report;
mod scenario;
mod sink;
mod stock;

#[cfg(feature = "gdal")]
pub use crate::gdal::{ExportFormat, describe_layers, read_population_raster, write_gdal};
pub use catalog::read_catalog;
pub use csv::{CsvColumns, read_csv, stream_csv, write_csv};
pub use encoding::TextEncoding;
pub use error::{Error, Result};
pub use format::InputFormat;
pub use geojson::{
    GeoJsonTarget, check_rings, facility_from_feature, feature_json, read_geojson, read_ndjson,
    stream_geojson, stream_ndjson, write_base_geojson, write_geojson,
};
pub use mapping::{Field, ImportOptions, Mapping, Placement, Record, facility_id, to_facility};
pub use osm::{read_osm, stream_osm};
pub use population::{PopulationReport, dwellings, read_districts, read_population};
pub use refuge_core::{BaseFeature, BaseLayer};
pub use report::{Duplicate, DuplicateKind, ImportReport, Location, Rejection, stable_id};
pub use scenario::ScenarioFile;
pub use sink::{DataSource, ImportSink, ImportSpec, OSM_ATTRIBUTION, Outcome, Stated};
pub use stock::{FacilityRef, StockRow, read_stock_csv};

use refuge_core::Facility;

/// What an import produced: facilities, base-map features, and the report.
#[derive(Debug, Clone, Default)]
pub struct Import {
    /// Accepted facilities.
    pub facilities: Vec<Facility>,
    /// Accepted base-map features.
    pub base: Vec<BaseFeature>,
    /// What happened, record by record.
    pub report: ImportReport,
}

impl Import {
    /// An empty import of `dataset`.
    pub fn new(dataset: &str) -> Self {
        Self {
            report: ImportReport::new(dataset),
            ..Self::default()
        }
    }
}

/// Collecting in memory: every accepted record is kept.
impl ImportSink for Import {
    fn facility(&mut self, facility: Facility, _: Stated) -> Result<Outcome> {
        self.facilities.push(facility);
        Ok(Outcome::Accepted)
    }

    fn base(&mut self, feature: BaseFeature) -> Result<Outcome> {
        self.base.push(feature);
        Ok(Outcome::Accepted)
    }
}
