//! Filters, radius, box, polygon, hazard exposure, H3 cells and snapshot updates.

use std::collections::BTreeMap;
use std::sync::Arc;

use geo::{LineString, MultiPolygon, Polygon, polygon};
use refuge_core::{
    BBox, Designation, Facility, FacilityDetails, FacilityId, FacilityKind, Filter, HazardKind,
    HazardSource, HazardType, ItemId, LiveIndex, LiveStatus, LonLat, ReserveDepot, ReserveTier,
    RiskLevel, SpatialIndex, doc_support::shelter,
};

fn id(n: u64) -> FacilityId {
    FacilityId::new(n).unwrap()
}

fn depot(n: u64, lon: f64, lat: f64, tier: ReserveTier) -> Facility {
    let mut facility = shelter(n, lon, lat);
    facility.details = FacilityDetails::Reserve(ReserveDepot::physical(tier));
    facility
}

fn hazard(n: u64, lon: f64, lat: f64, radius: f64, zone: Option<geo::Geometry>) -> Facility {
    let mut facility = shelter(n, lon, lat);
    let mut source = HazardSource::new(HazardKind::GasStation, RiskLevel::Large, radius).unwrap();
    source.zone = zone;
    facility.details = FacilityDetails::Hazard(source);
    facility
}

/// Monaco-sized fixture: three shelters, two depots, a hazard.
fn fixture() -> Vec<Facility> {
    let mut full = shelter(2, 7.4210, 43.7360);
    if let FacilityDetails::Shelter(s) = &mut full.details {
        s.occupancy = s.capacity().unwrap();
    }
    let mut flood_safe = shelter(3, 7.4250, 43.7400);
    if let FacilityDetails::Shelter(s) = &mut flood_safe.details {
        s.suitable_for.insert(HazardType::Flood);
    }
    let mut closed = shelter(4, 7.4201, 43.7351);
    closed.status.status = LiveStatus::Closed;
    let mut gone = shelter(5, 7.4200, 43.7350);
    gone.designation = Designation::Decommissioned;
    vec![
        shelter(1, 7.4300, 43.7450),
        full,
        flood_safe,
        closed,
        gone,
        depot(10, 7.4190, 43.7330, ReserveTier::Community),
        depot(11, 7.4100, 43.7300, ReserveTier::District),
        hazard(20, 7.4215, 43.7355, 200.0, None),
    ]
}

fn ids(facilities: &[&refuge_core::FacilityBrief]) -> Vec<u64> {
    facilities.iter().map(|f| f.id.get()).collect()
}

fn origin() -> LonLat {
    LonLat::new(7.4200, 43.7350).unwrap()
}

#[test]
fn a_resident_gets_open_shelters_with_room_nearest_first() {
    let index = SpatialIndex::new(fixture()).unwrap();
    let filter = Filter::default().kind(FacilityKind::Shelter).has_room(true);
    let hits = index.nearest(origin(), 5, &filter);
    let found: Vec<u64> = hits.iter().map(|h| h.facility.id.get()).collect();
    assert_eq!(
        found,
        [3, 1],
        "full (2), closed (4) and decommissioned (5) shelters are left out"
    );
    assert!(hits[0].distance_m < hits[1].distance_m);
    let flood = index.nearest(origin(), 5, &filter.hazard(HazardType::Flood));
    assert_eq!(flood.len(), 1);
    assert_eq!(flood[0].facility.id.get(), 3);
}

#[test]
fn thin_data_is_listed_for_what_it_is_not_dropped() {
    // A shelter that states neither capacity nor area nor suitability, as imported lists are.
    let mut thin = shelter(30, 7.4202, 43.7352);
    if let FacilityDetails::Shelter(s) = &mut thin.details {
        s.effective_area_m2 = None;
        s.suitable_for.clear();
        assert_eq!(s.room(), refuge_core::Room::Unknown);
        assert_eq!(
            s.suitability(HazardType::Flood),
            refuge_core::Suitability::Unknown
        );
    }
    let mut facilities = fixture();
    facilities.push(thin);
    let index = SpatialIndex::new(facilities).unwrap();
    let room = Filter::default().kind(FacilityKind::Shelter).has_room(true);
    let found: Vec<u64> = index
        .nearest(origin(), 5, &room)
        .iter()
        .map(|h| h.facility.id.get())
        .collect();
    assert_eq!(
        found,
        [30, 3, 1],
        "capacity unknown counts as room; full does not"
    );
    // Asked for flood shelters: the one that says flood, and the one that says nothing; never
    // shelter 1, which states earthquake only.
    let flood: Vec<u64> = index
        .nearest(origin(), 5, &room.hazard(HazardType::Flood))
        .iter()
        .map(|h| h.facility.id.get())
        .collect();
    assert_eq!(flood, [30, 3]);
}

