//! The real `refuge` binary, run as a new user runs it: in a temporary folder outside the
//! repository, importing files into a store, serving it, and asking it over HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

/// The MVT decoder the server's own tests use, written from the specification.
#[path = "../../crates/server/tests/integration/mvt_decode.rs"]
#[allow(dead_code)]
mod mvt_decode;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

/// The repository's root, for its committed files.
fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The `refuge` binary that `cargo test --workspace` built beside this test.
fn binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let folder = exe.parent().and_then(Path::parent).unwrap();
    let binary = folder.join(format!("refuge{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.exists(),
        "{} is missing: run `cargo test --workspace` (or `cargo build -p refuge-cli` first)",
        binary.display()
    );
    binary
}

/// A temporary folder outside the repository, where every command runs.
struct Place {
    dir: tempfile::TempDir,
}

impl Place {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        assert!(!dir.path().starts_with(repository().canonicalize().unwrap()));
        Self { dir }
    }

    /// Runs `refuge ARGS` here; panics with its output unless it succeeds. Returns stdout.
    fn refuge(&self, args: &[&str]) -> String {
        let output = Command::new(binary())
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("REFUGE_DATA")
            .env_remove("REFUGE_STORE")
            .env_remove("REFUGE_TOKEN")
            .output()
            .unwrap();
        let (out, err) = (
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        );
        assert!(
            output.status.success(),
            "refuge {args:?} failed:\n{out}\n{err}"
        );
        out
    }

    /// Imports the two committed fixture shelters into `store`.
    fn import_fixture_shelters(&self, store: &str) {
        let shelters = repository().join("tests/fixtures/shelters.csv");
        self.refuge(&[
            "import",
            shelters.to_str().unwrap(),
            "--kind",
            "shelter",
            "--store",
            store,
        ]);
    }

    /// Runs `refuge ARGS` here, expecting it to fail; returns what it said on stderr.
    fn refuge_fails(&self, args: &[&str]) -> String {
        let output = Command::new(binary())
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("REFUGE_STORE")
            .output()
            .unwrap();
        assert!(!output.status.success(), "refuge {args:?} should fail");
        String::from_utf8_lossy(&output.stderr).into_owned()
    }

    /// `refuge serve --store STORE` on a free loopback port, once it answers.
    fn serve(&self, store: &str) -> Server {
        self.serve_with(store, &[])
    }

    /// `refuge serve --store STORE` with more arguments.
    fn serve_with(&self, store: &str, more: &[&str]) -> Server {
        let mut child = Command::new(binary())
            .args(["serve", "--store", store, "--bind", "127.0.0.1:0"])
            .args(more)
            .current_dir(self.dir.path())
            .env_remove("REFUGE_WEB_DIR")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut server = Server {
            child,
            url: String::new(),
            said: String::new(),
        };
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            if let Some(at) = line.find("http://") {
                server.url = line[at..]
                    .split_whitespace()
                    .next()
                    .unwrap()
                    .trim_end_matches('/')
                    .to_owned();
                server.said = line;
                return server;
            }
        }
        panic!("refuge serve never said where it serves");
    }
}

/// A running server, stopped when dropped (also when a test fails).
struct Server {
    child: Child,
    url: String,
    said: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// GET `path`: the status and the body's bytes.
    fn get(&self, path: &str) -> (u16, Vec<u8>) {
        let (status, _, body) = self.get_with(path, &[]);
        (status, body)
    }

    /// GET `path` with request headers: the status, the `Content-Encoding` and the body's bytes.
    fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> (u16, Option<String>, Vec<u8>) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut request = agent.get(&format!("{}{path}", self.url));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let mut response = request.call().unwrap();
        let status = response.status().as_u16();
        let encoding = response
            .headers()
            .get("content-encoding")
            .map(|v| v.to_str().unwrap().to_owned());
        (status, encoding, response.body_mut().read_to_vec().unwrap())
    }

    fn json(&self, path: &str) -> Value {
        let (status, body) = self.get(path);
        assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&body));
        serde_json::from_slice(&body).unwrap()
    }
}

