//! What a hostile or careless client must not get: one behaviour per test.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use refuge_server::app;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::writes::{fixture, send};

async fn a_shelter(f: &super::writes::Fixture) -> (u64, u64) {
    let (_, _, found) = send(
        &f.state,
        "GET",
        "/api/v1/facilities?kind=shelter&limit=50",
        None,
        &[],
        None,
    )
    .await;
    let feature = found["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["capacity"].is_u64())
        .unwrap()
        .clone();
    (
        feature["id"].as_u64().unwrap(),
        feature["properties"]["capacity"].as_u64().unwrap(),
    )
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let f = fixture();
    let (id, _) = a_shelter(&f).await;
    let request = Request::builder()
        .method("POST")
        .uri(format!("/api/v1/facilities/{id}/status"))
        .header(header::AUTHORIZATION, format!("bearer {}", f.logistics))
        .body(Body::from(json!({"status": "open"}).to_string()))
        .unwrap();
    let response = app(f.state.clone()).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_read_without_a_token_is_told_the_role_it_needs() {
    let f = fixture();
    let (status, _, body) = send(&f.state, "GET", "/api/v1/audit", None, &[], None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("admin role") && !message.contains("write"),
        "{message}"
    );
}

#[tokio::test]
async fn who_reported_a_status_is_shown_to_staff_only() {
    let f = fixture();
    let (id, _) = a_shelter(&f).await;
    let body = json!({"status": "open", "reported_by": "Wang Fang, duty officer"});
    send(
        &f.state,
        "POST",
        &format!("/api/v1/facilities/{id}/status"),
        Some(&f.logistics),
        &[],
        Some(body),
    )
    .await;
    let uri = format!("/api/v1/facilities/{id}");
    let (_, _, public) = send(&f.state, "GET", &uri, None, &[], None).await;
    assert!(
        public["properties"]["report"].get("reported_by").is_none(),
        "{public}"
    );
    assert!(!public.to_string().contains("Wang Fang"));
    let (_, _, staff) = send(&f.state, "GET", &uri, Some(&f.logistics), &[], None).await;
    assert_eq!(
        staff["properties"]["report"]["reported_by"],
        "Wang Fang, duty officer"
    );
}

#[tokio::test]
async fn an_occupancy_far_past_capacity_is_refused_and_changes_nothing() {
    let f = fixture();
    let (id, capacity) = a_shelter(&f).await;
    let uri = format!("/api/v1/facilities/{id}/status");
    let version = f.state.index.snapshot().version();
    let body = json!({"status": "open", "occupancy": 4_000_000_000u64});
    let (status, _, answer) =
        send(&f.state, "POST", &uri, Some(&f.logistics), &[], Some(body)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    let overfull = json!({"status": "open", "occupancy": capacity * 2});
    let (status, _, answer) = send(
        &f.state,
        "POST",
        &uri,
        Some(&f.logistics),
        &[],
        Some(overfull),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("occupancy"),
        "{answer}"
    );
    assert_eq!(f.state.index.snapshot().version(), version);
    // A crowd a little past the design figure is real and is taken.
    let crowded = json!({"status": "full", "occupancy": capacity + capacity / 4});
    let (status, _, _) = send(
        &f.state,
        "POST",
        &uri,
        Some(&f.logistics),
        &[],
        Some(crowded),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn tile_urls_never_come_from_the_host_header() {
    let f = fixture();
    let request = Request::builder()
        .uri("/tiles/facilities.json")
        .header(header::HOST, "evil.example")
        .body(Body::empty())
        .unwrap();
    let response = app(f.state.clone()).oneshot(request).await.unwrap();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let tilejson: Value = serde_json::from_slice(&bytes).unwrap();
    let url = tilejson["tiles"][0].as_str().unwrap();
    assert!(url.starts_with("/tiles/facilities/"), "{url}");
}

#[test]
fn a_new_store_file_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("refuge.db");
    refuge_store::Store::open(&path).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{mode:o}");
}

#[tokio::test]
async fn the_page_goes_out_with_a_policy_that_allows_no_inline_script() {
    let f = fixture();
    let request = Request::builder().uri("/").body(Body::empty()).unwrap();
    let response = app(f.state.clone()).oneshot(request).await.unwrap();
    let headers = response.headers();
    let policy = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(policy.contains("script-src 'self';"), "{policy}");
    assert!(!policy.contains("unsafe-eval"));
    assert!(policy.contains("frame-ancestors 'none'"));
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(headers[header::REFERRER_POLICY], "no-referrer");
    let page = response.into_body().collect().await.unwrap().to_bytes();
    let page = String::from_utf8_lossy(&page);
    // Every script the page has is a file of its own.
    assert_eq!(
        page.matches("<script").count(),
        page.matches("<script src=").count() + page.matches("<script type=\"module\" src=").count()
    );
}

#[tokio::test]
async fn metrics_need_an_admin_token_by_default() {
    let f = fixture();
    let (status, _, _) = send(&f.state, "GET", "/metrics", None, &[], None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = send(&f.state, "GET", "/metrics", Some(&f.logistics), &[], None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = send(&f.state, "GET", "/metrics", Some(&f.admin), &[], None).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn the_frameworks_own_errors_are_json_too() {
    let f = fixture();
    for (method, uri, status) in [
        ("DELETE", "/healthz", StatusCode::METHOD_NOT_ALLOWED),
        ("PUT", "/api/v1/nearest", StatusCode::METHOD_NOT_ALLOWED),
        (
            "GET",
            "/api/v1/nearest?lon=%FF&lat=1",
            StatusCode::BAD_REQUEST,
        ),
        (
            "GET",
            "/api/v1/facilities?bbox=%FF%FE",
            StatusCode::BAD_REQUEST,
        ),
        ("GET", "/api/v1/no-such-route", StatusCode::NOT_FOUND),
    ] {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .body(Body::empty())
            .unwrap();
        let response = app(f.state.clone()).oneshot(request).await.unwrap();
        assert_eq!(response.status(), status, "{method} {uri}");
        let kind = response.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            kind.starts_with("application/json"),
            "{method} {uri}: {kind}"
        );
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let error: Value = serde_json::from_slice(&bytes).unwrap();
        assert!(
            error["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{method} {uri}: {error}"
        );
    }
}

/// A circle of `n` vertices around Monaco's port, as a closed GeoJSON ring; `shuffled` mixes the
/// vertices (seeded), which makes the ring cross itself thousands of times.
fn circle(n: usize, shuffled: bool) -> Vec<[f64; 2]> {
    let mut ring: Vec<[f64; 2]> = (0..n)
        .map(|i| {
            let angle = i as f64 / n as f64 * std::f64::consts::TAU;
            [7.425 + 0.004 * angle.cos(), 43.735 + 0.003 * angle.sin()]
        })
        .collect();
    if shuffled {
        let mut seed: u64 = 7;
        for i in (1..ring.len()).rev() {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            ring.swap(i, (seed >> 33) as usize % (i + 1));
        }
    }
    ring.push(ring[0]);
    ring
}

fn zone_upload(ring: Vec<[f64; 2]>) -> Value {
    json!({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
           "properties": {"name": "port fuel depot", "hazard_kind": "port", "influence_radius_m": 100}})
}

#[tokio::test]
async fn a_self_intersecting_hazard_zone_is_refused_before_it_can_cost_a_tile_anything() {
    let f = super::writes::fixture_with(refuge_server::Config {
        body_limit_bytes: 4 << 20,
        ..refuge_server::Config::default()
    });
    let version = f.state.index.snapshot().version();
    let (status, _, answer) = send(
        &f.state,
        "POST",
        "/api/v1/hazards",
        Some(&f.planner),
        &[],
        Some(zone_upload(circle(6_000, true))),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    let message = answer["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("zone") && message.contains("not a valid polygon"),
        "{message}"
    );
    assert_eq!(
        f.state.index.snapshot().version(),
        version,
        "nothing stored"
    );

    let (status, _, answer) = send(
        &f.state,
        "POST",
        "/api/v1/hazards",
        Some(&f.planner),
        &[],
        Some(zone_upload(circle(12_000, false))),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("vertices")
    );

    // The same circle in order is a fine zone: stored, and the tile over it is made.
    let (status, _, answer) = send(
        &f.state,
        "POST",
        "/api/v1/hazards",
        Some(&f.planner),
        &[],
        Some(zone_upload(circle(6_000, false))),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let (status, _, _) = send(
        &f.state,
        "GET",
        "/tiles/facilities/15/17059/11949.mvt",
        None,
        &[],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_hazard_collection_without_features_is_refused() {
    let f = fixture();
    for body in [
        json!({"type": "FeatureCollection", "features": null}),
        json!({"type": "FeatureCollection", "features": []}),
        json!({"type": "FeatureCollection"}),
    ] {
        let (status, _, answer) = send(
            &f.state,
            "POST",
            "/api/v1/hazards",
            Some(&f.planner),
            &[],
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .unwrap()
                .contains("features"),
            "{answer}"
        );
    }
}

#[tokio::test]
async fn a_store_held_by_another_writer_is_a_503_to_retry_never_a_500() {
    let f = fixture();
    let (id, _) = a_shelter(&f).await;
    // Another process holds the write lock, as a long import or a stalled disk would.
    let other = rusqlite::Connection::open(f._dir.path().join("refuge.db")).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let version = f.state.index.snapshot().version();
    let body = json!({"status": "full"});
    let request = Request::builder()
        .method("POST")
        .uri(format!("/api/v1/facilities/{id}/status"))
        .header(header::AUTHORIZATION, format!("Bearer {}", f.logistics))
        .body(Body::from(body.to_string()))
        .unwrap();
    let writing = tokio::spawn(app(f.state.clone()).oneshot(request));
    // Meanwhile, token checks and reads of the store are answered: they have their own
    // connection and do not queue behind the waiting write.
    let (status, _, _) = send(
        &f.state,
        "GET",
        "/api/v1/audit?limit=1",
        Some(&f.admin),
        &[],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !writing.is_finished(),
        "the read was answered while the write still waited"
    );
    let response = writing.await.unwrap().unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers().contains_key(header::RETRY_AFTER));
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let error: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(error["error"]["code"], "busy");
    assert_eq!(
        f.state.index.snapshot().version(),
        version,
        "nothing written"
    );
    other.execute_batch("ROLLBACK").unwrap();
    let (status, _, _) = send(
        &f.state,
        "POST",
        &format!("/api/v1/facilities/{id}/status"),
        Some(&f.logistics),
        &[],
        Some(json!({"status": "full"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "the retry goes through");
}

#[tokio::test]
async fn live_update_streams_are_capped_with_a_clear_503() {
    let f = super::writes::fixture_with(refuge_server::Config {
        max_event_streams: 2,
        ..refuge_server::Config::default()
    });
    let open = || async {
        let request = Request::builder()
            .uri("/api/v1/events")
            .body(Body::empty())
            .unwrap();
        app(f.state.clone()).oneshot(request).await.unwrap()
    };
    let (first, second) = (open().await, open().await);
    assert_eq!(
        (first.status(), second.status()),
        (StatusCode::OK, StatusCode::OK)
    );
    let third = open().await;
    assert_eq!(third.status(), StatusCode::SERVICE_UNAVAILABLE);
    let bytes = third.into_body().collect().await.unwrap().to_bytes();
    let error: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(error["error"]["code"], "too_many_listeners");
    // A listener that leaves frees its place.
    drop(first);
    assert_eq!(open().await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_client_that_keeps_sending_wrong_tokens_is_refused_before_its_next_is_checked() {
    let f = super::writes::fixture_with(refuge_server::Config {
        failed_sign_ins_per_minute: 3,
        ..refuge_server::Config::default()
    });
    for n in 0..3 {
        let (status, _, _) = send(
            &f.state,
            "GET",
            "/api/v1/audit",
            Some(&format!("rfg_guess{n}")),
            &[],
            None,
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // Even the right token now waits: guessing on is pointless.
    let request = Request::builder()
        .uri("/api/v1/audit")
        .header(header::AUTHORIZATION, format!("Bearer {}", f.admin))
        .body(Body::empty())
        .unwrap();
    let response = app(f.state.clone()).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key(header::RETRY_AFTER));
    // Anonymous reading goes on.
    let (status, _, _) = send(
        &f.state,
        "GET",
        "/api/v1/nearest?lon=7.42&lat=43.73",
        None,
        &[],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_client_past_its_writes_per_minute_gets_429() {
    let f = super::writes::fixture_with(refuge_server::Config {
        writes_per_minute: 5,
        ..refuge_server::Config::default()
    });
    let (id, _) = a_shelter(&f).await;
    let uri = format!("/api/v1/facilities/{id}/status");
    for _ in 0..5 {
        let (status, _, _) = send(
            &f.state,
            "POST",
            &uri,
            Some(&f.logistics),
            &[],
            Some(json!({"status": "open"})),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, _, answer) = send(
        &f.state,
        "POST",
        &uri,
        Some(&f.logistics),
        &[],
        Some(json!({"status": "open"})),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("writes")
    );
}
