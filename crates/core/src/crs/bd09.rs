//! BD-09, Baidu's offset applied on top of GCJ-02 (everywhere, as Baidu's own converters do).

use crate::{LonLat, Result};

/// The angular constant of the BD-09 offset: π · 3000 / 180.
const X_PI: f64 = std::f64::consts::PI * 3000.0 / 180.0;

/// GCJ-02 → BD-09.
pub(super) fn from_gcj02(g: LonLat) -> LonLat {
    let (x, y) = (g.lon(), g.lat());
    let z = (x * x + y * y).sqrt() + 0.000_02 * (y * X_PI).sin();
    let theta = y.atan2(x) + 0.000_003 * (x * X_PI).cos();
    let (lon, lat) = (z * theta.cos() + 0.0065, z * theta.sin() + 0.006);
    // The offset is about a kilometre; only a point at a range edge could leave it, and keeps g.
    LonLat::new(lon, lat).unwrap_or(g)
}

/// BD-09 → GCJ-02, solved iteratively (the usual closed-form inverse is only good to about a metre).
pub(super) fn to_gcj02(b: LonLat) -> Result<LonLat> {
    super::invert(b, from_gcj02)
}
