//! The bad-input table: each row a request a careless or hostile client might send, the status it
//! must get, a word its error must contain (the field, parameter or row at fault), and the check
//! that nothing stored changed.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use refuge_server::app;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::writes::{Fixture, fixture_with};

/// Who sends a request.
#[derive(Clone, Copy)]
enum Who {
    Anonymous,
    Logistics,
    Planner,
    Admin,
}

/// One row of the table.
struct Case {
    method: &'static str,
    uri: String,
    who: Who,
    body: Vec<u8>,
    status: StatusCode,
    /// A word the error message must contain (lower case).
    names: &'static str,
}

fn case(
    method: &'static str,
    uri: impl Into<String>,
    who: Who,
    body: impl Into<Vec<u8>>,
    status: u16,
    names: &'static str,
) -> Case {
    Case {
        method,
        uri: uri.into(),
        who,
        body: body.into(),
        status: StatusCode::from_u16(status).unwrap(),
        names,
    }
}

fn json_body(value: Value) -> Vec<u8> {
    value.to_string().into_bytes()
}

/// A ring around Monaco of `n` vertices, closed.
fn ring(n: usize) -> Vec<[f64; 2]> {
    let mut ring: Vec<[f64; 2]> = (0..n)
        .map(|i| {
            let a = i as f64 / n as f64 * std::f64::consts::TAU;
            [7.42 + 0.01 * a.cos(), 43.73 + 0.01 * a.sin()]
        })
        .collect();
    ring.push(ring[0]);
    ring
}

fn hazard(geometry: Value, properties: Value) -> Vec<u8> {
    json_body(json!({"type": "Feature", "geometry": geometry, "properties": properties}))
}

