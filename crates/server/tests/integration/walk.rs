//! Walking routes through the API on the demo city: a walk to a shelter over Monaco's ways, no
//! shorter than the straight line; a flood zone around the shelter closes the way in a flood;
//! bad or impossible asks are named.

use serde_json::{Value, json};

use super::writes::{fixture, send};

async fn walk(f: &super::writes::Fixture, query: &str) -> (u16, Value) {
    let (status, _, body) = send(
        &f.state,
        "GET",
        &format!("/api/v1/route?{query}"),
        None,
        &[],
        None,
    )
    .await;
    (status.as_u16(), body)
}

#[tokio::test]
async fn a_walk_follows_the_ways_and_goes_around_a_zone() {
    let f = fixture();
    let from = (7.4246, 43.7384);
    let (_, _, nearest) = send(
        &f.state,
        "GET",
        &format!(
            "/api/v1/nearest?lon={}&lat={}&kind=shelter&k=1",
            from.0, from.1
        ),
        None,
        &[],
        None,
    )
    .await;
    let shelter = &nearest["features"][0];
    let id = shelter["id"].as_u64().unwrap();
    let (status, route) = walk(&f, &format!("from={},{}&to={id}", from.0, from.1)).await;
    assert_eq!(status, 200, "{route}");
    assert_eq!(route["geometry"]["type"], "LineString");
    let line = route["geometry"]["coordinates"].as_array().unwrap();
    assert_eq!(line[0], json!([from.0, from.1]), "from the start");
    assert_eq!(
        line.last().unwrap(),
        &shelter["geometry"]["coordinates"],
        "to the shelter"
    );
    assert!(line.len() > 2, "along the ways, not a straight line");
    let (metres, straight) = (
        route["properties"]["metres"].as_f64().unwrap(),
        route["properties"]["straight_m"].as_f64().unwrap(),
    );
    assert!(metres >= straight - 0.1, "{metres} < {straight}");
    assert!((route["properties"]["minutes"].as_f64().unwrap() - metres / 72.0).abs() < 0.1);

    // A flood zone around the shelter: in a flood there is no way in.
    let (lon, lat) = (
        shelter["geometry"]["coordinates"][0].as_f64().unwrap(),
        shelter["geometry"]["coordinates"][1].as_f64().unwrap(),
    );
    let d = 0.004;
    let zone = json!({
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [[
            [lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d], [lon - d, lat - d]
        ]]},
        "properties": {"name": "Test flood", "hazard_kind": "flood_zone", "risk": "major", "influence_radius_m": 0}
    });
    let (status, _, body) = send(
        &f.state,
        "POST",
        "/api/v1/hazards",
        Some(&f.planner),
        &[],
        Some(zone),
    )
    .await;
    assert_eq!(status.as_u16(), 201, "{body}");
    let (status, closed) = walk(
        &f,
        &format!("from={},{}&to={id}&hazard=flood", from.0, from.1),
    )
    .await;
    assert_eq!(status, 422, "{closed}");
    assert_eq!(closed["error"]["code"], "not_connected");
    let (status, _) = walk(
        &f,
        &format!("from={},{}&to={id}&hazard=earthquake", from.0, from.1),
    )
    .await;
    assert_eq!(
        status, 200,
        "a flood zone does not close the way in an earthquake"
    );
}

#[tokio::test]
async fn bad_and_impossible_walks_are_named() {
    let f = fixture();
    let shelter = f
        .state
        .index
        .snapshot()
        .facilities()
        .find(|x| x.shelter().is_some())
        .unwrap()
        .id
        .get();
    for (query, status, code, named) in [
        ("from=7.42&to=1".to_owned(), 400, "bad_parameter", "`from`"),
        (
            "from=7.42,95&to=1".to_owned(),
            400,
            "bad_parameter",
            "`from`",
        ),
        (
            "from=7.42,43.73&to=424242".to_owned(),
            404,
            "not_found",
            "424242",
        ),
        (
            format!("from=10,45&to={shelter}"),
            422,
            "off_the_ways",
            "start",
        ),
    ] {
        let (got, body) = walk(&f, &query).await;
        assert_eq!(got, status, "{query}: {body}");
        assert_eq!(body["error"]["code"], code, "{query}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(named),
            "{query}: {body}"
        );
    }
}

/// Nearest by walk: the great-circle candidates ranked by metres on foot, each with both
/// distances, the walk's metres those of its route.
#[tokio::test]
async fn nearest_by_walk_ranks_by_metres_on_foot() {
    let f = fixture();
    let (lon, lat) = (7.4246, 43.7384);
    let (status, _, answer) = send(
        &f.state,
        "GET",
        &format!("/api/v1/nearest?lon={lon}&lat={lat}&kind=shelter&k=4&by=walk"),
        None,
        &[],
        None,
    )
    .await;
    assert_eq!(status.as_u16(), 200, "{answer}");
    let features = answer["features"].as_array().unwrap();
    assert_eq!(features.len(), 4);
    let mut last = 0.0;
    for feature in features {
        let walk_m = feature["properties"]["walk_m"].as_f64().unwrap();
        let straight = feature["properties"]["distance_m"].as_f64().unwrap();
        assert!(walk_m >= straight - 0.1, "{walk_m} < {straight}");
        assert!(walk_m >= last, "ranked by walk");
        last = walk_m;
        let id = feature["id"].as_u64().unwrap();
        let (_, route) = walk(&f, &format!("from={lon},{lat}&to={id}")).await;
        assert!((route["properties"]["metres"].as_f64().unwrap() - walk_m).abs() < 0.11);
    }
    let (status, _, bad) = send(
        &f.state,
        "GET",
        &format!("/api/v1/nearest?lon={lon}&lat={lat}&by=car"),
        None,
        &[],
        None,
    )
    .await;
    assert_eq!(status.as_u16(), 400, "{bad}");
}
