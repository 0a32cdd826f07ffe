//! The demo city is built from the real Monaco extract by the written rules.

use refuge_core::{FacilityBrief, FacilityKind, Filter, LonLat, ReserveTier};
use refuge_io::demo::{demo_city, demo_time};

#[test]
fn the_demo_city_has_every_kind_of_facility() {
    let city = demo_city().unwrap();
    let count = |kind| city.facilities.iter().filter(|f| f.kind() == kind).count();
    let tiers = |tier| {
        city.facilities
            .iter()
            .filter(|f| f.reserve().is_some_and(|d| d.tier == tier))
            .count()
    };
    println!("{}", city.report);
    for kind in FacilityKind::ALL {
        println!("{kind}: {}", count(*kind));
    }
    assert_eq!(tiers(ReserveTier::District), 1);
    assert!(tiers(ReserveTier::Subdistrict) >= 2);
    assert!(tiers(ReserveTier::Community) >= 5, "one per quarter");
    assert!(
        count(FacilityKind::Shelter) >= 10,
        "parks, pitches and schools"
    );
    assert!(count(FacilityKind::MicroStorage) >= 5);
    assert!(
        count(FacilityKind::Hazard) >= 3,
        "fuel stations, port, coast"
    );
    assert!(
        count(FacilityKind::Poi) >= 20,
        "hospitals, pharmacies, AEDs, police…"
    );
    assert!(city.catalog.len() >= 30);
    let base_layers: std::collections::BTreeSet<_> = city.base.iter().map(|b| b.layer).collect();
    assert_eq!(
        base_layers.len(),
        5,
        "roads, buildings, water, landuse, boundaries"
    );
    // Every depot below the district has a parent depot one tier up.
    for depot in city.facilities.iter().filter_map(|f| f.reserve()) {
        if let Some(parent_tier) = depot.tier.parent() {
            let parent = depot
                .parent
                .and_then(|id| city.facilities.iter().find(|f| f.id == id));
            assert_eq!(
                parent.and_then(|p| p.reserve()).map(|d| d.tier),
                Some(parent_tier)
            );
        }
    }
}

#[test]
fn the_readme_query_returns_real_shelters_in_metres() {
    let city = demo_city().unwrap();
    let index = city.index(demo_time().date_naive()).unwrap();
    let origin = LonLat::new(7.4200, 43.7350).unwrap();
    let hits = index.nearest(origin, 3, &Filter::default().kind(FacilityKind::Shelter));
    assert_eq!(hits.len(), 3);
    for hit in &hits {
        assert!(
            hit.distance_m < 1_500.0,
            "Monaco is small: {}",
            hit.distance_m
        );
        let record = city
            .facilities
            .iter()
            .find(|f| f.id == hit.facility.id)
            .unwrap();
        assert!(
            record
                .source
                .record
                .as_deref()
                .is_some_and(|r| r.starts_with("way") || r.starts_with("relation"))
        );
    }
    assert!(hits.windows(2).all(|w| w[0].distance_m <= w[1].distance_m));
}

#[test]
fn the_demo_stock_is_derived_and_shows_the_planted_shortage() {
    let city = demo_city().unwrap();
    let day = demo_time().date_naive();
    let briefs: Vec<_> = city.facilities.iter().map(FacilityBrief::of).collect();
    let shortages = city.ledger.shortages(&briefs, &city.quotas, day);
    assert_eq!(shortages.len(), 1, "{shortages:?}");
    assert_eq!(shortages[0].item.as_str(), "bottled_water");
    assert_eq!((shortages[0].usable, shortages[0].minimum), (30, 50));
}

#[test]
fn the_demo_is_the_same_every_time() {
    let (a, b) = (demo_city().unwrap(), demo_city().unwrap());
    let ids = |c: &refuge_io::demo::City| c.facilities.iter().map(|f| f.id).collect::<Vec<_>>();
    assert_eq!(ids(&a), ids(&b));
}