/// The z/x/y of the tile holding a position.
fn tile_at(lon: f64, lat: f64, z: u8) -> (u8, u32, u32) {
    let n = f64::from(1u32 << z);
    let x = ((lon + 180.0) / 360.0 * n) as u32;
    let lat = lat.to_radians();
    let y = ((1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n) as u32;
    (z, x, y)
}

fn shared_data(file: &str) -> Option<PathBuf> {
    let path = repository().join("../shared/data").join(file);
    if path.exists() {
        Some(path)
    } else {
        eprintln!("SKIPPED: {} is absent", path.display());
        None
    }
}

#[test]
fn an_osm_extract_imported_into_a_store_gives_base_tiles_with_roads_and_buildings() {
    let place = Place::new();
    let pbf = repository().join("data/monaco.osm.pbf");
    let report = place.refuge(&["import", pbf.to_str().unwrap(), "--store", "city.db"]);
    assert!(report.contains("base-map features"), "{report}");
    let server = place.serve("city.db");
    let (z, x, y) = tile_at(7.4246, 43.7384, 15);
    let (status, bytes) = server.get(&format!("/tiles/base/{z}/{x}/{y}.mvt"));
    assert_eq!(status, 200);
    let layers = mvt_decode::decode(&bytes);
    let count = |name: &str| {
        layers
            .iter()
            .find(|(layer, _, _)| layer == name)
            .map_or(0, |(_, _, features)| features.len())
    };
    assert!(count("roads") > 20, "roads: {}", count("roads"));
    assert!(count("buildings") > 20, "buildings: {}", count("buildings"));
    // The map credits OpenStreetMap, whose data it now shows.
    let tilejson = server.json("/tiles/base.json");
    assert!(
        tilejson["attribution"]
            .as_str()
            .unwrap()
            .contains("OpenStreetMap")
    );
}

#[test]
fn a_stock_list_shows_as_totals_in_facility_detail() {
    let place = Place::new();
    let stock = repository().join("tests/fixtures/stock.csv");
    place.import_fixture_shelters("city.db");
    let report = place.refuge(&[
        "import",
        stock.to_str().unwrap(),
        "--stock",
        "--store",
        "city.db",
    ]);
    assert!(report.contains("booked 3 receipts"), "{report}");
    assert!(
        report.contains("line 5") && report.contains("e2e-9"),
        "the unknown facility is named by line: {report}"
    );
    let server = place.serve("city.db");
    let found = server.json("/api/v1/facilities?q=North%20school");
    let id = found["features"][0]["id"].as_u64().unwrap();
    let detail = server.json(&format!("/api/v1/facilities/{id}"));
    let stock = detail["properties"]["stock"].as_array().unwrap();
    let water = stock.iter().find(|s| s["item"] == "bottled_water").unwrap();
    assert_eq!(water["quantity"], 300);
}

#[test]
fn a_bad_file_leaves_the_store_as_it_was() {
    let place = Place::new();
    let said = place.refuge_fails(&[
        "import",
        "no-such-file.csv",
        "--kind",
        "shelter",
        "--store",
        "new.db",
    ]);
    assert!(said.contains("no-such-file.csv"), "{said}");
    assert!(
        !place.dir.path().join("new.db").exists(),
        "no store is made for nothing"
    );

    place.import_fixture_shelters("city.db");
    let shelters = repository().join("tests/fixtures/shelters.csv");
    let broken = place.dir.path().join("broken.geojson");
    std::fs::write(&broken, r#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[7.42,43.73]},"properties":{"kind":"shelter"}},"#).unwrap();
    let said = place.refuge_fails(&["import", broken.to_str().unwrap(), "--store", "city.db"]);
    assert!(
        said.contains("broken.geojson") && said.contains("line"),
        "{said}"
    );
    place.refuge_fails(&[
        "import",
        shelters.to_str().unwrap(),
        "--crs",
        "mars",
        "--store",
        "city.db",
    ]);
    place.refuge_fails(&[
        "import",
        shelters.to_str().unwrap(),
        "--layer",
        "rivers",
        "--store",
        "city.db",
    ]);
    let server = place.serve("city.db");
    assert_eq!(
        server.json("/healthz")["facilities"],
        2,
        "only the good import is stored"
    );
}

#[test]
fn serving_from_a_folder_outside_the_repository_shows_the_page() {
    let place = Place::new();
    let server = place.serve("refuge.db");
    assert!(
        server.said.contains("built into this binary"),
        "{}",
        server.said
    );
    let (status, page) = server.get("/");
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&page).contains("maplibre-gl.js"));
    for path in [
        "/vendor/maplibre-gl/maplibre-gl.js",
        "/app.js",
        "/app.css",
        "/style.json",
    ] {
        assert_eq!(server.get(path).0, 200, "{path}");
    }
    assert_eq!(server.get("/package.json").0, 404);
}

