//! GCJ-02, the datum Chinese law requires of published maps of the mainland.
//!
//! The forward transform is the published algorithm (Krasovsky 1940 ellipsoid constants, a fixed
//! polynomial-trigonometric offset around 105° E, 35° N). It applies only inside mainland China;
//! elsewhere GCJ-02 equals WGS84. The inverse has no closed form and is solved iteratively to 1e-10°.

use std::f64::consts::PI;

use crate::{LonLat, Result};

/// Semi-major axis of the Krasovsky 1940 ellipsoid the algorithm uses, metres.
const KRASOVSKY_A: f64 = 6_378_245.0;
/// First eccentricity squared of the Krasovsky 1940 ellipsoid.
const KRASOVSKY_EE: f64 = 0.006_693_421_622_965_943;

/// WGS84 → GCJ-02. Identity outside mainland China.
pub(super) fn from_wgs84(p: LonLat) -> LonLat {
    if !super::in_mainland_china(p) {
        return p;
    }
    shifted(p)
}

/// The position moved by the GCJ-02 offset, wherever it is.
fn shifted(p: LonLat) -> LonLat {
    let (dlon, dlat) = offset(p.lon(), p.lat());
    // The offset is at most a few hundred metres, far from any range edge inside China.
    LonLat::new(p.lon() + dlon, p.lat() + dlat).unwrap_or(p)
}

/// GCJ-02 → WGS84, exact to 1e-10° (about 0.01 mm).
pub(super) fn to_wgs84(g: LonLat) -> Result<LonLat> {
    if !super::in_mainland_china(g) {
        return Ok(g);
    }
    // The outline is asked once, about the given point: the iterates lie within a few hundred
    // metres of it and are moved by the offset itself (asking the outline at each one cost four
    // times as much and changes nothing away from the border).
    super::invert(g, shifted)
}

/// The GCJ-02 offset in degrees (Δlon, Δlat) at a WGS84 position.
fn offset(lon: f64, lat: f64) -> (f64, f64) {
    let (x, y) = (lon - 105.0, lat - 35.0);
    let dlat = lat_shift(x, y);
    let dlon = lon_shift(x, y);
    let rad_lat = lat.to_radians();
    let magic = 1.0 - KRASOVSKY_EE * rad_lat.sin().powi(2);
    let sqrt_magic = magic.sqrt();
    let dlat_deg =
        (dlat * 180.0) / ((KRASOVSKY_A * (1.0 - KRASOVSKY_EE)) / (magic * sqrt_magic) * PI);
    let dlon_deg = (dlon * 180.0) / (KRASOVSKY_A / sqrt_magic * rad_lat.cos() * PI);
    (dlon_deg, dlat_deg)
}

fn lat_shift(x: f64, y: f64) -> f64 {
    -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * x.abs().sqrt()
        + (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0
        + (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0
        + (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0
}

fn lon_shift(x: f64, y: f64) -> f64 {
    300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * x.abs().sqrt()
        + (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0
        + (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0
        + (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0
}
