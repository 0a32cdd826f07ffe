//! The one Web-Mercator projection of Refuge, and the scaling into a tile's 0..extent grid.

use geo::{Coord, MapCoords};
use refuge_core::{BBox, LonLat};

use crate::TileCoord;

/// The MVT grid size of every Refuge tile.
pub const EXTENT: u32 = 4096;
/// How far outside the tile (in grid units) geometry is kept, so that lines and circles drawn
/// across tile edges join without seams.
pub const BUFFER: u32 = 64;
/// Web Mercator's latitude limit.
pub const MAX_LATITUDE: f64 = 85.051_128_779_806_59;

/// A position in the unit square of the Web-Mercator world: x east from −180°, y south from the
/// top edge (85.05° N), both 0..1.
pub fn world(lon: f64, lat: f64) -> Coord {
    let lat = lat.clamp(-MAX_LATITUDE, MAX_LATITUDE).to_radians();
    Coord {
        x: (lon + 180.0) / 360.0,
        y: (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0,
    }
}

/// The longitude and latitude of a world position.
pub fn lon_lat(world: Coord) -> (f64, f64) {
    let lon = world.x * 360.0 - 180.0;
    let n = std::f64::consts::PI * (1.0 - 2.0 * world.y);
    (lon, n.sinh().atan().to_degrees())
}

/// Scale of Web Mercator at a latitude: ground metres per world unit.
pub fn metres_per_world_unit(lat: f64) -> f64 {
    2.0 * std::f64::consts::PI * refuge_core::EARTH_RADIUS_M * lat.to_radians().cos()
}

/// One tile's view of the world: converts positions into its 0..[`EXTENT`] grid (y down).
#[derive(Debug, Clone, Copy)]
pub struct TileFrame {
    tile: TileCoord,
    scale: f64,
}

impl TileFrame {
    /// The frame of `tile`.
    pub fn new(tile: TileCoord) -> Self {
        Self {
            tile,
            scale: f64::from(1u32 << tile.z()),
        }
    }

    /// The tile.
    pub fn tile(self) -> TileCoord {
        self.tile
    }

    /// A world position in tile grid units.
    pub fn grid(self, world: Coord) -> Coord {
        let extent = f64::from(EXTENT);
        Coord {
            x: (world.x * self.scale - f64::from(self.tile.x())) * extent,
            y: (world.y * self.scale - f64::from(self.tile.y())) * extent,
        }
    }

    /// A longitude/latitude geometry in tile grid units.
    pub fn project<G: MapCoords<f64, f64, Output = G>>(self, geometry: &G) -> G {
        geometry.map_coords(|c| self.grid(world(c.x, c.y)))
    }

    /// The tile's area widened by [`BUFFER`], in world units: (min corner, max corner).
    pub fn world_bounds(self) -> (Coord, Coord) {
        let pad = f64::from(BUFFER) / f64::from(EXTENT);
        let (x, y) = (f64::from(self.tile.x()), f64::from(self.tile.y()));
        (
            Coord {
                x: (x - pad) / self.scale,
                y: (y - pad) / self.scale,
            },
            Coord {
                x: (x + 1.0 + pad) / self.scale,
                y: (y + 1.0 + pad) / self.scale,
            },
        )
    }

    /// The buffered tile as a longitude/latitude box for index queries (clamped to the world).
    pub fn lon_lat_bounds(self) -> BBox {
        let (min, max) = self.world_bounds();
        let clamp = |c: Coord| Coord {
            x: c.x.clamp(0.0, 1.0),
            y: c.y.clamp(0.0, 1.0),
        };
        let (west, north) = lon_lat(clamp(min));
        let (east, south) = lon_lat(clamp(max));
        // Web Mercator stops at ±85.05°; a top or bottom row of tiles reaches the pole.
        let north = if min.y <= 0.0 { 90.0 } else { north };
        let south = if max.y >= 1.0 { -90.0 } else { south };
        BBox::new(west, south, east, north).unwrap_or_else(|_| BBox::world())
    }

    /// Grid units per metre on the ground at a position: for buffers and circles.
    pub fn grid_per_metre(self, at: LonLat) -> f64 {
        self.scale * f64::from(EXTENT) / metres_per_world_unit(at.lat())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_points_land_in_the_right_tile_cell() {
        // Monaco at z14 is tile 8529/5974 (checked against the XYZ formula by hand).
        let tile = TileCoord::new(14, 8529, 5974).unwrap();
        let grid = TileFrame::new(tile).grid(world(7.4200, 43.7350));
        assert!(
            (0.0..4096.0).contains(&grid.x) && (0.0..4096.0).contains(&grid.y),
            "{grid:?}"
        );
        let back = lon_lat(world(7.42, 43.735));
        assert!((back.0 - 7.42).abs() < 1e-12 && (back.1 - 43.735).abs() < 1e-12);
        let corner = world(-180.0, MAX_LATITUDE);
        assert!(corner.x.abs() < 1e-12 && corner.y.abs() < 1e-9);
    }

    #[test]
    fn buffered_bounds_cover_the_tile() {
        let tile = TileCoord::new(14, 8529, 5974).unwrap();
        let bbox = TileFrame::new(tile).lon_lat_bounds();
        // The tile spans 7.40479° to 7.42676° E; the buffer adds 1/64 of that on each side.
        assert!(
            bbox.min().lon() < 7.40479 && bbox.max().lon() > 7.42676,
            "{bbox:?}"
        );
        assert!(
            (bbox.min().lon() - (7.404_785 - 0.000_343)).abs() < 1e-5,
            "{bbox:?}"
        );
        assert!(bbox.contains(LonLat::new(7.42, 43.735).unwrap()));
    }
}
