//! GeoJSON and newline-delimited GeoJSON of any bytes, as facilities and as base-map features.
#![no_main]

use libfuzzer_sys::fuzz_target;
use refuge_core::{BaseLayer, Crs, FacilityKind};
use refuge_io::{GeoJsonTarget, Import, ImportOptions, stream_geojson, stream_ndjson};

fuzz_target!(|data: &[u8]| {
    let options = ImportOptions::new("fuzz.geojson", Crs::Gcj02).kind(FacilityKind::Hazard);
    for target in [
        GeoJsonTarget::Facilities,
        GeoJsonTarget::Base(BaseLayer::Boundaries),
    ] {
        let _ = stream_geojson(data, target, &options, &mut Import::new("fuzz"));
        let _ = stream_ndjson(data, target, &options, &mut Import::new("fuzz"));
    }
});
