//! Coverage through the API, on the demo city with a population layer of its own: the answer is
//! the core's, planners only, and bad or oversized asks are named.

use refuge_core::LonLat;
use refuge_core::planning::{CoverageOptions, District, PopulationLayer, coverage};
use refuge_server::config::Config;

use super::api::get_from;
use super::mvt_decode::decode;
use super::tiles::tile_of;
use super::writes::{Fixture, fixture_with, send};

/// A population of 1,000 points over Monaco in two districts, kept in the fixture's store.
fn with_population(f: &Fixture) -> PopulationLayer {
    let layer = monaco_population();
    f.state
        .store()
        .unwrap()
        .set_population(&layer, &refuge_store::Actor::system())
        .unwrap();
    layer
}

/// 1,000 points of 40 people over Monaco, in two districts.
fn monaco_population() -> PopulationLayer {
    let half = |west: f64, east: f64| {
        geo::MultiPolygon(vec![
            geo::Rect::new((west, 43.72), (east, 43.76)).to_polygon(),
        ])
    };
    let districts = [
        District {
            name: "Fontvieille".into(),
            code: "MC-1".into(),
            area: half(7.40, 7.42),
        },
        District {
            name: "Monte-Carlo".into(),
            code: "MC-2".into(),
            area: half(7.42, 7.44),
        },
    ];
    let points: Vec<(LonLat, f64)> = (0..1000)
        .map(|n| {
            let at = LonLat::new(
                7.405 + f64::from(n % 40) * 0.0008,
                43.725 + f64::from(n / 40) * 0.001,
            );
            (at.unwrap(), 40.0)
        })
        .collect();
    let (layer, _) =
        PopulationLayer::from_points("test points".into(), &points, &districts, 10).unwrap();
    layer
}

/// A layer imported into the server's file by another process (`refuge population import` while
/// it runs) is what the next analysis covers, and moves the coverage tiles' version on.
#[tokio::test]
async fn a_population_imported_by_another_process_is_seen() {
    let f = fixture_with(Config::default());
    let path = "/api/v1/analysis/coverage";
    let (status, _, _) = send(&f.state, "GET", path, Some(&f.planner), &[], None).await;
    assert_eq!(status, 404);
    let (_, _, before) = send(&f.state, "GET", "/tiles/coverage.json", None, &[], None).await;

    let file = f.state.store().unwrap().path().unwrap().to_owned();
    let other = refuge_store::Store::open(&file).unwrap();
    other
        .set_population(&monaco_population(), &refuge_store::Actor::system())
        .unwrap();

    let (status, _, answer) = send(&f.state, "GET", path, Some(&f.planner), &[], None).await;
    assert_eq!(status, 200, "{answer}");
    assert!((answer["total"]["population"].as_f64().unwrap() - 40_000.0).abs() < 1e-6);
    let (_, _, after) = send(&f.state, "GET", "/tiles/coverage.json", None, &[], None).await;
    assert_ne!(before["tiles"], after["tiles"]);
}

