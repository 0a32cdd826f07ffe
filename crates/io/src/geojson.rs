//! GeoJSON in (FeatureCollection, single Feature, or newline-delimited) and out.

use std::collections::BTreeMap;
use std::io::{BufRead, Read, Write};

use geo::{Geometry, InteriorPoint, MapCoords};
use refuge_core::{Crs, Facility, LonLat};
use serde_json::{Map, Value, json};

use crate::mapping::{ImportOptions, Placement, to_facility};
use crate::report::{ImportReport, Location, stable_id};
use crate::sink::{ImportSink, Outcome, Stated};
use crate::{Error, Import, Result};
use refuge_core::{BaseFeature, BaseLayer};

/// What GeoJSON features become.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeoJsonTarget {
    /// Facilities, through the field mapping (or read back whole from a Refuge export).
    Facilities,
    /// Base-map features of a layer (e.g. district boundaries).
    Base(BaseLayer),
}

/// Reads a GeoJSON FeatureCollection or Feature. Broken JSON is an error with its line and
/// column; a bad feature is rejected with its number and the rest go on.
pub fn read_geojson(text: &str, target: GeoJsonTarget, options: &ImportOptions) -> Result<Import> {
    let mut import = Import::new(&options.dataset);
    import.report = stream_geojson(text.as_bytes(), target, options, &mut import)?;
    Ok(import)
}

/// Reads a GeoJSON FeatureCollection or Feature like [`read_geojson`], feature by feature, handing
/// each accepted one to `sink`: only one feature is held in memory at a time.
pub fn stream_geojson(
    input: impl Read,
    target: GeoJsonTarget,
    options: &ImportOptions,
    sink: &mut dyn ImportSink,
) -> Result<ImportReport> {
    let mut report = ImportReport::new(&options.dataset);
    let mut stopped = None;
    let mut number = 0u64;
    let mut each = |feature: Value| -> bool {
        number += 1;
        match take(
            &mut report,
            Location::Feature(number),
            feature,
            target,
            options,
            sink,
        ) {
            Ok(()) => true,
            Err(error) => {
                stopped = Some(error);
                false
            }
        }
    };
    let mut reader = serde_json::Deserializer::from_reader(std::io::BufReader::new(input));
    let shape = serde::Deserializer::deserialize_map(
        &mut reader,
        stream::DocumentVisitor { each: &mut each },
    );
    if let Some(error) = stopped {
        return Err(error);
    }
    let shape = shape.map_err(|e| json_error(&options.dataset, &e))?;
    reader.end().map_err(|e| json_error(&options.dataset, &e))?;
    match shape {
        stream::Shape::Collection => {}
        stream::Shape::Feature(feature) => {
            take(
                &mut report,
                Location::Feature(1),
                feature,
                target,
                options,
                sink,
            )?;
        }
        stream::Shape::Other(message) => return Err(shape_error(options, &message)),
    }
    Ok(report)
}

/// Reads newline-delimited GeoJSON: one Feature per line; blank lines are skipped. A line that
/// is not JSON is rejected with its number and the rest go on.
pub fn read_ndjson(text: &str, target: GeoJsonTarget, options: &ImportOptions) -> Result<Import> {
    let mut import = Import::new(&options.dataset);
    import.report = stream_ndjson(text.as_bytes(), target, options, &mut import)?;
    Ok(import)
}

/// Reads newline-delimited GeoJSON like [`read_ndjson`], line by line, into `sink`.
pub fn stream_ndjson(
    input: impl Read,
    target: GeoJsonTarget,
    options: &ImportOptions,
    sink: &mut dyn ImportSink,
) -> Result<ImportReport> {
    let mut report = ImportReport::new(&options.dataset);
    let mut input = std::io::BufReader::new(input);
    let mut bytes = Vec::new();
    for n in 1u64.. {
        bytes.clear();
        let read = input
            .read_until(b'\n', &mut bytes)
            .map_err(|source| Error::Read {
                path: options.dataset.clone().into(),
                source,
            })?;
        if read == 0 {
            break;
        }
        let Ok(line) = std::str::from_utf8(&bytes) else {
            report.read_one();
            report.reject(
                Location::Line(n),
                "the line is not UTF-8 text (save the file as UTF-8)",
            );
            continue;
        };
        let line = line.trim_start_matches('\u{1e}').trim();
        if line.is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(line) {
            Ok(feature) => take(
                &mut report,
                Location::Line(n),
                feature,
                target,
                options,
                sink,
            )?,
            Err(e) => {
                report.read_one();
                report.reject(Location::Line(n), format!("invalid JSON: {e}"));
            }
        }
    }
    Ok(report)
}

