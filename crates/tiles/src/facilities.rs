//! The `facilities` tileset: every facility at high zoom, one point per H3 cell below
//! [`AGGREGATE_BELOW_ZOOM`], hazard zones and influence circles as polygons.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use geo::{BoundingRect, Buffer, Coord, Geometry, MapCoords, Point};
use h3o::{LatLng, Resolution};
use mvt::Tile;
use refuge_core::{
    BBox, FacilityBrief, FacilityId, FacilityKind, FacilitySummary, Filter, SpatialIndex,
};

use crate::encode::{LayerWriter, Properties, Value};
use crate::projection::{EXTENT, TileFrame, metres_per_world_unit, world};
use crate::tileset::AGGREGATE_BELOW_ZOOM;
use crate::{Cancel, Result, TileCoord};

/// Hazard zones are drawn from this zoom on.
const ZONES_FROM_ZOOM: u8 = 11;

/// The H3 resolution facilities are aggregated at for a zoom: cells a few dozen to a tile.
pub fn aggregation_resolution(z: u8) -> Resolution {
    Resolution::try_from(z.saturating_sub(3).min(9)).unwrap_or(Resolution::Nine)
}

/// The hazard areas (zone widened by the influence radius), each buffered once for what the hazard
/// is (its position, zone and radius), not per tile or per data version: a write elsewhere buffers
/// nothing again. Areas are
/// in "zone space": the Web-Mercator world scaled by 2²⁴ (about 2.4 m a unit at the equator),
/// fine enough for metres and coarse enough for the polygon buffer's arithmetic.
#[derive(Debug, Default)]
pub struct HazardZones {
    cache: Mutex<HashMap<FacilityId, Buffered>>,
    /// How far (degrees) the farthest-reaching hazard's area extends from its point, by the
    /// version at which the hazards last changed.
    reach: Mutex<Option<(u64, f64)>>,
}

/// A hazard's area in zone space and its bounding box; `None` when it has no area.
type Area = Arc<Option<(Geometry, geo::Rect)>>;

/// An area and what it was made from, to tell when the hazard changed.
type Buffered = (refuge_core::LonLat, refuge_core::HazardSource, Area);

const ZONE_SCALE: f64 = (1u64 << 24) as f64;

impl HazardZones {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The hazard's area in zone space and its bounding box, made once for what the hazard is.
    fn area(&self, hazard: &FacilityBrief) -> Area {
        let Some(source) = hazard.hazard() else {
            return Arc::new(None);
        };
        if let Some((at, made_from, area)) = self.lock().get(&hazard.id) {
            if *at == hazard.location && made_from == source {
                return Arc::clone(area);
            }
        }
        let area = Arc::new(zone_area(hazard));
        self.lock().insert(
            hazard.id,
            (hazard.location, source.clone(), Arc::clone(&area)),
        );
        area
    }

