//! Validated tile coordinates.

use std::fmt;

use crate::{Error, Result};

/// The highest zoom any tileset serves.
pub const MAX_ZOOM: u8 = 22;

/// A tile address z/x/y in the XYZ scheme (y = 0 at the north), validated: z ≤ [`MAX_ZOOM`],
/// x and y in 0..2^z.
///
/// ```
/// use refuge_tiles::TileCoord;
/// assert!(TileCoord::new(14, 8529, 5974).is_ok());
/// assert!(TileCoord::new(2, 4, 0).unwrap_err().to_string().starts_with("x:"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileCoord {
    z: u8,
    x: u32,
    y: u32,
}

impl TileCoord {
    /// A tile, or an error naming the coordinate that is out of range.
    pub fn new(z: u8, x: u32, y: u32) -> Result<Self> {
        if z > MAX_ZOOM {
            return Err(Error::Coordinate {
                parameter: "z",
                message: format!("zoom {z} is above {MAX_ZOOM}"),
            });
        }
        let size = 1u64 << z;
        for (parameter, value) in [("x", x), ("y", y)] {
            if u64::from(value) >= size {
                return Err(Error::Coordinate {
                    parameter,
                    message: format!("{value} is outside 0..{} at zoom {z}", size - 1),
                });
            }
        }
        Ok(Self { z, x, y })
    }

    /// Every tile of zoom levels `zooms` that covers the box west, south, east, north (degrees),
    /// zoom by zoom, west to east, north to south.
    ///
    /// ```
    /// use refuge_tiles::TileCoord;
    /// let monaco = [7.40, 43.72, 7.44, 43.75];
    /// let tiles: Vec<_> = TileCoord::covering(monaco, 0..=1).collect();
    /// assert_eq!(tiles.len(), 2); // the world tile, and one tile of zoom 1
    /// ```
    pub fn covering(
        bounds: [f64; 4],
        zooms: std::ops::RangeInclusive<u8>,
    ) -> impl Iterator<Item = TileCoord> {
        let [west, south, east, north] = bounds;
        let (top_left, bottom_right) = (crate::world(west, north), crate::world(east, south));
        zooms.flat_map(move |z| {
            let n = f64::from(1u32 << z.min(MAX_ZOOM));
            let cell = |v: f64| (v * n).clamp(0.0, n - 1.0) as u32;
            let (x0, y0) = (cell(top_left.x), cell(top_left.y));
            let (x1, y1) = (cell(bottom_right.x), cell(bottom_right.y));
            (x0..=x1).flat_map(move |x| (y0..=y1).filter_map(move |y| TileCoord::new(z, x, y).ok()))
        })
    }

    /// Zoom.
    pub fn z(self) -> u8 {
        self.z
    }

    /// Column, west to east.
    pub fn x(self) -> u32 {
        self.x
    }

    /// Row, north to south.
    pub fn y(self) -> u32 {
        self.y
    }
}

impl fmt::Display for TileCoord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.z, self.x, self.y)
    }
}