/// One feature: converted, handed to the sink, and reported.
pub(crate) fn take(
    report: &mut ImportReport,
    at: Location,
    feature: Value,
    target: GeoJsonTarget,
    options: &ImportOptions,
    sink: &mut dyn ImportSink,
) -> Result<()> {
    report.read_one();
    match target {
        GeoJsonTarget::Facilities => match facility_from(feature, options, at) {
            Ok((facility, stated)) => report.hand_over(at, facility, stated, sink)?,
            Err(reason) => report.reject(at, reason),
        },
        GeoJsonTarget::Base(layer) => match base_from(&feature, layer, options, at) {
            Ok(base) => match sink.base(base)? {
                Outcome::Accepted => report.accepted += 1,
                Outcome::Refused(reason) => report.reject(at, reason),
            },
            Err(reason) => report.reject(at, reason),
        },
    }
    Ok(())
}

/// Walking a GeoJSON document without holding its `features` array: each feature is handed on as
/// soon as it is parsed.
mod stream {
    use std::fmt;

    use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
    use serde_json::{Map, Value};

    /// What the document turned out to be.
    pub enum Shape {
        /// A FeatureCollection, whose features were handed on.
        Collection,
        /// A single Feature.
        Feature(Value),
        /// Something else, and what is wrong with it.
        Other(String),
    }

    /// Visits the top-level object; `each` gets every feature and says whether to go on.
    pub struct DocumentVisitor<'f, F> {
        pub each: &'f mut F,
    }

    impl<'de, F: FnMut(Value) -> bool> Visitor<'de> for DocumentVisitor<'_, F> {
        type Value = Shape;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a GeoJSON FeatureCollection or Feature object")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
            let mut members = Map::new();
            let mut has_features = false;
            while let Some(key) = map.next_key::<String>()? {
                // A Feature may carry any foreign member, `features` too, once its type is known.
                let a_feature = members.get("type").and_then(Value::as_str) == Some("Feature");
                if key == "features" && !has_features && !a_feature {
                    has_features = true;
                    map.next_value_seed(Features {
                        each: &mut *self.each,
                    })?;
                } else {
                    let value: Value = map.next_value()?;
                    members.insert(key, value);
                }
            }
            Ok(match members.get("type").and_then(Value::as_str) {
                Some("FeatureCollection") if has_features => Shape::Collection,
                Some("FeatureCollection") => {
                    Shape::Other("a FeatureCollection needs a `features` array".into())
                }
                Some("Feature") if !has_features => Shape::Feature(Value::Object(members)),
                Some("Feature") => Shape::Other(
                    "a Feature has a `features` member before its `type`: put `type` first".into(),
                ),
                Some(other) => Shape::Other(format!(
                    "expected a FeatureCollection or a Feature, found a {other}"
                )),
                None => Shape::Other("not GeoJSON: no `type` member".into()),
            })
        }
    }

    /// The `features` array, element by element.
    struct Features<'f, F> {
        each: &'f mut F,
    }

    impl<'de, F: FnMut(Value) -> bool> DeserializeSeed<'de> for Features<'_, F> {
        type Value = ();

        fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
            deserializer.deserialize_seq(self)
        }
    }

    impl<'de, F: FnMut(Value) -> bool> Visitor<'de> for Features<'_, F> {
        type Value = ();

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a `features` array")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while let Some(feature) = seq.next_element::<Value>()? {
                if !(self.each)(feature) {
                    return Err(serde::de::Error::custom("the import stopped"));
                }
            }
            Ok(())
        }
    }
}

/// One GeoJSON Feature as a facility: a Refuge export feature whole, any other through the field
/// mapping. A feature without an `id` is identified by `fallback_record` (which the caller makes
/// unique). The error says what is wrong.
pub fn facility_from_feature(
    feature: Value,
    options: &ImportOptions,
    fallback_record: &str,
) -> Result<Facility, String> {
    facility_from_record(feature, options, fallback_record).map(|(facility, _)| facility)
}

fn facility_from(
    feature: Value,
    options: &ImportOptions,
    at: Location,
) -> Result<(Facility, Stated), String> {
    facility_from_record(feature, options, &at.to_string().replace(' ', "-"))
}

/// The facility, and which of its live and planning fields the feature stated.
fn facility_from_record(
    feature: Value,
    options: &ImportOptions,
    fallback_record: &str,
) -> Result<(Facility, Stated), String> {
    let Value::Object(mut feature) = feature else {
        return Err("not a JSON object".into());
    };
    if feature.get("type").and_then(Value::as_str) != Some("Feature") {
        return Err("not a GeoJSON Feature".into());
    }
    let geometry = geometry_of(&feature, options.crs)?;
    let properties = match feature.remove("properties") {
        Some(Value::Object(properties)) => properties,
        Some(Value::Null) | None => Map::new(),
        Some(_) => return Err("`properties` is not an object".into()),
    };
    if is_refuge_export(&properties) {
        return Ok((
            native_facility(properties, &geometry, options.crs)?,
            Stated::ALL,
        ));
    }
    let placement = placement_of(geometry)?;
    let mut fields: BTreeMap<String, String> = properties
        .into_iter()
        .filter_map(|(key, value)| Some((key, scalar_text(value)?)))
        .collect();
    if let Some(id) = feature.get("id").and_then(|id| scalar_text(id.clone())) {
        fields.entry("id".into()).or_insert(id);
    }
    let facility = to_facility(&fields, placement, options, fallback_record)?;
    Ok((facility, options.mapping.stated(&fields)))
}