#[tokio::test]
async fn coverage_answers_per_district_for_planners_and_names_what_is_wrong() {
    let f = fixture_with(Config::default());
    let path = "/api/v1/analysis/coverage";
    let (status, _, answer) = send(&f.state, "GET", path, Some(&f.planner), &[], None).await;
    assert_eq!(status, 404, "no layer yet: {answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("population import")
    );

    let layer = with_population(&f);
    let (status, _, answer) = send(&f.state, "GET", path, Some(&f.planner), &[], None).await;
    assert_eq!(status, 200, "{answer}");
    let expected = coverage(
        &f.state.index.snapshot(),
        &layer,
        CoverageOptions::default(),
    )
    .unwrap();
    assert_eq!(answer["cells"], layer.cells.len());
    assert_eq!(answer["districts"].as_array().unwrap().len(), 2);
    assert!((answer["total"]["population"].as_f64().unwrap() - 40_000.0).abs() < 1e-6);
    for (got, want) in answer["districts"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&expected.districts)
    {
        assert_eq!(got["name"], want.name.as_str());
        assert!((got["covered"].as_f64().unwrap() - want.covered).abs() < 1e-6);
        assert!((got["unprovided"].as_f64().unwrap() - want.unprovided).abs() < 1e-6);
        assert_eq!(got["shelters"], want.shelters);
        assert_eq!(got["placement"], "counted");
    }
    assert!(
        answer["total"]["shelters"].as_u64().unwrap() > 0,
        "the demo city's shelters serve"
    );

    // In a flood, only flood-safe shelters: never more covered than with all of them.
    let (status, _, flood) = send(
        &f.state,
        "GET",
        &format!("{path}?hazard=flood"),
        Some(&f.planner),
        &[],
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(flood["hazard"], "flood");
    assert!(flood["total"]["covered"].as_f64() <= answer["total"]["covered"].as_f64());

    let (status, _, _) = send(&f.state, "GET", path, Some(&f.logistics), &[], None).await;
    assert_eq!(status, 403, "planners only");
    let (status, _, bad) = send(
        &f.state,
        "GET",
        &format!("{path}?target_share=2"),
        Some(&f.planner),
        &[],
        None,
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        bad["error"]["message"]
            .as_str()
            .unwrap()
            .contains("target_share"),
        "{bad}"
    );
}

#[tokio::test]
async fn an_analysis_past_the_cell_limit_is_refused_naming_it() {
    let f = fixture_with(Config {
        max_analysis_cells: 10,
        ..Config::default()
    });
    with_population(&f);
    let (status, _, answer) = send(
        &f.state,
        "GET",
        "/api/v1/analysis/coverage",
        Some(&f.planner),
        &[],
        None,
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    let message = answer["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("limit of 10") && message.contains("max_analysis_cells"),
        "{message}"
    );
}

/// A flood scenario over part of the demo city: figures before and after for the planner, and
/// nothing of it on the live map; bad scenarios are named.
#[tokio::test]
async fn a_scenario_answers_before_and_after_and_never_touches_the_live_map() {
    let f = fixture_with(Config::default());
    with_population(&f);
    let snapshot = f.state.index.snapshot();
    let version = snapshot.version();
    let depot = snapshot
        .facilities()
        .find(|x| x.reserve().is_some())
        .unwrap();
    let (lon, lat) = (depot.location.lon(), depot.location.lat());
    // A shelter that serves in a flood today.
    let shelter = snapshot
        .facilities()
        .find(|x| {
            x.shelter()
                .is_some_and(|s| s.suits(refuge_core::HazardType::Flood))
        })
        .unwrap()
        .id
        .get();
    let d = 0.002;
    let scenario = serde_json::json!({
        "name": "harbour flood",
        "hazard": "flood",
        "demand_multiplier": 2,
        "out_of_service": [shelter],
        "zones": {"type": "FeatureCollection", "features": [{
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": [[
                [lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d], [lon - d, lat - d]
            ]]},
            "properties": {"name": "Draft flood", "hazard_kind": "flood_zone", "risk": "major", "influence_radius_m": 0}
        }]}
    });
    let post = |body: serde_json::Value, token: String| {
        let state = f.state.clone();
        async move {
            send(
                &state,
                "POST",
                "/api/v1/scenarios",
                Some(&token),
                &[],
                Some(body),
            )
            .await
        }
    };
    let (status, _, outcome) = post(scenario.clone(), f.planner.clone()).await;
    assert_eq!(status, 200, "{outcome}");
    let ids = |v: &serde_json::Value| -> Vec<u64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap())
            .collect()
    };
    assert!(
        ids(&outcome["after"]["exposed"]).contains(&depot.id.get()),
        "{outcome}"
    );
    assert!(ids(&outcome["after"]["depots_cut_off"]).contains(&depot.id.get()));
    // Its map: the draft zone, the depot cut off and the shelter out of service, each where it is.
    let role_of = |id: u64| {
        outcome["map"]["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["properties"]["id"] == id && f["properties"]["role"] != "zone")
            .map(|f| {
                (
                    f["properties"]["role"].as_str().unwrap().to_owned(),
                    f["geometry"]["coordinates"].clone(),
                )
            })
    };
    assert_eq!(
        role_of(depot.id.get()),
        Some(("cut_off".to_owned(), serde_json::json!([lon, lat])))
    );
    assert_eq!(role_of(shelter).unwrap().0, "out_of_service");
    let zones: Vec<&serde_json::Value> = outcome["map"]["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["properties"]["role"] == "zone")
        .collect();
    assert_eq!(zones.len(), 1);
    assert_eq!(zones[0]["geometry"]["type"], "Polygon");
    assert_eq!(zones[0]["properties"]["name_en"], "Draft flood");
    assert!(!ids(&outcome["before"]["depots_cut_off"]).contains(&depot.id.get()));
    let population = |side: &str| outcome[side]["total"]["population"].as_f64().unwrap();
    assert!((population("after") - 2.0 * population("before")).abs() < 1e-6);
    assert!(
        outcome["after"]["total"]["shelters"].as_u64()
            < outcome["before"]["total"]["shelters"].as_u64()
    );

    // The live map never saw it.
    assert_eq!(f.state.index.snapshot().version(), version);
    let (_, _, live) = send(
        &f.state,
        "GET",
        "/api/v1/exposure?hazard=flood",
        None,
        &[],
        None,
    )
    .await;
    assert!(
        live.as_array()
            .unwrap()
            .iter()
            .all(|e| e["hazard"]["name"]["en"] != "Draft flood")
    );
    let (_, _, shelter_now) = send(
        &f.state,
        "GET",
        &format!("/api/v1/facilities/{shelter}"),
        None,
        &[],
        None,
    )
    .await;
    assert_ne!(shelter_now["properties"]["status"], "closed");

    let (status, _, _) = post(scenario.clone(), f.logistics.clone()).await;
    assert_eq!(status, 403, "planners only");
    let wrong = |change: fn(&mut serde_json::Value)| {
        let mut bad = scenario.clone();
        change(&mut bad);
        bad
    };
    for (bad, named) in [
        (
            wrong(|s| s["out_of_service"] = serde_json::json!([12345])),
            "12345",
        ),
        (
            wrong(|s| s["demand_multiplier"] = serde_json::json!(0)),
            "demand_multiplier",
        ),
        (
            wrong(|s| s["demand_multiplier"] = serde_json::json!(101)),
            "demand_multiplier",
        ),
        (
            wrong(|s| {
                s["zones"]["features"][0]["geometry"]["coordinates"] = serde_json::json!([[
                    [7.41, 43.73],
                    [7.43, 43.75],
                    [7.43, 43.73],
                    [7.41, 43.75],
                    [7.41, 43.73]
                ]])
            }),
            "zone",
        ),
    ] {
        let (status, _, answer) = post(bad, f.planner.clone()).await;
        assert_eq!(status, 400, "{answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains(named), "{named}: {message}");
    }
}

/// The features of the coverage tiles at zoom `z` over the test population, by cell.
async fn coverage_cells(
    f: &Fixture,
    z: u8,
) -> std::collections::BTreeMap<u64, super::mvt_decode::Decoded> {
    let (west, south, east, north) = (7.40, 43.72, 7.44, 43.76);
    let (first, last) = (tile_of(z, west, north), tile_of(z, east, south));
    let mut cells = std::collections::BTreeMap::new();
    for x in first.x()..=last.x() {
        for y in first.y()..=last.y() {
            let uri = format!("/tiles/coverage/{z}/{x}/{y}.mvt");
            let (status, _, bytes) = get_from(f.state.clone(), &uri, &[]).await;
            assert!(status == 200 || status == 204, "{uri}: {status}");
            for (layer, _, features) in decode(&bytes) {
                assert_eq!(layer, "cells");
                for feature in features {
                    cells.insert(feature.id, feature);
                }
            }
        }
    }
    cells
}

fn number(feature: &super::mvt_decode::Decoded, key: &str) -> f64 {
    feature.tag(key).unwrap().parse().unwrap()
}

/// The `coverage` tiles: empty without a population; with one, each cell's residents, distance
/// to the nearest shelter in service and residents without a place, as the analysis finds them,
/// summed into coarser cells at lower zooms; and made again when a shelter closes.
#[tokio::test]
async fn coverage_tiles_show_the_analysis_per_cell_and_follow_the_shelters() {
    let f = fixture_with(Config::default());
    assert!(coverage_cells(&f, 14).await.is_empty(), "no population yet");
    let (_, _, before) = send(&f.state, "GET", "/tiles/coverage.json", None, &[], None).await;

    let layer = with_population(&f);
    let (_, _, after) = send(&f.state, "GET", "/tiles/coverage.json", None, &[], None).await;
    assert_ne!(
        before["tiles"], after["tiles"],
        "a new layer is a new version"
    );
    let expected = coverage(
        &f.state.index.snapshot(),
        &layer,
        CoverageOptions::default(),
    )
    .unwrap();
    let fine = coverage_cells(&f, 14).await;
    // A cell on the line between the two districts is in the layer once for each.
    let mut by_cell: std::collections::BTreeMap<u64, Vec<&refuge_core::planning::CellCoverage>> =
        std::collections::BTreeMap::new();
    for cell in &expected.cells {
        by_cell.entry(u64::from(cell.cell)).or_default().push(cell);
    }
    assert!(
        by_cell.len() < expected.cells.len(),
        "some cells are shared"
    );
    assert_eq!(fine.len(), by_cell.len(), "every populated cell, once");
    for (id, parts) in &by_cell {
        let got = &fine[id];
        let want = parts[0];
        let people: f64 = parts.iter().map(|c| c.people).sum();
        let provided: f64 = parts.iter().map(|c| c.provided).sum();
        assert_eq!(got.tag("cell"), Some(want.cell.to_string().as_str()));
        assert_eq!(number(got, "people"), people.round());
        assert_eq!(number(got, "distance_m"), want.distance_m.round());
        assert_eq!(
            number(got, "unprovided"),
            (people - provided).max(0.0).round()
        );
        assert_eq!(
            number(got, "covered_share"),
            if want.covered { 1.0 } else { 0.0 }
        );
    }

    // Zoomed out, coarser cells hold the same residents.
    let coarse = coverage_cells(&f, 9).await;
    assert!(coarse.len() < fine.len());
    let people: f64 = coarse.values().map(|c| number(c, "people")).sum();
    assert!((people - 40_000.0).abs() <= coarse.len() as f64, "{people}");

    // The shelter nearest the most people closes: their cells are further from one now.
    let mut served: std::collections::BTreeMap<u64, f64> = std::collections::BTreeMap::new();
    for cell in &expected.cells {
        *served.entry(cell.nearest.unwrap().get()).or_default() += cell.people;
    }
    let (&busiest, _) = served.iter().max_by(|a, b| a.1.total_cmp(b.1)).unwrap();
    let (status, _, body) = send(
        &f.state,
        "POST",
        &format!("/api/v1/facilities/{busiest}/status"),
        Some(&f.logistics),
        &[],
        Some(serde_json::json!({ "status": "closed", "reported_by": "warden Li" })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, _, closed) = send(&f.state, "GET", "/tiles/coverage.json", None, &[], None).await;
    assert_ne!(
        closed["tiles"], after["tiles"],
        "a closed shelter is a new version"
    );
    let now = coverage_cells(&f, 14).await;
    // Another shelter may stand as near (the demo city has some at one place): never nearer,
    // and further for some.
    let mut further = 0;
    for want in expected
        .cells
        .iter()
        .filter(|c| c.nearest.unwrap().get() == busiest)
    {
        let cell = u64::from(want.cell);
        let (was, is) = (
            number(&fine[&cell], "distance_m"),
            number(&now[&cell], "distance_m"),
        );
        assert!(is >= was, "cell {} is nearer a shelter", want.cell);
        further += usize::from(is > was);
    }
    assert!(further > 0, "the closed shelter still counts");
}