fn cases(shelter: u64, depot: u64) -> Vec<Case> {
    use Who::*;
    let status = format!("/api/v1/facilities/{shelter}/status");
    let movements = "/api/v1/stock/movements";
    let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
    let long_query = format!(
        "/api/v1/nearest?lon=7.42&lat=43.73&q={}",
        "x".repeat(60_000)
    );
    let open = |occupancy: Value| json_body(json!({"status": "open", "occupancy": occupancy}));
    let receive = |quantity: Value| {
        json_body(
            json!({"facility": depot, "item": "bottled_water", "type": "receive", "quantity": quantity, "lot": "L"}),
        )
    };
    let point_hazard = |radius: Value| {
        hazard(
            json!({"type": "Point", "coordinates": [7.42, 43.73]}),
            json!({"hazard_kind": "gas_station", "influence_radius_m": radius}),
        )
    };
    vec![
        // Query parameters: NaN, infinities, out of range, empty, repeated, wrong type.
        case(
            "GET",
            "/api/v1/nearest?lon=NaN&lat=43.7",
            Anonymous,
            "",
            400,
            "lon",
        ),
        case(
            "GET",
            "/api/v1/nearest?lon=inf&lat=43.7",
            Anonymous,
            "",
            400,
            "lon",
        ),
        case(
            "GET",
            "/api/v1/nearest?lon=-Infinity&lat=43.7",
            Anonymous,
            "",
            400,
            "lon",
        ),
        case(
            "GET",
            "/api/v1/nearest?lon=1e308&lat=43.7",
            Anonymous,
            "",
            400,
            "lon",
        ),
        case(
            "GET",
            "/api/v1/nearest?lon=7.4&lat=90.0001",
            Anonymous,
            "",
            400,
            "lat",
        ),
        case(
            "GET",
            "/api/v1/nearest?lon=181&lat=0",
            Anonymous,
            "",
            400,
            "lon",
        ),
        case(
            "GET",
            "/api/v1/nearest?lon=&lat=43.7",
            Anonymous,
            "",
            400,
            "lon",
        ),
        case("GET", "/api/v1/nearest?lat=43.7", Anonymous, "", 400, "lon"),
        case(
            "GET",
            "/api/v1/nearest?lon=7.4&lat=43.7&k=0",
            Anonymous,
            "",
            400,
            "k",
        ),
        case(
            "GET",
            "/api/v1/nearest?lon=7.4&lat=43.7&k=101",
            Anonymous,
            "",
            400,
            "k",
        ),
        case(
            "GET",
            "/api/v1/nearest?lon=7.4&lat=43.7&k=-1",
            Anonymous,
            "",
            400,
            "k",
        ),
        case(
            "GET",
            "/api/v1/nearest?lon=7.4&lat=43.7&k=99999999999999999999",
            Anonymous,
            "",
            400,
            "k",
        ),
        case(
            "GET",
            "/api/v1/nearest?lon=7.4&lat=43.7&kind=castle",
            Anonymous,
            "",
            400,
            "kind",
        ),
        case(
            "GET",
            "/api/v1/nearest?lon=7.4&lat=43.7&tier=galactic",
            Anonymous,
            "",
            400,
            "tier",
        ),
        case(
            "GET",
            "/api/v1/nearest?lon=7.4&lat=43.7&hazard=meteor",
            Anonymous,
            "",
            400,
            "hazard",
        ),
        case(
            "GET",
            "/api/v1/nearest?lon=7.4&lat=43.7&has_room=maybe",
            Anonymous,
            "",
            400,
            "has_room",
        ),
        case(
            "GET",
            "/api/v1/nearest?lon=7.4&lat=43.7&crs=mars",
            Anonymous,
            "",
            400,
            "crs",
        ),
        case(
            "GET",
            "/api/v1/nearest?lon=7.4&lat=43.7&crs=EPSG:4527",
            Anonymous,
            "",
            400,
            "projection",
        ),
        case(
            "GET",
            "/api/v1/facilities?crs=epsg:3857",
            Anonymous,
            "",
            400,
            "projection",
        ),
        case(
            "GET",
            "/api/v1/nearest?lon=7.4&lat=43.7&item=bottled_water&min_qty=-5",
            Anonymous,
            "",
            400,
            "min_qty",
        ),
        case(
            "GET",
            "/api/v1/nearest?lon=7.4&lon=8.0&lat=43.7",
            Anonymous,
            "",
            400,
            "lon",
        ),
        case(
            "GET",
            "/api/v1/nearest?lon=%FF&lat=43.7",
            Anonymous,
            "",
            400,
            "lon",
        ),
        case("GET", long_query, Anonymous, "", 400, "q"),
        case(
            "GET",
            "/api/v1/facilities?bbox=1,2,3",
            Anonymous,
            "",
            400,
            "bbox",
        ),
        case(
            "GET",
            "/api/v1/facilities?bbox=10,10,0,0",
            Anonymous,
            "",
            400,
            "bbox",
        ),
        case(
            "GET",
            "/api/v1/facilities?bbox=NaN,0,1,1",
            Anonymous,
            "",
            400,
            "bbox",
        ),
        case(
            "GET",
            "/api/v1/facilities?limit=0",
            Anonymous,
            "",
            400,
            "limit",
        ),
        case(
            "GET",
            "/api/v1/facilities?limit=100000",
            Anonymous,
            "",
            400,
            "limit",
        ),
        case("GET", "/api/v1/facilities/0", Anonymous, "", 400, "id"),
        case("GET", "/api/v1/facilities/abc", Anonymous, "", 400, "id"),
        case(
            "GET",
            "/api/v1/facilities/9007199254740993",
            Anonymous,
            "",
            400,
            "id",
        ),
        case(
            "GET",
            "/api/v1/facilities/12345",
            Anonymous,
            "",
            404,
            "12345",
        ),
        // Tiles and glyphs: coordinates, names and path traversal in its encodings.
        case(
            "GET",
            "/tiles/facilities/23/0/0.mvt",
            Anonymous,
            "",
            400,
            "z",
        ),
        case(
            "GET",
            "/tiles/facilities/2/4/0.mvt",
            Anonymous,
            "",
            400,
            "x",
        ),
        case(
            "GET",
            "/tiles/facilities/2/0/-1.mvt",
            Anonymous,
            "",
            400,
            "y",
        ),
        case(
            "GET",
            "/tiles/facilities/a/b/c.mvt",
            Anonymous,
            "",
            400,
            "z",
        ),
        case(
            "GET",
            "/tiles/coverage/15/0/0.mvt",
            Anonymous,
            "",
            400,
            "maxzoom",
        ),
        case(
            "GET",
            "/tiles/secret/1/0/0.mvt",
            Anonymous,
            "",
            404,
            "secret",
        ),
        case(
            "GET",
            "/tiles/..%2F..%2Fetc%2Fpasswd.json",
            Anonymous,
            "",
            404,
            "passwd",
        ),
        case("GET", "/../../etc/passwd", Anonymous, "", 404, "passwd"),
        case(
            "GET",
            "/%2e%2e/%2e%2e/etc/passwd",
            Anonymous,
            "",
            404,
            "passwd",
        ),
        case(
            "GET",
            "/vendor/maplibre-gl/..%2f..%2f..%2fCargo.toml",
            Anonymous,
            "",
            404,
            "cargo",
        ),
        case(
            "GET",
            "/glyphs/Noto%20Sans/0-100.pbf",
            Anonymous,
            "",
            400,
            "range",
        ),
        // Authentication.
        case(
            "POST",
            status.clone(),
            Anonymous,
            json_body(json!({"status": "open"})),
            401,
            "token",
        ),
        case(
            "POST",
            status.clone(),
            Planner,
            json_body(json!({"status": "open"})),
            403,
            "logistics",
        ),
        case(
            "DELETE",
            format!("/api/v1/facilities/{shelter}"),
            Logistics,
            "",
            403,
            "admin",
        ),
        // Bodies: broken, deep, wrong shape, unknown enum values, absurd numbers.
        case(
            "POST",
            status.clone(),
            Logistics,
            "{\"status\": ",
            400,
            "json",
        ),
        case("POST", status.clone(), Logistics, deep.clone(), 400, "json"),
        case(
            "POST",
            status.clone(),
            Logistics,
            json_body(json!({"status": "exploded"})),
            400,
            "status",
        ),
        case(
            "POST",
            status.clone(),
            Logistics,
            json_body(json!({"status": "open", "mood": "good"})),
            400,
            "mood",
        ),
        case(
            "POST",
            status.clone(),
            Logistics,
            open(json!(-1)),
            400,
            "occupancy",
        ),
        case(
            "POST",
            status.clone(),
            Logistics,
            open(json!(4_000_000_000u64)),
            400,
            "occupancy",
        ),
        case(
            "POST",
            status.clone(),
            Logistics,
            open(json!(1.5)),
            400,
            "occupancy",
        ),
        case(
            "POST",
            status.clone(),
            Logistics,
            vec![0xff, 0xfe, 0x00],
            400,
            "json",
        ),
        case(
            "POST",
            movements,
            Logistics,
            receive(json!(0)),
            400,
            "quantity",
        ),
        case(
            "POST",
            movements,
            Logistics,
            receive(json!(1e308)),
            400,
            "quantity",
        ),
        case(
            "POST",
            movements,
            Logistics,
            receive(json!("NaN")),
            400,
            "quantity",
        ),
        case(
            "POST",
            movements,
            Logistics,
            json_body(
                json!({"facility": depot, "item": "bottled_water", "type": "steal", "quantity": 1}),
            ),
            400,
            "steal",
        ),
        case(
            "POST",
            movements,
            Logistics,
            json_body(
                json!({"facility": depot, "item": "unobtainium", "type": "receive", "quantity": 1, "lot": "L"}),
            ),
            400,
            "unobtainium",
        ),
        case(
            "POST",
            movements,
            Logistics,
            json_body(
                json!({"facility": depot, "item": "bottled_water", "type": "receive", "quantity": 1, "lot": "x".repeat(200)}),
            ),
            400,
            "lot",
        ),
        case(
            "POST",
            movements,
            Logistics,
            json_body(
                json!({"facility": depot, "item": "bottled_water", "type": "issue", "quantity": 999_999_999}),
            ),
            409,
            "usable",
        ),
        case(
            "POST",
            movements,
            Logistics,
            json_body(
                json!({"facility": depot, "item": "bottled_water", "type": "receive", "quantity": 1, "lot": "x".repeat(1_100_000)}),
            ),
            413,
            "limit",
        ),
        // Hazard uploads: radii, rings, shapes.
        case(
            "POST",
            "/api/v1/hazards",
            Planner,
            point_hazard(json!(1e308)),
            400,
            "influence_radius_m",
        ),
        case(
            "POST",
            "/api/v1/hazards",
            Planner,
            point_hazard(json!(-5)),
            400,
            "influence_radius_m",
        ),
        case(
            "POST",
            "/api/v1/hazards",
            Planner,
            hazard(
                json!({"type": "Polygon", "coordinates": [[[7.42, 43.73], [7.43, 43.73], [7.43, 43.74]]]}),
                json!({"hazard_kind": "port"}),
            ),
            400,
            "geometry",
        ),
        case(
            "POST",
            "/api/v1/hazards",
            Planner,
            hazard(
                json!({"type": "Polygon", "coordinates": [[[7.42, 43.73], [7.43, 43.73]]]}),
                json!({"hazard_kind": "port"}),
            ),
            400,
            "geometry",
        ),
        case(
            "POST",
            "/api/v1/hazards",
            Planner,
            hazard(
                json!({"type": "Polygon", "coordinates": [[[7.42, 43.73], [7.44, 43.75], [7.44, 43.73], [7.42, 43.75], [7.42, 43.73]]]}),
                json!({"hazard_kind": "port"}),
            ),
            400,
            "zone",
        ),
        case(
            "POST",
            "/api/v1/hazards",
            Planner,
            hazard(
                json!({"type": "Polygon", "coordinates": [ring(20_000)]}),
                json!({"hazard_kind": "port"}),
            ),
            400,
            "vertices",
        ),
        case(
            "POST",
            "/api/v1/hazards",
            Planner,
            hazard(
                json!({"type": "Point", "coordinates": [200, 43.7]}),
                json!({"hazard_kind": "port"}),
            ),
            400,
            "longitude",
        ),
        case(
            "POST",
            "/api/v1/hazards",
            Planner,
            hazard(
                json!({"type": "Point", "coordinates": [7.42, 43.73]}),
                json!({"hazard_kind": "volcano"}),
            ),
            400,
            "volcano",
        ),
        case(
            "POST",
            "/api/v1/hazards",
            Planner,
            json_body(json!({"type": "FeatureCollection", "features": null})),
            400,
            "features",
        ),
        // Activations and quotas.
        case(
            "POST",
            "/api/v1/activations",
            Logistics,
            json_body(
                json!({"hazard": "earthquake", "area": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 0]]]}}),
            ),
            400,
            "area",
        ),
        case(
            "POST",
            "/api/v1/activations",
            Logistics,
            json_body(json!({"hazard": "earthquake", "district": "Nowhere"})),
            400,
            "district",
        ),
        case(
            "PUT",
            format!("/api/v1/facilities/{depot}/quotas"),
            Logistics,
            json_body(json!({"quotas": [{"item": "bottled_water", "minimum": 10, "target": 1}]})),
            400,
            "minimum",
        ),
        // Imports: wrong options refuse the whole file.
        case(
            "POST",
            "/api/v1/import?dataset=x.csv&format=xlsx",
            Admin,
            "a,b\n",
            400,
            "format",
        ),
        case(
            "POST",
            "/api/v1/import?dataset=x.csv&format=csv&crs=utm50",
            Admin,
            "lon,lat\n1,2\n",
            400,
            "crs",
        ),
        case(
            "POST",
            "/api/v1/import?dataset=x.csv&format=csv&encoding=latin1",
            Admin,
            "lon,lat\n1,2\n",
            400,
            "encoding",
        ),
        case(
            "POST",
            "/api/v1/import?dataset=x.csv&format=csv&kind=shelter",
            Admin,
            "name\nno position\n",
            400,
            "lon",
        ),
        case(
            "POST",
            "/api/v1/import?dataset=x.geojson&format=geojson",
            Admin,
            "{\"type\": \"Topology\"}",
            400,
            "topology",
        ),
        case(
            "POST",
            "/api/v1/stock/import?dataset=s.csv",
            Logistics,
            "item,quantity\nwater,1\n",
            400,
            "facility",
        ),
        // A 60 KB parameter name: refused, and not echoed back whole.
        case(
            "GET",
            format!("/api/v1/nearest?lon=7.4&lat=43.7&{}=1", "a".repeat(60_000)),
            Anonymous,
            "",
            400,
            "not a parameter",
        ),
        case(
            "GET",
            "/api/v1/facilities?limit=5&limit=6",
            Anonymous,
            "",
            400,
            "limit",
        ),
        case(
            "GET",
            "/tiles/facilities/0/0/0.mvt?v=-1",
            Anonymous,
            "",
            400,
            "v",
        ),
        case(
            "GET",
            "/api/v1/nearest?lon=7.4&lat=43.7&kind=Shelter",
            Anonymous,
            "",
            400,
            "kind",
        ),
    ]
}