/// A feature that Refuge itself exported carries the whole record in its properties.
fn is_refuge_export(properties: &Map<String, Value>) -> bool {
    properties.get("source").is_some_and(Value::is_object)
        && properties.contains_key("designation")
        && properties.get("status").is_some_and(Value::is_object)
}

fn native_facility(
    mut properties: Map<String, Value>,
    geometry: &Geometry,
    crs: Crs,
) -> Result<Facility, String> {
    let Geometry::Point(point) = geometry else {
        return Err("a Refuge export feature has a Point geometry".into());
    };
    let location = LonLat::try_from(*point).map_err(|e| e.to_string())?;
    properties.insert("location".into(), json!([location.lon(), location.lat()]));
    let mut facility: Facility =
        serde_json::from_value(Value::Object(properties)).map_err(|e| e.to_string())?;
    if crs != Crs::Wgs84 {
        facility.source.crs = crs;
    }
    facility.validate().map_err(|e| e.to_string())?;
    Ok(facility)
}

fn base_from(
    feature: &Value,
    layer: BaseLayer,
    options: &ImportOptions,
    at: Location,
) -> Result<BaseFeature, String> {
    let Value::Object(object) = feature else {
        return Err("not a JSON object".into());
    };
    let geometry = geometry_of(object, options.crs)?;
    let properties = object.get("properties").and_then(Value::as_object);
    let text = |key: &str| {
        properties
            .and_then(|p| p.get(key))
            .and_then(|v| scalar_text(v.clone()))
    };
    let name = text("name");
    let (name_zh, name) = match name {
        Some(name) if name.chars().any(crate::mapping::is_cjk) => (Some(name), text("name_en")),
        other => (text("name_zh"), other),
    };
    let class = text("class")
        .or_else(|| text("gb"))
        .or_else(|| text("admin_level"))
        .unwrap_or_else(|| layer.to_string());
    let record = text("id")
        .or_else(|| text("gb"))
        .unwrap_or_else(|| at.to_string());
    Ok(BaseFeature {
        id: stable_id(&options.dataset, &record).get(),
        layer,
        class,
        name,
        name_zh,
        geometry,
    })
}

/// The feature's geometry converted from `crs` to WGS84, every coordinate validated.
fn geometry_of(feature: &Map<String, Value>, crs: Crs) -> Result<Geometry, String> {
    let geometry = match feature.get("geometry") {
        Some(Value::Null) | None => return Err("the feature has no geometry".into()),
        Some(value) => serde_json::from_value::<geojson::Geometry>(value.clone())
            .map_err(|e| format!("invalid geometry: {e}"))?,
    };
    check_rings(&geometry).map_err(|e| format!("invalid geometry: {e}"))?;
    let geometry: Geometry = geometry
        .try_into()
        .map_err(|e: geojson::Error| format!("invalid geometry: {e}"))?;
    geometry.try_map_coords(|c| {
        crs.to_wgs84(c.x, c.y)
            .map(|p| geo::Coord {
                x: p.lon(),
                y: p.lat(),
            })
            .map_err(|e| e.to_string())
    })
}

/// Checks what GeoJSON says of polygon rings and the conversion would quietly mend: each ring
/// has at least four positions and ends where it starts (RFC 7946 §3.1.6).
pub fn check_rings(geometry: &geojson::Geometry) -> Result<(), String> {
    let closed = |rings: &[Vec<geojson::Position>]| -> Result<(), String> {
        if rings.is_empty() {
            return Err("a polygon needs at least one ring".into());
        }
        for ring in rings {
            if ring.len() < 4 {
                return Err(format!(
                    "a ring needs at least 4 positions (the last repeating the first), not {}",
                    ring.len()
                ));
            }
            if ring.first() != ring.last() {
                return Err("a ring must end where it starts (GeoJSON rings are closed)".into());
            }
        }
        Ok(())
    };
    match &geometry.value {
        geojson::GeometryValue::Polygon { coordinates } => closed(coordinates),
        geojson::GeometryValue::MultiPolygon { coordinates } => {
            coordinates.iter().try_for_each(|rings| closed(rings))
        }
        geojson::GeometryValue::GeometryCollection { geometries } => {
            geometries.iter().try_for_each(check_rings)
        }
        _ => Ok(()),
    }
}

