//! Which tiles a change to one facility can alter, so that a cache keeps every other tile.

use h3o::Resolution;
use refuge_core::LonLat;

use crate::{BUFFER, EXTENT, TileCoord, world};

/// Earth's circumference at the equator, km.
const EQUATOR_KM: f64 = 40_075.0;

/// Whether a change to a facility (not a hazard source) at `at` can alter `tile` of a tileset
/// that follows the facilities. A facility is drawn in the tiles whose area and buffer hold it,
/// and counted in the H3 cells of the aggregated and coverage tiles, which reach past the tile
/// it lies in: the tile is widened by one tile, its buffer and four edge lengths of the coarsest
/// cell drawn at its zoom, at the facility's latitude. Conservative: it may name a tile the change
/// leaves as it was, never the other way round.
pub fn may_change(tile: TileCoord, at: LonLat) -> bool {
    let tiles = f64::from(1u32 << tile.z());
    let point = world(at.lon(), at.lat());
    let (px, py) = (point.x * tiles, point.y * tiles);
    // The coarsest cells at a zoom are the coverage tileset's (resolution z - 4).
    let resolution =
        Resolution::try_from(tile.z().saturating_sub(4).min(9)).unwrap_or(Resolution::Nine);
    let cos_lat = at.lat().to_radians().cos().max(1e-6);
    let cell_in_tiles = 4.0 * resolution.edge_length_km() * tiles / (EQUATOR_KM * cos_lat);
    let reach = 0.5 + 1.0 + f64::from(BUFFER) / f64::from(EXTENT) + cell_in_tiles;
    // Across the antimeridian the first and last columns are neighbours.
    let dx = (px - (f64::from(tile.x()) + 0.5)).rem_euclid(tiles);
    let dx = dx.min(tiles - dx);
    let dy = (py - (f64::from(tile.y()) + 0.5)).abs();
    dx <= reach && dy <= reach
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(lon: f64, lat: f64) -> LonLat {
        LonLat::new(lon, lat).unwrap_or(LonLat::WORLD_MIN)
    }

    #[test]
    fn names_the_tile_and_its_neighbours_and_no_far_tile() -> crate::Result<()> {
        // Tiananmen Square at z14 lies in 13489/6208.
        let square = at(116.3975, 39.9087);
        let here = TileCoord::new(14, 13_489, 6_208)?;
        assert!(may_change(here, square));
        assert!(may_change(TileCoord::new(14, 13_490, 6_209)?, square));
        assert!(!may_change(TileCoord::new(14, 13_495, 6_208)?, square));
        assert!(!may_change(TileCoord::new(14, 100, 100)?, square));
        // Every zoom's own tile.
        for z in 0..=16u8 {
            let p = world(square.lon(), square.lat());
            let n = f64::from(1u32 << z);
            let tile = TileCoord::new(z, (p.x * n) as u32, (p.y * n) as u32)?;
            assert!(may_change(tile, square), "z{z}");
        }
        // Across the antimeridian.
        assert!(may_change(TileCoord::new(10, 0, 511)?, at(179.99, 0.1)));
        Ok(())
    }
}
