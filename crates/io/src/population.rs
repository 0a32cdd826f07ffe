//! Population files: district outlines (GeoJSON) and counts (CSV) made into a population layer.
//!
//! A counts CSV is one of three shapes, told apart by its header:
//! - `lon,lat,population` (or `count`, `people`): people at points;
//! - `h3,population` (or `cell`): people per H3 cell, given as the cell's hexadecimal index;
//! - `gb,population` (or `code`, or `name`), with the districts' outlines: a total per district,
//!   joined on the code (or the name) and spread over the district's homes or its cells.
//!
//! A line that is wrong (a negative or unreadable count, a bad position or cell, a district or
//! point outside every district) is reported with its line, and the good lines go on.

use std::io::Read;

use geo::MultiPolygon;
use refuge_core::planning::{District, Dwelling, PopulationLayer};
use refuge_core::{BaseFeature, BaseLayer, CellIndex, Crs};
use serde::Serialize;

use crate::{Error, Result};

/// What a population import did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PopulationReport {
    /// The counts file.
    pub dataset: String,
    /// Lines read.
    pub read: u64,
    /// Lines taken.
    pub accepted: u64,
    /// Lines refused, each with its line and why.
    pub rejected: Vec<String>,
    /// Districts of the outlines no line gave a total for.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub without_total: Vec<String>,
}

impl PopulationReport {
    fn reject(&mut self, line: u64, why: impl std::fmt::Display) {
        self.rejected.push(format!("line {line}: {why}"));
    }
}

