//! Every vector format GDAL reads (Shapefile, GeoPackage, KML and KMZ, FlatGeobuf, GML, MapInfo,
//! CSV with a WKT column, …), and exports for QGIS and field teams, behind the `gdal` feature.
//!
//! - Positions: a layer that declares its SRS is converted by GDAL and PROJ, in longitude and
//!   latitude order whatever the SRS's own axis order; a layer without one is taken in `--crs`.
//! - Layers: a source with one layer is read whole; with several, `--source-layer` names one, and
//!   without it the error lists them.
//! - Text: GDAL decodes a Shapefile's attributes by its `.cpg`; `--encoding` overrides it. A
//!   Shapefile with no `.cpg` is read without recoding: attributes that are not UTF-8 are refused
//!   by feature and column, naming `--encoding gbk`, never stored as mojibake.
//! - Population grids: a raster of people per pixel, made into a population layer (see
//!   [`read_population_raster`]).
//! - Exports: one layer per kind of facility and one of hazard zones, in WGS84 with the SRS
//!   written (see [`write`]).
//! - What GDAL says while reading goes into the import's report, each message once with how
//!   often (see `heard.rs`).

mod heard;
mod raster;
mod read;
mod write;

use std::path::Path;

use gdal::{Dataset, DatasetOptions, GdalOpenFlags};

use crate::{Error, Result};

pub use raster::read_population_raster;
pub use read::{describe_layers, stream_gdal};
pub use write::{ExportFormat, write_gdal};

/// Opens `path` as a vector source with `open_options`; the error is GDAL's.
fn open(path: &Path, open_options: &[&str], dataset: &str) -> Result<Dataset> {
    Dataset::open_ex(
        path,
        DatasetOptions {
            open_flags: GdalOpenFlags::GDAL_OF_VECTOR
                | GdalOpenFlags::GDAL_OF_READONLY
                | GdalOpenFlags::GDAL_OF_VERBOSE_ERROR,
            open_options: (!open_options.is_empty()).then_some(open_options),
            ..DatasetOptions::default()
        },
    )
    .map_err(|e| Error::Gdal {
        dataset: dataset.to_owned(),
        message: format!("GDAL cannot open it as vector data: {e}"),
    })
}