#[test]
fn an_activation_opens_designated_standby_shelters_that_suit_and_lie_clear_of_hazards() {
    let area = MultiPolygon(vec![polygon![
        (x: 7.40, y: 43.72), (x: 7.44, y: 43.72), (x: 7.44, y: 43.76), (x: 7.40, y: 43.76), (x: 7.40, y: 43.72)
    ]]);
    let standby = |mut f: Facility| {
        f.status.status = LiveStatus::Standby;
        f
    };
    let mut unstated = standby(shelter(40, 7.4300, 43.7450));
    if let FacilityDetails::Shelter(s) = &mut unstated.details {
        s.suitable_for.clear();
    }
    let mut flood_only = standby(shelter(41, 7.4310, 43.7460));
    if let FacilityDetails::Shelter(s) = &mut flood_only.details {
        s.suitable_for = [HazardType::Flood].into();
    }
    let mut planned = standby(shelter(42, 7.4320, 43.7470));
    planned.designation = Designation::Planned;
    let facilities = vec![
        unstated,
        flood_only,
        planned,
        standby(shelter(43, 7.4330, 43.7480)),
        standby(shelter(44, 7.4216, 43.7356)), // beside the fuel station
        shelter(45, 7.4340, 43.7490),          // open already
        standby(shelter(46, 7.5000, 43.8000)), // outside the area
        hazard(20, 7.4215, 43.7355, 200.0, None),
    ];
    let index = SpatialIndex::new(facilities).unwrap();
    let plan = index.activation_plan(HazardType::Earthquake, &area);
    let mut opened: Vec<u64> = plan.open.iter().map(|id| id.get()).collect();
    opened.sort_unstable();
    assert_eq!(opened, [40, 43]);
    assert_eq!(plan.suitability_unknown, [id(40)]);
    let why = |n: u64| {
        plan.left
            .iter()
            .find(|l| l.id == id(n))
            .map(|l| l.reason.clone())
    };
    assert_eq!(why(41), Some(refuge_core::LeftReason::Unsuitable));
    assert_eq!(
        why(44),
        Some(refuge_core::LeftReason::InHazardZone { hazard: id(20) })
    );
    assert_eq!(
        why(45),
        Some(refuge_core::LeftReason::Status {
            status: LiveStatus::Open
        })
    );
    assert_eq!(
        why(42),
        None,
        "a planned shelter is not the activation's to open"
    );
    assert_eq!(why(46), None);
    // A fuel station does not threaten people sheltering from a flood: beside it, shelter 44 is
    // left for what it states (earthquake only), not for the station.
    let flood = index.activation_plan(HazardType::Flood, &area);
    let reason = flood
        .left
        .iter()
        .find(|l| l.id == id(44))
        .map(|l| &l.reason);
    assert_eq!(reason, Some(&refuge_core::LeftReason::Unsuitable));
}

#[test]
fn logistics_finds_depots_by_tier_and_stock() {
    let water = ItemId::new("bottled_water").unwrap();
    let stock = BTreeMap::from([
        ((id(10), water.clone()), 50),
        ((id(11), water.clone()), 5_000),
    ]);
    let index = SpatialIndex::with_stock(fixture(), stock).unwrap();
    let community = index.nearest(origin(), 5, &Filter::default().tier(ReserveTier::Community));
    assert_eq!(community.len(), 1);
    let enough = Filter::default()
        .kind(FacilityKind::Reserve)
        .item(water.clone(), 100);
    let hits = index.nearest(origin(), 5, &enough);
    assert_eq!(hits.len(), 1);
    assert_eq!(
        hits[0].facility.id.get(),
        11,
        "the near depot holds only 50"
    );
    assert_eq!(index.stock_of(id(10), &water), 50);
}

