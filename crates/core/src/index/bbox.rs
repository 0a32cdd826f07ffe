//! Longitude/latitude boxes, and the 3-D envelope of a box on the unit sphere.

use rstar::AABB;
use serde::{Deserialize, Serialize};

use crate::{Error, LonLat, Result};

/// A longitude/latitude box. `min_lon > max_lon` means the box crosses the antimeridian
/// (e.g. 170 … -170 spans 20° of longitude through 180°).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BBox {
    min: LonLat,
    max: LonLat,
}

impl BBox {
    /// A box from its west, south, east and north edges, validated.
    ///
    /// ```
    /// use refuge_core::BBox;
    /// assert!(BBox::new(7.40, 43.72, 7.44, 43.75).is_ok());
    /// assert!(BBox::new(170.0, -20.0, -170.0, -10.0)?.crosses_antimeridian());
    /// assert!(BBox::new(7.40, 43.75, 7.44, 43.72).is_err()); // south above north
    /// # Ok::<(), refuge_core::Error>(())
    /// ```
    pub fn new(min_lon: f64, min_lat: f64, max_lon: f64, max_lat: f64) -> Result<Self> {
        let min = LonLat::new(min_lon, min_lat)?;
        let max = LonLat::new(max_lon, max_lat)?;
        if min_lat > max_lat {
            return Err(Error::field(
                "bbox",
                format!("south edge {min_lat} is north of north edge {max_lat}"),
            ));
        }
        Ok(Self { min, max })
    }

    /// The whole world.
    pub fn world() -> Self {
        Self {
            min: LonLat::WORLD_MIN,
            max: LonLat::WORLD_MAX,
        }
    }

    /// South-west corner.
    pub fn min(self) -> LonLat {
        self.min
    }

    /// North-east corner.
    pub fn max(self) -> LonLat {
        self.max
    }

    /// Whether the box wraps through longitude 180°.
    pub fn crosses_antimeridian(self) -> bool {
        self.min.lon() > self.max.lon()
    }

    /// Whether `p` lies in the box, edges included.
    pub fn contains(self, p: LonLat) -> bool {
        let lat_in = (self.min.lat()..=self.max.lat()).contains(&p.lat());
        let lon_in = if self.crosses_antimeridian() {
            p.lon() >= self.min.lon() || p.lon() <= self.max.lon()
        } else {
            (self.min.lon()..=self.max.lon()).contains(&p.lon())
        };
        lat_in && lon_in
    }

    /// The box as one or two non-wrapping longitude intervals.
    fn lon_spans(self) -> Vec<(f64, f64)> {
        if self.crosses_antimeridian() {
            vec![(self.min.lon(), 180.0), (-180.0, self.max.lon())]
        } else {
            vec![(self.min.lon(), self.max.lon())]
        }
    }

    /// Axis-aligned 3-D boxes, widened by `slack`, that together hold every unit-sphere point of
    /// this box.
    pub(crate) fn sphere_envelopes(self, slack: f64) -> Vec<AABB<[f32; 3]>> {
        self.lon_spans()
            .into_iter()
            .map(|(west, east)| {
                let (low, high) = span_envelope(west, east, self.min.lat(), self.max.lat());
                AABB::from_corners(
                    low.map(|c| (c - slack) as f32),
                    high.map(|c| (c + slack) as f32),
                )
            })
            .collect()
    }
}

/// The 3-D envelope (lowest and highest corner) of the unit-sphere patch west..east ×
/// south..north (no wrap).
fn span_envelope(west: f64, east: f64, south: f64, north: f64) -> ([f64; 3], [f64; 3]) {
    let contains = |angle: f64| west <= angle && angle <= east;
    let (w, e) = (west.to_radians(), east.to_radians());
    let (s, n) = (south.to_radians(), north.to_radians());

    let cos_lon = interval(
        [w.cos(), e.cos()],
        contains(0.0),
        contains(180.0) || contains(-180.0),
    );
    let sin_lon = interval([w.sin(), e.sin()], contains(90.0), contains(-90.0));
    let cos_lat_max = if south <= 0.0 && 0.0 <= north {
        1.0
    } else {
        s.cos().max(n.cos())
    };
    let cos_lat = (s.cos().min(n.cos()), cos_lat_max);

    let (x_min, x_max) = product(cos_lat, cos_lon);
    let (y_min, y_max) = product(cos_lat, sin_lon);
    ([x_min, y_min, s.sin()], [x_max, y_max, n.sin()])
}

/// The range of a function over an interval from its end values and whether it reaches +1 or −1
/// inside.
fn interval(ends: [f64; 2], reaches_one: bool, reaches_minus_one: bool) -> (f64, f64) {
    let low = if reaches_minus_one {
        -1.0
    } else {
        ends[0].min(ends[1])
    };
    let high = if reaches_one {
        1.0
    } else {
        ends[0].max(ends[1])
    };
    (low, high)
}

/// The range of a·b for a in `a`, b in `b`.
fn product(a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
    let corners = [a.0 * b.0, a.0 * b.1, a.1 * b.0, a.1 * b.1];
    let low = corners.iter().copied().fold(f64::INFINITY, f64::min);
    let high = corners.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (low, high)
}
