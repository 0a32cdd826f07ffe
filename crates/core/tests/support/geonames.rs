//! The 135k real GeoNames places of `../shared/data`, for the index tests and benchmarks.

use std::io::Read;

/// Reads `../shared/data/bench/geonames-cities-135k.csv.gz`, or `None` with a message if absent.
pub fn load() -> Option<Vec<(f64, f64)>> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/bench/geonames-cities-135k.csv.gz"
    );
    let Ok(file) = std::fs::File::open(path) else {
        eprintln!("SKIPPED: {path} is absent; this needs ../shared/data");
        return None;
    };
    let mut text = String::new();
    flate2::read::GzDecoder::new(file)
        .read_to_string(&mut text)
        .unwrap();
    let points = text
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.rsplitn(3, ',').collect();
            Some((fields.get(1)?.parse().ok()?, fields.first()?.parse().ok()?))
        })
        .collect::<Vec<(f64, f64)>>();
    Some(points)
}

/// `count` points: the real places repeated with a seeded jitter of up to ±0.05° (xorshift),
/// clamped to the valid range. The same every time.
#[allow(dead_code)] // not every includer uses it
pub fn jittered(real: &[(f64, f64)], count: usize) -> Vec<(f64, f64)> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state as f64 / u64::MAX as f64 - 0.5) * 0.1
    };
    real.iter()
        .cycle()
        .take(count)
        .map(|&(lon, lat)| {
            (
                (lon + next()).clamp(-180.0, 180.0),
                (lat + next()).clamp(-90.0, 90.0),
            )
        })
        .collect()
}
