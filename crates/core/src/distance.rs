//! Distances in metres on the Earth.
//!
//! Refuge measures great-circle distance on a sphere of the GRS80 mean radius (6,371,008.8 m), the
//! haversine distance of [`geo::Haversine`]. Against the WGS84 ellipsoid this is within 0.5 % anywhere;
//! what matters more for a nearest query is that the *ranking* is the exact great-circle ranking at
//! any latitude and across the antimeridian, which the index guarantees by ranking 3-D chord lengths
//! (see [`crate::SpatialIndex`]).

use geo::Distance;

use crate::LonLat;

/// The radius of the sphere distances are measured on, in metres (GRS80 mean radius R₁).
pub const EARTH_RADIUS_M: f64 = geo::Haversine.radius();

/// The distance metric: great-circle (haversine) metres on a sphere of [`EARTH_RADIUS_M`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GreatCircle;

impl GreatCircle {
    /// Metres between two positions along the great circle.
    ///
    /// ```
    /// use refuge_core::{GreatCircle, LonLat};
    /// let beijing = LonLat::new(116.3975, 39.9087)?;
    /// let shanghai = LonLat::new(121.4737, 31.2304)?;
    /// let km = GreatCircle.distance_m(beijing, shanghai) / 1000.0;
    /// assert!((km - 1067.0).abs() < 2.0);
    /// # Ok::<(), refuge_core::Error>(())
    /// ```
    pub fn distance_m(self, a: LonLat, b: LonLat) -> f64 {
        geo::Haversine.distance(a.point(), b.point())
    }

    /// The straight-line (chord) length through the unit sphere that spans `metres` along its surface.
    pub fn chord_for(self, metres: f64) -> f64 {
        let angle = (metres / EARTH_RADIUS_M).min(std::f64::consts::PI);
        2.0 * (angle / 2.0).sin()
    }

    /// Metres along the surface spanned by a chord of the unit sphere.
    pub fn metres_for_chord(self, chord: f64) -> f64 {
        2.0 * (chord / 2.0).clamp(0.0, 1.0).asin() * EARTH_RADIUS_M
    }
}

/// The position as a point on the unit sphere: x towards (0°, 0°), y towards (90° E, 0°), z north.
pub(crate) fn unit_vector(p: LonLat) -> [f64; 3] {
    let (lon, lat) = (p.lon().to_radians(), p.lat().to_radians());
    [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chord_and_arc_agree_with_haversine() {
        let a = LonLat::new(179.9, -16.5).unwrap();
        let b = LonLat::new(-179.8, -16.6).unwrap();
        let [ax, ay, az] = unit_vector(a);
        let [bx, by, bz] = unit_vector(b);
        let chord = ((ax - bx).powi(2) + (ay - by).powi(2) + (az - bz).powi(2)).sqrt();
        let arc = GreatCircle.metres_for_chord(chord);
        let direct = GreatCircle.distance_m(a, b);
        assert!((arc - direct).abs() < 1e-6, "{arc} vs {direct}");
        assert!(
            direct < 40_000.0,
            "across the antimeridian is near: {direct}"
        );
        assert!((GreatCircle.chord_for(arc) - chord).abs() < 1e-12);
    }
}
