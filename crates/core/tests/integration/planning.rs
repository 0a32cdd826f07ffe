//! Population on H3 cells and shelter coverage, against brute force over every cell and shelter.

use geo::{Contains, MultiPolygon, Rect};
use proptest::prelude::*;
use refuge_core::planning::{
    CoverageMap, CoverageOptions, District, Dwelling, Placement, PopulationLayer, cell_at,
    cell_centre, coverage, resolution,
};
use refuge_core::{
    BBox, Designation, Facility, FacilityDetails, GreatCircle, LiveStatus, LonLat, SpatialIndex,
    doc_support::shelter,
};

fn square(lon: f64, lat: f64, half: f64) -> MultiPolygon {
    MultiPolygon(vec![
        Rect::new((lon - half, lat - half), (lon + half, lat + half)).to_polygon(),
    ])
}

fn district(name: &str, lon: f64, lat: f64, half: f64) -> District {
    District {
        name: name.into(),
        code: format!("156{name}"),
        area: square(lon, lat, half),
    }
}

#[test]
fn a_district_total_is_spread_evenly_over_its_cells_without_buildings() {
    let districts = [
        district("east", 116.40, 39.90, 0.01),
        district("west", 116.30, 39.90, 0.01),
    ];
    let layer = PopulationLayer::from_district_totals(
        "census".into(),
        &districts,
        &[10_000.0, 500.0],
        &[],
        9,
    )
    .unwrap();
    assert!((layer.total() - 10_500.0).abs() < 1e-6);
    for (n, d) in layer.districts.iter().enumerate() {
        assert_eq!(d.placement, Placement::Evenly);
        let cells: Vec<_> = layer
            .cells
            .iter()
            .filter(|c| c.district == Some(n as u32))
            .collect();
        assert!(cells.len() > 20, "{} cells", cells.len());
        let each = cells[0].people;
        assert!(
            cells.iter().all(|c| (c.people - each).abs() < 1e-9),
            "evenly"
        );
        for c in cells {
            assert!(
                districts[n]
                    .area
                    .contains(&cell_centre(c.cell).unwrap().point()),
                "inside"
            );
        }
    }
    assert!((layer.districts[0].population - 10_000.0).abs() < 1e-6);
}

#[test]
fn a_district_total_follows_floor_area_where_buildings_are_known() {
    let districts = [district("old town", 116.40, 39.90, 0.01)];
    let house = |lon: f64, lat: f64, levels| Dwelling {
        footprint: Rect::new((lon, lat), (lon + 0.0002, lat + 0.0002)).to_polygon(),
        levels,
    };
    // Equal footprints far apart: a three-storey block and a one-storey house.
    let layer = PopulationLayer::from_district_totals(
        "census".into(),
        &districts,
        &[4_000.0],
        &[house(116.395, 39.895, 3.0), house(116.405, 39.905, 1.0)],
        9,
    )
    .unwrap();
    assert_eq!(layer.districts[0].placement, Placement::ByFloorArea);
    let mut people: Vec<f64> = layer.cells.iter().map(|c| c.people).collect();
    people.sort_by(f64::total_cmp);
    assert_eq!(people.len(), 2, "only the cells with homes");
    assert!(
        (people[0] - 1_000.0).abs() < 1.0 && (people[1] - 3_000.0).abs() < 1.0,
        "{people:?}"
    );
}

#[test]
fn points_and_cells_land_in_their_cells_and_outsiders_are_named() {
    let districts = [district("east", 116.40, 39.90, 0.01)];
    let inside = LonLat::new(116.401, 39.901).unwrap();
    let outside = LonLat::new(117.0, 39.0).unwrap();
    let (layer, out) = PopulationLayer::from_points(
        "survey".into(),
        &[(inside, 120.0), (outside, 5.0), (inside, 30.0)],
        &districts,
        9,
    )
    .unwrap();
    assert_eq!(out, [1]);
    assert_eq!(layer.cells.len(), 1);
    assert_eq!(layer.cells[0].people, 150.0);
    assert_eq!(
        layer.cells[0].cell,
        cell_at(inside, resolution(9).unwrap()).unwrap()
    );

    // A resolution-10 cell adds into its parent; a resolution-8 cell shares among its 7 children.
    let fine = cell_at(inside, resolution(10).unwrap()).unwrap();
    let coarse = cell_at(inside, resolution(8).unwrap()).unwrap();
    let (layer, out) =
        PopulationLayer::from_cells("grid".into(), &[(fine, 70.0), (coarse, 700.0)], &[], 9)
            .unwrap();
    assert!(out.is_empty());
    assert_eq!(layer.cells.len(), 7);
    let parent = fine.parent(resolution(9).unwrap()).unwrap();
    let at_parent = layer.cells.iter().find(|c| c.cell == parent).unwrap();
    assert!((at_parent.people - 170.0).abs() < 1e-9, "70 + 700/7");
    assert!((layer.total() - 770.0).abs() < 1e-9);
}