/// Where a facility goes: a point as it is; an area at a point inside it, keeping its outline; a
/// line (a hazard's zone) at a point on it.
fn placement_of(geometry: Geometry) -> Result<Placement, String> {
    let inside = geometry
        .interior_point()
        .ok_or("the geometry is empty")
        .and_then(|p| {
            LonLat::try_from(p).map_err(|_| "the geometry has no valid interior point")
        })?;
    Ok(match geometry {
        Geometry::Point(_) => Placement {
            location: inside,
            footprint: None,
            zone: None,
        },
        Geometry::Polygon(polygon) => Placement {
            location: inside,
            footprint: Some(geo::MultiPolygon(vec![polygon.clone()])),
            zone: Some(Geometry::Polygon(polygon)),
        },
        Geometry::MultiPolygon(areas) => Placement {
            location: inside,
            footprint: Some(areas.clone()),
            zone: Some(Geometry::MultiPolygon(areas)),
        },
        line @ (Geometry::LineString(_) | Geometry::MultiLineString(_)) => Placement {
            location: inside,
            footprint: None,
            zone: Some(line),
        },
        other => {
            return Err(format!(
                "a facility needs a point, polygon or line, not a {}",
                geometry_name(&other)
            ));
        }
    })
}

fn geometry_name(geometry: &Geometry) -> &'static str {
    match geometry {
        Geometry::Point(_) => "Point",
        Geometry::MultiPoint(_) => "MultiPoint",
        Geometry::GeometryCollection(_) => "GeometryCollection",
        _ => "geometry of another type",
    }
}

/// A property as text: strings as they are, numbers and booleans printed, anything else skipped.
fn scalar_text(value: Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

fn json_error(dataset: &str, e: &serde_json::Error) -> Error {
    Error::Json {
        dataset: dataset.to_owned(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    }
}

fn shape_error(options: &ImportOptions, message: &str) -> Error {
    Error::GeoJson {
        dataset: options.dataset.clone(),
        message: message.to_owned(),
    }
}

/// Writes facilities as a GeoJSON FeatureCollection with every field in the properties, positions
/// in `crs` (WGS84 unless a Chinese map app needs GCJ-02 or BD-09). Reading the WGS84 file back
/// gives the same facilities.
pub fn write_geojson(facilities: &[Facility], crs: Crs, mut output: impl Write) -> Result<()> {
    let failed = |e: std::io::Error| Error::Write {
        what: "GeoJSON".into(),
        source: e,
    };
    let features: Vec<Value> = facilities.iter().map(|f| feature_json(f, crs)).collect();
    let mut collection = json!({ "type": "FeatureCollection", "features": features });
    if crs != Crs::Wgs84 {
        collection["crs_note"] = json!(format!("positions are {crs}, not WGS84"));
    }
    serde_json::to_writer(&mut output, &collection).map_err(|e| failed(std::io::Error::from(e)))?;
    output.write_all(b"\n").map_err(failed)
}

/// One facility as a GeoJSON Feature with a numeric id, its point in `crs` and all fields.
pub fn feature_json(facility: &Facility, crs: Crs) -> Value {
    let mut properties = serde_json::to_value(facility).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut properties {
        map.remove("location");
        if crs != Crs::Wgs84 {
            for key in ["footprint", "zone"] {
                map.remove(key);
            }
        }
    }
    let [x, y] = crs.from_wgs84(facility.location);
    json!({
        "type": "Feature",
        "id": facility.id.get(),
        "geometry": { "type": "Point", "coordinates": [x, y] },
        "properties": properties,
    })
}

/// Writes base-map features (one layer or several) as a GeoJSON FeatureCollection, positions in
/// `crs`.
pub fn write_base_geojson(
    features: &[BaseFeature],
    crs: Crs,
    mut output: impl Write,
) -> Result<()> {
    let failed = |e: std::io::Error| Error::Write {
        what: "GeoJSON".into(),
        source: e,
    };
    let features: Vec<Value> = features
        .iter()
        .map(|feature| {
            let geometry = feature
                .geometry
                .map_coords(|c| match LonLat::new(c.x, c.y) {
                    Ok(p) => {
                        let [x, y] = crs.from_wgs84(p);
                        geo::Coord { x, y }
                    }
                    Err(_) => c,
                });
            json!({
                "type": "Feature",
                "id": feature.id,
                "geometry": geojson::Geometry::from(&geometry),
                "properties": {
                    "layer": feature.layer,
                    "class": feature.class,
                    "name": feature.name,
                    "name_zh": feature.name_zh,
                },
            })
        })
        .collect();
    let collection = json!({ "type": "FeatureCollection", "features": features });
    serde_json::to_writer(&mut output, &collection).map_err(|e| failed(std::io::Error::from(e)))?;
    output.write_all(b"\n").map_err(failed)
}
