//! Hazards through the API: a zone's upload names what it threatens, the exposure list agrees,
//! and a nearest search in the zone's hazard passes those shelters over, saying why.

use serde_json::{Value, json};

use super::writes::{fixture, send};

#[tokio::test]
async fn a_flood_zone_is_answered_with_what_it_threatens_and_nearest_passes_it_over() {
    let f = fixture();
    // A flood-suitable open shelter, and a small square zone around it.
    let snapshot = f.state.index.snapshot();
    let shelter = snapshot
        .facilities()
        .find(|s| {
            s.shelter()
                .is_some_and(|x| x.suits(refuge_core::HazardType::Flood))
        })
        .unwrap();
    let (id, lon, lat) = (
        shelter.id.get(),
        shelter.location.lon(),
        shelter.location.lat(),
    );
    let d = 0.0003;
    let zone = json!({
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [[
            [lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d], [lon - d, lat - d]
        ]]},
        "properties": {"id": "test-flood", "name": "Test flood zone", "hazard_kind": "flood_zone",
                       "risk": "major", "influence_radius_m": 0}
    });
    let (status, _, stored) = send(
        &f.state,
        "POST",
        "/api/v1/hazards",
        Some(&f.planner),
        &[],
        Some(zone.clone()),
    )
    .await;
    assert_eq!(status, 201, "{stored}");
    let named: Vec<u64> = stored["exposed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_u64().unwrap())
        .collect();
    assert!(named.contains(&id), "{stored}");
    let zone_id = stored["hazards"][0].as_u64().unwrap();

    let (status, _, listed) = send(
        &f.state,
        "GET",
        "/api/v1/exposure?hazard=flood&kind=shelter",
        None,
        &[],
        None,
    )
    .await;
    assert_eq!(status, 200);
    let entry = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == id)
        .unwrap_or_else(|| panic!("{listed}"));
    assert_eq!(entry["hazard"]["id"], zone_id);
    assert_eq!(entry["hazard"]["hazard_kind"], "flood_zone");
    assert_eq!(entry["distance_m"], 0.0);
    let (_, _, in_quake) = send(
        &f.state,
        "GET",
        "/api/v1/exposure?hazard=earthquake&kind=shelter",
        None,
        &[],
        None,
    )
    .await;
    assert!(
        in_quake
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["hazard"]["id"] != zone_id),
        "a flood zone brings no earthquake"
    );

    let near = |hazard: &str| {
        format!("/api/v1/nearest?lon={lon}&lat={lat}&kind=shelter&k=3&hazard={hazard}")
    };
    let (status, _, found) = send(&f.state, "GET", &near("flood"), None, &[], None).await;
    assert_eq!(status, 200, "{found}");
    let ids: Vec<Value> = found["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].clone())
        .collect();
    assert!(!ids.contains(&json!(id)), "{found}");
    let skipped = &found["skipped"][0];
    assert_eq!(skipped["id"], id, "the nearest passed over, first: {found}");
    assert_eq!(skipped["reason"], "exposed");
    assert_eq!(skipped["hazard"]["id"], zone_id);
    assert_eq!(skipped["distance_m"], 0.0);

    // Made safe (closed), the zone no longer counts.
    let mut closed = zone;
    closed["properties"]["status"] = json!("closed");
    let (status, _, again) = send(
        &f.state,
        "POST",
        "/api/v1/hazards",
        Some(&f.planner),
        &[],
        Some(closed),
    )
    .await;
    assert_eq!(
        (status.as_u16(), again["hazards"][0].as_u64()),
        (201, Some(zone_id))
    );
    let (_, _, found) = send(&f.state, "GET", &near("flood"), None, &[], None).await;
    assert_eq!(found["features"][0]["id"], id, "{found}");

    let (status, _, answer) = send(
        &f.state,
        "GET",
        "/api/v1/exposure?hazard=meteor",
        None,
        &[],
        None,
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("hazard"),
        "{answer}"
    );
}
