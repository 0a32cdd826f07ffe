//! k-nearest equals a brute-force great-circle ranking, at any latitude and across the antimeridian.

use proptest::prelude::*;
use refuge_core::{Filter, GreatCircle, LonLat, SpatialIndex, doc_support::shelter};

/// Brute force: every distance by haversine, sorted.
fn brute_force(points: &[(f64, f64)], origin: LonLat, k: usize) -> Vec<f64> {
    let mut distances: Vec<f64> = points
        .iter()
        .map(|&(lon, lat)| GreatCircle.distance_m(origin, LonLat::new(lon, lat).unwrap()))
        .collect();
    distances.sort_by(f64::total_cmp);
    distances.truncate(k);
    distances
}

fn index_of(points: &[(f64, f64)]) -> SpatialIndex {
    let facilities = (1..)
        .zip(points)
        .map(|(id, &(lon, lat))| shelter(id, lon, lat))
        .collect();
    SpatialIndex::new(facilities).unwrap()
}

/// The index's k distances equal brute force's, and each reported distance is the facility's
/// true haversine distance. Distances are compared, not ids, because equidistant points may come
/// in either order.
fn assert_same_ranking(points: &[(f64, f64)], origin: LonLat, k: usize) {
    let index = index_of(points);
    let hits = index.nearest(origin, k, &Filter::default());
    let expected = brute_force(points, origin, k);
    assert_eq!(hits.len(), expected.len());
    for (hit, want) in hits.iter().zip(&expected) {
        let true_distance = GreatCircle.distance_m(origin, hit.facility.location);
        assert!(
            (hit.distance_m - true_distance).abs() < 1e-3,
            "reported {} but the facility is {} m away",
            hit.distance_m,
            true_distance
        );
        assert!(
            (true_distance - want).abs() < 1e-3,
            "index ranked a facility at {true_distance} m where brute force has {want} m (origin {origin})"
        );
    }
}

fn lon() -> impl Strategy<Value = f64> {
    -180.0..=180.0f64
}

fn lat() -> impl Strategy<Value = f64> {
    -90.0..=90.0f64
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn anywhere_on_earth(
        points in prop::collection::vec((lon(), lat()), 1..300),
        origin in (lon(), lat()),
        k in 1usize..12,
    ) {
        assert_same_ranking(&points, LonLat::new(origin.0, origin.1).unwrap(), k);
    }

    #[test]
    fn near_the_poles(
        points in prop::collection::vec((lon(), 80.0..=90.0f64), 1..200),
        origin_lon in lon(),
        origin_lat in 84.0..=90.0f64,
        k in 1usize..8,
    ) {
        assert_same_ranking(&points, LonLat::new(origin_lon, origin_lat).unwrap(), k);
    }

    #[test]
    fn across_the_antimeridian(
        points in prop::collection::vec(
            (prop_oneof![175.0..=180.0f64, -180.0..=-175.0f64], -60.0..=60.0f64), 1..200),
        origin_lon in prop_oneof![178.0..=180.0f64, -180.0..=-178.0f64],
        origin_lat in -50.0..=50.0f64,
        k in 1usize..8,
    ) {
        assert_same_ranking(&points, LonLat::new(origin_lon, origin_lat).unwrap(), k);
    }

    /// Points metres apart, finer than the tree's f32 keys (≈ 0.6 m): the exact re-ranking must
    /// still return the true nearest.
    #[test]
    fn metre_scale_clusters(
        points in prop::collection::vec((116.4..=116.40005f64, 39.9..=39.90005f64), 1..200),
        origin in (116.39999..=116.40006f64, 39.89999..=39.90006f64),
        k in 1usize..10,
    ) {
        assert_same_ranking(&points, LonLat::new(origin.0, origin.1).unwrap(), k);
    }

    #[test]
    fn city_scale_at_beijing_latitude(
        points in prop::collection::vec((116.0..=116.8f64, 39.6..=40.2f64), 1..300),
        origin in (116.0..=116.8f64, 39.6..=40.2f64),
        k in 1usize..10,
    ) {
        assert_same_ranking(&points, LonLat::new(origin.0, origin.1).unwrap(), k);
    }
}

#[test]
fn degree_ranking_would_be_wrong_here_and_the_index_is_not() {
    // At Beijing's latitude a degree of longitude is 0.77 of a degree of latitude: the point
    // 0.012° east is nearer on the ground than the one 0.010° north, though farther in degrees.
    let origin = LonLat::new(116.40, 39.90).unwrap();
    let points = [(116.40, 39.91), (116.412, 39.90)];
    let index = index_of(&points);
    let nearest = index.nearest(origin, 1, &Filter::default());
    assert_eq!(
        nearest[0].facility.id.get(),
        2,
        "the eastern point is nearer"
    );
    assert!(
        (nearest[0].distance_m - 1_024.0).abs() < 5.0,
        "{}",
        nearest[0].distance_m
    );
}

#[test]
fn across_the_pole_the_nearest_is_on_the_other_side() {
    let origin = LonLat::new(0.0, 89.9).unwrap();
    let points = [(180.0, 89.9), (0.0, 89.0)];
    let index = index_of(&points);
    let nearest = index.nearest(origin, 1, &Filter::default());
    assert_eq!(
        nearest[0].facility.id.get(),
        1,
        "22 km over the pole beats 100 km south"
    );
}

/// Facilities of mixed kinds (one R-tree each): unfiltered answers merge every tree exactly, and a
/// kind filter equals brute force over that kind.
fn mixed(points: &[(f64, f64, u8)]) -> SpatialIndex {
    use refuge_core::{FacilityDetails, Poi, PoiKind, ReserveDepot, ReserveTier};
    let facilities = (1..)
        .zip(points)
        .map(|(id, &(lon, lat, kind))| {
            let mut facility = shelter(id, lon, lat);
            facility.details = match kind % 3 {
                0 => facility.details,
                1 => FacilityDetails::Reserve(ReserveDepot::physical(ReserveTier::Community)),
                _ => FacilityDetails::Poi(Poi {
                    poi_kind: PoiKind::Hospital,
                }),
            };
            facility
        })
        .collect();
    SpatialIndex::new(facilities).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 100, ..ProptestConfig::default() })]

    #[test]
    fn mixed_kinds_merge_exactly(
        points in prop::collection::vec((lon(), lat(), 0u8..3), 1..300),
        origin in (lon(), lat()),
        k in 1usize..12,
    ) {
        use refuge_core::FacilityKind;
        let origin = LonLat::new(origin.0, origin.1).unwrap();
        let index = mixed(&points);
        let distances = |only: Option<u8>| {
            let mut all: Vec<f64> = points
                .iter()
                .filter(|p| only.is_none_or(|kind| p.2 % 3 == kind))
                .map(|&(lon, lat, _)| GreatCircle.distance_m(origin, LonLat::new(lon, lat).unwrap()))
                .collect();
            all.sort_by(f64::total_cmp);
            all.truncate(k);
            all
        };
        for (filter, only) in [
            (Filter::default(), None),
            (Filter::default().kind(FacilityKind::Shelter), Some(0)),
            (Filter::default().kind(FacilityKind::Reserve), Some(1)),
            (Filter::default().kind(FacilityKind::Poi), Some(2)),
        ] {
            let hits = index.nearest(origin, k, &filter);
            let want = distances(only);
            prop_assert_eq!(hits.len(), want.len());
            for (hit, want) in hits.iter().zip(&want) {
                prop_assert!((hit.distance_m - want).abs() < 1e-3, "{} vs {}", hit.distance_m, want);
            }
        }
    }
}
