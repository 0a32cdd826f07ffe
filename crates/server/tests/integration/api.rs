//! Queries, errors, health and metrics.

use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use refuge_server::{AppState, Config, app};
use serde_json::Value;
use tower::ServiceExt;

/// The demo city, built once for all tests of this binary.
pub fn state() -> AppState {
    static STATE: OnceLock<AppState> = OnceLock::new();
    STATE
        .get_or_init(|| AppState::demo(Config::default()).unwrap())
        .clone()
}

/// A GET: status, headers, body bytes.
pub async fn get(
    uri: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    get_from(state(), uri, headers).await
}

pub async fn get_from(
    state: AppState,
    uri: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let mut request = Request::get(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app(state)
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let (parts, body) = response.into_parts();
    (
        parts.status,
        parts.headers,
        body.collect().await.unwrap().to_bytes().to_vec(),
    )
}

pub async fn json(uri: &str) -> (StatusCode, Value) {
    let (status, headers, body) = get(uri, &[]).await;
    assert!(
        headers
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.to_str().unwrap().starts_with("application/json")),
        "{uri} answers JSON"
    );
    (status, serde_json::from_slice(&body).unwrap())
}

/// A 400 whose message names `parameter`.
async fn refused(uri: &str, parameter: &str) {
    let (status, body) = json(uri).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(parameter),
        "{uri}: `{message}` should name {parameter}"
    );
    assert!(body["error"]["code"].is_string());
}

#[tokio::test]
async fn health_and_metrics() {
    let (status, body) = json("/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["facilities"], 126);
    let (status, _, _) = get("/metrics", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "private by default");
    let public = AppState::demo(refuge_server::Config {
        metrics_public: true,
        ..refuge_server::Config::default()
    })
    .unwrap();
    let (status, _, text) = get_from(public, "/metrics", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains("# TYPE refuge_tile_cache_hits_total counter"),
        "{text}"
    );
    assert!(text.contains("refuge_facilities 126"), "{text}");
}

#[tokio::test]
async fn nearest_open_shelters_with_room_nearest_first() {
    let (status, body) =
        json("/api/v1/nearest?lon=7.4200&lat=43.7350&kind=shelter&k=3&has_room=true").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let features = body["features"].as_array().unwrap();
    assert_eq!(features.len(), 3);
    let distances: Vec<f64> = features
        .iter()
        .map(|f| f["properties"]["distance_m"].as_f64().unwrap())
        .collect();
    assert!(distances.windows(2).all(|w| w[0] <= w[1]), "{distances:?}");
    assert_eq!(
        features[0]["properties"]["name"]["en"],
        "Square Théodore Gastaud"
    );
    assert!((distances[0] - 125.0).abs() < 1.0, "{distances:?}");
    assert!(
        features
            .iter()
            .all(|f| f["properties"]["available"].as_u64().unwrap() > 0)
    );
}

#[tokio::test]
async fn nearest_depot_with_stock_and_in_gcj02() {
    let (status, body) =
        json("/api/v1/nearest?lon=7.42&lat=43.735&kind=reserve&item=bottled_water&min_qty=400")
            .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let tiers: Vec<&str> = body["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["tier"].as_str().unwrap())
        .collect();
    assert!(
        !tiers.is_empty() && tiers.iter().all(|t| *t != "community"),
        "community depots hold 100: {tiers:?}"
    );
    // Monaco is outside China: GCJ-02 is WGS84 there, so the same answer comes back.
    let (_, gcj) = json("/api/v1/nearest?lon=7.42&lat=43.735&kind=shelter&k=1&crs=gcj02").await;
    assert_eq!(gcj["crs"], "gcj02");
    assert_eq!(
        gcj["features"][0]["id"],
        json("/api/v1/nearest?lon=7.42&lat=43.735&kind=shelter&k=1")
            .await
            .1["features"][0]["id"]
    );
}

#[tokio::test]
async fn bad_queries_name_the_parameter() {
    refused("/api/v1/nearest?lat=43.7", "lon").await;
    refused("/api/v1/nearest?lon=7.42", "lat").await;
    refused("/api/v1/nearest?lon=abc&lat=43.7", "lon").await;
    refused("/api/v1/nearest?lon=NaN&lat=43.7", "lon").await;
    refused("/api/v1/nearest?lon=7.42&lat=91", "lat").await;
    refused("/api/v1/nearest?lon=7.42&lat=43.7&k=0", "k").await;
    refused("/api/v1/nearest?lon=7.42&lat=43.7&k=101", "k").await;
    refused("/api/v1/nearest?lon=7.42&lat=43.7&kind=castle", "kind").await;
    refused("/api/v1/nearest?lon=7.42&lat=43.7&hazard=meteor", "hazard").await;
    refused("/api/v1/nearest?lon=7.42&lat=43.7&item=gold", "item").await;
    refused("/api/v1/nearest?lon=7.42&lat=43.7&crs=utm", "crs").await;
    refused(
        "/api/v1/nearest?lon=7.42&lat=43.7&has_room=maybe",
        "has_room",
    )
    .await;
    refused("/api/v1/facilities?bbox=1,2,3", "bbox").await;
    refused("/api/v1/facilities?limit=0", "limit").await;
    refused("/api/v1/facilities/abc", "id").await;
    let (_, body) = json("/api/v1/nearest?lon=7.42&lat=43.7&kind=castle").await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("micro_storage"),
        "lists the kinds"
    );
    let (status, body) = json("/api/v1/facilities/123456789").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}

#[tokio::test]
async fn facilities_by_box_kind_and_name_with_detail() {
    let (status, body) = json("/api/v1/facilities?bbox=7.40,43.72,7.45,43.76&kind=reserve").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["total"], 10);
    let (_, found) = json("/api/v1/facilities?q=gastaud").await;
    assert_eq!(found["features"].as_array().unwrap().len(), 1);
    let (_, page) = json("/api/v1/facilities?limit=5&offset=5").await;
    assert_eq!(page["features"].as_array().unwrap().len(), 5);
    assert_eq!(page["next_offset"], 10);
    let depot = body["features"][0]["id"].as_u64().unwrap();
    let (status, detail) = json(&format!("/api/v1/facilities/{depot}")).await;
    assert_eq!(status, StatusCode::OK);
    let stock = detail["properties"]["stock"].as_array().unwrap();
    assert!(stock.len() >= 30, "a depot holds the catalogue");
    assert!(
        stock
            .iter()
            .any(|s| s["item"] == "bottled_water" && s["name_zh"].is_string())
    );
    let micro = json("/api/v1/facilities?kind=micro_storage&limit=1")
        .await
        .1["features"][0]["id"]
        .as_u64()
        .unwrap();
    let (_, detail) = json(&format!("/api/v1/facilities/{micro}")).await;
    assert!(
        detail["properties"].get("keyholder").is_none(),
        "keyholders are private: {detail}"
    );
}