/// Two districts that share a cell each keep their own people in it.
#[test]
fn a_cell_two_districts_share_counts_each_ones_people_for_it() {
    let west = District {
        name: "west".into(),
        code: "1".into(),
        area: MultiPolygon(vec![Rect::new((116.0, 39.0), (116.4, 40.0)).to_polygon()]),
    };
    let east = District {
        name: "east".into(),
        code: "2".into(),
        area: MultiPolygon(vec![Rect::new((116.4, 39.0), (116.8, 40.0)).to_polygon()]),
    };
    // Either side of the boundary, in one resolution-6 cell (about 36 km²).
    let a = LonLat::new(116.3995, 39.5).unwrap();
    let b = LonLat::new(116.4005, 39.5).unwrap();
    let h3 = resolution(6).unwrap();
    assert_eq!(cell_at(a, h3).unwrap(), cell_at(b, h3).unwrap());
    let (layer, outside) =
        PopulationLayer::from_points("edge".into(), &[(a, 100.0), (b, 7.0)], &[west, east], 6)
            .unwrap();
    assert!(outside.is_empty());
    assert_eq!(layer.cells.len(), 2, "one entry per district");
    assert_eq!(layer.districts[0].population, 100.0);
    assert_eq!(layer.districts[1].population, 7.0);
}

