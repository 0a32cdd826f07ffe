//! The real GeoNames cities (135k points): the index agrees with brute force.

use refuge_core::{Filter, GreatCircle, LonLat, SpatialIndex, doc_support::shelter};

#[path = "../support/geonames.rs"]
mod geonames_data;
use geonames_data::load;

#[test]
fn knn_on_135k_real_places_equals_brute_force() {
    let Some(points) = load() else { return };
    assert!(points.len() > 130_000, "read {} places", points.len());
    let facilities = (1..)
        .zip(&points)
        .map(|(id, &(lon, lat))| shelter(id, lon, lat))
        .collect();
    let index = SpatialIndex::new(facilities).unwrap();
    // Origins: Beijing, Tromsø, Suva (by the antimeridian), McMurdo, Quito, and every 997th place.
    let mut origins = vec![
        (116.40, 39.90),
        (18.96, 69.65),
        (178.44, -18.14),
        (166.67, -77.85),
        (-78.47, -0.18),
    ];
    origins.extend(points.iter().step_by(997).copied());
    for (lon, lat) in origins {
        let origin = LonLat::new(lon, lat).unwrap();
        let hits = index.nearest(origin, 5, &Filter::default());
        let mut brute: Vec<f64> = points
            .iter()
            .map(|&(lon, lat)| GreatCircle.distance_m(origin, LonLat::new(lon, lat).unwrap()))
            .collect();
        brute.sort_by(f64::total_cmp);
        for (hit, want) in hits.iter().zip(&brute) {
            assert!(
                (hit.distance_m - want).abs() < 1e-3,
                "at {origin}: {} vs {want}",
                hit.distance_m
            );
        }
    }
}
