//! Projected coordinate systems a file may come in, by EPSG code: the Gauss–Krüger zones of
//! CGCS2000, Xi'an 1980 and Beijing 1954 (3° and 6° zones, with the zone number before the
//! easting or without it), WGS 84 / UTM and Web Mercator.
//!
//! The projections are `proj4rs`' (the exact Poder/Engsager transverse Mercator, as PROJ uses).
//! Each zone is defined as PROJ defines it: transverse Mercator on the zone's central meridian,
//! scale 1 (0.9996 for UTM), false easting 500 km (plus the zone number times 1,000 km where the
//! easting carries it), on the datum's ellipsoid.
//!
//! Datums: CGCS2000 is taken as WGS 84 (they differ by centimetres), as PROJ does. Xi'an 1980 and
//! Beijing 1954 have no grid-free national transformation to WGS 84, so positions are taken as
//! WGS 84 without a datum shift, again as PROJ does (its "ballpark" operation): they may be off by
//! up to about 100 m, which [`Projected::datum_note`] says.
//!
//! A position is valid only inside its zone: within the zone's band of longitude widened by a
//! quarter of its width on each side (a city that straddles a zone edge keeps one zone: 0.75°
//! for a 3° zone, 1.5° for a 6° one), at the latitudes of
//! China and its seas for the Chinese systems; and where the zone number is part of the easting,
//! with that zone's number. Anything else is refused, never placed elsewhere.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use proj4rs::proj::Proj;

use crate::{Error, LonLat, Result};

/// A geodetic datum of a Chinese Gauss–Krüger zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Datum {
    Cgcs2000,
    Xian1980,
    Beijing1954,
    Wgs84,
}

impl Datum {
    fn ellipsoid(self) -> &'static str {
        match self {
            Datum::Cgcs2000 => "+ellps=GRS80",
            Datum::Xian1980 => "+ellps=IAU76",
            Datum::Beijing1954 => "+ellps=krass",
            Datum::Wgs84 => "+ellps=WGS84",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Datum::Cgcs2000 => "CGCS2000",
            Datum::Xian1980 => "Xi'an 1980",
            Datum::Beijing1954 => "Beijing 1954",
            Datum::Wgs84 => "WGS 84",
        }
    }
}

/// A run of EPSG codes, one per zone, west to east.
#[derive(Debug, Clone, Copy)]
struct Family {
    first: u16,
    datum: Datum,
    /// Degrees of longitude a zone spans: 3 or 6.
    width: u8,
    /// The number of the first zone, when the easting carries the zone number.
    numbered_from: Option<u16>,
    /// The central meridian of the first zone.
    first_meridian: i16,
    zones: u16,
}

const fn gauss_kruger(first: u16, datum: Datum, width: u8, numbered_from: Option<u16>) -> Family {
    Family {
        first,
        datum,
        width,
        numbered_from,
        first_meridian: 75,
        zones: if width == 3 { 21 } else { 11 },
    }
}

/// Every Gauss–Krüger family Refuge knows, with its EPSG codes as the EPSG registry numbers them.
const FAMILIES: [Family; 13] = [
    gauss_kruger(4491, Datum::Cgcs2000, 6, Some(13)),
    gauss_kruger(4502, Datum::Cgcs2000, 6, None),
    gauss_kruger(4513, Datum::Cgcs2000, 3, Some(25)),
    gauss_kruger(4534, Datum::Cgcs2000, 3, None),
    gauss_kruger(2327, Datum::Xian1980, 6, Some(13)),
    gauss_kruger(2338, Datum::Xian1980, 6, None),
    gauss_kruger(2349, Datum::Xian1980, 3, Some(25)),
    gauss_kruger(2370, Datum::Xian1980, 3, None),
    gauss_kruger(21413, Datum::Beijing1954, 6, Some(13)),
    gauss_kruger(21453, Datum::Beijing1954, 6, None),
    // EPSG's older codes of the same zones ("13N" to "23N").
    gauss_kruger(21473, Datum::Beijing1954, 6, None),
    gauss_kruger(2401, Datum::Beijing1954, 3, Some(25)),
    gauss_kruger(2422, Datum::Beijing1954, 3, None),
];

