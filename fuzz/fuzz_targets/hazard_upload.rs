//! A hazard feature as an upload sends it: parsed, its zone checked; never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use refuge_core::{Crs, FacilityKind};
use refuge_io::{ImportOptions, facility_from_feature};

fuzz_target!(|data: &[u8]| {
    let Ok(feature) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let options = ImportOptions::new("hazard-upload", Crs::Wgs84).kind(FacilityKind::Hazard);
    if let Ok(facility) = facility_from_feature(feature, &options, "fuzz") {
        let _ = facility.validate();
    }
});
