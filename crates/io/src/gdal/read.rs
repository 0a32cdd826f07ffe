//! Reading: each feature becomes a GeoJSON Feature in WGS84 and goes through the GeoJSON path,
//! so the field mapping, the checks and the report are the ones every other format has.

use std::path::Path;

use gdal::Metadata;
use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};
use gdal::vector::{FieldValue, LayerAccess};
use serde_json::{Map, Value, json};

use super::open;
use crate::geojson::{GeoJsonTarget, take};
use crate::report::{ImportReport, Location};
use crate::sink::ImportSink;
use crate::{Error, ImportOptions, Result, TextEncoding};

/// The layers of a source, each with its feature count and SRS, for a listing.
pub fn describe_layers(path: &Path) -> Result<Vec<String>> {
    let dataset = open(path, &[], &dataset_name(path))?;
    Ok(dataset
        .layers()
        .map(|layer| {
            let srs = layer
                .spatial_ref()
                .and_then(|s| s.authority().ok().or_else(|| s.name()))
                .unwrap_or_else(|| "no SRS".into());
            format!(
                "{} ({} features, {srs})",
                layer.name(),
                layer.feature_count()
            )
        })
        .collect())
}

/// Reads the features of `path` (of layer `source_layer`, needed when it has several) into
/// `sink`, as facilities or as base-map features of `target`.
pub fn stream_gdal(
    path: &Path,
    source_layer: Option<&str>,
    target: GeoJsonTarget,
    options: &ImportOptions,
    sink: &mut dyn ImportSink,
) -> Result<ImportReport> {
    let dataset_label = options.dataset.clone();
    let failed = |message: String| Error::Gdal {
        dataset: dataset_label.clone(),
        message,
    };
    let listening = super::heard::Listening::start();
    let mut dataset = open(path, &[], &options.dataset)?;
    let shapefile = dataset.driver().short_name() == "ESRI Shapefile";
    // A Shapefile's attributes in the encoding asked for; with none asked and no .cpg saying
    // one, undecoded, to be checked as UTF-8 here. Told GBK, its undecoded text is read too, to
    // refuse what is UTF-8.
    let mut raw = false;
    let mut undecoded = None;
    if shapefile {
        // As GDAL saw it (beside the file or in the same zip).
        let has_cpg = dataset.layer(0).is_ok_and(|layer| {
            layer
                .metadata_item("ENCODING_FROM_CPG", "SHAPEFILE")
                .is_some()
        });
        let encoding = match options.encoding {
            TextEncoding::Utf8 if !has_cpg => {
                raw = true;
                Some("ENCODING=")
            }
            TextEncoding::Utf8 => None,
            TextEncoding::Gbk => Some("ENCODING=CP936"),
            TextEncoding::Gb18030 => Some("ENCODING=GB18030"),
        };
        if let Some(encoding) = encoding {
            dataset = open(path, &[encoding], &options.dataset)?;
        }
        if options.encoding != TextEncoding::Utf8 {
            undecoded = Some(open(path, &["ENCODING="], &options.dataset)?);
        }
    }
    let names: Vec<String> = dataset.layers().map(|l| l.name()).collect();
    let mut layer = match (source_layer, names.as_slice()) {
        (Some(name), _) => dataset.layer_by_name(name).map_err(|_| {
            failed(format!(
                "no layer `{name}`; its layers: {}",
                describe_layers(path).unwrap_or(names.clone()).join(", ")
            ))
        })?,
        (None, [_]) => dataset
            .layer(0)
            .map_err(|e| failed(format!("cannot read its layer: {e}")))?,
        (None, []) => return Err(failed("it holds no layer".into())),
        (None, _) => {
            return Err(failed(format!(
                "it holds {} layers; choose one with --source-layer NAME: {}",
                names.len(),
                describe_layers(path).unwrap_or(names.clone()).join(", ")
            )));
        }
    };

    let mut report = ImportReport::new(&options.dataset);
    // Converted here when the layer says its SRS; otherwise the GeoJSON path converts from --crs.
    let mut wgs84_options = options.clone();
    let transform = match layer.spatial_ref() {
        Some(mut srs) => {
            let name = srs.name().unwrap_or_else(|| "its SRS".into());
            if let Some(note) = datum_note(&name) {
                report.notes.push(note);
            }
            wgs84_options.crs = refuge_core::Crs::Wgs84;
            Some(to_wgs84(&mut srs).map_err(|e| {
                failed(format!(
                    "its SRS ({name}) cannot be converted to WGS84: {e}"
                ))
            })?)
        }
        None => {
            report.notes.extend(options.crs.datum_note());
            None
        }
    };

    let mut undecoded_layer = match &undecoded {
        Some(dataset) => Some(
            dataset
                .layer_by_name(&layer.name())
                .map_err(|e| failed(format!("cannot read its layer undecoded: {e}")))?,
        ),
        None => None,
    };
    let mut undecoded_features = undecoded_layer.as_mut().map(|layer| layer.features());
    for (number, feature) in (1u64..).zip(layer.features()) {
        let at = Location::Feature(number);
        let utf8_said_gbk = undecoded_features
            .as_mut()
            .and_then(Iterator::next)
            .and_then(|same| utf8_text(&same));
        if let Some((column, text)) = utf8_said_gbk {
            report.read_one();
            report.reject(
                at,
                format!(
                    "column `{column}` reads as UTF-8 (`{text}`), not {}: if the file is UTF-8, \
                     import it without --encoding",
                    options.encoding
                ),
            );
            continue;
        }
        let geometry = match feature.geometry() {
            Some(geometry) => {
                let text = match &transform {
                    Some(t) => geometry.transform(t).and_then(|g| g.json()),
                    None => geometry.json(),
                };
                text.map_err(|e| match e {
                    // GDAL's feature has a geometry field, empty for this feature.
                    gdal::errors::GdalError::NullPointer { .. } => "it has no geometry".to_owned(),
                    e => format!("it has no geometry that can be read: {e}"),
                })
                .and_then(|text| serde_json::from_str::<Value>(&text).map_err(|e| e.to_string()))
            }
            None => Err("it has no geometry".into()),
        };
        let geometry = match geometry {
            Ok(geometry) => geometry,
            Err(reason) => {
                report.read_one();
                report.reject(at, reason);
                continue;
            }
        };
        let properties = match properties(&feature, raw, options.encoding) {
            Ok(properties) => properties,
            Err(reason) => {
                report.read_one();
                report.reject(at, reason);
                continue;
            }
        };
        let feature = json!({ "type": "Feature", "geometry": geometry, "properties": properties });
        take(&mut report, at, feature, target, &wgs84_options, sink)?;
    }
    report.notes.extend(listening.notes());
    Ok(report)
}

