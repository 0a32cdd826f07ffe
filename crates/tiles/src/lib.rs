#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod base;
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
pub use facilities::aggregation_resolution;
pub use glyphs::GlyphRenderer;
pub use projection::{BUFFER, EXTENT, TileFrame, lon_lat, world};
pub use tileset::{AGGREGATE_BELOW_ZOOM, LayerSpec, Tileset};

use refuge_core::SpatialIndex;

/// Simplification tolerance in grid units: 1 unit (1/4096 of a tile) at zoom 14 and above,
/// growing by half a unit per zoom level below.
pub fn tolerance(z: u8) -> f64 {
    1.0 + f64::from(14u8.saturating_sub(z)) * 0.5
}

/// Encodes one tile of a tileset from the facility index and the base map.
pub fn encode(
    tileset: Tileset,
    tile: TileCoord,
    index: &SpatialIndex,
    base: &BaseMap,
) -> Result<Vec<u8>> {
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
        Tileset::Facilities => facilities::facilities_tile(index, tile, tolerance),
        Tileset::Base => base.tile(tile, tolerance),
        Tileset::Coverage => coverage::coverage_tile(index, tile, tolerance),
    }
}
