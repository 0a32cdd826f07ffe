//! Shelters that are safe in a hazard: a zone or source in force that brings the hazard puts the
//! shelters it threatens out of the answer, and `nearest_safe` equals brute force over every
//! shelter on random cities; the nearer shelters passed over are listed with why.

use geo::{Contains, Distance, Haversine, Point, Polygon, Rect};
use proptest::prelude::*;
use refuge_core::{
    Facility, FacilityDetails, FacilityId, Filter, HazardKind, HazardSource, HazardType,
    LiveStatus, LonLat, RiskLevel, Skip, SpatialIndex, doc_support::shelter,
};

fn id(n: u64) -> FacilityId {
    FacilityId::new(n).unwrap()
}

/// A hazard of `kind` at a point, with a zone if given.
fn hazard(
    n: u64,
    kind: HazardKind,
    at: (f64, f64),
    radius: f64,
    zone: Option<Polygon>,
) -> Facility {
    let mut facility = shelter(n, at.0, at.1);
    let mut source = HazardSource::new(kind, RiskLevel::Large, radius).unwrap();
    source.zone = zone.map(Into::into);
    facility.details = FacilityDetails::Hazard(source);
    facility
}

/// A shelter suitable for earthquakes, floods and fires.
fn safe_shelter(n: u64, lon: f64, lat: f64) -> Facility {
    let mut facility = shelter(n, lon, lat);
    if let FacilityDetails::Shelter(s) = &mut facility.details {
        s.suitable_for.extend([HazardType::Flood, HazardType::Fire]);
    }
    facility
}

fn square(lon: f64, lat: f64, half: f64) -> Polygon {
    Rect::new((lon - half, lat - half), (lon + half, lat + half)).to_polygon()
}

#[test]
fn a_flood_zone_in_force_puts_its_shelters_out_of_a_flood_answer_and_says_why() {
    let inside = safe_shelter(1, 7.4200, 43.7300);
    let outside = safe_shelter(2, 7.4300, 43.7300);
    // It states earthquakes only: unsuitable in a flood.
    let unsuitable = shelter(3, 7.4150, 43.7300);
    let zone = hazard(
        10,
        HazardKind::FloodZone,
        (7.42, 43.73),
        0.0,
        Some(square(7.42, 43.73, 0.002)),
    );
    let index = SpatialIndex::new(vec![inside, outside, unsuitable, zone.clone()]).unwrap();
    let origin = LonLat::new(7.4190, 43.7300).unwrap();
    let shelters = Filter::default().kind(refuge_core::FacilityKind::Shelter);

    let (kept, skipped) = index.nearest_safe(origin, 1, &shelters, HazardType::Flood);
    assert_eq!(kept[0].facility.id, id(2), "the one outside the zone");
    let why: Vec<(u64, Skip)> = skipped
        .iter()
        .map(|s| (s.facility.id.get(), s.why))
        .collect();
    assert_eq!(
        why,
        [
            (
                1,
                Skip::Exposed {
                    hazard: id(10),
                    distance_m: 0.0
                }
            ),
            (3, Skip::Unsuitable),
        ],
        "nearest first"
    );
    // In an earthquake a flood zone threatens nobody.
    let (kept, skipped) = index.nearest_safe(origin, 1, &shelters, HazardType::Earthquake);
    assert_eq!((kept[0].facility.id, skipped.len()), (id(1), 0));

    // A zone made safe (closed) is not in force.
    let mut closed = zone;
    closed.status.status = LiveStatus::Closed;
    let index = index.with_changes(vec![closed], &[]).unwrap();
    let (kept, _) = index.nearest_safe(origin, 1, &shelters, HazardType::Flood);
    assert_eq!(kept[0].facility.id, id(1));
}

#[test]
fn a_shelter_keeps_30_m_from_a_fire_source_whatever_its_stated_reach() {
    let near = safe_shelter(1, 7.42025, 43.73); // about 20 m east
    let far = safe_shelter(2, 7.42060, 43.73); // about 48 m east
    let station = hazard(10, HazardKind::GasStation, (7.42, 43.73), 5.0, None);
    let index = SpatialIndex::new(vec![near, far, station]).unwrap();
    let exposed = index.exposed_shelters(HazardType::Fire);
    assert!(
        exposed.contains_key(&id(1)) && !exposed.contains_key(&id(2)),
        "{exposed:?}"
    );
    assert!(
        index.exposed_shelters(HazardType::Flood).is_empty(),
        "a fuel station does not flood"
    );
}

/// Asking for more safe shelters than there are ends with what there is: it looped for ever
/// once it had asked for every facility and found too few.
#[test]
fn asking_for_more_than_there_is_ends() {
    let mut facilities = vec![safe_shelter(1, 7.45, 43.73)];
    // Twenty shelters nearer, unsuitable in a flood.
    facilities.extend((2..22).map(|n| shelter(n, 7.42 + f64::from(n as u32) * 0.0001, 43.73)));
    let index = SpatialIndex::new(facilities).unwrap();
    let origin = LonLat::new(7.42, 43.73).unwrap();
    for k in [1, 2, 5, 13, 100] {
        let (kept, skipped) = index.nearest_safe(origin, k, &Filter::default(), HazardType::Flood);
        assert_eq!((kept.len(), skipped.len()), (1, 20), "k = {k}");
    }
}

