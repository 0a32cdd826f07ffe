//! A city's own data through the API: streamed imports, activations, stock lists, quotas, and the
//! built-in page.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use refuge_server::{AppState, app};
use serde_json::{Value, json};
use tower::ServiceExt;

use super::writes::{fixture, fixture_with, send};

/// A request with a raw body (a file being imported).
pub async fn upload(
    state: &AppState,
    uri: &str,
    token: &str,
    body: impl Into<Body>,
) -> (StatusCode, Value) {
    let request = Request::builder()
        .method("POST")
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(body.into())
        .unwrap();
    let response = app(state.clone()).oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn get(state: &AppState, uri: &str) -> (StatusCode, Value) {
    let (status, _, body) = send(state, "GET", uri, None, &[], None).await;
    (status, body)
}

/// Shelters near 10°E 45°N (far from the demo city): a states no suitability and no capacity,
/// b suits floods only, c and e suit earthquakes, d is closed, f lies outside the area.
const SHELTERS: &str = "id,lon,lat,suitable_for,status,capacity
s-a,10.000,45.000,,,
s-b,10.001,45.001,flood,,100
s-c,10.002,45.002,earthquake,,100
s-d,10.003,45.003,earthquake,closed,100
s-e,10.010,45.010,earthquake,,100
s-f,10.100,45.100,earthquake,,100
";

/// A fuel station whose 200 m reach covers shelter e.
const HAZARDS: &str = "id,lon,lat,hazard_kind,influence_radius_m
fuel-1,10.0101,45.0101,gas_station,200
";

/// The area of the activation: a square holding a to e.
fn area() -> Value {
    json!({"type": "Polygon", "coordinates": [[[9.99, 44.99], [10.02, 44.99], [10.02, 45.02], [9.99, 45.02], [9.99, 44.99]]]})
}

async fn import_city(state: &AppState, admin: &str) {
    let (status, body) = upload(
        state,
        "/api/v1/import?dataset=shelters.csv&format=csv&kind=shelter",
        admin,
        SHELTERS.to_owned(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["created"], 6, "{body}");
    let (status, body) = upload(
        state,
        "/api/v1/import?dataset=hazards.csv&format=csv&kind=hazard",
        admin,
        HAZARDS.to_owned(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Logistics reports shelter `id` full.
async fn report_full(f: &super::writes::Fixture, id: u64) {
    let uri = format!("/api/v1/facilities/{id}/status");
    let body = json!({"status": "full"});
    let (status, _, answer) =
        send(&f.state, "POST", &uri, Some(&f.logistics), &[], Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
}

/// The id of the facility with source id `record`, and its status.
async fn by_record(state: &AppState, record: &str) -> (u64, String) {
    let (_, found) = get(
        state,
        "/api/v1/facilities?bbox=9.9,44.9,10.2,45.2&kind=shelter&limit=100",
    )
    .await;
    for feature in found["features"].as_array().unwrap() {
        let id = feature["id"].as_u64().unwrap();
        let (_, detail) = get(state, &format!("/api/v1/facilities/{id}")).await;
        if detail["properties"]["source"]["record"] == record {
            let status = detail["properties"]["status"].as_str().unwrap().to_owned();
            return (id, status);
        }
    }
    panic!("no shelter {record}");
}

#[tokio::test]
async fn an_import_larger_than_the_body_limit_streams_into_the_store_and_the_map() {
    let f = fixture();
    let mut events = f.state.events.subscribe();
    // About 160 KB against a 64 KB body limit.
    let mut csv = String::from("id,lon,lat,capacity\n");
    for n in 0..6_000 {
        csv.push_str(&format!(
            "big-{n},{:.5},{:.5},50\n",
            11.0 + f64::from(n) * 1e-4,
            46.0
        ));
    }
    assert!(csv.len() > 2 * 64 * 1024, "{} bytes", csv.len());
    let uri = "/api/v1/import?dataset=big.csv&format=csv&kind=shelter";
    let (status, body) = upload(&f.state, uri, &f.admin, csv.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["created"], 6_000);
    assert_eq!(body["report"]["accepted"], 6_000);
    // One event announces the whole import.
    let event = events.try_recv().unwrap();
    assert_eq!(event.action, refuge_store::Action::Import);
    assert_eq!(event.count, Some(6_000));
    assert!(events.try_recv().is_err(), "one event for the import");
    // The map and the nearest list show it at once.
    let (_, nearest) = get(
        &f.state,
        "/api/v1/nearest?lon=11.0&lat=46.0&kind=shelter&k=1",
    )
    .await;
    assert_eq!(nearest["features"][0]["properties"]["distance_m"], 0.0);
    // Imported again: nothing changes, no version goes up.
    let (_, again) = upload(&f.state, uri, &f.admin, csv).await;
    assert_eq!(
        (again["created"].as_u64(), again["unchanged"].as_u64()),
        (Some(0), Some(6_000))
    );
    let (_, audit) = get_audit(&f.state, &f.admin).await;
    assert!(
        audit
            .iter()
            .any(|e| e["action"] == "import" && e["target"] == "dataset big.csv")
    );
}

async fn get_audit(state: &AppState, admin: &str) -> (StatusCode, Vec<Value>) {
    let (status, _, body) = send(
        state,
        "GET",
        "/api/v1/audit?limit=50",
        Some(admin),
        &[],
        None,
    )
    .await;
    (
        status,
        body["entries"].as_array().cloned().unwrap_or_default(),
    )
}

#[tokio::test]
async fn a_broken_import_changes_nothing_and_bad_rows_are_reported_by_line() {
    let f = fixture();
    let before = f.state.index.snapshot();
    let broken = "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[10,45]},\"properties\":{\"kind\":\"shelter\"}},";
    let (status, body) = upload(
        &f.state,
        "/api/v1/import?dataset=b.geojson&format=geojson",
        &f.admin,
        broken.to_owned(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("b.geojson"),
        "{body}"
    );
    let after = f.state.index.snapshot();
    assert_eq!(
        (after.len(), after.version()),
        (before.len(), before.version())
    );
    assert_eq!(
        f.state
            .store
            .as_ref()
            .unwrap()
            .load()
            .unwrap()
            .facilities
            .len(),
        before.len()
    );

    let mixed = "id,lon,lat\nok-1,10.0,45.0\nbad-1,200.0,45.0\nok-2,10.1,45.1\n";
    let (status, body) = upload(
        &f.state,
        "/api/v1/import?dataset=m.csv&format=csv&kind=shelter",
        &f.admin,
        mixed.to_owned(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["created"], 2);
    assert_eq!(body["report"]["rejected"][0]["at"]["line"], 3, "{body}");

    for (uri, field) in [
        ("/api/v1/import?format=csv", "dataset"),
        ("/api/v1/import?dataset=x.csv", "format"),
        ("/api/v1/import?dataset=x.csv&format=csv&crs=mars", "crs"),
        (
            "/api/v1/import?dataset=x.csv&format=geojson&layer=rivers",
            "layer",
        ),
    ] {
        let (status, body) = upload(&f.state, uri, &f.admin, mixed.to_owned()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(field),
            "{uri}: {body}"
        );
    }
    let (status, _) = upload(
        &f.state,
        "/api/v1/import?dataset=x.csv&format=csv",
        &f.logistics,
        mixed.to_owned(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn importing_again_without_a_status_keeps_the_live_status() {
    let f = fixture();
    import_city(&f.state, &f.admin).await;
    let (c, _) = by_record(&f.state, "s-c").await;
    report_full(&f, c).await;
    let (status, body) = upload(
        &f.state,
        "/api/v1/import?dataset=shelters.csv&format=csv&kind=shelter",
        &f.admin,
        SHELTERS.to_owned(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(by_record(&f.state, "s-c").await.1, "full");
    assert_eq!(
        by_record(&f.state, "s-d").await.1,
        "closed",
        "a stated status is taken"
    );
    // The same file again changes nothing: no version goes up, stated statuses included.
    assert_eq!(
        (body["updated"].as_u64(), body["unchanged"].as_u64()),
        (Some(0), Some(6)),
        "{body}"
    );
}

#[tokio::test]
async fn importing_again_keeps_a_planners_designation() {
    let f = fixture();
    import_city(&f.state, &f.admin).await;
    let (b, _) = by_record(&f.state, "s-b").await;
    let (status, _, _) = send(
        &f.state,
        "PATCH",
        &format!("/api/v1/facilities/{b}"),
        Some(&f.admin),
        &[("if-match", "\"v1\"")],
        Some(json!({"designation": "decommissioned"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    upload(
        &f.state,
        "/api/v1/import?dataset=shelters.csv&format=csv&kind=shelter",
        &f.admin,
        SHELTERS.to_owned(),
    )
    .await;
    let (_, detail) = get(&f.state, &format!("/api/v1/facilities/{b}")).await;
    assert_eq!(detail["properties"]["designation"], "decommissioned");
}

#[tokio::test]
async fn records_without_ids_are_not_matched_by_their_place_in_the_file() {
    let f = fixture();
    let uri = "/api/v1/import?dataset=noid.csv&format=csv&kind=shelter";
    let first = "name,lon,lat\nNorth,10.0,45.0\nSouth,10.1,45.1\n";
    let (_, body) = upload(&f.state, uri, &f.admin, first.to_owned()).await;
    assert_eq!(body["created"], 2);
    let (_, body) = upload(&f.state, uri, &f.admin, first.to_owned()).await;
    assert_eq!(body["unchanged"], 2, "the same file is recognised: {body}");
    // A row inserted at the top: each line now holds another place.
    let shifted = "name,lon,lat\nWest,9.9,44.9\nNorth,10.0,45.0\nSouth,10.1,45.1\n";
    let (status, body) = upload(&f.state, uri, &f.admin, shifted.to_owned()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["updated"], 0, "{body}");
    let reasons: Vec<&str> = body["report"]["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons.len(), 2, "{body}");
    assert!(reasons.iter().all(|r| r.contains("no id")), "{reasons:?}");
    let (_, found) = get(&f.state, "/api/v1/facilities?q=North").await;
    assert_eq!(
        found["features"][0]["geometry"]["coordinates"][0], 10.0,
        "North stayed where it was"
    );
}

#[tokio::test]
async fn an_upload_that_breaks_off_or_is_too_large_stores_nothing() {
    let f = fixture_with(refuge_server::Config {
        import_limit_bytes: 1_000,
        ..refuge_server::Config::default()
    });
    let before = f.state.index.snapshot().len();
    let chunks: Vec<Result<axum::body::Bytes, std::io::Error>> = vec![
        Ok("id,lon,lat\nx-1,10.0,45.0\nx-2,10.1,".into()),
        Err(std::io::Error::other("connection reset")),
    ];
    let request = Request::builder()
        .method("POST")
        .uri("/api/v1/import?dataset=cut.csv&format=csv&kind=shelter")
        .header(header::AUTHORIZATION, format!("Bearer {}", f.admin))
        .body(Body::from_stream(tokio_stream::iter(chunks)))
        .unwrap();
    let response = app(f.state.clone()).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    assert!(String::from_utf8_lossy(&bytes).contains("connection reset"));
    assert_eq!(f.state.index.snapshot().len(), before);

    let big = format!("id,lon,lat\n{}", "y,10.0,45.0\n".repeat(200));
    let (status, body) = upload(
        &f.state,
        "/api/v1/import?dataset=big.csv&format=csv&kind=shelter",
        &f.admin,
        big,
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("import_limit_bytes")
    );
    assert_eq!(f.state.index.snapshot().len(), before);
}

#[tokio::test]
async fn ending_one_of_two_overlapping_activations_leaves_the_shelters_the_other_covers_open() {
    let f = fixture();
    import_city(&f.state, &f.admin).await;
    let start = |area: Value| {
        let state = f.state.clone();
        let token = f.logistics.clone();
        async move {
            let (status, _, started) = send(
                &state,
                "POST",
                "/api/v1/activations",
                Some(&token),
                &[],
                Some(json!({"hazard": "earthquake", "area": area})),
            )
            .await;
            assert_eq!(status, StatusCode::CREATED, "{started}");
            started
        }
    };
    let first = start(area()).await;
    // A second, smaller area holding only shelter c, which the first opened already.
    let small = json!({"type": "Polygon", "coordinates": [[[10.0015, 45.0015], [10.0025, 45.0015], [10.0025, 45.0025], [10.0015, 45.0025], [10.0015, 45.0015]]]});
    let second = start(small).await;
    assert_eq!(second["opened"], json!([]), "{second}");
    let first_id = first["id"].as_u64().unwrap();
    let (_, _, ended) = send(
        &f.state,
        "DELETE",
        &format!("/api/v1/activations/{first_id}"),
        Some(&f.logistics),
        &[],
        None,
    )
    .await;
    let c = by_record(&f.state, "s-c").await.0;
    assert_eq!(ended["handed_over"], json!([c]), "{ended}");
    assert_eq!(
        by_record(&f.state, "s-c").await.1,
        "open",
        "activation 2 still covers it"
    );
    assert_eq!(by_record(&f.state, "s-a").await.1, "standby");
    let second_id = second["id"].as_u64().unwrap();
    let (_, _, ended) = send(
        &f.state,
        "DELETE",
        &format!("/api/v1/activations/{second_id}"),
        Some(&f.logistics),
        &[],
        None,
    )
    .await;
    assert_eq!(ended["returned_to_standby"], json!([c]), "{ended}");
    assert_eq!(by_record(&f.state, "s-c").await.1, "standby");
    // Anonymous readers see activations without who started them.
    let (_, listed) = get(&f.state, "/api/v1/activations").await;
    assert!(listed["activations"][0].get("started_by").is_none());
}

#[tokio::test]
async fn an_activation_opens_the_suitable_shelters_of_its_area_and_its_end_returns_them() {
    let f = fixture();
    import_city(&f.state, &f.admin).await;
    let ids: Vec<(String, u64)> = {
        let mut ids = Vec::new();
        for record in ["s-a", "s-b", "s-c", "s-d", "s-e", "s-f"] {
            ids.push((record.to_owned(), by_record(&f.state, record).await.0));
        }
        ids
    };
    let id = |record: &str| ids.iter().find(|(r, _)| r == record).unwrap().1;
    // Before: every imported shelter is on standby, so none has room.
    let nearest = "/api/v1/nearest?lon=10.0&lat=45.0&kind=shelter&k=10&has_room=true";
    assert!(
        get(&f.state, nearest).await.1["features"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["properties"]["distance_m"].as_f64().unwrap() > 5_000.0)
    );

    let mut events = f.state.events.subscribe();
    let (status, _, started) = send(
        &f.state,
        "POST",
        "/api/v1/activations",
        Some(&f.logistics),
        &[],
        Some(json!({"hazard": "earthquake", "area": area()})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    let opened: Vec<u64> = started["opened"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    let mut expected = vec![id("s-a"), id("s-c")];
    expected.sort_unstable();
    let mut sorted = opened.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, expected, "{started}");
    assert_eq!(started["suitability_unknown"], json!([id("s-a")]));
    let reason_of = |record: &str| {
        started["left"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["id"] == id(record))
            .map(|l| l["reason"].clone())
    };
    assert_eq!(reason_of("s-b"), Some(json!("unsuitable")));
    assert_eq!(reason_of("s-d"), Some(json!("status")));
    assert_eq!(reason_of("s-e"), Some(json!("in_hazard_zone")));
    assert_eq!(reason_of("s-f"), None, "outside the area");
    assert_eq!(started["area"]["type"], "MultiPolygon");
    // One event, one audit entry listing the ids.
    assert_eq!(
        events.try_recv().unwrap().action,
        refuge_store::Action::ActivationStart
    );
    assert!(events.try_recv().is_err());
    let (_, audit) = get_audit(&f.state, &f.admin).await;
    let entry = audit
        .iter()
        .find(|e| e["action"] == "activation.start")
        .unwrap();
    assert_eq!(entry["after"]["opened"].as_array().unwrap().len(), 2);

    // Residents now find them; the one of unknown capacity is listed as such.
    let (_, found) = get(&f.state, nearest).await;
    let near: Vec<(u64, String)> = found["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["properties"]["distance_m"].as_f64().unwrap() < 5_000.0)
        .map(|h| {
            (
                h["id"].as_u64().unwrap(),
                h["properties"]["room"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        near,
        vec![
            (id("s-a"), "unknown".to_owned()),
            (id("s-c"), "available".to_owned())
        ]
    );

    // c fills up; ending the activation returns a to standby and leaves c full.
    let c = id("s-c");
    report_full(&f, c).await;
    let activation = started["id"].as_u64().unwrap();
    let (status, _, ended) = send(
        &f.state,
        "DELETE",
        &format!("/api/v1/activations/{activation}"),
        Some(&f.logistics),
        &[],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{ended}");
    assert_eq!(ended["returned_to_standby"], json!([id("s-a")]));
    assert_eq!(by_record(&f.state, "s-a").await.1, "standby");
    assert_eq!(by_record(&f.state, "s-c").await.1, "full");
    let (status, _, _) = send(
        &f.state,
        "DELETE",
        &format!("/api/v1/activations/{activation}"),
        Some(&f.logistics),
        &[],
        None,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "an ended activation cannot end again"
    );
    let (_, listed) = get(&f.state, "/api/v1/activations").await;
    assert!(listed["activations"][0]["ended_at"].is_string());
}

#[tokio::test]
async fn a_bad_activation_is_a_400_naming_the_field_and_changes_nothing() {
    let f = fixture();
    import_city(&f.state, &f.admin).await;
    let version = f.state.index.snapshot().version();
    let bowtie = json!({"type": "Polygon", "coordinates": [[[9.99, 44.99], [10.02, 45.02], [10.02, 44.99], [9.99, 45.02], [9.99, 44.99]]]});
    let open = json!({"type": "Polygon", "coordinates": [[[9.99, 44.99], [10.02, 44.99], [10.02, 45.02], [9.99, 45.02]]]});
    let cases = [
        (json!({"hazard": "meteor", "area": area()}), "hazard"),
        (
            json!({"hazard": "earthquake", "area": {"type": "Polygon", "coordinates": []}}),
            "area",
        ),
        (json!({"hazard": "earthquake", "area": open}), "area"),
        (json!({"hazard": "earthquake", "area": bowtie}), "area"),
        (
            json!({"hazard": "earthquake", "area": {"type": "Point", "coordinates": [10, 45]}}),
            "area",
        ),
        (
            json!({"hazard": "earthquake", "district": "Atlantis"}),
            "district",
        ),
        (json!({"hazard": "earthquake"}), "area"),
        (
            json!({"hazard": "earthquake", "area": area(), "district": "Monaco-Ville"}),
            "district",
        ),
        (
            json!({"hazard": "earthquake", "area": area(), "radius": 5}),
            "radius",
        ),
    ];
    for (body, field) in cases {
        let (status, _, answer) = send(
            &f.state,
            "POST",
            "/api/v1/activations",
            Some(&f.logistics),
            &[],
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains(field), "{body}: {message}");
    }
    let (status, _, _) = send(
        &f.state,
        "POST",
        "/api/v1/activations",
        Some(&f.planner),
        &[],
        Some(json!({"hazard": "earthquake", "area": area()})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(f.state.index.snapshot().version(), version);
    assert!(
        get(&f.state, "/api/v1/activations").await.1["activations"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn an_activation_by_district_uses_the_imported_boundaries() {
    let f = fixture();
    import_city(&f.state, &f.admin).await;
    let districts = json!({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "测试区", "gb": "156999001"}, "geometry": area()}]});
    let (status, body) = upload(
        &f.state,
        "/api/v1/import?dataset=districts.geojson&format=geojson&layer=boundaries",
        &f.admin,
        districts.to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["base"], 1);
    let (status, _, started) = send(
        &f.state,
        "POST",
        "/api/v1/activations",
        Some(&f.logistics),
        &[],
        Some(json!({"hazard": "earthquake", "district": "156999001"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    assert_eq!(started["opened"].as_array().unwrap().len(), 2);
    let (_, tilejson) = get(&f.state, "/tiles/base.json").await;
    assert!(
        tilejson["attribution"]
            .as_str()
            .unwrap()
            .contains("districts.geojson"),
        "{tilejson}"
    );
}

#[tokio::test]
async fn a_stock_list_books_receipts_and_names_unknown_facilities_and_items_by_line() {
    let f = fixture();
    import_city(&f.state, &f.admin).await;
    let list = "facility,item,quantity,lot,expires\ns-c,bottled_water,120,L1,2030-01-01\nnowhere,bottled_water,5,,\ns-c,unobtainium,5,,\ns-c,blanket,-3,,\n";
    let (status, body) = upload(
        &f.state,
        "/api/v1/stock/import?dataset=stock.csv",
        &f.logistics,
        list.to_owned(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["receipts"], 1);
    let rejected: Vec<(u64, String)> = body["report"]["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["at"]["line"].as_u64().unwrap(),
                r["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        rejected.iter().map(|r| r.0).collect::<Vec<_>>(),
        vec![3, 4, 5]
    );
    assert!(
        rejected.iter().any(|(_, why)| why.contains("nowhere")),
        "{rejected:?}"
    );
    assert!(
        rejected.iter().any(|(_, why)| why.contains("unobtainium")),
        "{rejected:?}"
    );
    let c = by_record(&f.state, "s-c").await.0;
    let (_, detail) = get(&f.state, &format!("/api/v1/facilities/{c}")).await;
    assert_eq!(
        detail["properties"]["stock"][0]["quantity"], 120,
        "{detail}"
    );
}

#[tokio::test]
async fn quotas_are_read_and_replaced_with_an_audit_entry() {
    let f = fixture();
    import_city(&f.state, &f.admin).await;
    let c = by_record(&f.state, "s-c").await.0;
    let uri = format!("/api/v1/facilities/{c}/quotas");
    let (status, _, body) = send(&f.state, "GET", &uri, Some(&f.logistics), &[], None).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"quotas": []})));
    let quotas = json!({"quotas": [{"item": "bottled_water", "minimum": 100, "target": 400}]});
    let (status, _, body) = send(
        &f.state,
        "PUT",
        &uri,
        Some(&f.logistics),
        &[],
        Some(quotas.clone()),
    )
    .await;
    assert_eq!((status, &body), (StatusCode::OK, &quotas));
    assert_eq!(
        send(&f.state, "GET", &uri, Some(&f.logistics), &[], None)
            .await
            .2,
        quotas
    );
    let (_, audit) = get_audit(&f.state, &f.admin).await;
    let entry = audit.iter().find(|e| e["action"] == "quotas.set").unwrap();
    assert_eq!(entry["after"][0]["item"], "bottled_water");
    assert_eq!(entry["after"][0]["minimum"], 100);
    for bad in [
        json!({"quotas": [{"item": "unobtainium", "minimum": 1, "target": 2}]}),
        json!({"quotas": [{"item": "bottled_water", "minimum": 5, "target": 2}]}),
        json!({"quotas": [{"item": "bottled_water", "minimum": 1, "target": 2, "extra": 1}]}),
    ] {
        let (status, _, _) = send(
            &f.state,
            "PUT",
            &uri,
            Some(&f.logistics),
            &[],
            Some(bad.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    }
    assert_eq!(
        send(&f.state, "GET", &uri, Some(&f.logistics), &[], None)
            .await
            .2,
        quotas,
        "refused changes change nothing"
    );
    assert_eq!(
        send(&f.state, "GET", &uri, None, &[], None).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn the_page_is_built_in_and_nothing_but_its_own_files_is_served() {
    let f = fixture();
    let fetch = |uri: &'static str| {
        let state = f.state.clone();
        async move {
            let request = Request::builder().uri(uri).body(Body::empty()).unwrap();
            let response = app(state).oneshot(request).await.unwrap();
            let status = response.status();
            let kind = response
                .headers()
                .get(header::CONTENT_TYPE)
                .map(|v| v.to_str().unwrap().to_owned());
            let bytes = response.into_body().collect().await.unwrap().to_bytes();
            (status, kind.unwrap_or_default(), bytes)
        }
    };
    let (status, kind, page) = fetch("/").await;
    assert_eq!(status, StatusCode::OK);
    // A reload of the built-in page costs a 304.
    let first = app(f.state.clone())
        .oneshot(
            Request::builder()
                .uri("/vendor/maplibre-gl/maplibre-gl.js")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let etag = first.headers().get(header::ETAG).unwrap().clone();
    let again = app(f.state.clone())
        .oneshot(
            Request::builder()
                .uri("/vendor/maplibre-gl/maplibre-gl.js")
                .header(header::IF_NONE_MATCH, etag)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert!(kind.starts_with("text/html"));
    assert!(String::from_utf8_lossy(&page).contains("/vendor/maplibre-gl/maplibre-gl.js"));
    for uri in [
        "/vendor/maplibre-gl/maplibre-gl.js",
        "/app.js",
        "/style.json",
        "/app.css",
    ] {
        let (status, _, bytes) = fetch(uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert!(bytes.len() > 100, "{uri}");
    }
    for uri in [
        "/package.json",
        "/package-lock.json",
        "/node_modules/maplibre-gl/dist/maplibre-gl.js",
        "/tests/map.test.mjs",
        "/../Cargo.toml",
        "/%2e%2e/Cargo.toml",
        "/api/v1/nothing",
    ] {
        let (status, kind, body) = fetch(uri).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        assert!(kind.starts_with("application/json"), "{uri}: {kind}");
        let error: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(error["error"]["code"], "not_found", "{uri}");
    }
}
