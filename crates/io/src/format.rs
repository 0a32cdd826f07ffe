//! Input formats, told once from a flag or a file name.

use std::path::Path;

use crate::{Error, Result};

refuge_core::named_enum! {
    /// A format Refuge imports.
    pub enum InputFormat ("input format") {
        /// A GeoJSON FeatureCollection (or a single Feature).
        GeoJson = "geojson" | "json",
        /// Newline-delimited GeoJSON: one Feature per line.
        NdJson = "ndjson" | "geojsonl" | "geojsonseq",
        /// CSV with a header and longitude/latitude columns.
        Csv = "csv",
        /// An OpenStreetMap PBF extract.
        Osm = "osm" | "pbf" | "osm.pbf",
        /// An ESRI Shapefile (`.shp` with its `.shx`, `.dbf` and `.prj`, and a `.cpg` naming
        /// the attributes' encoding); GDAL.
        Shapefile = "shapefile" | "shp",
        /// A GeoPackage; GDAL.
        GeoPackage = "gpkg" | "geopackage",
        /// KML or KMZ; GDAL.
        Kml = "kml" | "kmz",
        /// FlatGeobuf; GDAL.
        FlatGeobuf = "fgb" | "flatgeobuf",
        /// GML; GDAL.
        Gml = "gml",
        /// A MapInfo TAB or MIF file; GDAL.
        MapInfo = "mapinfo" | "tab" | "mif",
        /// Any other vector format GDAL reads (e.g. a CSV with a WKT column); GDAL.
        Gdal = "gdal",
    }
}

impl InputFormat {
    /// Whether GDAL reads it (Refuge built with the `gdal` feature), from a file rather than a
    /// stream.
    pub fn needs_gdal(self) -> bool {
        !matches!(
            self,
            InputFormat::GeoJson | InputFormat::NdJson | InputFormat::Csv | InputFormat::Osm
        )
    }

    /// The format a file name implies, from its extension.
    pub fn from_path(path: &Path) -> Result<Self> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        let by_suffix = [
            (".osm.pbf", InputFormat::Osm),
            (".pbf", InputFormat::Osm),
            (".geojson", InputFormat::GeoJson),
            (".json", InputFormat::GeoJson),
            (".ndjson", InputFormat::NdJson),
            (".geojsonl", InputFormat::NdJson),
            (".geojsonseq", InputFormat::NdJson),
            (".csv", InputFormat::Csv),
            (".shp", InputFormat::Shapefile),
            (".gpkg", InputFormat::GeoPackage),
            (".kml", InputFormat::Kml),
            (".kmz", InputFormat::Kml),
            (".fgb", InputFormat::FlatGeobuf),
            (".gml", InputFormat::Gml),
            (".tab", InputFormat::MapInfo),
            (".mif", InputFormat::MapInfo),
        ];
        by_suffix
            .iter()
            .find(|(suffix, _)| name.ends_with(suffix))
            .map(|(_, format)| *format)
            .ok_or_else(|| Error::UnknownFormat {
                path: path.to_owned(),
                expected: InputFormat::ALL
                    .iter()
                    .map(|f| f.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}
