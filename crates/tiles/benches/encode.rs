//! Encoding one tile, uncached, on the demo city: facilities and base at z12, z14 and z16.
//!
//! `cargo bench -p refuge-tiles --bench encode`

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use refuge_io::demo::{demo_city, demo_time};
use refuge_tiles::{BaseMap, HazardZones, Sources, TileCoord, Tileset, encode, world};

fn tile_of(z: u8, lon: f64, lat: f64) -> TileCoord {
    let w = world(lon, lat);
    let n = f64::from(1u32 << z);
    TileCoord::new(z, (w.x * n) as u32, (w.y * n) as u32).unwrap()
}

fn bench(c: &mut Criterion) {
    let city = demo_city().unwrap();
    let index = city.index(demo_time().date_naive()).unwrap();
    let base = BaseMap::new(city.base.clone());
    let zones = HazardZones::new();
    let sources = Sources {
        index: &index,
        base: &base,
        zones: &zones,
        coverage: None,
        cancel: &refuge_tiles::Cancel::default(),
    };
    let mut group = c.benchmark_group("encode");
    for z in [12u8, 14, 16] {
        let tile = tile_of(z, 7.4200, 43.7350);
        for tileset in [Tileset::Facilities, Tileset::Base] {
            group.bench_function(format!("{}/z{z}", tileset.name()), |b| {
                b.iter(|| encode(tileset, tile, sources).unwrap())
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
