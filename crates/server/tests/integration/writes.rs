//! Writes through the API against a real store file: roles, versions, stock rules, events, audit.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use refuge_server::{AppState, Config, app};
use refuge_store::{Actor, Role, Store};
use serde_json::{Value, json};
use tower::ServiceExt;

/// A fresh store seeded with the demo city, and tokens for each role.
pub struct Fixture {
    pub state: AppState,
    pub logistics: String,
    pub planner: String,
    pub admin: String,
    pub _dir: tempfile::TempDir,
}

pub fn fixture() -> Fixture {
    fixture_with(Config {
        body_limit_bytes: 64 * 1024,
        ..Config::default()
    })
}

/// A fresh store seeded with the demo city, served with `config`, and tokens for each role.
pub fn fixture_with(config: Config) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("refuge.db");
    let store = Store::open(&path).unwrap();
    let token = |role, name| store.create_token(name, role, &Actor::system()).unwrap().1;
    let (logistics, planner, admin) = (
        token(Role::Logistics, "logistics"),
        token(Role::Planner, "planner"),
        token(Role::Admin, "admin"),
    );
    let state = AppState::open(store, None, config).unwrap();
    Fixture {
        state,
        logistics,
        planner,
        admin,
        _dir: dir,
    }
}

pub async fn send(
    state: &AppState,
    method: &str,
    uri: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> (StatusCode, axum::http::HeaderMap, Value) {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
    let response = app(state.clone())
        .oneshot(request.body(body).unwrap())
        .await
        .unwrap();
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (parts.status, parts.headers, value)
}

/// How many entries the audit log holds.
fn audit_entries(f: &Fixture) -> usize {
    f.state
        .store
        .as_ref()
        .unwrap()
        .audit_log(100_000, None)
        .unwrap()
        .len()
}

/// The stock ledger as the store file holds it, read afresh.
fn stored_ledger(f: &Fixture) -> refuge_core::StockLedger {
    let reloaded = Store::open(f.state.store.as_ref().unwrap().path().unwrap())
        .unwrap()
        .load()
        .unwrap();
    refuge_core::StockLedger::replay(reloaded.movements).unwrap()
}

/// Usable units of `item` at facility `id`, as its detail shows them.
async fn stock_of(state: &AppState, id: u64, item: &str) -> u64 {
    let (_, _, body) = send(
        state,
        "GET",
        &format!("/api/v1/facilities/{id}"),
        None,
        &[],
        None,
    )
    .await;
    let stock = body["properties"]["stock"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    stock
        .iter()
        .find(|s| s["item"] == item)
        .and_then(|s| s["quantity"].as_u64())
        .unwrap_or(0)
}

async fn first_id(state: &AppState, kind: &str) -> u64 {
    let (_, _, body) = send(
        state,
        "GET",
        &format!("/api/v1/facilities?kind={kind}&limit=1"),
        None,
        &[],
        None,
    )
    .await;
    body["features"][0]["id"].as_u64().unwrap()
}

#[tokio::test]
async fn roles_are_enforced() {
    let f = fixture();
    let shelter = first_id(&f.state, "shelter").await;
    let report = json!({ "status": "full", "occupancy": 10 });
    let uri = format!("/api/v1/facilities/{shelter}/status");
    let (status, headers, body) =
        send(&f.state, "POST", &uri, None, &[], Some(report.clone())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(headers.get(header::WWW_AUTHENTICATE).is_some());
    let (status, _, _) = send(
        &f.state,
        "POST",
        &uri,
        Some("rfg_not_a_token"),
        &[],
        Some(report.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, body) = send(
        &f.state,
        "POST",
        &uri,
        Some(&f.planner),
        &[],
        Some(report.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _, body) = send(
        &f.state,
        "POST",
        &uri,
        Some(&f.logistics),
        &[],
        Some(report.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _, _) = send(&f.state, "POST", &uri, Some(&f.admin), &[], Some(report)).await;
    assert_eq!(status, StatusCode::OK, "admins may do anything");
    let (status, _, _) = send(
        &f.state,
        "GET",
        "/api/v1/audit",
        Some(&f.logistics),
        &[],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Each token can ask whom it belongs to and what it may do; no token cannot.
    for (token, name, acts_as) in [
        (&f.logistics, "logistics", json!(["logistics"])),
        (&f.planner, "planner", json!(["planner"])),
        (&f.admin, "admin", json!(["logistics", "planner", "admin"])),
    ] {
        let (status, _, me) = send(&f.state, "GET", "/api/v1/me", Some(token), &[], None).await;
        assert_eq!(status, StatusCode::OK, "{me}");
        assert_eq!(me["name"], name);
        assert_eq!(me["role"], name);
        assert_eq!(me["acts_as"], acts_as);
    }
    let (status, _, _) = send(&f.state, "GET", "/api/v1/me", None, &[], None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_status_report_is_on_the_map_at_once_and_in_the_audit_log() {
    let f = fixture();
    let mut events = f.state.events.subscribe();
    let (_, _, nearest) = send(
        &f.state,
        "GET",
        "/api/v1/nearest?lon=7.42&lat=43.735&kind=shelter&k=1&has_room=true",
        None,
        &[],
        None,
    )
    .await;
    let shelter = nearest["features"][0]["id"].as_u64().unwrap();
    let capacity = nearest["features"][0]["properties"]["capacity"]
        .as_u64()
        .unwrap();
    let (_, _, tilejson) = send(&f.state, "GET", "/tiles/facilities.json", None, &[], None).await;
    let before_version = tilejson["tiles"][0].as_str().unwrap().to_owned();
    let report = json!({ "status": "full", "occupancy": capacity, "reported_by": "warden Li" });
    let (status, headers, body) = send(
        &f.state,
        "POST",
        &format!("/api/v1/facilities/{shelter}/status"),
        Some(&f.logistics),
        &[],
        Some(report),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers[header::ETAG], "\"v2\"");
    assert_eq!(body["properties"]["report"]["reported_by"], "warden Li");
    // The next nearest query and the TileJSON already reflect it.
    let (_, _, nearest) = send(
        &f.state,
        "GET",
        "/api/v1/nearest?lon=7.42&lat=43.735&kind=shelter&k=1&has_room=true",
        None,
        &[],
        None,
    )
    .await;
    assert_ne!(nearest["features"][0]["id"].as_u64().unwrap(), shelter);
    let (_, _, tilejson) = send(&f.state, "GET", "/tiles/facilities.json", None, &[], None).await;
    assert_ne!(tilejson["tiles"][0].as_str().unwrap(), before_version);
    let event = events.try_recv().unwrap();
    assert_eq!(
        (event.action.as_str(), event.facility),
        ("facility.status", Some(shelter))
    );
    let (_, _, audit) = send(
        &f.state,
        "GET",
        "/api/v1/audit?limit=1",
        Some(&f.admin),
        &[],
        None,
    )
    .await;
    let entry = &audit["entries"][0];
    assert_eq!(entry["action"], "facility.status");
    assert_eq!(entry["actor"], "logistics");
    assert_eq!(entry["before"]["status"]["status"], "open");
    assert_eq!(entry["after"]["status"]["status"], "full");
}

#[tokio::test]
async fn a_stale_version_gets_412_and_nothing_changes() {
    let f = fixture();
    let shelter = first_id(&f.state, "shelter").await;
    let uri = format!("/api/v1/facilities/{shelter}");
    let (_, headers, _) = send(&f.state, "GET", &uri, None, &[], None).await;
    let etag = headers[header::ETAG].to_str().unwrap().to_owned();
    let patch = json!({ "address": "1 Rue Grimaldi" });
    let (status, _, _) = send(
        &f.state,
        "PATCH",
        &uri,
        Some(&f.admin),
        &[],
        Some(patch.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::PRECONDITION_REQUIRED);
    let (status, headers, body) = send(
        &f.state,
        "PATCH",
        &uri,
        Some(&f.admin),
        &[("if-match", &etag)],
        Some(patch.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["properties"]["address"], "1 Rue Grimaldi");
    assert_eq!(headers[header::ETAG], "\"v2\"");
    let stale = json!({ "address": "somewhere else" });
    let (status, _, body) = send(
        &f.state,
        "PATCH",
        &uri,
        Some(&f.admin),
        &[("if-match", &etag)],
        Some(stale),
    )
    .await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{body}");
    let (_, _, now) = send(&f.state, "GET", &uri, None, &[], None).await;
    assert_eq!(now["properties"]["address"], "1 Rue Grimaldi");
    let (status, _, _) = send(
        &f.state,
        "DELETE",
        &uri,
        Some(&f.admin),
        &[("if-match", "\"v1\"")],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    let (status, _, _) = send(
        &f.state,
        "DELETE",
        &uri,
        Some(&f.admin),
        &[("if-match", "\"v2\"")],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = send(&f.state, "GET", &uri, None, &[], None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn stock_cannot_go_negative_and_transfers_are_atomic() {
    let f = fixture();
    let (_, _, depots) = send(
        &f.state,
        "GET",
        "/api/v1/facilities?kind=reserve&limit=2",
        None,
        &[],
        None,
    )
    .await;
    let (a, b) = (
        depots["features"][0]["id"].as_u64().unwrap(),
        depots["features"][1]["id"].as_u64().unwrap(),
    );
    let stock = |id: u64| stock_of(&f.state, id, "tent_12m2");
    let (before_a, before_b) = (stock(a).await, stock(b).await);
    let movement = |body: Value| {
        send(
            &f.state,
            "POST",
            "/api/v1/stock/movements",
            Some(&f.logistics),
            &[],
            Some(body),
        )
    };
    let (status, _, body) = movement(
        json!({ "facility": a, "item": "tent_12m2", "type": "issue", "quantity": before_a + 1 }),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("only"),
        "{body}"
    );
    let (status, _, body) = movement(json!({ "facility": a, "item": "tent_12m2", "type": "transfer", "to": b, "quantity": before_a + 1 })).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(
        (stock(a).await, stock(b).await),
        (before_a, before_b),
        "nothing moved"
    );
    let (status, _, body) = movement(
        json!({ "facility": a, "item": "tent_12m2", "type": "transfer", "to": b, "quantity": 10 }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        (stock(a).await, stock(b).await),
        (before_a - 10, before_b + 10)
    );
    let (status, _, body) = movement(
        json!({ "facility": a, "item": "gold_bars", "type": "receive", "quantity": 1, "lot": "x" }),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("gold_bars")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_clients_issuing_at_once_lose_nothing() {
    let f = fixture();
    let depot = first_id(&f.state, "reserve").await;
    let item = "bottled_water";
    let read = || stock_of(&f.state, depot, item);
    let before = read().await;
    let state = Arc::new(f.state.clone());
    let mut clients = Vec::new();
    for client in 0..16u64 {
        let (state, token) = (Arc::clone(&state), f.logistics.clone());
        clients.push(tokio::spawn(async move {
            for _ in 0..5 {
                let body = json!({ "facility": depot, "item": item, "type": "receive", "quantity": client + 1, "lot": format!("c{client}") });
                let (status, _, body) = send(&state, "POST", "/api/v1/stock/movements", Some(&token), &[], Some(body)).await;
                assert_eq!(status, StatusCode::CREATED, "{body}");
            }
        }));
    }
    for client in clients {
        client.await.unwrap();
    }
    // 5 receipts of 1..=16 each: 5 × 136.
    assert_eq!(read().await, before + 5 * 136);
    let ledger = stored_ledger(&f);
    assert_eq!(
        ledger.on_hand(
            refuge_core::FacilityId::new(depot).unwrap(),
            &refuge_core::ItemId::new(item).unwrap()
        ),
        before + 680
    );
}

/// Status reports from many clients at once are committed in groups: each client's last report
/// is what the index and the store hold, every report has its audit entry, and the data version
/// grew by fewer snapshots than there were writes. A stale version in a group is refused alone.
#[test]
fn concurrent_facility_writes_are_committed_in_groups_and_lose_nothing() {
    use refuge_core::{Facility, FacilityKind, LiveStatus};
    use refuge_store::Action;
    let f = fixture();
    let snapshot = f.state.index.snapshot();
    let store = f.state.store.as_ref().unwrap();
    let shelters: Vec<Facility> = snapshot
        .facilities()
        .filter(|facility| facility.kind() == FacilityKind::Shelter)
        .take(16)
        .map(|facility| store.facility(facility.id).unwrap().unwrap())
        .collect();
    assert_eq!(shelters.len(), 16);
    let version_before = snapshot.version();
    let audit_before = audit_entries(&f);
    let actor = Actor {
        name: "duty".into(),
        role: Some(Role::Logistics),
        token: None,
    };
    let reports = [LiveStatus::Open, LiveStatus::Full, LiveStatus::Closed];
    std::thread::scope(|scope| {
        for shelter in &shelters {
            let (state, actor) = (&f.state, &actor);
            scope.spawn(move || {
                let mut current = shelter.clone();
                for n in 0..20 {
                    current.status.status = reports[n % 3];
                    current = state
                        .write_facility(
                            current.clone(),
                            Some(current.version),
                            Action::FacilityStatus,
                            actor,
                        )
                        .unwrap();
                }
                // The version this client read first is long gone: refused, nothing written.
                let stale = state.write_facility(
                    shelter.clone(),
                    Some(shelter.version),
                    Action::FacilityStatus,
                    actor,
                );
                assert!(stale.is_err());
            });
        }
    });
    let snapshot = f.state.index.snapshot();
    for shelter in &shelters {
        let now = snapshot.get(shelter.id).unwrap();
        assert_eq!(now.status, reports[19 % 3]);
        let kept = store.facility(shelter.id).unwrap().unwrap();
        assert_eq!(kept.version, shelter.version + 20);
        assert_eq!(
            refuge_core::FacilityBrief::of(&kept),
            *now,
            "the store holds what the index shows"
        );
    }
    let audit = audit_entries(&f);
    assert_eq!(
        audit - audit_before,
        16 * 20,
        "one audit entry per write, none for the refused"
    );
    // Sixteen writers each waiting out a disk sync: some writes must have shared a commit.
    let snapshots = snapshot.version() - version_before;
    assert!(
        snapshots < 16 * 20,
        "{snapshots} snapshots for 320 writes: none grouped"
    );
}

/// Issues from many clients at once, more than the depot holds, committed in groups: each is
/// checked after the ones before it in its group, so stock never goes negative, and exactly as
/// many are booked as the depot could give.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_issues_beyond_the_stock_never_overdraw() {
    let f = fixture();
    let depot = first_id(&f.state, "reserve").await;
    let item = "bottled_water";
    let before = stock_of(&f.state, depot, item).await;
    assert!(before >= 10, "the demo depot holds water");
    let chunk = before / 10;
    let state = Arc::new(f.state.clone());
    let mut clients = Vec::new();
    for _ in 0..16 {
        let (state, token) = (Arc::clone(&state), f.logistics.clone());
        clients.push(tokio::spawn(async move {
            let mut booked = 0;
            for _ in 0..3 {
                let body =
                    json!({ "facility": depot, "item": item, "type": "issue", "quantity": chunk });
                let (status, _, body) = send(
                    &state,
                    "POST",
                    "/api/v1/stock/movements",
                    Some(&token),
                    &[],
                    Some(body),
                )
                .await;
                match status {
                    StatusCode::CREATED => booked += 1,
                    StatusCode::CONFLICT => {}
                    other => panic!("{other}: {body}"),
                }
            }
            booked
        }));
    }
    let mut booked = 0;
    for client in clients {
        booked += client.await.unwrap();
    }
    assert_eq!(
        booked,
        before / chunk,
        "as many issues as the stock allows, no more"
    );
    let after = stock_of(&f.state, depot, item).await;
    assert_eq!(after, before - booked * chunk);
    let ledger = stored_ledger(&f);
    assert_eq!(
        ledger.usable(
            refuge_core::FacilityId::new(depot).unwrap(),
            &refuge_core::ItemId::new(item).unwrap(),
            chrono::Utc::now().date_naive()
        ),
        after,
        "the store holds what the server shows"
    );
}

#[tokio::test]
async fn malformed_or_oversized_bodies_change_nothing() {
    let f = fixture();
    let shelter = first_id(&f.state, "shelter").await;
    let uri = format!("/api/v1/facilities/{shelter}/status");
    let request = |body: Body| {
        Request::post(uri.as_str())
            .header(header::AUTHORIZATION, format!("Bearer {}", f.logistics))
            .body(body)
            .unwrap()
    };
    let response = app(f.state.clone())
        .oneshot(request(Body::from("{\"status\": \"open\",")))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value =
        serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("line 1"),
        "{body}"
    );
    let big = format!(
        "{{\"status\": \"open\", \"reported_by\": \"{}\"}}",
        "x".repeat(100_000)
    );
    let response = app(f.state.clone())
        .oneshot(request(Body::from(big)))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let response = app(f.state.clone())
        .oneshot(request(Body::from("{\"status\": \"exploded\"}")))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let (_, headers, _) = send(
        &f.state,
        "GET",
        &format!("/api/v1/facilities/{shelter}"),
        None,
        &[],
        None,
    )
    .await;
    assert_eq!(headers[header::ETAG], "\"v1\"", "nothing was written");
    let (_, _, audit) = send(&f.state, "GET", "/api/v1/audit", Some(&f.admin), &[], None).await;
    assert!(
        audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["action"] != "facility.status")
    );
}

#[tokio::test]
async fn planners_upload_hazard_layers_and_contacts_stay_private() {
    let f = fixture();
    let layer = json!({
        "type": "FeatureCollection",
        "features": [{
            "type": "Feature",
            "geometry": { "type": "Polygon", "coordinates": [[[7.415, 43.728], [7.418, 43.728], [7.418, 43.730], [7.415, 43.728]]] },
            "properties": { "id": "chem-1", "name_zh": "危化品仓库", "hazard_kind": "hazardous_chemical_site", "risk": "较大", "influence_radius_m": 150, "phone": "+377 9898 0000" }
        }]
    });
    let (status, _, body) = send(
        &f.state,
        "POST",
        "/api/v1/hazards",
        Some(&f.logistics),
        &[],
        Some(layer.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _, body) = send(
        &f.state,
        "POST",
        "/api/v1/hazards",
        Some(&f.planner),
        &[],
        Some(layer),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["hazards"][0].as_u64().unwrap();
    let (_, _, public) = send(
        &f.state,
        "GET",
        &format!("/api/v1/facilities/{id}"),
        None,
        &[],
        None,
    )
    .await;
    assert_eq!(public["properties"]["risk"], "large");
    assert!(public["properties"].get("contact").is_none(), "{public}");
    let (_, _, private) = send(
        &f.state,
        "GET",
        &format!("/api/v1/facilities/{id}"),
        Some(&f.planner),
        &[],
        None,
    )
    .await;
    assert_eq!(private["properties"]["contact"]["phone"], "+377 9898 0000");
}

#[tokio::test]
async fn a_status_report_on_a_depot_keeps_its_stock() {
    let f = fixture();
    let depot = first_id(&f.state, "reserve").await;
    let (status, _, _) = send(
        &f.state,
        "POST",
        &format!("/api/v1/facilities/{depot}/status"),
        Some(&f.logistics),
        &[],
        Some(json!({ "status": "open" })),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, _, detail) = send(
        &f.state,
        "GET",
        &format!("/api/v1/facilities/{depot}"),
        None,
        &[],
        None,
    )
    .await;
    assert!(
        detail["properties"]["stock"]
            .as_array()
            .is_some_and(|s| s.len() > 30),
        "stock kept: {detail}"
    );
    let (_, _, near) = send(
        &f.state,
        "GET",
        "/api/v1/nearest?lon=7.42&lat=43.735&kind=reserve&item=bottled_water&k=100",
        None,
        &[],
        None,
    )
    .await;
    assert!(
        near["features"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"].as_u64() == Some(depot))
    );
}

#[tokio::test]
async fn a_hazard_upload_cannot_replace_a_shelter_whatever_id_it_claims() {
    let f = fixture();
    let shelter = first_id(&f.state, "shelter").await;
    // The shelter as `refuge export` writes it: the whole record, its id among it.
    let record = f
        .state
        .record(refuge_core::FacilityId::new(shelter).unwrap())
        .await
        .unwrap()
        .unwrap();
    let mut disguised = refuge_io::feature_json(&record, refuge_core::Crs::Wgs84);
    disguised["properties"]["kind"] = json!("hazard");
    disguised["properties"]["hazard_kind"] = json!("gas_station");
    disguised["properties"]["risk"] = json!("low");
    disguised["properties"]["influence_radius_m"] = json!(10);
    let (status, _, body) = send(
        &f.state,
        "POST",
        "/api/v1/hazards",
        Some(&f.planner),
        &[],
        Some(disguised),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (_, _, still) = send(
        &f.state,
        "GET",
        &format!("/api/v1/facilities/{shelter}"),
        None,
        &[],
        None,
    )
    .await;
    assert_eq!(still["properties"]["kind"], "shelter");
}

#[tokio::test]
async fn features_sent_without_an_id_get_ids_of_their_own() {
    let f = fixture();
    let point = |name: &str| {
        json!({ "type": "Feature", "geometry": { "type": "Point", "coordinates": [7.42, 43.73] },
        "properties": { "kind": "poi", "poi_kind": "defibrillator", "name_en": name } })
    };
    let (s1, _, a) = send(
        &f.state,
        "POST",
        "/api/v1/facilities",
        Some(&f.admin),
        &[],
        Some(point("AED one")),
    )
    .await;
    let (s2, _, b) = send(
        &f.state,
        "POST",
        "/api/v1/facilities",
        Some(&f.admin),
        &[],
        Some(point("AED two")),
    )
    .await;
    assert_eq!(
        (s1, s2),
        (StatusCode::CREATED, StatusCode::CREATED),
        "{a} {b}"
    );
    assert_ne!(a["id"], b["id"]);
}

#[tokio::test]
async fn an_absurd_quantity_is_refused() {
    let f = fixture();
    let depot = first_id(&f.state, "reserve").await;
    let (status, _, body) = send(&f.state, "POST", "/api/v1/stock/movements", Some(&f.logistics), &[],
        Some(json!({ "facility": depot, "item": "rice", "type": "receive", "quantity": u64::MAX, "lot": "x" }))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test]
async fn a_paging_offset_past_the_end_answers_an_empty_last_page() {
    let f = fixture();
    let (status, _, body) = send(
        &f.state,
        "GET",
        &format!("/api/v1/facilities?offset={}", usize::MAX),
        None,
        &[],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.get("next_offset").is_none());
}

#[tokio::test]
async fn usable_stock_is_recounted_for_a_new_day() {
    let f = fixture();
    let depot = first_id(&f.state, "reserve").await;
    let water = refuge_core::ItemId::new("bottled_water").unwrap();
    let id = refuge_core::FacilityId::new(depot).unwrap();
    let before = f.state.index.snapshot().stock_of(id, &water);
    assert!(before > 0);
    // Bottled water keeps 365 days from the demo receipt of 2026-01-05.
    f.state
        .refresh_stock(chrono::NaiveDate::from_ymd_opt(2027, 6, 1).unwrap());
    assert_eq!(
        f.state.index.snapshot().stock_of(id, &water),
        0,
        "expired lots no longer count"
    );
}

#[tokio::test]
async fn a_patch_naming_a_field_the_facility_lacks_is_refused_by_name() {
    let f = fixture();
    let shelter = first_id(&f.state, "shelter").await;
    let uri = format!("/api/v1/facilities/{shelter}");
    for (patch, named) in [
        (json!({"adress": "1 Rue Grimaldi"}), "`adress`"),
        (
            json!({"contact": {"phon": "+377 9898 0000"}}),
            "`contact.phon`",
        ),
        (json!({"tier": "district"}), "`tier`"),
        (json!({"version": 9}), "`version`"),
    ] {
        let (status, _, body) = send(
            &f.state,
            "PATCH",
            &uri,
            Some(&f.admin),
            &[("if-match", "\"v1\"")],
            Some(patch.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{patch}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(named), "{patch}: {message}");
    }
    let (_, headers, _) = send(&f.state, "GET", &uri, None, &[], None).await;
    assert_eq!(headers[header::ETAG], "\"v1\"", "nothing was changed");
}

/// A shelter whose record says it has step-free access (`amenities`, or OpenStreetMap's
/// `wheelchair=yes`) is what a wheelchair user's nearest search finds, and only such shelters.
#[tokio::test]
async fn the_wheelchair_filter_keeps_only_step_free_shelters() {
    let f = fixture();
    let near = |lon: f64, name: &str, props: Value| {
        let mut properties =
            json!({"kind": "shelter", "name_en": name, "status": "open", "capacity": 50});
        properties
            .as_object_mut()
            .unwrap()
            .extend(props.as_object().unwrap().clone());
        json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, 45.0]},
               "properties": properties})
    };
    let mut step_free = Vec::new();
    for (lon, name, props) in [
        (
            10.0001,
            "Ramped hall",
            json!({"amenities": "accessible;toilets"}),
        ),
        (10.0002, "Mapped hall", json!({"wheelchair": "yes"})),
        (10.00005, "Stairs only", json!({"wheelchair": "limited"})),
    ] {
        let (status, _, created) = send(
            &f.state,
            "POST",
            "/api/v1/facilities",
            Some(&f.admin),
            &[],
            Some(near(lon, name, props)),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        if name != "Stairs only" {
            step_free.push(created["id"].as_u64().unwrap());
        }
    }
    let (_, _, all) = send(
        &f.state,
        "GET",
        "/api/v1/nearest?lon=10&lat=45&kind=shelter&k=3",
        None,
        &[],
        None,
    )
    .await;
    assert_eq!(
        all["features"][0]["properties"]["name"]["en"],
        "Stairs only"
    );
    let (status, _, answer) = send(
        &f.state,
        "GET",
        "/api/v1/nearest?lon=10&lat=45&kind=shelter&k=2&wheelchair=true",
        None,
        &[],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let ids: Vec<u64> = answer["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, step_free, "nearest first, step-free only");
}
