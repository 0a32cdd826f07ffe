//! Coordinate reference systems and the exact conversions between them.
//!
//! Refuge stores WGS84. Chinese sources come in GCJ-02 (AMap, Tencent, WeChat) or BD-09 (Baidu);
//! each import states its CRS and is converted on the way in. CGCS2000 (EPSG:4490) differs from
//! WGS84 by centimetres, far below what a facility map resolves, so it converts as the identity.
//! Files may also come in a projection, by EPSG code (see [`Projected`]).

mod bd09;
mod china;
mod gcj02;
mod projected;

use std::str::FromStr;

use crate::{Error, LonLat, Result};

pub use china::in_mainland_china;
pub use projected::Projected;

/// A coordinate reference system positions can arrive in or be asked for: longitude and latitude
/// in a datum, or easting and northing in a projection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Crs {
    /// WGS84 longitude/latitude, EPSG:4326: what Refuge stores.
    Wgs84,
    /// China Geodetic Coordinate System 2000, EPSG:4490.
    Cgcs2000,
    /// The GCJ-02 datum of AMap, Tencent and WeChat maps (国测局坐标, "Mars coordinates").
    Gcj02,
    /// Baidu's BD-09, a further offset of GCJ-02.
    Bd09,
    /// A projection, in metres: Gauss–Krüger zones, UTM, Web Mercator.
    Projected(Projected),
}

impl Crs {
    /// The systems of longitude and latitude.
    pub const GEOGRAPHIC: [Crs; 4] = [Crs::Wgs84, Crs::Cgcs2000, Crs::Gcj02, Crs::Bd09];

    /// Whether positions in it are easting and northing in metres rather than longitude and
    /// latitude.
    pub fn is_projected(self) -> bool {
        matches!(self, Crs::Projected(_))
    }

    /// When positions in it convert to WGS84 only approximately, a sentence saying so and by how
    /// much.
    pub fn datum_note(self) -> Option<String> {
        match self {
            Crs::Projected(projected) => projected.datum_note(),
            _ => None,
        }
    }

    /// Converts a longitude/latitude pair given in this CRS to WGS84, validating the result.
    ///
    /// ```
    /// use refuge_core::Crs;
    /// // Tiananmen as AMap shows it (GCJ-02) lies a few hundred metres from its WGS84 position.
    /// let wgs = Crs::Gcj02.to_wgs84(116.403_963, 39.915_119)?;
    /// assert!((wgs.lon() - 116.397_72).abs() < 1e-4 && (wgs.lat() - 39.913_72).abs() < 1e-4);
    /// # Ok::<(), refuge_core::Error>(())
    /// ```
    pub fn to_wgs84(self, lon: f64, lat: f64) -> Result<LonLat> {
        match self {
            Crs::Projected(projected) => projected.to_wgs84(lon, lat),
            Crs::Wgs84 | Crs::Cgcs2000 => LonLat::new(lon, lat),
            Crs::Gcj02 => gcj02::to_wgs84(LonLat::new(lon, lat)?),
            Crs::Bd09 => gcj02::to_wgs84(bd09::to_gcj02(LonLat::new(lon, lat)?)?),
        }
    }

    /// Converts a WGS84 position into this CRS, as `[lon, lat]` (or `[easting, northing]` in a
    /// projection: not a number where the projection does not reach).
    pub fn from_wgs84(self, p: LonLat) -> [f64; 2] {
        match self {
            Crs::Wgs84 | Crs::Cgcs2000 => p.into(),
            Crs::Gcj02 => gcj02::from_wgs84(p).into(),
            Crs::Bd09 => bd09::from_gcj02(gcj02::from_wgs84(p)).into(),
            Crs::Projected(projected) => projected.project(p).unwrap_or([f64::NAN; 2]),
        }
    }

    /// Its name: `wgs84`, `cgcs2000`, `gcj02`, `bd09` or `epsg:NNNN`.
    pub fn name(self) -> std::borrow::Cow<'static, str> {
        match self {
            Crs::Wgs84 => "wgs84".into(),
            Crs::Cgcs2000 => "cgcs2000".into(),
            Crs::Gcj02 => "gcj02".into(),
            Crs::Bd09 => "bd09".into(),
            Crs::Projected(projected) => projected.to_string().into(),
        }
    }
}

impl std::fmt::Display for Crs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

impl FromStr for Crs {
    type Err = Error;

    /// A name (`wgs84`, `cgcs2000`, `gcj02`, `bd09`, with `-` or any case) or an EPSG code
    /// (`EPSG:4527`, `epsg:4326` or `4527`).
    fn from_str(word: &str) -> Result<Self> {
        let wanted = word
            .trim()
            .to_ascii_lowercase()
            .replace(['-', ' ', '_'], "");
        let code = wanted.strip_prefix("epsg:").unwrap_or(&wanted);
        match code {
            "wgs84" | "4326" => Ok(Crs::Wgs84),
            "cgcs2000" | "4490" => Ok(Crs::Cgcs2000),
            "gcj02" => Ok(Crs::Gcj02),
            "bd09" => Ok(Crs::Bd09),
            _ => match code.parse::<u32>() {
                Ok(number) => Projected::from_code(number).map(Crs::Projected),
                Err(_) => Err(Error::UnknownName {
                    what: "coordinate reference system",
                    value: word.to_owned(),
                    expected: "wgs84, cgcs2000, gcj02, bd09, or EPSG:NNNN".into(),
                }),
            },
        }
    }
}

