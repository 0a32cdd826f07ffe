//! Walking routes: the shortest walk by A* over the walking graph, on Monaco's OpenStreetMap ways
//! (the demo city's base map) and on a city-sized graph of about 1M edges: a 21 km square of
//! streets 30 m apart, each crossing moved a little, with some blocks merged (streets left out)
//! and footpaths across others. Routes run between seeded random points 0.5 to 3 km apart, as far
//! as people walk to a shelter; the same again around a flood zone 1 km wide across the city.
//!
//! `cargo bench -p refuge-core --bench routing`. Seeded: the same graphs and routes every run.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use geo::{Geometry, LineString, Polygon, coord};
use refuge_core::routing::WalkGraph;
use refuge_core::{BaseFeature, BaseLayer, GreatCircle, LonLat};

#[path = "support/seeded.rs"]
mod seeded;
use seeded::Seeded;

/// Crossings per side of the synthetic city, 30 m apart: 708² crossings, about 1M street segments.
const SIDE: usize = 708;
const SPACING_M: f64 = 30.0;
/// The city's south-west corner, at Beijing's latitude, where a degree of longitude is 85 km.
const ORIGIN: (f64, f64) = (116.2, 39.8);

fn crossing(i: usize, j: usize) -> (f64, f64) {
    // Each crossing moved by up to a quarter of the spacing, the same way every time it is asked.
    let mut jitter = Seeded((i as u64) << 32 | j as u64 | 1);
    for _ in 0..3 {
        jitter.next();
    }
    let (dx, dy) = (jitter.unit() - 0.5, jitter.unit() - 0.5);
    let metres_per_lon = 111_320.0 * ORIGIN.1.to_radians().cos();
    (
        ORIGIN.0 + (i as f64 + dx * 0.5) * SPACING_M / metres_per_lon,
        ORIGIN.1 + (j as f64 + dy * 0.5) * SPACING_M / 110_574.0,
    )
}

fn segment(id: u64, class: &str, a: (f64, f64), b: (f64, f64)) -> BaseFeature {
    BaseFeature {
        id,
        layer: BaseLayer::Roads,
        class: class.into(),
        name: None,
        name_zh: None,
        geometry: Geometry::LineString(LineString::from(vec![a, b])),
    }
}

/// The synthetic city's streets: 8 % of the grid's segments left out, a footpath across one block
/// in ten.
fn city_streets() -> Vec<BaseFeature> {
    let mut random = Seeded(2026);
    let mut features = Vec::with_capacity(2 * SIDE * SIDE);
    for i in 0..SIDE {
        for j in 0..SIDE {
            let here = crossing(i, j);
            if i + 1 < SIDE && random.unit() > 0.08 {
                features.push(segment(
                    features.len() as u64,
                    "residential",
                    here,
                    crossing(i + 1, j),
                ));
            }
            if j + 1 < SIDE && random.unit() > 0.08 {
                features.push(segment(
                    features.len() as u64,
                    "residential",
                    here,
                    crossing(i, j + 1),
                ));
            }
            if i + 1 < SIDE && j + 1 < SIDE && random.unit() < 0.1 {
                features.push(segment(
                    features.len() as u64,
                    "footway",
                    here,
                    crossing(i + 1, j + 1),
                ));
            }
        }
    }
    features
}

/// `n` pairs of points within `bounds` (west, south, east, north) that lie 0.5 to 3 km apart.
fn walks(bounds: [f64; 4], n: usize, seed: u64) -> Vec<(LonLat, LonLat)> {
    let mut random = Seeded(seed);
    let point = |random: &mut Seeded| {
        LonLat::new(
            bounds[0] + random.unit() * (bounds[2] - bounds[0]),
            bounds[1] + random.unit() * (bounds[3] - bounds[1]),
        )
        .unwrap()
    };
    let mut pairs = Vec::with_capacity(n);
    while pairs.len() < n {
        let (a, b) = (point(&mut random), point(&mut random));
        if (500.0..=3_000.0).contains(&GreatCircle.distance_m(a, b)) {
            pairs.push((a, b));
        }
    }
    pairs
}

fn bench_routes(
    c: &mut Criterion,
    name: &str,
    graph: &WalkGraph,
    pairs: &[(LonLat, LonLat)],
    avoid: &[Geometry],
) {
    let found = pairs
        .iter()
        .filter(|(a, b)| graph.route(*a, *b, avoid).is_ok())
        .count();
    eprintln!("{name}: {found} of {} walks found", pairs.len());
    let mut at = 0;
    c.bench_function(name, |b| {
        b.iter(|| {
            let (start, end) = pairs[at % pairs.len()];
            at += 1;
            black_box(graph.route(start, end, avoid).ok())
        })
    });
}

fn routing(c: &mut Criterion) {
    let city = refuge_io::demo::demo_city().expect("the demo city");
    let monaco = WalkGraph::from_base(&city.base);
    let (nodes, edges) = monaco.size();
    eprintln!("Monaco: {nodes} nodes, {edges} edges");
    let monaco_walks = walks([7.409, 43.725, 7.437, 43.749], 200, 7);
    bench_routes(c, "route/monaco", &monaco, &monaco_walks, &[]);

    let started = std::time::Instant::now();
    let streets = city_streets();
    let city = WalkGraph::from_base(&streets);
    drop(streets);
    let (nodes, edges) = city.size();
    eprintln!(
        "city: {nodes} nodes, {edges} edges, made in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let (west, south) = crossing(0, 0);
    let (east, north) = crossing(SIDE - 1, SIDE - 1);
    let city_walks = walks([west, south, east, north], 200, 11);
    bench_routes(c, "route/city_1m_edges", &city, &city_walks, &[]);

    // A flood zone 1 km wide and 4 km long in the middle of the city; walks from south of it to
    // north of it go around one of its ends.
    let (centre_lon, middle) = ((west + east) / 2.0, (south + north) / 2.0);
    let half_lat = 500.0 / 110_574.0;
    let half_lon = 2_000.0 / (111_320.0 * middle.to_radians().cos());
    let corner = |x: f64, y: f64| coord! { x: centre_lon + x * half_lon, y: middle + y * half_lat };
    let zone = Geometry::Polygon(Polygon::new(
        LineString::from(vec![
            corner(-1.0, -1.0),
            corner(1.0, -1.0),
            corner(1.0, 1.0),
            corner(-1.0, 1.0),
            corner(-1.0, -1.0),
        ]),
        vec![],
    ));
    let mut random = Seeded(13);
    let near_zone: Vec<(LonLat, LonLat)> = (0..200)
        .map(|_| {
            let lon = centre_lon + (random.unit() * 1.6 - 0.8) * half_lon;
            let start = LonLat::new(
                lon,
                middle - half_lat - (100.0 + random.unit() * 900.0) / 110_574.0,
            );
            let end = LonLat::new(lon + 0.003, middle + half_lat + 500.0 / 110_574.0);
            (start.unwrap(), end.unwrap())
        })
        .collect();
    bench_routes(
        c,
        "route/city_1m_edges_around_a_zone",
        &city,
        &near_zone,
        &[zone],
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = routing
}
criterion_main!(benches);
