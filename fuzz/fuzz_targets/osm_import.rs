//! An OpenStreetMap PBF of any bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use refuge_core::Crs;
use refuge_io::{ImportOptions, read_osm};

fuzz_target!(|data: &[u8]| {
    let _ = read_osm(data, &ImportOptions::new("fuzz.osm.pbf", Crs::Wgs84));
});
