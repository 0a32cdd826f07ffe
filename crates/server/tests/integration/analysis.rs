//! Coverage through the API, on the demo city with a population layer of its own: the answer is
//! the core's, planners only, and bad or oversized asks are named.

use refuge_core::LonLat;
use refuge_core::planning::{CoverageOptions, District, PopulationLayer, coverage};
use refuge_server::config::Config;

use super::writes::{Fixture, fixture_with, send};

/// A population of 1,000 points over Monaco in two districts, kept in the fixture's store.
fn with_population(f: &Fixture) -> PopulationLayer {
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
    f.state
        .store()
        .unwrap()
        .set_population(&layer, &refuge_store::Actor::system())
        .unwrap();
    layer
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
