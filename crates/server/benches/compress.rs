//! What compressing a tile costs at each brotli quality and with gzip, on the demo city's densest
//! tiles: the first request for a tile pays for it, so the first brotli must be fast.
//!
//! `cargo bench -p refuge-server --bench compress`

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;

use criterion::{Criterion, criterion_group, criterion_main};
use refuge_io::demo::{demo_city, demo_time};
use refuge_tiles::{BaseMap, HazardZones, Sources, TileCoord, Tileset, encode, world};

fn tile_of(z: u8, lon: f64, lat: f64) -> TileCoord {
    let w = world(lon, lat);
    let n = f64::from(1u32 << z);
    TileCoord::new(z, (w.x * n) as u32, (w.y * n) as u32).unwrap()
}

fn brotli(data: &[u8], quality: i32) -> Vec<u8> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &data[..], &mut out, &params).unwrap();
    out
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
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
    let mut group = c.benchmark_group("compress");
    for (tileset, z) in [(Tileset::Base, 14u8), (Tileset::Facilities, 14)] {
        let tile = encode(tileset, tile_of(z, 7.4200, 43.7350), sources).unwrap();
        let name = format!("{}_z{z}", tileset.name());
        for quality in [1, 3, 5, 9, 11] {
            println!(
                "{name}: {} bytes, brotli {quality}: {} bytes",
                tile.len(),
                brotli(&tile, quality).len()
            );
            group.bench_function(format!("{name}/brotli_{quality}"), |b| {
                b.iter(|| brotli(&tile, quality))
            });
        }
        println!("{name}: gzip: {} bytes", gzip(&tile).len());
        group.bench_function(format!("{name}/gzip"), |b| b.iter(|| gzip(&tile)));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