/// Web Mercator.
const WEB_MERCATOR: u16 = 3857;

/// A projected coordinate system, by its EPSG code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Projected(u16);

/// What a code stands for.
#[derive(Debug, Clone, Copy)]
enum Zone {
    /// A transverse Mercator zone.
    Transverse {
        datum: Datum,
        meridian: f64,
        width: f64,
        /// The zone number the easting carries, if it carries one.
        number: Option<u16>,
        /// UTM: scale 0.9996 on the central meridian, false northing in the south.
        utm_south: Option<bool>,
    },
    WebMercator,
}

impl Projected {
    /// The projected system with EPSG code `code`, if Refuge knows it; the error lists what it
    /// knows.
    pub fn from_code(code: u32) -> Result<Self> {
        let known = u16::try_from(code).ok().filter(|c| zone(*c).is_some());
        known.map(Projected).ok_or_else(|| Error::UnknownName {
            what: "coordinate reference system",
            value: format!("EPSG:{code}"),
            expected: "wgs84, cgcs2000, gcj02, bd09, or a projection: EPSG:4491–4554 (CGCS2000 \
                       Gauss–Krüger), EPSG:2327–2390 (Xi'an 1980), EPSG:2401–2442 and \
                       EPSG:21413–21423, 21453–21463, 21473–21483 (Beijing 1954), \
                       EPSG:32601–32660 and \
                       32701–32760 (WGS 84 / UTM), EPSG:3857 (Web Mercator)"
                .into(),
        })
    }

    /// Its EPSG code.
    pub fn code(self) -> u16 {
        self.0
    }

    fn zone(self) -> Zone {
        // Only codes `zone` knows are ever made.
        zone(self.0).unwrap_or(Zone::WebMercator)
    }

    /// When its datum is converted to WGS 84 only approximately, a sentence saying so and by how
    /// much.
    pub fn datum_note(self) -> Option<String> {
        match self.zone() {
            Zone::Transverse {
                datum: datum @ (Datum::Xian1980 | Datum::Beijing1954),
                ..
            } => Some(format!(
                "EPSG:{}: {} has no grid-free national shift to WGS 84, so its positions are \
                 taken as WGS 84 without one (as PROJ does); they may be off by up to about \
                 100 m (Beijing 1954 at Beijing: 64 m by EPSG's regional shift 15921)",
                self.0,
                datum.name()
            )),
            _ => None,
        }
    }

    /// Converts easting `x` and northing `y` (metres) into WGS 84; a position outside the zone's
    /// valid area is an error that says where it would have been, and whether the two seem
    /// swapped.
    pub fn to_wgs84(self, x: f64, y: f64) -> Result<LonLat> {
        self.inverse(x, y).map_err(|error| {
            if self.inverse(y, x).is_ok() {
                Error::field(
                    "position",
                    format!(
                        "{error}; the easting and northing seem swapped (in Chinese surveys X is \
                         the northing): name the columns with --lon-col and --lat-col"
                    ),
                )
            } else {
                error
            }
        })
    }

    fn inverse(self, x: f64, y: f64) -> Result<LonLat> {
        let bad = |message: String| Error::field("position", message);
        if !(x.is_finite() && y.is_finite()) {
            return Err(bad(format!("({x}, {y}) is not a position")));
        }
        let zone = self.zone();
        if let Zone::Transverse {
            number: Some(number),
            ..
        } = zone
        {
            let prefix = (x / 1_000_000.0).floor();
            if prefix != f64::from(number) {
                return Err(bad(format!(
                    "easting {x} carries zone number {prefix}, not {number} of EPSG:{}",
                    self.0
                )));
            }
        }
        let mut point = (x, y, 0.0);
        let transforms = transforms(self)?;
        proj4rs::transform::transform(&transforms.projected, &transforms.lon_lat, &mut point)
            .map_err(|e| bad(format!("({x}, {y}) cannot be unprojected: {e}")))?;
        let (lon, lat) = (point.0.to_degrees(), point.1.to_degrees());
        if let Zone::Transverse {
            datum,
            meridian,
            width,
            utm_south,
            ..
        } = zone
        {
            let reach = 0.75 * width;
            let latitudes = match (datum, utm_south) {
                (Datum::Wgs84, Some(true)) => -80.0..=0.0,
                (Datum::Wgs84, _) => 0.0..=84.0,
                _ => 0.0..=56.0,
            };
            if (lon - meridian).abs() > reach || !latitudes.contains(&lat) {
                return Err(bad(format!(
                    "({x}, {y}) falls at {lon:.4}, {lat:.4}, outside EPSG:{} ({}° longitude each \
                     side of {meridian}°E, latitudes {}° to {}°)",
                    self.0,
                    reach,
                    latitudes.start(),
                    latitudes.end()
                )));
            }
        }
        LonLat::new(lon, lat)
    }