    /// The farthest any hazard's zone and influence radius reach from its indexed point, in degrees
    /// of latitude or longitude, computed once each time the hazards change, from bounding boxes
    /// (no buffering): writes to other facilities leave it as it was.
    pub(crate) fn reach_deg(&self, index: &SpatialIndex) -> f64 {
        let mut reach = self
            .reach
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((version, degrees)) = *reach {
            if version == index.hazards_version() {
                return degrees;
            }
        }
        let hazards =
            index.within_bbox(BBox::world(), &Filter::default().kind(FacilityKind::Hazard));
        let degrees = hazards
            .iter()
            .filter_map(|facility| {
                let source = facility.hazard()?;
                let (lon, lat) = (facility.location.lon(), facility.location.lat());
                let zone = source
                    .zone
                    .as_ref()
                    .and_then(BoundingRect::bounding_rect)
                    .map_or(0.0, |rect| {
                        [rect.min(), rect.max()]
                            .iter()
                            .map(|c| (c.x - lon).abs().max((c.y - lat).abs()))
                            .fold(0.0, f64::max)
                    });
                let metres_per_degree = 111_000.0 * lat.to_radians().cos().max(0.01);
                Some(zone + source.influence_radius_m / metres_per_degree)
            })
            .fold(0.0, f64::max)
            .min(180.0);
        *reach = Some((index.hazards_version(), degrees));
        degrees
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<FacilityId, Buffered>> {
        self.cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The zone widened by the influence radius (for a point hazard, its influence circle). Web
/// Mercator is conformal, so a circle buffered around the hazard in zone space is a true circle on
/// the ground to within the scale change across it.
fn zone_area(hazard: &FacilityBrief) -> Option<(Geometry, geo::Rect)> {
    let source = hazard.hazard()?;
    let to_zone = |c: Coord| {
        let w = world(c.x, c.y);
        Coord {
            x: w.x * ZONE_SCALE,
            y: w.y * ZONE_SCALE,
        }
    };
    let zone = match &source.zone {
        Some(zone) => zone.map_coords(to_zone),
        None => Geometry::Point(Point(to_zone(hazard.location.point().0))),
    };
    let radius =
        source.influence_radius_m / metres_per_world_unit(hazard.location.lat()) * ZONE_SCALE;
    let area = if radius > 0.0 {
        Geometry::MultiPolygon(zone.buffer(radius))
    } else {
        zone
    };
    let rect = area.bounding_rect()?;
    Some((area, rect))
}

/// Encodes the `facilities` tile.
pub fn facilities_tile(
    index: &SpatialIndex,
    zones: &HazardZones,
    tile: TileCoord,
    tolerance: f64,
    cancel: &Cancel,
) -> Result<Vec<u8>> {
    let frame = TileFrame::new(tile);
    let bbox = frame.lon_lat_bounds();
    let in_service = Filter::default();
    let mut layers: BTreeMap<FacilityKind, Vec<&FacilityBrief>> = BTreeMap::new();
    for facility in index.within_bbox(bbox, &in_service) {
        if facility.kind() != FacilityKind::Hazard {
            layers.entry(facility.kind()).or_default().push(facility);
        }
    }
    // A zone or influence circle may reach into the tile from a hazard outside it: look as far
    // out as the farthest-reaching hazard of this data version reaches.
    let hazard_box = widened(bbox, zones.reach_deg(index));
    let hazards = index.within_bbox(hazard_box, &in_service.clone().kind(FacilityKind::Hazard));
    layers.insert(FacilityKind::Hazard, hazards);

    let mut mvt_tile = Tile::new(EXTENT);
    for (kind, facilities) in &layers {
        let mut layer = LayerWriter::new(&mvt_tile, kind.layer_name(), tolerance);
        cancel.check()?;
        if tile.z() < AGGREGATE_BELOW_ZOOM {
            write_aggregated(&mut layer, frame, facilities)?;
        } else {
            for facility in facilities {
                cancel.check()?;
                let at = frame.grid(world(facility.location.lon(), facility.location.lat()));
                layer.point(at, facility.id.get(), &properties(facility))?;
            }
        }
        if *kind == FacilityKind::Hazard && tile.z() >= ZONES_FROM_ZOOM {
            for hazard in facilities {
                // Buffering a zone is the costliest step of a tile.
                cancel.check()?;
                write_zone(&mut layer, frame, zones, hazard)?;
            }
        }
        layer.finish(&mut mvt_tile)?;
    }
    mvt_tile
        .to_bytes()
        .map_err(|e| crate::Error::Encode(e.to_string()))
}

pub(crate) fn widened(bbox: BBox, by: f64) -> BBox {
    let (min, max) = (bbox.min(), bbox.max());
    BBox::new(
        (min.lon() - by).max(-180.0),
        (min.lat() - by).max(-90.0),
        (max.lon() + by).min(180.0),
        (max.lat() + by).min(90.0),
    )
    .unwrap_or(bbox)
}

/// What a popup and a style need of a facility: its [`FacilitySummary`], made where the API makes
/// it, as tile tags. A tag holds one value, so the names become `name_zh` and `name_en`, and lists
/// (the hazards a shelter suits) stay in the API.
pub fn properties(facility: &FacilityBrief) -> Properties {
    let summary = FacilitySummary::of(facility);
    let mut props: Properties = vec![
        ("id", Value::from(summary.id)),
        ("kind", Value::from(summary.kind.as_str())),
        ("status", Value::from(summary.status.as_str())),
        ("designation", Value::from(summary.designation.as_str())),
    ];
    let mut text = |key, value: Option<&'static str>| {
        if let Some(value) = value {
            props.push((key, Value::from(value)));
        }
    };
    text("shelter_type", summary.shelter_type.map(|t| t.as_str()));
    text("room", summary.room.map(|r| r.as_str()));
    text("tier", summary.tier.map(|t| t.as_str()));
    text("hazard_kind", summary.hazard_kind.map(|k| k.as_str()));
    text("risk", summary.risk.map(|r| r.as_str()));
    text("poi_kind", summary.poi_kind.map(|k| k.as_str()));
    let names = [("name_zh", summary.name.zh), ("name_en", summary.name.en)];
    for (key, name) in names {
        if let Some(name) = name {
            props.push((key, Value::from(name)));
        }
    }
    let numbers = [
        ("capacity", summary.capacity),
        ("occupancy", summary.occupancy),
        ("available", summary.available),
        ("grade", summary.grade.map(u32::from)),
    ];
    for (key, number) in numbers {
        if let Some(number) = number {
            props.push((key, Value::from(number)));
        }
    }
    if let Some(radius) = summary.influence_radius_m {
        props.push(("influence_radius_m", Value::from(radius)));
    }
    if let Some(unknown) = summary.suitability_unknown {
        props.push(("suitability_unknown", Value::from(unknown)));
    }
    props
}

/// One point per H3 cell: a lone facility as itself, several as an aggregate at their mean
/// position with `point_count`, summed shelter places and the worst hazard risk.
fn write_aggregated(
    layer: &mut LayerWriter,
    frame: TileFrame,
    facilities: &[&FacilityBrief],
) -> Result<()> {
    let resolution = aggregation_resolution(frame.tile().z());
    let mut cells: BTreeMap<h3o::CellIndex, Vec<&FacilityBrief>> = BTreeMap::new();
    for facility in facilities {
        let Ok(lat_lng) = LatLng::new(facility.location.lat(), facility.location.lon()) else {
            continue;
        };
        cells
            .entry(lat_lng.to_cell(resolution))
            .or_default()
            .push(facility);
    }
    for (cell, members) in cells {
        let [single] = members.as_slice() else {
            let count = members.len() as f64;
            let mean = members.iter().fold(Coord { x: 0.0, y: 0.0 }, |sum, f| {
                let g = frame.grid(world(f.location.lon(), f.location.lat()));
                Coord {
                    x: sum.x + g.x / count,
                    y: sum.y + g.y / count,
                }
            });
            layer.point(mean, aggregate_id(cell), &aggregate_properties(&members))?;
            continue;
        };
        let at = frame.grid(world(single.location.lon(), single.location.lat()));
        layer.point(at, single.id.get(), &properties(single))?;
    }
    Ok(())
}

/// A stable id for an aggregate point: its H3 cell, cut to 53 bits.
fn aggregate_id(cell: h3o::CellIndex) -> u64 {
    FacilityId::from_bits(u64::from(cell)).get()
}

fn aggregate_properties(members: &[&FacilityBrief]) -> Properties {
    let mut props: Properties = vec![("point_count", Value::from(members.len() as u64))];
    if let Some(first) = members.first() {
        props.push(("kind", Value::from(first.kind().as_str())));
        // What the members are: their one status if they share it, else `mixed`, so that a
        // cluster of shelters on standby is never drawn in the colour of open ones.
        let shared = members.iter().all(|f| f.status == first.status);
        let status = if shared {
            first.status.as_str()
        } else {
            "mixed"
        };
        props.push(("status", Value::from(status)));
        let open = members.iter().filter(|f| f.is_open()).count();
        props.push(("open_count", Value::from(open as u64)));
    }
    let shelters: Vec<_> = members.iter().filter_map(|f| f.shelter()).collect();
    if !shelters.is_empty() {
        let capacity: u64 = shelters
            .iter()
            .filter_map(|s| s.capacity())
            .map(u64::from)
            .sum();
        let available: u64 = shelters
            .iter()
            .filter_map(|s| s.available())
            .map(u64::from)
            .sum();
        let occupancy: u64 = shelters.iter().map(|s| u64::from(s.occupancy)).sum();
        props.push(("capacity", Value::from(capacity)));
        props.push(("occupancy", Value::from(occupancy)));
        props.push(("available", Value::from(available)));
    }
    if let Some(worst) = members
        .iter()
        .filter_map(|f| f.hazard())
        .map(|h| h.risk)
        .min()
    {
        props.push(("risk", Value::from(worst.as_str())));
        props.push(("grade", Value::from(u32::from(worst.grade()))));
    }
    props
}

/// Writes the hazard's area if it reaches into the tile.
fn write_zone(
    layer: &mut LayerWriter,
    frame: TileFrame,
    zones: &HazardZones,
    hazard: &FacilityBrief,
) -> Result<()> {
    let area = zones.area(hazard);
    let Some((area, rect)) = area.as_ref() else {
        return Ok(());
    };
    let (min, max) = frame.world_bounds();
    let outside = rect.max().x < min.x * ZONE_SCALE
        || rect.min().x > max.x * ZONE_SCALE
        || rect.max().y < min.y * ZONE_SCALE
        || rect.min().y > max.y * ZONE_SCALE;
    if outside {
        return Ok(());
    }
    let grid = area.map_coords(|c| {
        frame.grid(Coord {
            x: c.x / ZONE_SCALE,
            y: c.y / ZONE_SCALE,
        })
    });
    let mut props = properties(hazard);
    props.push(("zone", Value::from(true)));
    layer.geometry(&grid, hazard.id.get(), &props)
}
