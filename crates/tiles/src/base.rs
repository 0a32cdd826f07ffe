//! The `base` tileset: roads, buildings, water, land use and boundaries from OpenStreetMap.

use geo::{BoundingRect, Geometry, MapCoords};
use mvt::Tile;
use refuge_core::{BaseFeature, BaseLayer};
use rstar::{AABB, RTree, primitives::GeomWithData, primitives::Rectangle};

use crate::encode::{LayerWriter, Properties, Value};
use crate::projection::{EXTENT, TileFrame, world};
use crate::{Cancel, Result, TileCoord};

type Entry = GeomWithData<Rectangle<[f64; 2]>, u32>;

/// Base-map features in Web-Mercator world units, indexed by their bounding boxes.
#[derive(Debug, Clone, Default)]
pub struct BaseMap {
    features: Vec<(BaseFeature, Geometry)>,
    tree: RTree<Entry>,
}

impl BaseMap {
    /// Projects and indexes `features`.
    pub fn new(features: Vec<BaseFeature>) -> Self {
        let mut projected = Vec::with_capacity(features.len());
        let mut entries = Vec::with_capacity(features.len());
        for feature in features {
            let geometry = feature.geometry.map_coords(|c| world(c.x, c.y));
            let Some(rect) = geometry.bounding_rect() else {
                continue;
            };
            let Ok(slot) = u32::try_from(projected.len()) else {
                break;
            };
            let envelope =
                Rectangle::from_corners([rect.min().x, rect.min().y], [rect.max().x, rect.max().y]);
            entries.push(Entry::new(envelope, slot));
            projected.push((feature, geometry));
        }
        Self {
            features: projected,
            tree: RTree::bulk_load(entries),
        }
    }

    /// West, south, east, north of every feature; `None` when there is none.
    pub fn bounds(&self) -> Option<[f64; 4]> {
        self.features
            .iter()
            .filter_map(|(feature, _)| feature.geometry.bounding_rect())
            .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y])
            .reduce(|a, b| {
                [
                    a[0].min(b[0]),
                    a[1].min(b[1]),
                    a[2].max(b[2]),
                    a[3].max(b[3]),
                ]
            })
    }

    /// The outline of the boundary (e.g. a district) whose name, Chinese name or code is `name`
    /// (letter case aside), if the base map has one.
    pub fn boundary(&self, name: &str) -> Option<geo::MultiPolygon> {
        let wanted = name.trim().to_lowercase();
        self.boundaries().find_map(|feature| {
            let names = [
                Some(&feature.class),
                feature.name.as_ref(),
                feature.name_zh.as_ref(),
            ];
            let named = names
                .into_iter()
                .flatten()
                .any(|n| n.trim().to_lowercase() == wanted);
            match (&feature.geometry, named) {
                (geo::Geometry::Polygon(p), true) => Some(geo::MultiPolygon(vec![p.clone()])),
                (geo::Geometry::MultiPolygon(m), true) => Some(m.clone()),
                _ => None,
            }
        })
    }

    /// The names of the boundary areas, for telling a user which there are.
    pub fn boundary_names(&self) -> Vec<String> {
        self.boundaries()
            .filter(|f| {
                matches!(
                    f.geometry,
                    geo::Geometry::Polygon(_) | geo::Geometry::MultiPolygon(_)
                )
            })
            .filter_map(|f| f.name_zh.clone().or_else(|| f.name.clone()))
            .collect()
    }

    fn boundaries(&self) -> impl Iterator<Item = &BaseFeature> {
        self.features
            .iter()
            .map(|(feature, _)| feature)
            .filter(|feature| feature.layer == BaseLayer::Boundaries)
    }

    /// How many features.
    pub fn len(&self) -> usize {
        self.features.len()
    }

    /// Whether it has none.
    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }

    /// Encodes the `base` tile.
    pub fn tile(&self, tile: TileCoord, tolerance: f64, cancel: &Cancel) -> Result<Vec<u8>> {
        let frame = TileFrame::new(tile);
        let (min, max) = frame.world_bounds();
        let envelope = AABB::from_corners([min.x, min.y], [max.x, max.y]);
        let mut found: Vec<u32> = self
            .tree
            .locate_in_envelope_intersecting(&envelope)
            .map(|entry| entry.data)
            .collect();
        found.sort_unstable();
        let mut mvt_tile = Tile::new(EXTENT);
        for layer in [
            BaseLayer::Water,
            BaseLayer::Landuse,
            BaseLayer::Roads,
            BaseLayer::Buildings,
            BaseLayer::Boundaries,
        ] {
            let mut writer = LayerWriter::new(&mvt_tile, layer.as_str(), tolerance);
            for (n, slot) in found.iter().enumerate() {
                if n % 256 == 0 {
                    cancel.check()?;
                }
                let Some((feature, geometry)) = self.features.get(*slot as usize) else {
                    continue;
                };
                if feature.layer != layer || tile.z() < min_zoom(feature) {
                    continue;
                }
                let grid = geometry.map_coords(|c| frame.grid(c));
                writer.geometry(&grid, feature.id, &properties(feature))?;
            }
            writer.finish(&mut mvt_tile)?;
        }
        mvt_tile
            .to_bytes()
            .map_err(|e| crate::Error::Encode(e.to_string()))
    }
}

fn properties(feature: &BaseFeature) -> Properties {
    let mut props: Properties = vec![("class", Value::from(feature.class.as_str()))];
    // OpenStreetMap boundaries carry their admin level as their class.
    if feature.layer == BaseLayer::Boundaries {
        if let Ok(level @ 1..=12) = feature.class.parse::<u32>() {
            props.push(("admin_level", Value::from(level)));
        }
    }
    if let Some(name) = &feature.name {
        props.push(("name", Value::from(name.as_str())));
    }
    if let Some(name) = &feature.name_zh {
        props.push(("name_zh", Value::from(name.as_str())));
    }
    props
}

/// The lowest zoom a feature appears at: major roads early, paths and buildings late.
fn min_zoom(feature: &BaseFeature) -> u8 {
    let class = feature.class.as_str();
    match feature.layer {
        BaseLayer::Water => 0,
        BaseLayer::Landuse => 10,
        BaseLayer::Buildings => 14,
        BaseLayer::Boundaries => match class.parse::<u8>() {
            Ok(level) if level <= 4 => 0,
            Ok(level) if level <= 8 => 8,
            _ => 11,
        },
        BaseLayer::Roads => match class.trim_end_matches("_link") {
            "motorway" | "trunk" | "primary" => 5,
            "secondary" | "tertiary" => 10,
            "residential" | "unclassified" | "living_street" | "pedestrian" | "service"
            | "road" => 13,
            _ => 15,
        },
    }
}
