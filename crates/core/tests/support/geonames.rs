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