    /// Converts a WGS 84 position into easting and northing (metres).
    pub fn project(self, p: LonLat) -> Result<[f64; 2]> {
        let transforms = transforms(self)?;
        let mut point = (p.lon().to_radians(), p.lat().to_radians(), 0.0);
        proj4rs::transform::transform(&transforms.lon_lat, &transforms.projected, &mut point)
            .map_err(|e| Error::field("position", format!("{p} cannot be projected: {e}")))?;
        Ok([point.0, point.1])
    }

    /// The PROJ definition of the system.
    fn definition(self) -> String {
        match self.zone() {
            Zone::WebMercator => {
                "+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m \
                 +no_defs"
                    .into()
            }
            Zone::Transverse {
                datum,
                meridian,
                number,
                utm_south,
                ..
            } => {
                let (scale, north) = match utm_south {
                    Some(true) => (0.9996, 10_000_000.0),
                    Some(false) => (0.9996, 0.0),
                    None => (1.0, 0.0),
                };
                let east = f64::from(number.unwrap_or(0)) * 1_000_000.0 + 500_000.0;
                format!(
                    "+proj=tmerc +lat_0=0 +lon_0={meridian} +k={scale} +x_0={east} +y_0={north} \
                     {} +units=m +no_defs",
                    datum.ellipsoid()
                )
            }
        }
    }
}

impl std::fmt::Display for Projected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "epsg:{}", self.0)
    }
}

/// The zone of an EPSG code, if Refuge knows it.
fn zone(code: u16) -> Option<Zone> {
    if code == WEB_MERCATOR {
        return Some(Zone::WebMercator);
    }
    for (first, south) in [(32601u16, false), (32701, true)] {
        if (first..first + 60).contains(&code) {
            let number = code - first + 1;
            return Some(Zone::Transverse {
                datum: Datum::Wgs84,
                meridian: f64::from(number) * 6.0 - 183.0,
                width: 6.0,
                number: None,
                utm_south: Some(south),
            });
        }
    }
    FAMILIES.iter().find_map(|family| {
        let index = code.checked_sub(family.first)?;
        (index < family.zones).then(|| Zone::Transverse {
            datum: family.datum,
            meridian: f64::from(family.first_meridian) + f64::from(index) * f64::from(family.width),
            width: f64::from(family.width),
            number: family.numbered_from.map(|first| first + index),
            utm_south: None,
        })
    })
}

/// The projection and the longitude/latitude system it converts to and from (no datum shift).
struct Transforms {
    projected: Proj,
    lon_lat: Proj,
}

/// The transforms of `crs`, made once per process.
fn transforms(crs: Projected) -> Result<Arc<Transforms>> {
    static MADE: OnceLock<RwLock<HashMap<u16, Arc<Transforms>>>> = OnceLock::new();
    let made = MADE.get_or_init(RwLock::default);
    if let Some(found) = made
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&crs.0)
    {
        return Ok(Arc::clone(found));
    }
    let proj = |definition: &str| {
        Proj::from_proj_string(definition).map_err(|e| {
            Error::field(
                "crs",
                format!("EPSG:{} cannot be set up ({definition}): {e}", crs.0),
            )
        })
    };
    let transforms = Arc::new(Transforms {
        projected: proj(&crs.definition())?,
        lon_lat: proj("+proj=longlat +ellps=WGS84 +no_defs")?,
    });
    made.write()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(crs.0, Arc::clone(&transforms));
    Ok(transforms)
}
