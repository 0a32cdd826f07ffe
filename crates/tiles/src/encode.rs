//! Writing features into MVT layers: clip at the buffered edge, simplify, fix ring winding, encode.

use std::borrow::Cow;

use geo::{Coord, Geometry, LineString, MultiLineString, MultiPolygon, Polygon, Simplify};
use mvt::{GeomEncoder, GeomType, Tile};

use crate::clip::Square;
use crate::projection::{BUFFER, EXTENT};
use crate::{Error, Result};

/// A property value of a feature.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Text.
    Text(String),
    /// A whole number.
    Int(i64),
    /// A real number.
    Float(f64),
    /// A flag.
    Bool(bool),
}

impl From<&str> for Value {
    fn from(text: &str) -> Self {
        Value::Text(text.to_owned())
    }
}

impl From<String> for Value {
    fn from(text: String) -> Self {
        Value::Text(text)
    }
}

impl From<u32> for Value {
    fn from(n: u32) -> Self {
        Value::Int(i64::from(n))
    }
}

impl From<u64> for Value {
    fn from(n: u64) -> Self {
        Value::Int(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

impl From<f64> for Value {
    fn from(n: f64) -> Self {
        Value::Float(n)
    }
}

impl From<bool> for Value {
    fn from(flag: bool) -> Self {
        Value::Bool(flag)
    }
}

/// Properties of one feature, in order.
pub type Properties = Vec<(&'static str, Value)>;

/// Collects the features of one layer, already in tile grid units.
pub struct LayerWriter {
    /// The layer; `None` only for the moment a feature is being added to it.
    layer: Option<mvt::Layer>,
    tolerance: f64,
}

impl LayerWriter {
    /// A layer `name` of `tile`; lines and polygons are simplified to `tolerance` grid units.
    pub fn new(tile: &Tile, name: &str, tolerance: f64) -> Self {
        Self {
            layer: Some(tile.create_layer(name)),
            tolerance,
        }
    }

    /// Adds a point (grid units) if it lies within the buffered tile.
    pub fn point(&mut self, at: Coord, id: u64, properties: &Properties) -> Result<()> {
        if !within_buffer(at) {
            return Ok(());
        }
        let geometry = GeomEncoder::new(GeomType::Point)
            .point(at.x.round(), at.y.round())
            .and_then(GeomEncoder::encode)
            .map_err(encode_error)?;
        self.push(geometry, id, properties);
        Ok(())
    }

    /// Adds a line, polygon or their multi forms (grid units): clipped to the buffered tile,
    /// simplified, rings wound as MVT requires. Nothing is added if nothing is left.
    pub fn geometry(
        &mut self,
        geometry: &Geometry,
        id: u64,
        properties: &Properties,
    ) -> Result<()> {
        match geometry {
            Geometry::Point(p) => self.point(p.0, id, properties),
            Geometry::LineString(line) => self.lines(std::slice::from_ref(line), id, properties),
            Geometry::MultiLineString(lines) => self.lines(&lines.0, id, properties),
            Geometry::Polygon(polygon) => {
                self.polygons(std::slice::from_ref(polygon), id, properties)
            }
            Geometry::MultiPolygon(polygons) => self.polygons(&polygons.0, id, properties),
            Geometry::Rect(rect) => self.polygons(&[rect.to_polygon()], id, properties),
            _ => Ok(()),
        }
    }

    fn lines(&mut self, lines: &[LineString], id: u64, properties: &Properties) -> Result<()> {
        let inside = lines.iter().all(|l| l.0.iter().all(|c| within_buffer(*c)));
        let clipped: Cow<'_, [LineString]> = if inside {
            Cow::Borrowed(lines)
        } else {
            Cow::Owned(buffered_square().lines(&MultiLineString(lines.to_vec())).0)
        };
        let mut encoder = GeomEncoder::new(GeomType::Linestring);
        let mut parts = 0;
        for line in clipped.iter() {
            let points = self.simplified(rounded(line));
            if points.len() < 2 {
                continue;
            }
            add_part(&mut encoder, &points)?;
            parts += 1;
        }
        if parts > 0 {
            self.push(encoder.encode().map_err(encode_error)?, id, properties);
        }
        Ok(())
    }

    fn polygons(&mut self, polygons: &[Polygon], id: u64, properties: &Properties) -> Result<()> {
        let inside = polygons
            .iter()
            .all(|p| p.exterior().0.iter().all(|c| within_buffer(*c)));
        let clipped: Cow<'_, [Polygon]> = if inside {
            Cow::Borrowed(polygons)
        } else {
            Cow::Owned(
                buffered_square()
                    .polygons(&MultiPolygon(polygons.to_vec()))
                    .0,
            )
        };
        let mut encoder = GeomEncoder::new(GeomType::Polygon);
        let mut parts = 0;
        for polygon in clipped.iter() {
            let exterior = wound(self.simplified(rounded(polygon.exterior())), true);
            if exterior.len() < 4 {
                continue;
            }
            let rings = std::iter::once(exterior).chain(
                polygon
                    .interiors()
                    .iter()
                    .map(|ring| wound(self.simplified(rounded(ring)), false))
                    .filter(|ring| ring.len() >= 4),
            );
            for ring in rings {
                // MVT rings are closed implicitly: the last point is not repeated.
                add_part(&mut encoder, &ring[..ring.len() - 1])?;
            }
            parts += 1;
        }
        if parts > 0 {
            self.push(encoder.encode().map_err(encode_error)?, id, properties);
        }
        Ok(())
    }

    /// Douglas–Peucker to the layer's tolerance, on points already on the integer grid and without
    /// repeats (far fewer than the source has at low zoom); short lines are left as they are.
    fn simplified(&self, points: Vec<Coord>) -> Vec<Coord> {
        if points.len() <= 4 {
            return points;
        }
        LineString(points).simplify(self.tolerance).0
    }

    fn push(&mut self, geometry: mvt::GeomData, id: u64, properties: &Properties) {
        let Some(layer) = self.layer.take() else {
            return;
        };
        let mut feature = layer.into_feature(geometry);
        feature.set_id(id);
        for (key, value) in properties {
            match value {
                Value::Text(text) => feature.add_tag_string(key, text),
                Value::Int(n) => feature.add_tag_sint(key, *n),
                Value::Float(n) => feature.add_tag_double(key, *n),
                Value::Bool(flag) => feature.add_tag_bool(key, *flag),
            }
        }
        self.layer = Some(feature.into_layer());
    }

    /// Adds the layer to `tile` if it has any feature.
    pub fn finish(self, tile: &mut Tile) -> Result<()> {
        if let Some(layer) = self.layer.filter(|layer| layer.num_features() > 0) {
            tile.add_layer(layer).map_err(encode_error)?;
        }
        Ok(())
    }
}

/// One line or ring of a feature's geometry.
fn add_part(encoder: &mut GeomEncoder<f64>, points: &[Coord]) -> Result<()> {
    for c in points {
        encoder.add_point(c.x, c.y).map_err(encode_error)?;
    }
    encoder.complete_geom().map_err(encode_error)
}

fn encode_error(e: mvt::Error) -> Error {
    Error::Encode(e.to_string())
}

fn buffered_square() -> Square {
    Square::new(-f64::from(BUFFER), f64::from(EXTENT + BUFFER))
}

fn within_buffer(c: Coord) -> bool {
    buffered_square().contains(c)
}

/// The line's points on the integer grid, without consecutive repeats.
fn rounded(line: &LineString) -> Vec<Coord> {
    let mut points: Vec<Coord> = Vec::with_capacity(line.0.len());
    for c in &line.0 {
        let c = Coord {
            x: c.x.round(),
            y: c.y.round(),
        };
        if points.last() != Some(&c) {
            points.push(c);
        }
    }
    points
}

/// A closed ring in MVT winding: exterior rings have positive area by the shoelace formula in
/// grid coordinates (y down: clockwise on screen), interior rings negative. Rings of no area are
/// emptied.
fn wound(mut ring: Vec<Coord>, exterior: bool) -> Vec<Coord> {
    if ring.first() != ring.last() {
        if let Some(first) = ring.first().copied() {
            ring.push(first);
        }
    }
    let area: f64 = ring
        .windows(2)
        .map(|w| w[0].x * w[1].y - w[1].x * w[0].y)
        .sum();
    if area == 0.0 {
        return Vec::new();
    }
    if (area > 0.0) != exterior {
        ring.reverse();
    }
    ring
}