/// Metres along the great circle, as the API measures them.
fn haversine(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, la2) = (a.1.to_radians(), b.1.to_radians());
    let (dlat, dlon) = (la2 - la1, (b.0 - a.0).to_radians());
    let h = (dlat / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * h.sqrt().asin()
}

#[test]
fn beijing_after_an_earthquake_activation_finds_the_nearest_opened_shelters_exactly() {
    let (Some(shelters), Some(districts)) = (
        shared_data("cn/shelters-beijing-gcj02.csv"),
        shared_data("cn/districts-beijing.geojson"),
    ) else {
        return;
    };
    let place = Place::new();
    place.refuge(&[
        "import",
        shelters.to_str().unwrap(),
        "--crs",
        "gcj02",
        "--kind",
        "shelter",
        "--store",
        "city.db",
    ]);
    place.refuge(&[
        "import",
        districts.to_str().unwrap(),
        "--layer",
        "boundaries",
        "--store",
        "city.db",
    ]);
    let token = place
        .refuge(&[
            "token",
            "create",
            "--role",
            "logistics",
            "--name",
            "e2e",
            "--store",
            "city.db",
        ])
        .trim()
        .to_owned();
    let server = place.serve("city.db");
    let near = "/api/v1/nearest?lon=116.41&lat=39.92&kind=shelter&k=5&has_room=true";
    assert!(
        server.json(near)["features"].as_array().unwrap().is_empty(),
        "all on standby before"
    );
    let said = place.refuge(&[
        "activate",
        "--hazard",
        "earthquake",
        "--district",
        "东城区",
        "--server",
        &server.url,
        "--token",
        &token,
    ]);
    assert!(said.contains("shelters opened"), "{said}");
    // Every open shelter, from the API.
    let mut opened = Vec::new();
    for page in 0.. {
        let list = server.json(&format!(
            "/api/v1/facilities?kind=shelter&limit=1000&offset={}",
            page * 1000
        ));
        let features = list["features"].as_array().unwrap();
        for feature in features {
            if feature["properties"]["status"] == "open" {
                let c = &feature["geometry"]["coordinates"];
                opened.push((
                    feature["id"].as_u64().unwrap(),
                    (c[0].as_f64().unwrap(), c[1].as_f64().unwrap()),
                ));
            }
        }
        if features.len() < 1000 {
            break;
        }
    }
    assert!(opened.len() > 10, "{} opened", opened.len());
    for origin in [
        (116.41, 39.92),
        (116.40, 39.90),
        (116.43, 39.94),
        (116.30, 40.00),
    ] {
        let answer = server.json(&format!(
            "/api/v1/nearest?lon={}&lat={}&kind=shelter&k=5&has_room=true",
            origin.0, origin.1
        ));
        let features = answer["features"].as_array().unwrap();
        let open_ids: Vec<u64> = opened.iter().map(|(id, _)| *id).collect();
        assert!(
            features
                .iter()
                .all(|f| open_ids.contains(&f["id"].as_u64().unwrap()))
        );
        let got: Vec<f64> = answer["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["properties"]["distance_m"].as_f64().unwrap())
            .collect();
        let mut brute: Vec<f64> = opened
            .iter()
            .map(|(_, at)| haversine(origin, *at))
            .collect();
        brute.sort_by(f64::total_cmp);
        brute.truncate(5);
        assert_eq!(got.len(), brute.len());
        for (a, b) in got.iter().zip(&brute) {
            // The API gives metres to a decimetre.
            assert!((a - b).abs() <= 0.051, "{origin:?}: {got:?} vs {brute:?}");
        }
    }
}

#[test]
fn slow_and_silent_clients_are_cut_off_and_a_stop_is_prompt() {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::time::{Duration, Instant};

    let place = Place::new();
    std::fs::write(
        place.dir.path().join("refuge.toml"),
        "header_read_timeout_secs = 1\n",
    )
    .unwrap();
    let mut server = place.serve_with("refuge.db", &["--config", "refuge.toml"]);
    let address = server.url.trim_start_matches("http://").to_owned();
    // Fifty connections: half send half a request head and stop, half send nothing at all.
    let mut held: Vec<TcpStream> = (0..50)
        .map(|n| {
            let mut stream = TcpStream::connect(&address).unwrap();
            if n % 2 == 0 {
                stream
                    .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
                    .unwrap();
            }
            stream
        })
        .collect();
    // Others are still served meanwhile.
    assert_eq!(server.get("/healthz").0, 200);
    let started = Instant::now();
    for stream in &mut held {
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut buffer = [0u8; 256];
        // Closed by the server: end of stream (or a reset), never a wait until our own timeout.
        match stream.read(&mut buffer) {
            Ok(_) | Err(_) => {}
        }
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // SIGTERM stops it within a few seconds.
    let stopped = Instant::now();
    let pid = server.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    loop {
        if server.child.try_wait().unwrap().is_some() {
            break;
        }
        assert!(
            stopped.elapsed() < Duration::from_secs(5),
            "still running after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_query_string_of_100_kb_is_refused_and_the_server_goes_on() {
    use std::io::{Read, Write};
    use std::net::TcpStream;

    let place = Place::new();
    let server = place.serve_with("refuge.db", &[]);
    let address = server.url.trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(&address).unwrap();
    let query = "a".repeat(100_000);
    write!(
        stream,
        "GET /api/v1/nearest?lon=7.4&lat=43.7&q={query} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    // hyper refuses a request line over 64 KB itself, before any handler: 414, with no body.
    assert!(
        answer.starts_with("HTTP/1.1 414"),
        "{}",
        &answer[..answer.len().min(200)]
    );
    assert_eq!(server.get("/healthz").0, 200);
}

/// The position of grid point `(gx, gy)` of tile z/x/y (extent 4096), in degrees.
fn grid_lon_lat((z, x, y): (u8, u32, u32), (gx, gy): (i64, i64)) -> (f64, f64) {
    let n = f64::from(1u32 << z);
    let wx = (f64::from(x) + gx as f64 / 4096.0) / n;
    let wy = (f64::from(y) + gy as f64 / 4096.0) / n;
    let lat = (std::f64::consts::PI * (1.0 - 2.0 * wy))
        .sinh()
        .atan()
        .to_degrees();
    (wx * 360.0 - 180.0, lat)
}

#[test]
fn an_offline_package_holds_the_base_map_and_the_facilities_and_serves_as_an_archive() {
    let place = Place::new();
    let bbox = "7.40,43.72,7.45,43.76";
    place.refuge(&[
        "export",
        "--format",
        "pmtiles",
        "--bbox",
        bbox,
        "--minzoom",
        "12",
        "--maxzoom",
        "16",
        "--title",
        "Monaco",
        "-o",
        "monaco",
    ]);
    for file in [
        "refuge.pmtiles",
        "style.json",
        "index.html",
        "package.js",
        "maplibre-gl.js",
        "pmtiles.js",
    ] {
        assert!(
            place.dir.path().join("monaco").join(file).exists(),
            "{file} is missing"
        );
    }
    assert!(
        place
            .dir
            .path()
            .join("monaco/glyphs/Noto Sans Regular/0-255.pbf")
            .exists()
    );
    let style: Value =
        serde_json::from_slice(&std::fs::read(place.dir.path().join("monaco/style.json")).unwrap())
            .unwrap();
    assert_eq!(
        style["sources"]["refuge"]["url"],
        "pmtiles://refuge.pmtiles"
    );

    // An MBTiles copy of one tile, as other tools write them (TMS rows, metadata table).
    let shelters: Value =
        serde_json::from_str(&place.refuge(&["export", "--kind", "shelter"])).unwrap();
    let shelter = shelters["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            let c = &f["geometry"]["coordinates"];
            (7.41..7.44).contains(&c[0].as_f64().unwrap())
                && (43.72..43.75).contains(&c[1].as_f64().unwrap())
        })
        .unwrap();
    let (lon, lat) = (
        shelter["geometry"]["coordinates"][0].as_f64().unwrap(),
        shelter["geometry"]["coordinates"][1].as_f64().unwrap(),
    );
    let tile = tile_at(lon, lat, 16);

    let server = place.serve_with("empty.db", &["--archive", "monaco=monaco/refuge.pmtiles"]);
    let tilejson = server.json("/tiles/monaco.json");
    assert_eq!(tilejson["name"], "Monaco");
    assert!(
        tilejson["tiles"][0]
            .as_str()
            .unwrap()
            .ends_with("/tiles/monaco/{z}/{x}/{y}.mvt"),
        "{tilejson}"
    );
    assert_eq!(
        (tilejson["minzoom"].as_u64(), tilejson["maxzoom"].as_u64()),
        (Some(12), Some(16))
    );
    let layers: Vec<&str> = tilejson["vector_layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    for layer in [
        "roads",
        "buildings",
        "water",
        "shelters",
        "reserves",
        "hazards",
    ] {
        assert!(layers.contains(&layer), "{layer} not in {layers:?}");
    }
    let (status, bytes) = server.get(&format!(
        "/tiles/monaco/{}/{}/{}.mvt",
        tile.0, tile.1, tile.2
    ));
    assert_eq!(status, 200);
    let decoded = mvt_decode::decode(&bytes);
    let layer = |name: &str| {
        decoded
            .iter()
            .find(|(layer, _, _)| layer == name)
            .map(|(_, _, features)| features.clone())
            .unwrap_or_default()
    };
    assert!(
        !layer("roads").is_empty() || !layer("buildings").is_empty(),
        "no base map in the tile"
    );
    let id = shelter["id"].as_u64().unwrap();
    let found = layer("shelters")
        .into_iter()
        .find(|f| f.id == id)
        .unwrap_or_else(|| panic!("shelter {id} is not in its tile"));
    let (got_lon, got_lat) = grid_lon_lat(tile, found.parts[0][0]);
    // One grid unit at zoom 16 is about 4 cm.
    assert!(
        (got_lon - lon).abs() < 1e-6 && (got_lat - lat).abs() < 1e-6,
        "{got_lon},{got_lat} vs {lon},{lat}"
    );
    // A tile of the zooms outside the area has no content; a zoom outside them is refused.
    let far = tile_at(7.6, 43.9, 14);
    assert_eq!(
        server
            .get(&format!("/tiles/monaco/{}/{}/{}.mvt", far.0, far.1, far.2))
            .0,
        204
    );
    let (status, body) = server.get("/tiles/monaco/17/0/0.mvt");
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));
    assert!(String::from_utf8_lossy(&body).contains("12–16"));
    drop(server);

    // The same tile from an MBTiles file, gzipped as MBTiles writers store vector tiles, serves
    // the same tile: passed through to a client that takes gzip, unpacked for one that does not.
    let mbtiles = place.dir.path().join("copy.mbtiles");
    {
        let db = rusqlite::Connection::open(&mbtiles).unwrap();
        db.execute_batch(
            "CREATE TABLE metadata (name TEXT, value TEXT);
             CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);
             INSERT INTO metadata VALUES ('name', 'copy'), ('format', 'pbf'), ('minzoom', '16'),
               ('maxzoom', '16'), ('bounds', '7.40,43.72,7.45,43.76');",
        )
        .unwrap();
        let row = (1i64 << tile.0) - 1 - i64::from(tile.2);
        let mut gzipped = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gzipped, &bytes).unwrap();
        db.execute(
            "INSERT INTO tiles VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![tile.0, tile.1, row, gzipped.finish().unwrap()],
        )
        .unwrap();
    }
    let server = place.serve_with("empty.db", &["--archive", "copy=copy.mbtiles"]);
    assert_eq!(server.json("/tiles/copy.json")["name"], "copy");
    let path = format!("/tiles/copy/{}/{}/{}.mvt", tile.0, tile.1, tile.2);
    let (status, again) = server.get(&path);
    assert_eq!((status, &again), (200, &bytes));
    let (status, encoding, packed) = server.get_with(&path, &[("Accept-Encoding", "gzip")]);
    assert_eq!((status, encoding.as_deref()), (200, Some("gzip")));
    let mut unpacked = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(&packed[..]),
        &mut unpacked,
    )
    .unwrap();
    assert_eq!(unpacked, bytes);
    drop(server);

    // An archive named as one of Refuge's own tilesets, or a file that is no archive, stops the
    // server before it listens, naming why.
    let said = place.refuge_fails(&[
        "serve",
        "--store",
        "empty.db",
        "--bind",
        "127.0.0.1:0",
        "--archive",
        "base=copy.mbtiles",
    ]);
    assert!(said.contains("one of Refuge's own tilesets"), "{said}");
    let said = place.refuge_fails(&[
        "serve",
        "--store",
        "empty.db",
        "--bind",
        "127.0.0.1:0",
        "--archive",
        "x=monaco/style.json",
    ]);
    assert!(
        said.contains("neither a PMTiles archive nor an MBTiles"),
        "{said}"
    );

    // A community of the base map by name is an area too; an unknown one is named with those
    // there are.
    place.refuge(&[
        "export",
        "--format",
        "pmtiles",
        "--community",
        "Monte-Carlo",
        "-o",
        "mc",
    ]);
    let server = place.serve_with("empty.db", &["--archive", "mc=mc/refuge.pmtiles"]);
    let tilejson = server.json("/tiles/mc.json");
    assert_eq!(tilejson["name"], "Monte-Carlo");
    let bounds: Vec<f64> = tilejson["bounds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!(
        bounds[0] > 7.41 && bounds[2] < 7.44 && bounds[1] > 43.73 && bounds[3] < 43.75,
        "{bounds:?}"
    );
    drop(server);
    let said = place.refuge_fails(&[
        "export",
        "--format",
        "pmtiles",
        "--community",
        "Atlantis",
        "-o",
        "x",
    ]);
    assert!(
        said.contains("no area called `Atlantis`") && said.contains("Monte-Carlo"),
        "{said}"
    );

    // An area too large for one archive is refused with its tile count and the limit.
    let said = place.refuge_fails(&[
        "export",
        "--format",
        "pmtiles",
        "--bbox",
        "0,0,90,60",
        "-o",
        "world",
    ]);
    assert!(
        said.contains("tiles at these zooms, more than the 250000"),
        "{said}"
    );
    assert!(!place.dir.path().join("world/refuge.pmtiles").exists());
}