/// What a refused request must leave as it was: the index, and the audit log.
async fn stored(f: &Fixture) -> (u64, usize, usize) {
    let snapshot = f.state.index.snapshot();
    let audit = f
        .state
        .store
        .as_ref()
        .unwrap()
        .audit_log(1_000, None)
        .unwrap()
        .len();
    (snapshot.version(), snapshot.len(), audit)
}

#[tokio::test]
async fn every_bad_input_gets_its_status_names_what_was_wrong_and_changes_nothing() {
    let f = fixture_with(refuge_server::Config {
        writes_per_minute: 10_000,
        failed_sign_ins_per_minute: 10_000,
        ..refuge_server::Config::default()
    });
    let snapshot = f.state.index.snapshot();
    let first = |kind| {
        snapshot
            .facilities()
            .find(|x| x.kind() == kind)
            .unwrap()
            .id
            .get()
    };
    let (shelter, depot) = (
        first(refuge_core::FacilityKind::Shelter),
        first(refuge_core::FacilityKind::Reserve),
    );
    drop(snapshot);
    let table = cases(shelter, depot);
    assert!(table.len() >= 60, "{} cases", table.len());
    let before = stored(&f).await;
    let mut wrong = Vec::new();
    for case in table {
        let mut request = Request::builder().method(case.method).uri(&case.uri);
        let token = match case.who {
            Who::Anonymous => None,
            Who::Logistics => Some(&f.logistics),
            Who::Planner => Some(&f.planner),
            Who::Admin => Some(&f.admin),
        };
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let response = app(f.state.clone())
            .oneshot(request.body(Body::from(case.body)).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let message = serde_json::from_slice::<Value>(&bytes)
            .ok()
            .and_then(|v| v["error"]["message"].as_str().map(str::to_lowercase))
            .unwrap_or_else(|| format!("(not a JSON error: {})", String::from_utf8_lossy(&bytes)));
        let shown: String = case.uri.chars().take(90).collect();
        if message.chars().count() > 1_001 {
            wrong.push(format!(
                "{} {shown}: a message of {} characters",
                case.method,
                message.len()
            ));
        }
        if status != case.status || !message.contains(case.names) {
            wrong.push(format!(
                "{} {shown}: {status} `{message}` (want {} naming `{}`)",
                case.method, case.status, case.names
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} cases went wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert_eq!(
        stored(&f).await,
        before,
        "a refused request changed what is stored"
    );
}