#[test]
fn radius_box_and_polygon_queries_agree_with_the_geometry() {
    let index = SpatialIndex::new(fixture()).unwrap();
    let near = index.within_radius(origin(), 140.0, &Filter::default());
    assert!(near.iter().all(|h| h.distance_m <= 140.0));
    let near_ids: Vec<u64> = near.iter().map(|h| h.facility.id.get()).collect();
    // 4 is 14 m away, 20 is 133 m, 2 is 137 m; 5 is decommissioned; 10 is 235 m away.
    assert_eq!(near_ids, [4, 20, 2]);

    let bbox = BBox::new(7.415, 43.730, 7.422, 43.736).unwrap();
    assert_eq!(
        ids(&index.within_bbox(bbox, &Filter::default())),
        [2, 4, 10, 20]
    );

    let triangle: Polygon = polygon![(x: 7.40, y: 43.72), (x: 7.44, y: 43.72), (x: 7.40, y: 43.76)];
    let inside = index.within_polygon(&MultiPolygon(vec![triangle]), &Filter::default());
    // Inside means lon + lat <= 51.16: shelters 1 and 3 lie beyond the hypotenuse.
    assert_eq!(ids(&inside), [2, 4, 10, 11, 20]);
}

#[test]
fn boxes_work_across_the_antimeridian_and_at_the_pole() {
    let points = [
        (179.5, -17.0),
        (-179.5, -17.0),
        (0.0, -17.0),
        (45.0, 89.5),
        (-135.0, 89.5),
        (180.0, -17.0),
        (-180.0, -16.5),
    ];
    let facilities = (1..)
        .zip(points)
        .map(|(n, (lon, lat))| shelter(n, lon, lat))
        .collect();
    let index = SpatialIndex::new(facilities).unwrap();
    let fiji = BBox::new(179.0, -18.0, -179.0, -16.0).unwrap();
    // On the seam, a shelter lies in both halves of the box, and is found once.
    assert_eq!(
        ids(&index.within_bbox(fiji, &Filter::default())),
        [1, 2, 6, 7]
    );
    assert_eq!(
        index.count_within_bbox(fiji, &Filter::default(), usize::MAX),
        4
    );
    let (page, total) = index.page_within_bbox(fiji, &Filter::default(), |_| true, 1, 2);
    assert_eq!((ids(&page), total), (vec![2, 6], 4));
    let arctic = BBox::new(-180.0, 89.0, 180.0, 90.0).unwrap();
    assert_eq!(ids(&index.within_bbox(arctic, &Filter::default())), [4, 5]);
}

#[test]
fn hazards_expose_what_lies_in_their_zone_or_reach() {
    let index = SpatialIndex::new(fixture()).unwrap();
    let station = index.get(id(20)).and_then(|f| f.whole()).unwrap();
    let exposed: Vec<u64> = index
        .exposed_to(station, &Filter::default())
        .iter()
        .map(|e| e.facility.get())
        .collect();
    assert_eq!(
        exposed,
        [2, 4],
        "69 m and 121 m from the station; depot 10 is 343 m away"
    );

    // A coastline hazard: a line with a 100 m reach.
    let coast: LineString = vec![(7.4180, 43.7300), (7.4180, 43.7500)].into();
    let surge = hazard(30, 7.4180, 43.7400, 100.0, Some(coast.clone().into()));
    let mut facilities = fixture();
    facilities.push(surge.clone());
    let index = SpatialIndex::new(facilities).unwrap();
    let exposures = index.exposed_to(&surge, &Filter::default().kind(FacilityKind::Shelter));
    let exposed: Vec<u64> = exposures.iter().map(|e| e.facility.get()).collect();
    // The nearest shelter in service (4, at 7.4201°) is 169 m east of the line.
    assert!(exposed.is_empty(), "{exposures:?}");
    let wide = hazard(31, 7.4180, 43.7400, 200.0, Some(coast.into()));
    let exposures = index.exposed_to(&wide, &Filter::default().kind(FacilityKind::Shelter));
    let exposed: Vec<u64> = exposures.iter().map(|e| e.facility.get()).collect();
    assert_eq!(
        exposed,
        [4],
        "shelter 4 is 169 m away, shelter 2 is 241 m away"
    );
    assert!(
        (exposures[0].distance_m - 169.0).abs() < 1.0,
        "{exposures:?}"
    );
}