impl serde::Serialize for Crs {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.name())
    }
}

impl<'de> serde::Deserialize<'de> for Crs {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// In the OpenAPI document: a string, a name or an EPSG code.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Crs {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "A coordinate reference system: wgs84, cgcs2000, gcj02, bd09, or EPSG:NNNN for a \
                 projection (Gauss–Krüger zones of CGCS2000, Xi'an 1980 and Beijing 1954; UTM; \
                 Web Mercator)",
            ))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Crs {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("Crs")
    }
}

/// Runs Newton-free fixed-point iteration to invert a forward transform that moves points by a
/// small, smooth offset: `x ← x − (forward(x) − target)` until the residual is below 1e-10° (≈ 0.01 mm).
fn invert(target: LonLat, forward: impl Fn(LonLat) -> LonLat) -> Result<LonLat> {
    const TOLERANCE_DEG: f64 = 1e-10;
    let mut guess = target;
    for _ in 0..50 {
        let image = forward(guess);
        let (dlon, dlat) = (image.lon() - target.lon(), image.lat() - target.lat());
        if dlon.abs() < TOLERANCE_DEG && dlat.abs() < TOLERANCE_DEG {
            break;
        }
        guess = LonLat::new(guess.lon() - dlon, guess.lat() - dlat)?;
    }
    Ok(guess)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::GreatCircle;

    #[test]
    fn parses_names_and_epsg_codes() {
        assert_eq!("GCJ-02".parse::<Crs>().unwrap(), Crs::Gcj02);
        assert_eq!("EPSG:4490".parse::<Crs>().unwrap(), Crs::Cgcs2000);
        assert_eq!(" wgs84 ".parse::<Crs>().unwrap(), Crs::Wgs84);
        let err = "utm50".parse::<Crs>().unwrap_err().to_string();
        assert!(err.contains("utm50") && err.contains("gcj02"), "{err}");
    }

    #[test]
    fn every_crs_round_trips_within_a_millimetre() {
        let places = [
            (116.3975, 39.9087), // Beijing
            (114.0579, 22.5431), // Shenzhen
            (104.0665, 30.5723), // Chengdu
            (87.6168, 43.8256),  // Urumqi
            (7.4200, 43.7350),   // Monaco, outside China
            (-179.99, -16.5),    // Fiji, by the antimeridian
        ];
        for (lon, lat) in places {
            let wgs = LonLat::new(lon, lat).unwrap();
            for crs in Crs::GEOGRAPHIC {
                let [x, y] = crs.from_wgs84(wgs);
                let back = crs.to_wgs84(x, y).unwrap();
                let error_m = GreatCircle.distance_m(wgs, back);
                assert!(error_m < 1e-3, "{crs} at {wgs}: {error_m} m");
            }
        }
    }

    /// Forward values computed independently with the npm package gcoord 1.0.7 (MIT).
    type Golden = (&'static str, [f64; 2], [f64; 2], [f64; 2]);
    const GOLDEN: [Golden; 5] = [
        (
            "Beijing",
            [116.3975, 39.9087],
            [116.403743573, 39.910103499],
            [116.410116586, 39.916442750],
        ),
        (
            "Shenzhen",
            [114.0579, 22.5431],
            [114.063013999, 22.540382814],
            [114.069563987, 22.546041559],
        ),
        (
            "Chengdu",
            [104.0665, 30.5723],
            [104.069004906, 30.569845541],
            [104.075480941, 30.575856164],
        ),
        (
            "Guangzhou",
            [113.2644, 23.1291],
            [113.269729592, 23.126423340],
            [113.276150752, 23.132711257],
        ),
        (
            "Urumqi",
            [87.6168, 43.8256],
            [87.619649949, 43.826805393],
            [87.626099771, 43.832949795],
        ),
    ];

    #[test]
    fn golden_points_match_an_independent_implementation() {
        for (city, [lon, lat], gcj, bd) in GOLDEN {
            let wgs = LonLat::new(lon, lat).unwrap();
            for (crs, want) in [(Crs::Gcj02, gcj), (Crs::Bd09, bd)] {
                let got = crs.from_wgs84(wgs);
                let apart = GreatCircle.distance_m(
                    LonLat::new(got[0], got[1]).unwrap(),
                    LonLat::new(want[0], want[1]).unwrap(),
                );
                assert!(
                    apart < 0.001,
                    "{city} {crs}: {got:?} is {apart} m from {want:?}"
                );
                let back = crs.to_wgs84(want[0], want[1]).unwrap();
                let error = GreatCircle.distance_m(back, wgs);
                assert!(error < 0.001, "{city} {crs} inverse is {error} m off");
            }
        }
    }

    #[test]
    fn outside_mainland_china_gcj02_is_wgs84() {
        for (lon, lat) in [
            (114.17, 22.30),
            (121.56, 25.04),
            (126.98, 37.57),
            (7.42, 43.735),
        ] {
            let p = LonLat::new(lon, lat).unwrap();
            assert_eq!(Crs::Gcj02.from_wgs84(p), [lon, lat]);
            assert_eq!(Crs::Gcj02.to_wgs84(lon, lat).unwrap(), p);
        }
    }

    #[test]
    fn conversion_rejects_out_of_range_input() {
        assert!(Crs::Gcj02.to_wgs84(f64::NAN, 30.0).is_err());
        assert!(Crs::Bd09.to_wgs84(116.0, 95.0).is_err());
    }
}
