//! Start-up from the store: open the SQLite file, read every facility and movement, replay the
//! stock ledger and build the index, for 1M facilities (the 135k GeoNames places repeated with a
//! seeded jitter). Target: ≤ 3 s.
//!
//! `cargo bench -p refuge-server --bench startup`; needs `../shared/data/bench/geonames-cities-135k.csv.gz`.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use refuge_core::doc_support::shelter;
use refuge_server::{AppState, Config};
use refuge_store::{Contents, Store};

#[path = "../../core/tests/support/geonames.rs"]
mod geonames_data;

fn bench(c: &mut Criterion) {
    let Some(real) = geonames_data::load() else {
        return;
    };
    let facilities = (1..)
        .zip(geonames_data::jittered(&real, 1_000_000))
        .map(|(id, (lon, lat))| shelter(id, lon, lat))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("million.db");
    let seeding = std::time::Instant::now();
    Store::open(&path)
        .unwrap()
        .seed(&Contents {
            facilities,
            ..Contents::default()
        })
        .unwrap();
    println!(
        "seeded 1,000,000 facilities in {:.1} s; store file {} MB",
        seeding.elapsed().as_secs_f64(),
        std::fs::metadata(&path).unwrap().len() >> 20
    );
    let mut group = c.benchmark_group("startup");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(40));
    group.bench_function("open_store_and_index_1m", |b| {
        b.iter(|| {
            let state =
                AppState::open(Store::open(&path).unwrap(), None, Config::default()).unwrap();
            assert_eq!(state.index.snapshot().len(), 1_000_000);
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
