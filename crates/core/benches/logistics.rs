//! Logistics benchmarks: an allocation of scarce stock across 200 shelters from 50 depots, for 10
//! items (ten transportation problems, each a linear program, solved on every core as
//! `allocate` solves them); and a resupply plan for 5 items in a city of 2,000 depots, each
//! holding every item.
//!
//! `cargo bench -p refuge-core --bench logistics`. Seeded: the same instances every run.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use refuge_core::{
    Destination, FacilityDetails, FacilityId, ItemId, Movement, MovementKind, Need, ReserveDepot,
    ReserveTier, SpatialIndex, StockLedger, Transport, doc_support::shelter, plan_resupply,
};

#[path = "support/seeded.rs"]
mod seeded;
use seeded::Seeded;

/// One item's problem: 50 depots and 200 shelters in a 40 km city, the depots holding about 60%
/// of what the shelters need.
fn transport(seed: u64) -> Transport {
    let mut random = Seeded(seed | 1);
    let place = |random: &mut Seeded| (random.below(40_000) as f64, random.below(40_000) as f64);
    let depots: Vec<(f64, f64)> = (0..50).map(|_| place(&mut random)).collect();
    let shelters: Vec<(f64, f64)> = (0..200).map(|_| place(&mut random)).collect();
    let needs: Vec<u64> = (0..200).map(|_| 100 + random.below(4_900)).collect();
    let demand: u64 = needs.iter().sum();
    let stock: Vec<u64> = (0..50)
        .map(|_| demand * 6 / 10 / 50 / 2 + random.below(demand * 6 / 10 / 50))
        .collect();
    let metres = depots
        .iter()
        .map(|(x, y)| {
            shelters
                .iter()
                .map(|(u, v)| ((x - u).powi(2) + (y - v).powi(2)).sqrt())
                .collect()
        })
        .collect();
    Transport {
        stock,
        needs,
        metres,
    }
}

fn allocation(c: &mut Criterion) {
    let items: Vec<Transport> = (1..=10).map(|item| transport(item * 7_919)).collect();
    let mut group = c.benchmark_group("allocation");
    group.sample_size(10);
    group.bench_function("200 shelters x 50 depots x 10 items", |b| {
        b.iter(|| black_box(Transport::solve_each(&items).unwrap()));
    });
    group.finish();
}

fn resupply(c: &mut Criterion) {
    let mut random = Seeded(42);
    let day = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
    let items: Vec<ItemId> = [
        "bottled_water",
        "blanket",
        "rice",
        "tent_12m2",
        "hygiene_kit",
    ]
    .iter()
    .map(|item| ItemId::new(*item).unwrap())
    .collect();
    let mut facilities = vec![shelter(1, 116.4, 39.9)];
    let mut ledger = StockLedger::new();
    for n in 2..2_002u64 {
        let mut depot = shelter(
            n,
            116.0 + random.below(8_000) as f64 / 10_000.0,
            39.6 + random.below(6_000) as f64 / 10_000.0,
        );
        let tier = [
            ReserveTier::Community,
            ReserveTier::Subdistrict,
            ReserveTier::District,
        ][n as usize % 3];
        let mut details = ReserveDepot::physical(tier);
        details.parent = (tier != ReserveTier::District).then(|| FacilityId::new(n + 1).unwrap());
        depot.details = FacilityDetails::Reserve(details);
        facilities.push(depot);
        for item in &items {
            let movement = Movement {
                facility: FacilityId::new(n).unwrap(),
                item: item.clone(),
                kind: MovementKind::Receive {
                    lot: "l".into(),
                    quantity: 1 + random.below(200),
                    expires: None,
                },
                at: day.and_hms_opt(0, 0, 0).unwrap().and_utc(),
                by: None,
            };
            ledger.record(movement).unwrap();
        }
    }
    let index = SpatialIndex::new(facilities).unwrap();
    let needs: Vec<Need> = items
        .iter()
        .map(|item| Need {
            item: item.clone(),
            quantity: 2_000,
        })
        .collect();
    c.bench_function("resupply plan, 5 items, 2,000 depots", |b| {
        b.iter(|| {
            black_box(
                plan_resupply(
                    &index,
                    &ledger,
                    Destination::Facility(FacilityId::new(1).unwrap()),
                    &needs,
                    day,
                )
                .unwrap(),
            )
        });
    });
}

criterion_group!(benches, allocation, resupply);
criterion_main!(benches);