/// What hazards threaten is worked out again when a facility changes, not when stock moves.
#[test]
fn exposure_follows_facilities_and_ignores_stock() {
    let zone = hazard(
        10,
        HazardKind::FloodZone,
        (7.42, 43.73),
        0.0,
        Some(square(7.42, 43.73, 0.002)),
    );
    let index = SpatialIndex::new(vec![safe_shelter(1, 7.43, 43.73), zone]).unwrap();
    let before = index.exposed_shelters(HazardType::Flood);
    assert!(before.is_empty());
    let water = refuge_core::ItemId::new("bottled_water").unwrap();
    let restocked = index.with_stock_levels([(id(1), water, 40)]);
    assert!(
        std::sync::Arc::ptr_eq(&before, &restocked.exposed_shelters(HazardType::Flood)),
        "a stock movement reuses what was worked out"
    );
    let moved = restocked
        .with_changes(vec![safe_shelter(1, 7.4201, 43.7301)], &[])
        .unwrap();
    assert!(
        moved
            .exposed_shelters(HazardType::Flood)
            .contains_key(&id(1)),
        "moved into the zone"
    );
}

/// What brute force says: every shelter by distance, those unsuitable or threatened left out.
fn brute_force(facilities: &[Facility], origin: LonLat, k: usize, hazard: HazardType) -> Vec<u64> {
    let at = |f: &Facility| Point::new(f.location.lon(), f.location.lat());
    let threatened = |shelter: &Facility| {
        facilities
            .iter()
            .filter_map(|f| Some((f, f.hazard()?)))
            .any(|(f, h)| {
                if f.status.status == LiveStatus::Closed || !h.hazard_kind.threatens(hazard) {
                    return false;
                }
                match &h.zone {
                    // The zones here reach nothing beyond themselves (radius 0).
                    Some(geo::Geometry::Polygon(zone)) => zone.contains(&at(shelter)),
                    _ => {
                        let reach = if h.hazard_kind.is_fire_source() {
                            h.influence_radius_m.max(30.0)
                        } else {
                            h.influence_radius_m
                        };
                        Haversine.distance(at(f), at(shelter)) <= reach
                    }
                }
            })
    };
    let mut safe: Vec<(f64, u64)> = facilities
        .iter()
        .filter(|f| {
            f.shelter()
                .is_some_and(|s| s.suitability(hazard) != refuge_core::Suitability::Unsuitable)
        })
        .filter(|f| !threatened(f))
        .map(|f| {
            (
                refuge_core::GreatCircle.distance_m(origin, f.location),
                f.id.get(),
            )
        })
        .collect();
    safe.sort_by(|a, b| a.0.total_cmp(&b.0));
    safe.into_iter().take(k).map(|(_, id)| id).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Random shelters, flood zones (squares, reach 0) and fuel stations: the safe nearest equal
    /// brute force in a flood and in a fire.
    #[test]
    fn nearest_safe_equals_brute_force(
        shelters in prop::collection::vec((0.0..0.05f64, 0.0..0.05f64, any::<bool>()), 1..60),
        zones in prop::collection::vec((0.0..0.05f64, 0.0..0.05f64, 0.001..0.01f64, any::<bool>()), 0..6),
        stations in prop::collection::vec((0.0..0.05f64, 0.0..0.05f64, 1.0..400.0f64), 0..6),
        origin in (0.0..0.05f64, 0.0..0.05f64),
        k in 1usize..8,
    ) {
        let (lon0, lat0) = (116.3, 39.9);
        let mut facilities = Vec::new();
        for (n, (dx, dy, unsuitable)) in (1..).zip(&shelters) {
            // An unsuitable one states earthquakes only.
            facilities.push(if *unsuitable {
                shelter(n, lon0 + dx, lat0 + dy)
            } else {
                safe_shelter(n, lon0 + dx, lat0 + dy)
            });
        }
        for (n, (dx, dy, half, closed)) in (1000..).zip(&zones) {
            let (lon, lat) = (lon0 + dx, lat0 + dy);
            let mut zone = hazard(n, HazardKind::FloodZone, (lon, lat), 0.0, Some(square(lon, lat, *half)));
            if *closed {
                zone.status.status = LiveStatus::Closed;
            }
            facilities.push(zone);
        }
        for (n, (dx, dy, radius)) in (2000..).zip(&stations) {
            facilities.push(hazard(n, HazardKind::GasStation, (lon0 + dx, lat0 + dy), *radius, None));
        }
        let index = SpatialIndex::new(facilities.clone()).unwrap();
        let origin = LonLat::new(lon0 + origin.0, lat0 + origin.1).unwrap();
        let shelters_only = Filter::default().kind(refuge_core::FacilityKind::Shelter);
        for hazard in [HazardType::Flood, HazardType::Fire] {
            let (kept, skipped) = index.nearest_safe(origin, k, &shelters_only, hazard);
            let kept: Vec<u64> = kept.iter().map(|h| h.facility.id.get()).collect();
            prop_assert_eq!(&kept, &brute_force(&facilities, origin, k, hazard), "{:?}", hazard);
            // With k found, every one passed over is nearer than the last one kept; none is kept.
            let last = kept.last().filter(|_| kept.len() == k).map(|id| refuge_core::GreatCircle.distance_m(origin, index.get(FacilityId::new(*id).unwrap()).unwrap().location));
            for s in &skipped {
                prop_assert!(last.is_none_or(|last| s.distance_m <= last + 1e-6));
                prop_assert!(!kept.contains(&s.facility.id.get()));
            }
        }
    }
}
