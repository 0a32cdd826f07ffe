//! Index benchmarks on real points: bulk load, k=5 nearest, one write, one stock change and a
//! compaction at 135k (GeoNames) and 1M (the same places with a seeded jitter of up to ±0.05°),
//! and bytes of index per facility.
//!
//! `cargo bench -p refuge-core --bench index`; needs `../shared/data/bench/geonames-cities-135k.csv.gz`.
//! `REFUGE_BENCH_10M=1` adds 10M jittered points (about 12 GB of memory at the peak); filter to
//! the figures wanted, e.g. `-- jittered_10m/nearest`, since a whole rebuild at 10M takes seconds.

// The counting allocator needs `unsafe impl GlobalAlloc`; it exists only in this benchmark.
#![allow(unsafe_code, missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use refuge_core::{Facility, Filter, ItemId, LonLat, SpatialIndex, doc_support::shelter};

/// Counts live heap bytes, and their peak, to measure what the index itself allocates.
struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

#[path = "../tests/support/geonames.rs"]
mod geonames_data;

fn facilities(points: &[(f64, f64)]) -> Vec<Facility> {
    (1..)
        .zip(points)
        .map(|(id, &(lon, lat))| shelter(id, lon, lat))
        .collect()
}

fn bench(c: &mut Criterion) {
    let Some(real) = geonames_data::load() else {
        return;
    };
    let mut sets = vec![
        ("geonames_135k", real.clone()),
        ("jittered_1m", geonames_data::jittered(&real, 1_000_000)),
    ];
    // 10M whole records take about 8 GB before the index is built: only when asked.
    if std::env::var_os("REFUGE_BENCH_10M").is_some() {
        sets.push(("jittered_10m", geonames_data::jittered(&real, 10_000_000)));
    }
    for (name, points) in &sets {
        let records = facilities(points);
        // Everything the index holds, what it keeps of each facility included: the records
        // handed over are consumed and freed.
        let before = LIVE.load(Ordering::Relaxed);
        let index = SpatialIndex::new(records.clone()).unwrap();
        let index_bytes = LIVE.load(Ordering::Relaxed) - before;
        println!(
            "{name}: the index holds {:.1} bytes per facility, what it keeps of each included ({} facilities; a whole record is {} bytes and its text besides)",
            index_bytes as f64 / points.len() as f64,
            points.len(),
            size_of::<Facility>()
        );

        let mut group = c.benchmark_group(format!("index/{name}"));
        group.sample_size(10);
        group.bench_function("bulk_load", |b| {
            b.iter_batched(
                || records.clone(),
                |r| SpatialIndex::new(r).unwrap(),
                criterion::BatchSize::LargeInput,
            )
        });
        let origins: Vec<LonLat> = points
            .iter()
            .step_by(997)
            .map(|&(lon, lat)| LonLat::new(lon, lat).unwrap())
            .collect();
        group.sample_size(50);
        let mut n = 0;
        group.bench_with_input(
            BenchmarkId::new("nearest_k5", points.len()),
            &index,
            |b, index| {
                b.iter(|| {
                    n = (n + 1) % origins.len();
                    black_box(index.nearest(origins[n], 5, &Filter::default()).len())
                })
            },
        );
        // The same index after 1,000 single writes (facilities moved by about 100 m), as a
        // server holds it between compactions: three layers to read and to write on.
        let mut layered = index.clone();
        for record in records.iter().step_by(records.len() / 1_000).take(1_000) {
            layered = layered.with_changes(vec![moved(record)], &[]).unwrap();
        }
        println!(
            "{name}: {} changes above the base",
            layered.pending_changes()
        );
        let mut n = 0;
        group.bench_function("nearest_k5_after_1000_writes", |b| {
            b.iter(|| {
                n = (n + 1) % origins.len();
                black_box(layered.nearest(origins[n], 5, &Filter::default()).len())
            })
        });
        let mut n = 0;
        group.bench_function("write_one", |b| {
            b.iter(|| {
                n = (n + 7_919) % records.len();
                black_box(layered.with_changes(vec![moved(&records[n])], &[]).unwrap())
            })
        });
        let water = ItemId::new("bottled_water").unwrap();
        let mut n = 0;
        group.bench_function("stock_level_one", |b| {
            b.iter(|| {
                n = (n + 7_919) % records.len();
                black_box(layered.with_stock_levels([(records[n].id, water.clone(), 40)]))
            })
        });
        // What a compaction allocates beyond the snapshot it starts from, at its peak: folding
        // the changes into the one base part that has the most of them, against rebuilding the
        // whole base.
        for (how, compaction) in [
            (
                "a fold into one base part",
                SpatialIndex::folded_into_base as Compaction,
            ),
            ("a rebuild of the whole base", SpatialIndex::rebuilt),
        ] {
            let before = LIVE.load(Ordering::Relaxed);
            PEAK.store(before, Ordering::Relaxed);
            let compacted = compaction(&layered).unwrap();
            println!(
                "{name}: {how} allocates at most {:.1} MB besides the snapshot",
                (PEAK.load(Ordering::Relaxed) - before) as f64 / 1e6
            );
            drop(compacted);
        }
        group.sample_size(10);
        group.bench_function("compact", |b| b.iter(|| black_box(layered.compacted())));
        group.bench_function("fold_into_base_part", |b| {
            b.iter(|| black_box(layered.folded_into_base()))
        });
        group.bench_function("rebuild_base", |b| b.iter(|| black_box(layered.rebuilt())));
        group.finish();
    }
}

type Compaction = fn(&SpatialIndex) -> refuge_core::Result<SpatialIndex>;

/// The facility about 100 m further north-east.
fn moved(facility: &Facility) -> Facility {
    let mut moved = facility.clone();
    let (lon, lat) = (facility.location.lon(), facility.location.lat());
    moved.location = LonLat::new((lon + 0.001).min(180.0), (lat + 0.001).min(90.0)).unwrap();
    moved
}

criterion_group!(benches, bench);
criterion_main!(benches);