#[tokio::test]
async fn glyphs_are_served_for_labels() {
    let (status, headers, body) = get("/glyphs/Noto%20Sans%20Regular/0-255.pbf", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/x-protobuf");
    assert!(body.len() > 10_000, "{} bytes", body.len());
    let (status, _, _) = get("/glyphs/Noto%20Sans%20Regular/1-256.pbf", &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// Sends `method` to `uri` with no token and no body: the status and the error message, if any.
async fn anonymous(method: &str, uri: &str) -> (StatusCode, String) {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .body(Body::empty())
        .unwrap();
    let response = app(state()).oneshot(request).await.unwrap();
    let status = response.status();
    if response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v == "text/event-stream")
    {
        return (status, String::new());
    }
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let message = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
        .unwrap_or_default();
    (status, message)
}

/// A documented path with its parameters filled in with values the demo city has.
fn example(path: &str) -> String {
    path.replace("{id}", "636682154")
        .replace("{name}", "base.json")
        .replace("{tileset}", "facilities")
        .replace("{z}", "14")
        .replace("{x}", "8529")
        .replace("{tile}", "5974.mvt")
        .replace("{fontstack}", "Noto%20Sans%20Regular")
        .replace("{range}", "0-255.pbf")
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// The document is generated from the routes, and this walks both ways: every documented
/// operation is a route of the server, and every method a documented path does not list is
/// refused as one the server does not have. An operation the document says needs a token
/// answers 401 without one; one it leaves open does not.
#[tokio::test]
async fn the_openapi_document_and_the_router_have_the_same_routes() {
    let (status, doc) = json("/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc["paths"].as_object().unwrap();
    let mut operations = 0;
    for (path, item) in paths {
        let uri = example(path);
        assert!(
            !uri.contains('{'),
            "{path}: a parameter this test does not fill"
        );
        for method in METHODS {
            let (status, message) = anonymous(&method.to_uppercase(), &uri).await;
            let Some(operation) = item.get(method) else {
                assert_eq!(
                    status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {uri}: the router has an operation the document lacks"
                );
                continue;
            };
            operations += 1;
            let unrouted = status == StatusCode::METHOD_NOT_ALLOWED
                || message.starts_with("no page or API route");
            assert!(!unrouted, "{method} {path} is documented but not routed");
            let needs_token = operation["security"].as_array().is_some_and(|all| {
                all.iter()
                    .all(|s| s.as_object().is_some_and(|s| !s.is_empty()))
            });
            assert_eq!(
                status == StatusCode::UNAUTHORIZED,
                needs_token,
                "{method} {uri} answered {status} ({message}); the document says it needs a token: {needs_token}"
            );
            for (code, response) in operation["responses"].as_object().unwrap() {
                assert!(
                    response["description"]
                        .as_str()
                        .is_some_and(|d| !d.is_empty()),
                    "{method} {path} {code} says what it means"
                );
            }
        }
    }
    assert!(operations >= 26, "{operations} operations");
    let (status, message) = anonymous("GET", "/api/v1/shelters").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(message.starts_with("no page or API route"), "{message}");
}

/// Every error the document declares is the one error body.
#[tokio::test]
async fn every_documented_error_has_the_error_body() {
    let (_, doc) = json("/api/v1/openapi.json").await;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            for (code, response) in operation["responses"].as_object().unwrap() {
                if code.starts_with('4') || code.starts_with('5') {
                    assert_eq!(
                        response["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/ErrorBody",
                        "{method} {path} {code}"
                    );
                }
            }
        }
    }
}
