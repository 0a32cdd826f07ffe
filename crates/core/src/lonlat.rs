//! A validated WGS84 position.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// A position on the WGS84 ellipsoid in degrees, validated at construction: both numbers are finite,
/// longitude in -180..=180 and latitude in -90..=90. Inside the program a `LonLat` is trusted.
///
/// ```
/// use refuge_core::LonLat;
/// let monaco = LonLat::new(7.4200, 43.7350)?;
/// assert_eq!(monaco.lon(), 7.42);
/// assert!(LonLat::new(7.42, 91.0).is_err());
/// assert!(LonLat::new(f64::NAN, 0.0).is_err());
/// # Ok::<(), refuge_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "[f64; 2]", into = "[f64; 2]")]
pub struct LonLat {
    lon: f64,
    lat: f64,
}

impl LonLat {
    /// The south-west corner of the world, −180°, −90°.
    pub const WORLD_MIN: LonLat = LonLat {
        lon: -180.0,
        lat: -90.0,
    };
    /// The north-east corner of the world, 180°, 90°.
    pub const WORLD_MAX: LonLat = LonLat {
        lon: 180.0,
        lat: 90.0,
    };

    /// A position, or an error naming the coordinate that is out of range or not a number.
    pub fn new(lon: f64, lat: f64) -> Result<Self> {
        if !(lon.is_finite() && (-180.0..=180.0).contains(&lon)) {
            return Err(Error::Longitude(lon));
        }
        if !(lat.is_finite() && (-90.0..=90.0).contains(&lat)) {
            return Err(Error::Latitude(lat));
        }
        Ok(Self { lon, lat })
    }

    /// Longitude in degrees east.
    pub fn lon(self) -> f64 {
        self.lon
    }

    /// Latitude in degrees north.
    pub fn lat(self) -> f64 {
        self.lat
    }

    /// The same position as a `geo` point (x = longitude, y = latitude).
    pub fn point(self) -> geo::Point {
        geo::Point::new(self.lon, self.lat)
    }
}

impl TryFrom<[f64; 2]> for LonLat {
    type Error = Error;

    fn try_from([lon, lat]: [f64; 2]) -> Result<Self> {
        Self::new(lon, lat)
    }
}

impl From<LonLat> for [f64; 2] {
    fn from(p: LonLat) -> Self {
        [p.lon, p.lat]
    }
}

impl TryFrom<geo::Point> for LonLat {
    type Error = Error;

    fn try_from(p: geo::Point) -> Result<Self> {
        Self::new(p.x(), p.y())
    }
}

impl std::fmt::Display for LonLat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.6},{:.6}", self.lon, self.lat)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_each_bad_coordinate_by_name() {
        assert_eq!(LonLat::new(180.5, 0.0), Err(Error::Longitude(180.5)));
        assert_eq!(LonLat::new(0.0, -90.01), Err(Error::Latitude(-90.01)));
        assert!(matches!(
            LonLat::new(f64::INFINITY, 0.0),
            Err(Error::Longitude(_))
        ));
        assert!(LonLat::new(-180.0, 90.0).is_ok());
    }

    #[test]
    fn deserializing_validates() {
        let bad: Result<LonLat, _> = serde_json::from_str("[10.0, 95.0]");
        assert!(bad.unwrap_err().to_string().contains("latitude 95"));
        let good: LonLat = serde_json::from_str("[10.0, 45.0]").unwrap();
        assert_eq!(good.lat(), 45.0);
    }
}
