//! Exports for QGIS and field teams: a GeoPackage, Shapefiles, a FlatGeobuf or a KML file with
//! one point layer per kind of facility (`shelters`, `reserves`, `micro_storage`, `hazards`,
//! `pois`), a polygon layer of hazard zones (`hazard_zones`) and a line layer of hazards that run
//! along a line (`hazard_lines`, such as a coast exposed to surges), in WGS84 with the SRS
//! written.
//!
//! The attributes are the CSV export's, typed (ids and head counts as integers). A Shapefile
//! keeps field names to 10 characters: `designation` is written `designatn`, `reported_at`
//! `reported`; the others fit. Shapefiles go into a folder, one per layer, with a `.cpg` saying
//! UTF-8.

use std::path::Path;

use gdal::DriverManager;
use gdal::spatial_ref::{AxisMappingStrategy, SpatialRef};
use gdal::vector::{
    Feature, Geometry, LayerAccess, LayerOptions, OGRFieldType, OGRwkbGeometryType, ToGdal,
};
use refuge_core::Facility;

use crate::csv::{COLUMNS, column_values};
use crate::{Error, Result};

refuge_core::named_enum! {
    /// A format Refuge exports through GDAL.
    pub enum ExportFormat ("export format") {
        /// A GeoPackage: every layer in one file.
        GeoPackage = "gpkg" | "geopackage",
        /// Shapefiles, one per layer, in a folder.
        Shapefile = "shp" | "shapefile",
        /// FlatGeobuf: one layer per file, so the facilities of every kind in one layer.
        FlatGeobuf = "fgb" | "flatgeobuf",
        /// KML, for field teams' phones and Google Earth.
        Kml = "kml",
    }
}

impl ExportFormat {
    fn driver(self) -> &'static str {
        match self {
            ExportFormat::GeoPackage => "GPKG",
            ExportFormat::Shapefile => "ESRI Shapefile",
            ExportFormat::FlatGeobuf => "FlatGeobuf",
            ExportFormat::Kml => "KML",
        }
    }
}

/// The columns of an export, without the position (the geometry holds it).
const SKIPPED: [&str; 2] = ["lon", "lat"];