fn dataset_name(path: &Path) -> String {
    path.display().to_string()
}

/// The transform from `srs` into WGS84, longitude first on both sides.
pub(super) fn to_wgs84(srs: &mut SpatialRef) -> gdal::errors::Result<CoordTransform> {
    srs.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    let mut wgs84 = SpatialRef::from_epsg(4326)?;
    wgs84.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    CoordTransform::new(srs, &wgs84)
}

/// The note of a layer whose datum PROJ converts only approximately, by its SRS's name.
fn datum_note(srs_name: &str) -> Option<String> {
    let lower = srs_name.to_lowercase();
    let datum = if lower.contains("xian") || lower.contains("xi'an") {
        "Xi'an 1980"
    } else if lower.contains("beijing") {
        "Beijing 1954"
    } else {
        return None;
    };
    Some(format!(
        "{srs_name}: {datum} has no national shift to WGS 84 without a grid; PROJ applies a \
         regional one where EPSG has it (Beijing 1954 in a few basins) and none elsewhere, so \
         positions may be off by up to about 100 m"
    ))
}

/// The first attribute of an undecoded feature that is valid UTF-8 and not plain ASCII, with its
/// column.
fn utf8_text(feature: &gdal::vector::Feature<'_>) -> Option<(String, String)> {
    feature.fields().find_map(|(name, value)| match value {
        Some(FieldValue::StringValue(text)) if !text.is_ascii() && !text.contains('\u{fffd}') => {
            Some((name, text))
        }
        _ => None,
    })
}

/// A feature's attributes as GeoJSON properties. Text GDAL could not decode (a replacement
/// character in it) is refused: `raw`, the Shapefile has no `.cpg`; otherwise its encoding is
/// not `encoding` or the `.cpg`'s.
fn properties(
    feature: &gdal::vector::Feature<'_>,
    raw: bool,
    encoding: TextEncoding,
) -> Result<Map<String, Value>, String> {
    let mut properties = Map::new();
    for (name, value) in feature.fields() {
        let value = match value {
            None => Value::Null,
            Some(value) => field_json(value),
        };
        if value.as_str().is_some_and(|text| text.contains('\u{fffd}')) {
            return Err(if raw {
                format!(
                    "column `{name}` is not UTF-8 text and the Shapefile has no .cpg naming its \
                     encoding: if it is GBK, import it with --encoding gbk"
                )
            } else {
                format!(
                    "column `{name}` does not decode as {encoding} or as its .cpg says: give its \
                     encoding with --encoding"
                )
            });
        }
        properties.insert(name, value);
    }
    Ok(properties)
}

/// One attribute value as JSON.
fn field_json(value: FieldValue) -> Value {
    match value {
        FieldValue::IntegerValue(n) => json!(n),
        FieldValue::Integer64Value(n) => json!(n),
        FieldValue::RealValue(x) => json!(x),
        FieldValue::StringValue(text) => json!(text),
        FieldValue::DateValue(date) => json!(date.to_string()),
        FieldValue::DateTimeValue(time) => json!(time.to_rfc3339()),
        FieldValue::IntegerListValue(list) => json!(list),
        FieldValue::Integer64ListValue(list) => json!(list),
        FieldValue::RealListValue(list) => json!(list),
        FieldValue::StringListValue(list) => json!(list),
    }
}
