#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod base;
mod clip;
mod coord;
mod coverage;
mod encode;
mod error;
mod facilities;
mod glyphs;
mod projection;
mod tileset;

pub use base::BaseMap;
pub use coord::{MAX_ZOOM, TileCoord};
pub use error::{Error, Result};
pub use facilities::{HazardZones, aggregation_resolution};
pub use glyphs::GlyphRenderer;
pub use projection::{BUFFER, EXTENT, TileFrame, lon_lat, world};
pub use tileset::{AGGREGATE_BELOW_ZOOM, LayerSpec, Tileset};

use refuge_core::SpatialIndex;

/// Simplification tolerance in grid units: 1 unit (1/4096 of a tile) at zoom 14 and above,
/// growing by half a unit per zoom level below.
pub fn tolerance(z: u8) -> f64 {
    1.0 + f64::from(14u8.saturating_sub(z)) * 0.5
}

/// What tiles are made from: the facility snapshot, the base map, and the hazard areas cache.
#[derive(Debug, Clone, Copy)]
pub struct Sources<'a> {
    /// The facility index snapshot.
    pub index: &'a SpatialIndex,
    /// The base map.
    pub base: &'a BaseMap,
    /// Hazard areas, made once per data version.
    pub zones: &'a HazardZones,
}

/// Encodes one tile of a tileset.
pub fn encode(tileset: Tileset, tile: TileCoord, sources: Sources<'_>) -> Result<Vec<u8>> {
    let Sources { index, base, zones } = sources;
    if tile.z() > tileset.maxzoom() {
        return Err(Error::Coordinate {
            parameter: "z",
            message: format!(
                "zoom {} is above the {} tileset's maxzoom {}",
                tile.z(),
                tileset.name(),
                tileset.maxzoom()
            ),
        });
    }
    let tolerance = tolerance(tile.z());
    match tileset {
        Tileset::Facilities => facilities::facilities_tile(index, zones, tile, tolerance),
        Tileset::Base => base.tile(tile, tolerance),
        Tileset::Coverage => coverage::coverage_tile(index, tile, tolerance),
    }
}
