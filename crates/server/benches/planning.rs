//! Coverage of a population by shelters (issue 12): Beijing's 21.9M census residents at H3
//! resolution 9 (217,626 cells over 16,410 km²) against its 1,181 real shelters (target ≤ 1 s),
//! and one million cells against 100,000 shelters (target ≤ 10 s).
//!
//! `cargo bench -p refuge-server --bench planning`; the Beijing part needs `../shared/data/cn`.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use geo::{MultiPolygon, Rect};
use refuge_core::doc_support::shelter;
use refuge_core::planning::{CoverageOptions, District, PopulationLayer, coverage};
use refuge_core::{Crs, FacilityKind, SpatialIndex};

fn beijing(c: &mut Criterion) {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/cn");
    let open = |name: &str| BufReader::new(File::open(data.join(name)).unwrap());
    if !data.join("shelters-beijing-gcj02.csv").exists() {
        eprintln!(
            "SKIPPED: {} is absent; this needs ../shared/data",
            data.display()
        );
        return;
    }
    let options = refuge_io::ImportOptions::new("beijing", Crs::Gcj02).kind(FacilityKind::Shelter);
    let columns = refuge_io::CsvColumns {
        lon: None,
        lat: None,
    };
    let shelters = refuge_io::read_csv(open("shelters-beijing-gcj02.csv"), &columns, &options)
        .unwrap()
        .facilities;
    let districts =
        refuge_io::read_districts(open("districts-beijing.geojson"), "districts", Crs::Wgs84)
            .unwrap();
    let (layer, _) = refuge_io::read_population(
        open("population-beijing-2020.csv"),
        "census",
        Crs::Wgs84,
        &districts,
        &[],
        9,
    )
    .unwrap();
    println!(
        "Beijing: {} shelters, {} cells",
        shelters.len(),
        layer.cells.len()
    );
    // A scenario: a flood zone of about 10 km x 10 km over the city centre, ten shelters out
    // of service, 1.2 times the people.
    let out_of_service = shelters.iter().skip(100).take(10).map(|f| f.id).collect();
    let index = SpatialIndex::new(shelters).unwrap();
    let mut group = c.benchmark_group("coverage");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.bench_function("beijing_res9_217k_cells_1181_shelters", |b| {
        b.iter(|| coverage(&index, &layer, CoverageOptions::default()).unwrap())
    });
    let mut zone = shelter(9_000_000, 116.40, 39.91);
    let mut flood = refuge_core::HazardSource::new(
        refuge_core::HazardKind::FloodZone,
        refuge_core::RiskLevel::Major,
        0.0,
    )
    .unwrap();
    flood.zone = Some(
        Rect::new((116.34, 39.865), (116.46, 39.955))
            .to_polygon()
            .into(),
    );
    zone.details = refuge_core::FacilityDetails::Hazard(flood);
    let scenario = refuge_core::planning::Scenario {
        name: "central flood".into(),
        hazard: refuge_core::HazardType::Flood,
        zones: vec![zone],
        out_of_service,
        demand_multiplier: 1.2,
    };
    group.bench_function("beijing_scenario_before_and_after", |b| {
        b.iter(|| {
            refuge_core::planning::run_scenario(&index, Some(&layer), &scenario, &[], 5_000_000)
                .unwrap()
        })
    });
    group.finish();
}

fn million(c: &mut Criterion) {
    // A square district of about 105,000 km² at 35° N, spread evenly at resolution 9.
    let area = MultiPolygon(vec![Rect::new((110.0, 33.5), (113.6, 36.5)).to_polygon()]);
    let district = District {
        name: "square".into(),
        code: "1".into(),
        area,
    };
    let layer = PopulationLayer::from_district_totals(
        "synthetic".into(),
        &[district],
        &[50_000_000.0],
        &[],
        9,
    )
    .unwrap();
    // 100,000 shelters on a jittered grid over it.
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    let shelters = (1..=100_000)
        .map(|n| shelter(n, 110.0 + 3.6 * next(), 33.5 + 3.0 * next()))
        .collect();
    let index = SpatialIndex::new(shelters).unwrap();
    println!("synthetic: 100,000 shelters, {} cells", layer.cells.len());
    let mut group = c.benchmark_group("coverage");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(60));
    group.bench_function("1m_cells_100k_shelters", |b| {
        b.iter(|| coverage(&index, &layer, CoverageOptions::default()).unwrap())
    });
    group.finish();
}

criterion_group!(benches, beijing, million);
criterion_main!(benches);
