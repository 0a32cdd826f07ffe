//! A CSV file of any bytes: read, or refused with an error; never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use refuge_core::{Crs, FacilityKind};
use refuge_io::{CsvColumns, ImportOptions, read_csv, read_stock_csv};

fuzz_target!(|data: &[u8]| {
    for crs in [Crs::Wgs84, Crs::Gcj02, Crs::Bd09] {
        let options = ImportOptions::new("fuzz.csv", crs).kind(FacilityKind::Shelter);
        let _ = read_csv(data, &CsvColumns::default(), &options);
    }
    let _ = read_stock_csv(data, "fuzz-stock.csv");
});