#[test]
fn h3_cells_count_and_sum() {
    let index = SpatialIndex::new(fixture()).unwrap();
    let shelters = Filter::default().kind(FacilityKind::Shelter);
    let coarse = index.cell_stats(5, None, &shelters).unwrap();
    assert_eq!(coarse.len(), 1, "all of Monaco is in one resolution-5 cell");
    let stats = coarse.values().next().unwrap();
    assert_eq!(stats.count, 4);
    assert_eq!(stats.capacity, 4 * 1_000);
    assert_eq!(stats.occupancy, 1_000);
    assert!(index.cell_stats(16, None, &shelters).is_err());
    let all = index.cell_stats(5, None, &Filter::default()).unwrap();
    assert_eq!(
        all.values().next().unwrap().worst_risk,
        Some(RiskLevel::Large)
    );
}

#[test]
fn an_update_makes_a_new_snapshot_and_leaves_readers_alone() {
    let live = std::sync::Arc::new(LiveIndex::new(SpatialIndex::new(fixture()).unwrap()));
    let before: Arc<SpatialIndex> = live.snapshot();
    live.update(|index| index.with_changes(vec![shelter(99, 7.4200, 43.7350)], &[id(1), id(3)]))
        .unwrap();
    let after = live.snapshot();
    assert_eq!(before.len(), 8, "the reader's snapshot is untouched");
    assert_eq!(after.len(), 7);
    assert_eq!(after.version(), before.version() + 1);
    assert!(after.get(id(1)).is_none() && after.get(id(3)).is_none());
    let nearest = after.nearest(origin(), 1, &Filter::default());
    assert_eq!(nearest[0].facility.id.get(), 99);
    // Every remaining facility is still found at its own position.
    for facility in after.facilities() {
        let hit = after.nearest(
            facility.location,
            1,
            &Filter::default().include_decommissioned(true),
        );
        assert_eq!(
            hit[0].distance_m, 0.0,
            "facility {} is findable",
            facility.id
        );
    }
    let failed = live.update(|index| index.with_changes(vec![], &[id(12345)]));
    assert!(failed.is_err());
    assert_eq!(
        live.snapshot().version(),
        after.version(),
        "a failed update changes nothing"
    );
}

#[test]
fn invalid_facilities_are_refused_by_name() {
    let mut bad = shelter(7, 7.42, 43.73);
    if let FacilityDetails::Shelter(s) = &mut bad.details {
        s.effective_area_m2 = Some(f64::NAN);
    }
    let err = SpatialIndex::new(vec![bad]).unwrap_err().to_string();
    assert!(
        err.contains("effective_area_m2") && err.contains("facility 7"),
        "{err}"
    );
    let err = SpatialIndex::new(vec![shelter(1, 0.0, 0.0), shelter(1, 1.0, 1.0)]).unwrap_err();
    assert!(err.to_string().contains("more than once"));
}

/// What is worked out from the hazard sources alone (how far their areas reach) may be kept
/// across writes that touch no hazard source, and only those.
#[test]
fn the_hazards_version_moves_only_when_a_hazard_source_changes() {
    let index = SpatialIndex::new(fixture()).unwrap();
    let start = index.hazards_version();
    let index = index
        .with_changes(vec![shelter(99, 7.4200, 43.7350)], &[])
        .unwrap();
    assert_eq!(
        index.hazards_version(),
        start,
        "a shelter is not a hazard source"
    );
    let index = index
        .with_changes(vec![hazard(98, 7.42, 43.73, 500.0, None)], &[])
        .unwrap();
    assert_eq!(index.hazards_version(), index.version());
    let added = index.version();
    let index = index.with_changes(vec![], &[id(99)]).unwrap();
    assert_eq!(index.hazards_version(), added);
    let index = index.with_changes(vec![], &[id(98)]).unwrap();
    assert_eq!(
        index.hazards_version(),
        index.version(),
        "a removed one counts"
    );
}