/// What brute force says of one cell: the nearest shelter in service and whether any reaches it.
struct Brute {
    nearest: Option<(u64, f64)>,
    within: Vec<(usize, f64)>,
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Random shelters (radius, capacity or none, in service or not) over a random population:
    /// every cell's nearest shelter and distance, whether it is covered and how many get a place,
    /// and each district's sums, equal brute force over every pair of cell and shelter.
    #[test]
    fn coverage_equals_brute_force(
        shelters in prop::collection::vec(
            (0.0..0.04f64, 0.0..0.04f64, 200.0..1500.0f64, prop::option::of(0u32..400), 0u8..4),
            0..30,
        ),
        points in prop::collection::vec((0.0..0.04f64, 0.0..0.04f64, 1.0..500.0f64), 1..80),
    ) {
        let (lon0, lat0) = (116.3, 39.9);
        let districts = [district("a", lon0 + 0.01, lat0 + 0.02, 0.0101), district("b", lon0 + 0.03, lat0 + 0.02, 0.0099)];
        let facilities: Vec<Facility> = (1..)
            .zip(&shelters)
            .map(|(n, (dx, dy, radius, capacity, state))| {
                let mut f = shelter(n, lon0 + dx, lat0 + dy);
                match state {
                    1 => f.status.status = LiveStatus::Closed,
                    2 => { f.status.status = LiveStatus::Standby; f.designation = Designation::Planned; }
                    _ => {}
                }
                if let FacilityDetails::Shelter(s) = &mut f.details {
                    s.service_radius_m = *radius;
                    s.design_capacity = *capacity;
                    s.effective_area_m2 = None;
                }
                f
            })
            .collect();
        let index = SpatialIndex::new(facilities.clone()).unwrap();
        let points: Vec<(LonLat, f64)> = points
            .iter()
            .map(|(dx, dy, n)| (LonLat::new(lon0 + dx, lat0 + dy).unwrap(), *n))
            .collect();
        let (layer, _) = PopulationLayer::from_points("test".into(), &points, &districts, 9).unwrap();
        let answer = coverage(&index, &layer, CoverageOptions::default()).unwrap();

        // Brute force.
        let serving: Vec<&Facility> = facilities
            .iter()
            .filter(|f| {
                f.designation != Designation::Decommissioned
                    && !matches!(f.status.status, LiveStatus::Closed | LiveStatus::Damaged)
                    && (f.designation == Designation::Designated || f.status.status == LiveStatus::Open)
            })
            .collect();
        let brute: Vec<Brute> = layer
            .cells
            .iter()
            .map(|c| {
                let at = cell_centre(c.cell).unwrap();
                let mut nearest: Option<(u64, f64)> = None;
                let mut within = Vec::new();
                for (n, f) in serving.iter().enumerate() {
                    let d = GreatCircle.distance_m(at, f.location);
                    if nearest.is_none_or(|(_, best)| d < best) {
                        nearest = Some((f.id.get(), d));
                    }
                    if d <= f.shelter().unwrap().service_radius_m {
                        within.push((n, d));
                    }
                }
                Brute { nearest, within }
            })
            .collect();
        let mut pairs: Vec<(f64, usize, usize)> = brute
            .iter()
            .enumerate()
            .flat_map(|(c, b)| b.within.iter().map(move |(s, d)| (*d, c, *s)))
            .collect();
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut people: Vec<f64> = layer.cells.iter().map(|c| c.people).collect();
        let mut places: Vec<f64> = serving
            .iter()
            .map(|f| f.shelter().unwrap().capacity().map_or(f64::INFINITY, f64::from))
            .collect();
        let mut provided = vec![0.0; people.len()];
        for (_, c, s) in pairs {
            let take = people[c].min(places[s]);
            people[c] -= take;
            places[s] -= take;
            provided[c] += take;
        }

        for ((cell, b), given) in answer.cells.iter().zip(&brute).zip(&provided) {
            prop_assert_eq!(cell.nearest.map(|id| id.get()), b.nearest.map(|(id, _)| id));
            if let Some((_, d)) = b.nearest {
                prop_assert!((cell.distance_m - d).abs() < 1e-6);
            }
            prop_assert_eq!(cell.covered, !b.within.is_empty());
            prop_assert!((cell.provided - given).abs() < 1e-6, "{} vs {}", cell.provided, given);
        }
        let total_people: f64 = layer.cells.iter().map(|c| c.people).sum();
        let total_given: f64 = provided.iter().sum();
        prop_assert!((answer.total.population - total_people).abs() < 1e-6);
        prop_assert!((answer.total.unprovided - (total_people - total_given)).abs() < 1e-6);
        for (n, d) in answer.districts.iter().enumerate() {
            let here: Vec<usize> = (0..layer.cells.len()).filter(|c| layer.cells[*c].district == Some(n as u32)).collect();
            let covered: f64 = here.iter().filter(|c| !brute[**c].within.is_empty()).map(|c| layer.cells[*c].people).sum();
            prop_assert!((d.covered - covered).abs() < 1e-6);
            let shelters_here: Vec<&&Facility> = serving.iter().filter(|f| districts[n].area.contains(&f.location.point())).collect();
            prop_assert_eq!(d.shelters, shelters_here.len());
            let places: u64 = shelters_here.iter().filter_map(|f| f.shelter().unwrap().capacity()).map(u64::from).sum();
            prop_assert_eq!(d.places, places);
        }

        // As map cells: each cell, at every resolution, holds the sums of the cells under it,
        // and their distance is the mean weighted by people.
        let map = CoverageMap::of(&answer).unwrap();
        for resolution in 0..=answer.resolution {
            let level = h3o::Resolution::try_from(resolution).unwrap();
            let mut sums: std::collections::HashMap<h3o::CellIndex, (f64, f64, f64, f64)> =
                std::collections::HashMap::new();
            for c in &answer.cells {
                let sum = sums.entry(c.cell.parent(level).unwrap()).or_default();
                sum.0 += c.people;
                sum.1 += c.provided;
                if c.covered { sum.2 += c.people; }
                if c.distance_m.is_finite() { sum.3 += c.people * c.distance_m; }
            }
            let everywhere = BBox::new(-180.0, -85.0, 180.0, 85.0).unwrap();
            prop_assert_eq!(map.cells_within(resolution, everywhere).count(), sums.len());
            for (cell, (people, given, covered, metres)) in sums {
                let got = map.figures(cell).unwrap();
                prop_assert!((got.people - people).abs() < 1e-6);
                prop_assert!((got.unprovided() - (people - given).max(0.0)).abs() < 1e-6);
                prop_assert!((got.covered_share() - covered / people).abs() < 1e-9);
                match got.distance_m() {
                    Some(d) => prop_assert!((d - metres / people).abs() < 1e-6),
                    None => prop_assert!(serving.is_empty()),
                }
            }
        }
    }
}

/// A hazard facility: a draft flood zone around a point.
fn flood_zone(id: u64, lon: f64, lat: f64, half: f64) -> Facility {
    let mut zone = shelter(id, lon, lat);
    let mut source = refuge_core::HazardSource::new(
        refuge_core::HazardKind::FloodZone,
        refuge_core::RiskLevel::Major,
        0.0,
    )
    .unwrap();
    source.zone = Some(square(lon, lat, half).into());
    zone.details = FacilityDetails::Hazard(source);
    zone
}