/// Reads district outlines: a GeoJSON FeatureCollection of Polygons or MultiPolygons with `name`
/// and `gb` (or `code`) properties, in `crs`.
pub fn read_districts(input: impl Read, dataset: &str, crs: Crs) -> Result<Vec<District>> {
    let fail = |message: String| Error::Csv {
        dataset: dataset.to_owned(),
        message,
    };
    let collection: geojson::FeatureCollection = serde_json::from_reader(input)
        .map_err(|e| fail(format!("not a GeoJSON FeatureCollection: {e}")))?;
    let mut districts = Vec::with_capacity(collection.features.len());
    for (n, feature) in (1..).zip(collection.features) {
        let text = |key: &str| {
            feature
                .property(key)
                .and_then(|v| match v {
                    serde_json::Value::String(s) => Some(s.clone()),
                    serde_json::Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .filter(|s| !s.trim().is_empty())
        };
        let name = text("name").ok_or_else(|| fail(format!("feature {n}: no `name`")))?;
        let code = text("gb")
            .or_else(|| text("code"))
            .unwrap_or_else(|| name.clone());
        let geometry = feature
            .geometry
            .as_ref()
            .ok_or_else(|| fail(format!("feature {n} ({name}): no geometry")))?;
        let shape: geo::Geometry = geometry
            .clone()
            .try_into()
            .map_err(|e| fail(format!("feature {n} ({name}): {e}")))?;
        let mut area = match shape {
            geo::Geometry::Polygon(p) => MultiPolygon(vec![p]),
            geo::Geometry::MultiPolygon(m) => m,
            _ => return Err(fail(format!("feature {n} ({name}): not a polygon"))),
        };
        if crs != Crs::Wgs84 {
            area = geo::MapCoords::try_map_coords(&area, |c| {
                crs.to_wgs84(c.x, c.y)
                    .map(|p| geo::coord! { x: p.lon(), y: p.lat() })
            })
            .map_err(|e| fail(format!("feature {n} ({name}): {e}")))?;
        }
        districts.push(District { name, code, area });
    }
    Ok(districts)
}

/// The homes of the base map: buildings tagged residential (or untagged, `yes`), with one floor
/// each (the base map keeps no heights), for the dasymetric spread.
pub fn dwellings(base: &[BaseFeature]) -> Vec<Dwelling> {
    const HOMES: &[&str] = &[
        "residential",
        "apartments",
        "house",
        "detached",
        "semidetached_house",
        "terrace",
        "dormitory",
        "bungalow",
        "yes",
    ];
    base.iter()
        .filter(|f| f.layer == BaseLayer::Buildings && HOMES.contains(&f.class.as_str()))
        .flat_map(|f| match &f.geometry {
            geo::Geometry::Polygon(p) => vec![p.clone()],
            geo::Geometry::MultiPolygon(m) => m.0.clone(),
            _ => Vec::new(),
        })
        .map(|footprint| Dwelling {
            footprint,
            levels: 1.0,
        })
        .collect()
}

/// Which shape a counts file has.
enum Shape {
    Points { lon: usize, lat: usize },
    Cells { cell: usize },
    Totals { key: usize, by_code: bool },
}

/// Reads a counts CSV (see the module's documentation) and makes the layer at `resolution`,
/// with `districts` (needed for totals; for points and cells, to name each one's district and
/// refuse those outside all) and, for totals, the base map's homes.
pub fn read_population(
    input: impl Read,
    dataset: &str,
    crs: Crs,
    districts: &[District],
    base: &[BaseFeature],
    resolution: u8,
) -> Result<(PopulationLayer, PopulationReport)> {
    let fail = |message: String| Error::Csv {
        dataset: dataset.to_owned(),
        message,
    };
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(input);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| fail(e.to_string()))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_lowercase())
        .collect();
    let column = |names: &[&str]| header.iter().position(|h| names.contains(&h.as_str()));
    let count = column(&["population", "count", "people", "人口"]).ok_or_else(|| {
        fail("no count column: expected `population`, `count` or `people`".into())
    })?;
    let shape =
        if let (Some(lon), Some(lat)) = (column(&["lon", "lng", "x"]), column(&["lat", "y"])) {
            Shape::Points { lon, lat }
        } else if let Some(cell) = column(&["h3", "cell", "h3_cell"]) {
            Shape::Cells { cell }
        } else if let Some(key) = column(&["gb", "code"]) {
            Shape::Totals { key, by_code: true }
        } else if let Some(key) = column(&["name", "district"]) {
            Shape::Totals {
                key,
                by_code: false,
            }
        } else {
            return Err(fail(
                "expected `lon,lat`, `h3` or a district `gb`/`code`/`name` column with the count"
                    .into(),
            ));
        };
    if matches!(shape, Shape::Totals { .. }) && districts.is_empty() {
        return Err(fail(
            "district totals need the districts' outlines (--districts)".into(),
        ));
    }

    let mut report = PopulationReport {
        dataset: dataset.to_owned(),
        ..PopulationReport::default()
    };
    let mut points = Vec::new();
    let mut cells = Vec::new();
    let mut totals: Vec<Option<f64>> = vec![None; districts.len()];
    let mut lines = Vec::new();
    for (line, record) in (2u64..).zip(reader.records()) {
        report.read += 1;
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                report.reject(line, e);
                continue;
            }
        };
        let field = |n: usize| record.get(n).unwrap_or("");
        let people = match field(count).parse::<f64>() {
            Ok(n) if n.is_finite() && n >= 0.0 => n,
            Ok(n) if n < 0.0 => {
                report.reject(line, format!("`{}` is a negative count", field(count)));
                continue;
            }
            _ => {
                report.reject(line, format!("`{}` is not a count", field(count)));
                continue;
            }
        };
        match &shape {
            Shape::Points { lon, lat } => {
                let at = field(*lon)
                    .parse::<f64>()
                    .ok()
                    .zip(field(*lat).parse::<f64>().ok())
                    .ok_or_else(|| "the position is not two numbers".to_owned())
                    .and_then(|(x, y)| crs.to_wgs84(x, y).map_err(|e| e.to_string()));
                match at {
                    Ok(at) => {
                        points.push((at, people));
                        lines.push(line);
                    }
                    Err(why) => report.reject(line, why),
                }
            }
            Shape::Cells { cell } => match field(*cell).parse::<CellIndex>() {
                Ok(index) => {
                    cells.push((index, people));
                    lines.push(line);
                }
                Err(_) => report.reject(line, format!("`{}` is not an H3 cell", field(*cell))),
            },
            Shape::Totals { key, by_code } => {
                let wanted = field(*key);
                let found = districts.iter().position(|d| {
                    if *by_code {
                        d.code == wanted
                    } else {
                        d.name == wanted
                    }
                });
                match found {
                    Some(n) if totals[n].is_some() => {
                        report.reject(line, format!("district `{wanted}` is given twice"));
                    }
                    Some(n) => {
                        totals[n] = Some(people);
                        report.accepted += 1;
                    }
                    None => report.reject(line, format!("no district `{wanted}` in the outlines")),
                }
            }
        }
    }
    let source = dataset.to_owned();
    let layer = match shape {
        Shape::Points { .. } | Shape::Cells { .. } => {
            let (layer, outside) = if matches!(shape, Shape::Points { .. }) {
                PopulationLayer::from_points(source, &points, districts, resolution)
            } else {
                PopulationLayer::from_cells(source, &cells, districts, resolution)
            }
            .map_err(|e| fail(e.to_string()))?;
            for n in &outside {
                report.reject(lines[*n], "outside every district");
            }
            report.accepted = lines.len() as u64 - outside.len() as u64;
            layer
        }
        Shape::Totals { .. } => {
            let given: Vec<(District, f64)> = districts
                .iter()
                .zip(&totals)
                .filter_map(|(d, total)| Some((d.clone(), (*total)?)))
                .collect();
            report.without_total = districts
                .iter()
                .zip(&totals)
                .filter(|(_, t)| t.is_none())
                .map(|(d, _)| d.name.clone())
                .collect();
            let (outlines, counts): (Vec<District>, Vec<f64>) = given.into_iter().unzip();
            PopulationLayer::from_district_totals(
                source,
                &outlines,
                &counts,
                &dwellings(base),
                resolution,
            )
            .map_err(|e| fail(e.to_string()))?
        }
    };
    Ok((layer, report))
}
