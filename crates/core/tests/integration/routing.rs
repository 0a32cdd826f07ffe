//! Walking routes against Dijkstra on the raw segments: on random street grids with missing
//! blocks, a zone to walk around and ways people do not walk (motorways), every route is as long
//! as the shortest path brute force finds, walks no avoided segment, and is refused where brute
//! force finds none.

use std::collections::{BTreeMap, BinaryHeap};

use geo::{Intersects, Line};
use proptest::prelude::*;
use refuge_core::routing::{RouteError, WalkGraph};
use refuge_core::{BaseFeature, BaseLayer, GreatCircle, LonLat};

/// A lattice point of the test grid, near Beijing, about 110 m apart.
fn at(i: u32, j: u32) -> LonLat {
    LonLat::new(116.30 + f64::from(i) * 0.0013, 39.90 + f64::from(j) * 0.001).unwrap()
}

fn segment(n: u64, a: LonLat, b: LonLat, class: &str) -> BaseFeature {
    BaseFeature {
        id: n,
        layer: BaseLayer::Roads,
        class: class.into(),
        name: None,
        name_zh: None,
        geometry: geo::LineString::from(vec![(a.lon(), a.lat()), (b.lon(), b.lat())]).into(),
    }
}

/// Dijkstra over `segments` (walkable only), skipping those that cross `zone`: metres from `a`
/// to `b`, if they are connected.
fn brute(
    segments: &[(LonLat, LonLat, bool)],
    zone: Option<&geo::Polygon>,
    a: LonLat,
    b: LonLat,
) -> Option<f64> {
    let key = |p: LonLat| (p.lon().to_bits(), p.lat().to_bits());
    let mut next: BTreeMap<(u64, u64), Vec<(LonLat, f64)>> = BTreeMap::new();
    for (p, q, walkable) in segments {
        let crosses = zone.is_some_and(|z| z.intersects(&Line::new(p.point().0, q.point().0)));
        if !*walkable || crosses {
            continue;
        }
        let d = GreatCircle.distance_m(*p, *q);
        next.entry(key(*p)).or_default().push((*q, d));
        next.entry(key(*q)).or_default().push((*p, d));
    }
    #[derive(PartialEq)]
    struct Item(f64, LonLat);
    impl Eq for Item {}
    impl PartialOrd for Item {
        fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(other))
        }
    }
    impl Ord for Item {
        fn cmp(&self, other: &Self) -> std::cmp::Ordering {
            other.0.total_cmp(&self.0)
        }
    }
    let mut best: BTreeMap<(u64, u64), f64> = BTreeMap::new();
    let mut heap = BinaryHeap::from([Item(0.0, a)]);
    best.insert(key(a), 0.0);
    while let Some(Item(d, p)) = heap.pop() {
        if key(p) == key(b) {
            return Some(d);
        }
        if best.get(&key(p)).is_some_and(|&known| d > known) {
            continue;
        }
        for (q, w) in next.get(&key(p)).into_iter().flatten() {
            let candidate = d + w;
            if best.get(&key(*q)).is_none_or(|&known| candidate < known) {
                best.insert(key(*q), candidate);
                heap.push(Item(candidate, *q));
            }
        }
    }
    None
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn a_route_is_the_shortest_walk_around_what_it_avoids(
        size in 3u32..8,
        missing in prop::collection::vec(any::<bool>(), 128),
        motorways in prop::collection::vec(any::<bool>(), 128),
        ends in (0u32..64, 0u32..64, 0u32..64, 0u32..64),
        zone in prop::option::of((0u32..6, 0u32..6)),
    ) {
        // A grid of blocks: each side a way unless missing, some of them motorways.
        let mut segments = Vec::new();
        let mut features = Vec::new();
        let mut n = 0usize;
        for i in 0..size {
            for j in 0..size {
                for (di, dj) in [(1, 0), (0, 1)] {
                    if i + di >= size || j + dj >= size {
                        continue;
                    }
                    n += 1;
                    if missing[n % missing.len()] && n % 3 == 0 {
                        continue;
                    }
                    let walkable = !(motorways[n % motorways.len()] && n % 5 == 0);
                    let (a, b) = (at(i, j), at(i + di, j + dj));
                    segments.push((a, b, walkable));
                    features.push(segment(n as u64, a, b, if walkable { "residential" } else { "motorway" }));
                }
            }
        }
        let graph = WalkGraph::from_base(&features);
        let (si, sj, ei, ej) = ends;
        let (start, end) = (at(si % size, sj % size), at(ei % size, ej % size));
        // Both ends on a walkable way (else the route starts from the nearest one, which brute
        // force does not model).
        let on_a_way = |p: LonLat| segments.iter().any(|(a, b, w)| *w && (*a == p || *b == p));
        prop_assume!(on_a_way(start) && on_a_way(end));
        // A zone across the street between two columns, from the south edge up to a row: the
        // crossings there are closed.
        let zone = zone.map(|(zi, zj)| {
            let (west, north) = (at(zi % size, 0).lon(), at(0, zj % size).lat());
            geo::Rect::new((west + 0.0005, 39.8995), (west + 0.0008, north + 0.0005)).to_polygon()
        });
        let avoid: Vec<geo::Geometry> = zone.iter().cloned().map(Into::into).collect();
        let expected = brute(&segments, zone.as_ref(), start, end);
        match (graph.route(start, end, &avoid), expected) {
            (Ok(route), Some(metres)) => {
                prop_assert!((route.metres - metres).abs() < 1e-6, "{} vs {metres}", route.metres);
                prop_assert_eq!(route.line.first(), Some(&start));
                prop_assert_eq!(route.line.last(), Some(&end));
                if let Some(zone) = &zone {
                    for pair in route.line.windows(2) {
                        prop_assert!(!zone.intersects(&Line::new(pair[0].point().0, pair[1].point().0)));
                    }
                }
            }
            (Err(RouteError::NotConnected { .. }), None) => {}
            (got, want) => prop_assert!(false, "route {got:?}, brute force {want:?}"),
        }
    }
}

#[test]
fn a_place_far_from_every_way_is_refused_with_the_distance() {
    let features = [segment(1, at(0, 0), at(1, 0), "footway")];
    let graph = WalkGraph::from_base(&features);
    let far = LonLat::new(116.40, 39.90).unwrap();
    let error = graph.route(far, at(1, 0), &[]).unwrap_err();
    assert!(
        matches!(error, RouteError::OffTheGraph { which: "start", .. }),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("m from the nearest walkable way")
    );
    let route = graph.route(at(0, 0), at(1, 0), &[]).unwrap();
    assert!((route.minutes - route.metres / 72.0).abs() < 1e-9);
}

#[test]
fn without_a_base_map_the_refusal_says_how_to_get_ways() {
    let error = WalkGraph::from_base(&[])
        .route(at(0, 0), at(1, 0), &[])
        .unwrap_err();
    assert_eq!(error, RouteError::NoWays);
    assert!(
        error.to_string().contains("refuge import city.osm.pbf"),
        "{error}"
    );
}
