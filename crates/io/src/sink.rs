//! Where imported records go, one at a time: collected in memory ([`Import`](crate::Import)), or
//! written straight into a store, so that a file of any size is read in bounded memory.

use std::io::Read;
use std::path::Path;

use refuge_core::Facility;

use crate::csv::CsvColumns;
use crate::format::InputFormat;
use crate::geojson::GeoJsonTarget;
use crate::mapping::ImportOptions;
use crate::report::ImportReport;
use crate::{Error, Result};
use refuge_core::{BaseFeature, BaseLayer};

/// What a sink did with one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Taken.
    Accepted,
    /// Refused, and why; the import goes on with the next record.
    Refused(String),
}

/// What a facility's record stated, rather than left to defaults: its own id (without one, the id
/// comes from the record's place in the file), its live status, its designation (standby and
/// designated, or planned for OpenStreetMap candidates, by default). Importing a facility again
/// keeps what is stored for each field the record does not state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stated {
    /// An id of its own.
    pub id: bool,
    /// A `status` (and, for a shelter, its `occupancy` with it).
    pub status: bool,
    /// A `designation`.
    pub designation: bool,
}

impl Stated {
    /// A whole record, such as a Refuge export feature.
    pub const ALL: Stated = Stated {
        id: true,
        status: true,
        designation: true,
    };
}

/// A destination for imported records. A record it refuses is reported by its place in the file;
/// an error stops the whole import.
pub trait ImportSink {
    /// Takes an accepted facility; `stated` says which fields its record gave.
    fn facility(&mut self, facility: Facility, stated: Stated) -> Result<Outcome>;
    /// Takes an accepted base-map feature.
    fn base(&mut self, feature: BaseFeature) -> Result<Outcome>;
}

/// The credit OpenStreetMap data needs wherever it is shown.
pub const OSM_ATTRIBUTION: &str = "© OpenStreetMap contributors (ODbL)";

/// Where imported data came from, and how the map credits it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DataSource {
    /// The dataset's name (a file name): facilities carry it as their source.
    pub dataset: String,
    /// Its format, e.g. `csv` or `osm`.
    pub format: String,
    /// The credit the map shows for it, e.g. `© OpenStreetMap contributors (ODbL)`.
    pub attribution: String,
}

/// How to read one input: its format, CRS and mapping, and what its features become.
#[derive(Debug, Clone)]
pub struct ImportSpec {
    /// The format.
    pub format: InputFormat,
    /// Dataset name, CRS, kind and field mapping.
    pub options: ImportOptions,
    /// CSV: the position columns.
    pub columns: CsvColumns,
    /// GeoJSON: base-map features of this layer instead of facilities.
    pub layer: Option<BaseLayer>,
    /// A source GDAL reads that holds several layers: the one to read.
    pub source_layer: Option<String>,
}

impl ImportSpec {
    /// The source this input is, credited as `attribution`, or by default as OpenStreetMap for
    /// an OSM extract and by its dataset name otherwise.
    pub fn source(&self, attribution: Option<String>) -> DataSource {
        let attribution = attribution.unwrap_or_else(|| match self.format {
            InputFormat::Osm => OSM_ATTRIBUTION.to_owned(),
            _ => self.options.dataset.clone(),
        });
        DataSource {
            dataset: self.options.dataset.clone(),
            format: self.format.as_str().to_owned(),
            attribution,
        }
    }

    /// Reads `input` record by record into `sink` and returns the report. Nothing is held whole
    /// in memory except an OpenStreetMap extract, whose ways need all their nodes.
    pub fn run(&self, input: impl Read + Send, sink: &mut dyn ImportSink) -> Result<ImportReport> {
        let mut checked = crate::chain::ChainCheck::new(sink);
        let mut report = self.read(input, &mut checked)?;
        report.chain = checked.problems();
        report.notes.extend(self.options.crs.datum_note());
        Ok(report)
    }

    /// Reads the file at `path` like [`ImportSpec::run`]; the formats GDAL reads are read only
    /// this way, from the file (a Shapefile needs the files beside it).
    pub fn run_file(&self, path: &Path, sink: &mut dyn ImportSink) -> Result<ImportReport> {
        if !self.format.needs_gdal() {
            let file = std::fs::File::open(path).map_err(|source| Error::Read {
                path: path.to_owned(),
                source,
            })?;
            return self.run(std::io::BufReader::new(file), sink);
        }
        #[cfg(feature = "gdal")]
        {
            let mut checked = crate::chain::ChainCheck::new(sink);
            let mut report = crate::gdal::stream_gdal(
                path,
                self.source_layer.as_deref(),
                self.target(),
                &self.options,
                &mut checked,
            )?;
            report.chain = checked.problems();
            Ok(report)
        }
        #[cfg(not(feature = "gdal"))]
        Err(Error::NeedsGdal {
            format: self.format.to_string(),
        })
    }

    fn target(&self) -> GeoJsonTarget {
        match self.layer {
            Some(layer) => GeoJsonTarget::Base(layer),
            None => GeoJsonTarget::Facilities,
        }
    }

    fn read(&self, input: impl Read + Send, sink: &mut dyn ImportSink) -> Result<ImportReport> {
        let target = self.target();
        match self.format {
            InputFormat::Csv => crate::csv::stream_csv(input, &self.columns, &self.options, sink),
            InputFormat::GeoJson => {
                crate::geojson::stream_geojson(input, target, &self.options, sink)
            }
            InputFormat::NdJson => {
                crate::geojson::stream_ndjson(input, target, &self.options, sink)
            }
            InputFormat::Osm => crate::osm::stream_osm(input, &self.options, sink),
            // Read from their file, with `run_file`.
            format if cfg!(feature = "gdal") => Err(Error::Gdal {
                dataset: self.options.dataset.clone(),
                message: format!("{format} is read from its file, not from a stream"),
            }),
            format => Err(Error::NeedsGdal {
                format: format.to_string(),
            }),
        }
    }
}