/// A column's name in a format: a Shapefile keeps 10 characters.
fn field_name(name: &'static str, format: ExportFormat) -> &'static str {
    match (format, name) {
        (ExportFormat::Shapefile, "designation") => "designatn",
        (ExportFormat::Shapefile, "reported_at") => "reported",
        _ => name,
    }
}

fn field_type(name: &str) -> OGRFieldType::Type {
    match name {
        "id" => OGRFieldType::OFTInteger64,
        "capacity" | "occupancy" => OGRFieldType::OFTInteger,
        _ => OGRFieldType::OFTString,
    }
}

/// Writes `facilities` to `path` in `format`; answers how many features each layer holds.
pub fn write_gdal(
    facilities: &[Facility],
    format: ExportFormat,
    path: &Path,
) -> Result<Vec<(String, usize)>> {
    let failed = |message: String| Error::Write {
        what: path.display().to_string(),
        source: std::io::Error::other(message),
    };
    let driver = DriverManager::get_driver_by_name(format.driver())
        .map_err(|e| failed(format!("GDAL has no {} driver: {e}", format.driver())))?;
    if format == ExportFormat::Shapefile {
        std::fs::create_dir_all(path).map_err(|source| Error::Write {
            what: path.display().to_string(),
            source,
        })?;
    }
    let mut dataset = driver
        .create_vector_only(path)
        .map_err(|e| failed(format!("cannot create it: {e}")))?;
    let mut srs = SpatialRef::from_epsg(4326).map_err(|e| failed(e.to_string()))?;
    srs.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);

    // One layer per kind; FlatGeobuf holds one layer, so every kind goes into it.
    let mut groups: Vec<(&'static str, Vec<&Facility>)> = Vec::new();
    for facility in facilities {
        let name = if format == ExportFormat::FlatGeobuf {
            "facilities"
        } else {
            facility.kind().layer_name()
        };
        match groups.iter_mut().find(|(n, _)| *n == name) {
            Some((_, members)) => members.push(facility),
            None => groups.push((name, vec![facility])),
        }
    }
    let zones: Vec<(&Facility, Geometry)> = facilities
        .iter()
        .filter_map(|f| {
            let zone = f.hazard()?.zone.as_ref()?;
            Some((f, zone.to_gdal().ok()?))
        })
        .collect();

    let mut written = Vec::new();
    let options: &[&str] = if format == ExportFormat::Shapefile {
        &["ENCODING=UTF-8"]
    } else {
        &[]
    };
    for (name, members) in &groups {
        let layer = dataset
            .create_layer(LayerOptions {
                name,
                srs: Some(&srs),
                ty: OGRwkbGeometryType::wkbPoint,
                options: Some(options),
            })
            .map_err(|e| failed(format!("cannot create layer {name}: {e}")))?;
        let columns: Vec<(usize, &'static str)> = COLUMNS
            .iter()
            .enumerate()
            .filter(|(_, (column, _))| !SKIPPED.contains(column))
            .map(|(at, (column, _))| (at, *column))
            .collect();
        let fields: Vec<(&str, OGRFieldType::Type)> = columns
            .iter()
            .map(|(_, column)| (field_name(column, format), field_type(column)))
            .collect();
        layer
            .create_defn_fields(&fields)
            .map_err(|e| failed(format!("cannot define layer {name}'s fields: {e}")))?;
        // Where each field went: a driver may have fields of its own (KML's Name, Description).
        let slots = field_slots(&layer, &fields).map_err(|e| failed(e.to_string()))?;
        let title = layer.defn().field_index("Name").ok();
        for facility in members {
            let values = column_values(facility);
            let mut feature = Feature::new(layer.defn()).map_err(|e| failed(e.to_string()))?;
            let point = geo::Point::new(facility.location.lon(), facility.location.lat());
            let geometry = point.to_gdal().map_err(|e| failed(e.to_string()))?;
            feature
                .set_geometry(geometry)
                .map_err(|e| failed(e.to_string()))?;
            for ((at, column), slot) in columns.iter().zip(&slots) {
                set_field(&mut feature, *slot, column, &values[*at])
                    .map_err(|e| failed(format!("{column} of {}: {e}", facility.id)))?;
            }
            if let Some(title) = title {
                let name = facility.name.zh.as_deref().or(facility.name.en.as_deref());
                feature
                    .set_field_string(title, name.unwrap_or_default())
                    .map_err(|e| failed(e.to_string()))?;
            }
            feature
                .create(&layer)
                .map_err(|e| failed(format!("cannot write {}: {e}", facility.id)))?;
        }
        written.push(((*name).to_owned(), members.len()));
    }
    if format != ExportFormat::FlatGeobuf {
        for (name, multi) in [
            ("hazard_zones", OGRwkbGeometryType::wkbMultiPolygon),
            ("hazard_lines", OGRwkbGeometryType::wkbMultiLineString),
        ] {
            let members: Vec<&(&Facility, Geometry)> = zones
                .iter()
                .filter(|(_, zone)| multi_of(zone) == Some(multi))
                .collect();
            if members.is_empty() {
                continue;
            }
            let layer = dataset
                .create_layer(LayerOptions {
                    name,
                    srs: Some(&srs),
                    ty: multi,
                    options: Some(options),
                })
                .map_err(|e| failed(format!("cannot create layer {name}: {e}")))?;
            write_zones(&layer, multi, &members).map_err(|e| failed(format!("{name}: {e}")))?;
            written.push((name.to_owned(), members.len()));
        }
    }
    dataset
        .close()
        .map_err(|e| failed(format!("cannot finish it: {e}")))?;
    Ok(written)
}

/// The index of each of `fields` in `layer`.
fn field_slots(
    layer: &gdal::vector::Layer<'_>,
    fields: &[(&str, OGRFieldType::Type)],
) -> gdal::errors::Result<Vec<usize>> {
    fields
        .iter()
        .map(|(name, _)| layer.defn().field_index(name))
        .collect()
}

/// The multi-geometry type a zone is written as: polygons as multipolygons, lines as
/// multilinestrings; `None` for anything else.
fn multi_of(zone: &Geometry) -> Option<OGRwkbGeometryType::Type> {
    match zone.geometry_type() {
        OGRwkbGeometryType::wkbPolygon | OGRwkbGeometryType::wkbMultiPolygon => {
            Some(OGRwkbGeometryType::wkbMultiPolygon)
        }
        OGRwkbGeometryType::wkbLineString | OGRwkbGeometryType::wkbMultiLineString => {
            Some(OGRwkbGeometryType::wkbMultiLineString)
        }
        _ => None,
    }
}

/// Writes hazard zones, each as a `multi` geometry, with the hazard's id, names, kind and risk.
fn write_zones(
    layer: &gdal::vector::Layer<'_>,
    multi: OGRwkbGeometryType::Type,
    zones: &[&(&Facility, Geometry)],
) -> gdal::errors::Result<()> {
    let fields = [
        ("id", OGRFieldType::OFTInteger64),
        ("name_zh", OGRFieldType::OFTString),
        ("name_en", OGRFieldType::OFTString),
        ("hazard", OGRFieldType::OFTString),
        ("risk", OGRFieldType::OFTString),
    ];
    layer.create_defn_fields(&fields)?;
    let slots = field_slots(layer, &fields)?;
    for (facility, zone) in zones {
        let Some(hazard) = facility.hazard() else {
            continue;
        };
        let mut feature = Feature::new(layer.defn())?;
        let zone = if zone.geometry_type() == multi {
            zone.clone()
        } else {
            let mut collection = Geometry::empty(multi)?;
            collection.add_geometry(zone.clone())?;
            collection
        };
        feature.set_geometry(zone)?;
        let values = [
            facility.id.to_string(),
            facility.name.zh.clone().unwrap_or_default(),
            facility.name.en.clone().unwrap_or_default(),
            hazard.hazard_kind.to_string(),
            hazard.risk.to_string(),
        ];
        for (((column, _), value), slot) in fields.iter().zip(&values).zip(&slots) {
            set_field(&mut feature, *slot, column, value)?;
        }
        feature.create(layer)?;
    }
    Ok(())
}

/// Sets field `index` of `feature` from its exported text: a number where the column is one,
/// nothing where the text is empty.
fn set_field(
    feature: &mut Feature<'_>,
    index: usize,
    column: &str,
    value: &str,
) -> gdal::errors::Result<()> {
    if value.is_empty() {
        return feature.set_field_null(index);
    }
    match field_type(column) {
        OGRFieldType::OFTInteger64 => match value.parse::<i64>() {
            Ok(number) => feature.set_field_integer64(index, number),
            Err(_) => feature.set_field_string(index, value),
        },
        OGRFieldType::OFTInteger => match value.parse::<i32>() {
            Ok(number) => feature.set_field_integer(index, number),
            Err(_) => feature.set_field_string(index, value),
        },
        _ => feature.set_field_string(index, value),
    }
}