#[test]
fn a_scenario_plays_out_on_a_copy_and_says_what_changes() {
    use refuge_core::planning::{Scenario, run_scenario};
    use refuge_core::{FacilityId, HazardType, ReserveDepot, ReserveTier};
    let id = |n| FacilityId::new(n).unwrap();
    let safe = |n, lon, lat| {
        let mut f = shelter(n, lon, lat);
        if let FacilityDetails::Shelter(s) = &mut f.details {
            s.suitable_for.insert(HazardType::Flood);
        }
        f
    };
    let mut depot = shelter(20, 7.421, 43.731);
    depot.details = FacilityDetails::Reserve(ReserveDepot::physical(ReserveTier::Community));
    let facilities = vec![
        safe(1, 7.420, 43.730),
        safe(2, 7.430, 43.730),
        safe(3, 7.440, 43.730),
        depot,
    ];
    let index = SpatialIndex::new(facilities).unwrap();
    let points: Vec<(LonLat, f64)> = (0..30)
        .map(|n| {
            (
                LonLat::new(7.418 + f64::from(n) * 0.0008, 43.7305).unwrap(),
                100.0,
            )
        })
        .collect();
    let (layer, _) = PopulationLayer::from_points("test".into(), &points, &[], 10).unwrap();

    // A kept plan drawing on the depot.
    let plan = refuge_core::KeptPlan::resupply(
        "pl-test".into(),
        refuge_core::ResupplyPlan {
            destination: Some(id(2)),
            at: LonLat::new(7.43, 43.73).unwrap(),
            day: chrono::NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(),
            stages: Vec::new(),
            legs: vec![refuge_core::Leg {
                source: id(20),
                stage: refuge_core::Stage::Nearest,
                item: refuge_core::ItemId::new("bottled_water").unwrap(),
                quantity: 10,
                lots: Vec::new(),
                distance_m: 800.0,
            }],
            unmet: Vec::new(),
            unit_km: 8.0,
        },
        "tester".into(),
    );
    let scenario = Scenario {
        name: "harbour flood".into(),
        hazard: HazardType::Flood,
        zones: vec![flood_zone(900, 7.4205, 43.7305, 0.002)],
        out_of_service: vec![id(3)],
        demand_multiplier: 2.0,
    };
    let outcome = run_scenario(&index, Some(&layer), &scenario, &[plan], 1_000_000).unwrap();

    assert!(outcome.before.exposed.is_empty());
    assert_eq!(
        outcome.after.exposed,
        [id(1), id(20)],
        "the shelter and the depot in the zone"
    );
    assert!(outcome.before.depots_cut_off.is_empty());
    assert_eq!(outcome.after.depots_cut_off, [id(20)]);
    assert!(outcome.before.plans_unmet.is_empty());
    assert_eq!(outcome.after.plans_unmet, ["pl-test"]);
    let (before, after) = (outcome.before.total.unwrap(), outcome.after.total.unwrap());
    assert_eq!(after.population, 2.0 * before.population);
    assert_eq!(
        (before.shelters, after.shelters),
        (3, 1),
        "one flooded, one out of service"
    );
    assert!(after.covered_share < before.covered_share);

    // The live data never changed, nor does the next live snapshot (of the version the
    // scenario's copy had) see the draft zone.
    assert_eq!(index.get(id(3)).unwrap().status, LiveStatus::Open);
    assert!(index.get(id(900)).is_none());
    assert!(index.exposed_shelters(HazardType::Flood).is_empty());
    let next = index.with_changes(vec![safe(4, 7.45, 43.73)], &[]).unwrap();
    assert!(
        next.exposed_shelters(HazardType::Flood).is_empty(),
        "no draft in the live cache"
    );

    let wrong = |change: fn(&mut Scenario)| {
        let mut bad = scenario.clone();
        change(&mut bad);
        run_scenario(&index, None, &bad, &[], 1_000_000)
            .unwrap_err()
            .to_string()
    };
    assert!(wrong(|s| s.demand_multiplier = 0.0).contains("demand_multiplier"));
    assert!(wrong(|s| s.demand_multiplier = 101.0).contains("demand_multiplier"));
    assert!(wrong(|s| s.out_of_service = vec![FacilityId::new(77).unwrap()]).contains("77"));
    assert!(wrong(|s| s.zones[0].id = FacilityId::new(2).unwrap()).contains("not a hazard"));
}
