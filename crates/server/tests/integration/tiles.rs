//! Tiles: TileJSON, bad coordinates, compression and caching headers, and the decoded content.

use std::collections::{BTreeMap, BTreeSet};

use axum::http::{StatusCode, header};
use refuge_core::{FacilityDetails, FacilityKind, Filter, LonLat};
use refuge_server::{AppState, Config};
use refuge_tiles::{TileCoord, TileFrame, world};

use serde_json::Value;

use super::api::{get, get_from, json, state};
use super::mvt_decode::{area, decode};

/// The z/x/y tile holding a position.
pub fn tile_of(z: u8, lon: f64, lat: f64) -> TileCoord {
    let w = world(lon, lat);
    let n = f64::from(1u32 << z);
    TileCoord::new(z, (w.x * n) as u32, (w.y * n) as u32).unwrap()
}

#[tokio::test]
async fn tilejson_describes_every_layer_with_a_versioned_url() {
    for (name, layers) in [
        (
            "facilities",
            vec!["shelters", "reserves", "micro_storage", "hazards", "pois"],
        ),
        (
            "base",
            vec!["water", "landuse", "roads", "buildings", "boundaries"],
        ),
        ("coverage", vec!["cells"]),
    ] {
        let (status, body) = json(&format!("/tiles/{name}.json")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["tilejson"], "3.0.0");
        let url = body["tiles"][0].as_str().unwrap();
        assert!(
            url.ends_with(&format!(
                "/tiles/{name}/{{z}}/{{x}}/{{y}}.mvt?v={}",
                state().index.snapshot().version()
            )),
            "{url}"
        );
        let ids: Vec<&str> = body["vector_layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, layers);
        assert!(
            body["vector_layers"][0]["fields"]
                .as_object()
                .unwrap()
                .len()
                > 2
        );
        let bounds = body["bounds"].as_array().unwrap();
        assert!(
            (bounds[0].as_f64().unwrap() - 7.41).abs() < 0.01,
            "Monaco: {bounds:?}"
        );
    }
}

#[tokio::test]
async fn bad_tile_requests_are_4xx_naming_the_problem() {
    for (uri, status, word) in [
        ("/tiles/facilities/17/0/0.mvt", StatusCode::BAD_REQUEST, "z"),
        ("/tiles/facilities/3/8/0.mvt", StatusCode::BAD_REQUEST, "x"),
        ("/tiles/facilities/3/0/9.mvt", StatusCode::BAD_REQUEST, "y"),
        ("/tiles/facilities/a/0/0.mvt", StatusCode::BAD_REQUEST, "z"),
        ("/tiles/facilities/3/-1/0.mvt", StatusCode::BAD_REQUEST, "x"),
        (
            "/tiles/roads/3/0/0.mvt",
            StatusCode::NOT_FOUND,
            "facilities, base, coverage",
        ),
        (
            "/tiles/roads.json",
            StatusCode::NOT_FOUND,
            "facilities, base, coverage",
        ),
    ] {
        let (got, _, body) = get(uri, &[]).await;
        assert_eq!(got, status, "{uri}");
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(word), "{uri}: {message}");
    }
}

#[tokio::test]
async fn tiles_are_compressed_once_and_revalidated_by_etag() {
    let tile = tile_of(15, 7.4200, 43.7350);
    let uri = format!(
        "/tiles/facilities/{tile}.mvt?v={}",
        state().index.snapshot().version()
    );
    let (status, headers, plain) = get(&uri, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers[header::CONTENT_TYPE],
        "application/vnd.mapbox-vector-tile"
    );
    assert!(headers.get(header::CONTENT_ENCODING).is_none());
    assert!(
        headers[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let (_, br, compressed) = get(&uri, &[("accept-encoding", "gzip, deflate, br")]).await;
    assert_eq!(br[header::CONTENT_ENCODING], "br");
    assert!(compressed.len() < plain.len());
    let mut decompressed = Vec::new();
    brotli::BrotliDecompress(&mut compressed.as_slice(), &mut decompressed).unwrap();
    assert_eq!(decompressed, plain);
    let (_, gz, _) = get(&uri, &[("accept-encoding", "gzip")]).await;
    assert_eq!(gz[header::CONTENT_ENCODING], "gzip");
    let etag = headers[header::ETAG].to_str().unwrap().to_owned();
    let (status, _, body) = get(&uri, &[("if-none-match", &etag)]).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
    let (_, stale, _) = get(&format!("/tiles/facilities/{tile}.mvt"), &[]).await;
    assert_eq!(
        stale[header::CACHE_CONTROL],
        "no-cache",
        "an unversioned URL must revalidate"
    );
}

#[tokio::test]
async fn every_facility_decodes_back_to_its_place() {
    let state = state();
    let snapshot = state.index.snapshot();
    for z in [14u8, 16] {
        for facility in snapshot
            .facilities()
            .filter(|f| f.kind() != FacilityKind::Hazard)
        {
            let tile = tile_of(z, facility.location.lon(), facility.location.lat());
            let (status, _, body) = get(&format!("/tiles/facilities/{tile}.mvt"), &[]).await;
            assert_eq!(status, StatusCode::OK);
            let layers = decode(&body);
            let layer = match facility.kind() {
                FacilityKind::Shelter => "shelters",
                FacilityKind::Reserve => "reserves",
                FacilityKind::MicroStorage => "micro_storage",
                FacilityKind::Poi => "pois",
                FacilityKind::Hazard => unreachable!(),
            };
            let (_, extent, features) = layers.iter().find(|(name, _, _)| name == layer).unwrap();
            assert_eq!(*extent, 4096);
            let feature = features
                .iter()
                .find(|f| f.id == facility.id.get())
                .unwrap_or_else(|| panic!("{} in {tile}", facility.id));
            assert_eq!(feature.kind, 1, "a point");
            let (x, y) = feature.parts[0][0];
            let expected =
                TileFrame::new(tile).grid(world(facility.location.lon(), facility.location.lat()));
            assert!(
                (x as f64 - expected.x).abs() <= 1.0 && (y as f64 - expected.y).abs() <= 1.0,
                "within one tile unit"
            );
            assert_eq!(feature.tag("name_en"), facility.name().en.as_deref());
            if let Some(s) = facility.shelter() {
                assert_eq!(
                    feature.tag("capacity"),
                    s.capacity().map(|c| c.to_string()).as_deref()
                );
                assert_eq!(feature.tag("status"), Some("open"));
            }
        }
    }
}

#[tokio::test]
async fn low_zoom_aggregates_and_hazard_zones_are_polygons() {
    let tile = tile_of(10, 7.4200, 43.7350);
    let (_, _, body) = get(&format!("/tiles/facilities/{tile}.mvt"), &[]).await;
    let layers = decode(&body);
    let (_, _, shelters) = layers.iter().find(|(n, _, _)| n == "shelters").unwrap();
    let total: u64 = shelters
        .iter()
        .map(|f| f.tag("point_count").map_or(1, |c| c.parse().unwrap()))
        .sum();
    let count = state()
        .index
        .snapshot()
        .nearest(
            LonLat::new(7.42, 43.735).unwrap(),
            1000,
            &Filter::default().kind(FacilityKind::Shelter),
        )
        .len();
    assert_eq!(total, count as u64, "every shelter is counted once");
    assert!(
        shelters.len() < count,
        "aggregated: {} points for {count} shelters",
        shelters.len()
    );

    let tile = tile_of(15, 7.4183, 43.7313);
    let (_, _, body) = get(&format!("/tiles/facilities/{tile}.mvt"), &[]).await;
    let layers = decode(&body);
    let (_, _, hazards) = layers.iter().find(|(n, _, _)| n == "hazards").unwrap();
    let zones: Vec<_> = hazards.iter().filter(|f| f.kind == 3).collect();
    assert!(!zones.is_empty(), "zones and influence circles");
    for zone in zones {
        assert_eq!(zone.tag("zone"), Some("true"));
        assert!(
            area(&zone.parts[0]) > 0,
            "exterior rings wind clockwise on screen"
        );
    }
}

#[tokio::test]
async fn the_base_map_has_streets_and_buildings_where_monaco_is() {
    let tile = tile_of(16, 7.4200, 43.7350);
    let (status, _, body) = get(&format!("/tiles/base/{tile}.mvt"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    let layers = decode(&body);
    let names: Vec<&str> = layers.iter().map(|(n, _, _)| n.as_str()).collect();
    assert!(
        names.contains(&"roads") && names.contains(&"buildings"),
        "{names:?}"
    );
    let (_, _, roads) = layers.iter().find(|(n, _, _)| n == "roads").unwrap();
    assert!(roads.iter().all(|r| r.tag("class").is_some()));
    // Streets are lines; pedestrian squares and footways mapped as areas (area=yes) are polygons;
    // no points (crossings and bus stops are not streets).
    let areas: Vec<_> = roads
        .iter()
        .filter(|r| r.kind != 2)
        .map(|r| (r.kind, r.tag("class")))
        .collect();
    assert!(areas.iter().all(|(kind, _)| *kind == 3), "{areas:?}");
    assert!(roads.iter().any(|r| r.tag("name").is_some()));
    // Clipped at the buffered edge: nothing far outside the tile.
    for (_, _, features) in &layers {
        for f in features {
            for part in &f.parts {
                assert!(
                    part.iter()
                        .all(|(x, y)| (-80..=4176).contains(x) && (-80..=4176).contains(y))
                );
            }
        }
    }
    let (status, _, _) = get("/tiles/base/2/0/0.mvt", &[]).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "an empty tile is 204");
}

#[tokio::test]
async fn a_change_to_the_data_changes_the_version_and_the_tiles() {
    let state = AppState::demo(Config::default()).unwrap();
    let first = json("/api/v1/nearest?lon=7.42&lat=43.735&kind=shelter&k=1")
        .await
        .1;
    let shelter = first["features"][0]["id"].as_u64().unwrap();
    let tile = tile_of(16, 7.42043, 43.73392);
    let before = get_from(state.clone(), &format!("/tiles/facilities/{tile}.mvt"), &[])
        .await
        .2;
    let mut full = state
        .record(refuge_core::FacilityId::new(shelter).unwrap())
        .await
        .unwrap()
        .unwrap();
    if let FacilityDetails::Shelter(s) = &mut full.details {
        s.occupancy = s.capacity().unwrap();
    }
    state
        .index
        .update(|index| index.with_changes(vec![full.clone()], &[]))
        .unwrap();
    let (_, _, tilejson) = get_from(state.clone(), "/tiles/facilities.json", &[]).await;
    let start = state.backdrop.load().version;
    assert!(
        String::from_utf8(tilejson)
            .unwrap()
            .contains(&format!("?v={}", start + 1))
    );
    let (_, _, base) = get_from(state.clone(), "/tiles/base.json", &[]).await;
    assert!(
        String::from_utf8(base)
            .unwrap()
            .contains(&format!("?v={start}")),
        "the base map did not change"
    );
    let after = get_from(state.clone(), &format!("/tiles/facilities/{tile}.mvt"), &[])
        .await
        .2;
    assert_ne!(before, after, "the tile shows the new occupancy");
    let (_, _, body) = get_from(
        state,
        "/api/v1/nearest?lon=7.42&lat=43.735&kind=shelter&k=1&has_room=true",
        &[],
    )
    .await;
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_ne!(
        body["features"][0]["id"].as_u64().unwrap(),
        shelter,
        "the full shelter is no longer offered"
    );
}

/// A write redraws the tiles around the facility it changed, and no other: a tile elsewhere is
/// still served from the cache with the same tag, so a browser's revalidation gets a 304.
#[tokio::test]
async fn a_write_keeps_the_cached_tiles_it_did_not_touch() {
    let state = AppState::demo(Config::default()).unwrap();
    let snapshot = state.index.snapshot();
    let shelters = snapshot.within_bbox(
        refuge_core::BBox::world(),
        &Filter::default().kind(FacilityKind::Shelter),
    );
    // Two shelters far enough apart that a change to one cannot reach the other's z16 tile.
    let (near, far) = shelters
        .iter()
        .flat_map(|a| shelters.iter().map(move |b| (*a, *b)))
        .find(|(a, b)| {
            let b_tile = tile_of(16, b.location.lon(), b.location.lat());
            !refuge_tiles::may_change(b_tile, a.location)
        })
        .expect("two shelters apart in the demo");
    let near_tile = tile_of(16, near.location.lon(), near.location.lat());
    let far_tile = tile_of(16, far.location.lon(), far.location.lat());
    let fetch = |tile: TileCoord| {
        let state = state.clone();
        async move {
            let (_, headers, body) =
                get_from(state, &format!("/tiles/facilities/{tile}.mvt"), &[]).await;
            (headers[header::ETAG].to_str().unwrap().to_owned(), body)
        }
    };
    let (near_tag, near_before) = fetch(near_tile).await;
    let (far_tag, _) = fetch(far_tile).await;

    let mut full = state.record(near.id).await.unwrap().unwrap();
    if let FacilityDetails::Shelter(s) = &mut full.details {
        s.occupancy = s.capacity().unwrap();
    }
    state
        .index
        .update(|index| index.with_changes(vec![full.clone()], &[]))
        .unwrap();
    let hits = || {
        state
            .metrics
            .tile_hits
            .load(std::sync::atomic::Ordering::Relaxed)
    };

    let before = hits();
    let (far_tag_after, _) = fetch(far_tile).await;
    assert_eq!(hits(), before + 1, "the far tile came from the cache");
    assert_eq!(far_tag_after, far_tag, "and kept its tag");
    let (status, _, _) = get_from(
        state.clone(),
        &format!("/tiles/facilities/{far_tile}.mvt"),
        &[("if-none-match", &far_tag)],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);

    let before = hits();
    let (near_tag_after, near_after) = fetch(near_tile).await;
    assert_eq!(hits(), before, "the tile around the write was made again");
    assert_ne!(near_tag_after, near_tag);
    assert_ne!(near_after, near_before, "and shows the shelter full");

    // A stock figure is not on the map: it leaves every tile as it was.
    let water = refuge_core::ItemId::new("bottled_water").unwrap();
    state
        .index
        .update(|index| Ok::<_, refuge_core::Error>(index.with_stock_levels([(near.id, water, 5)])))
        .unwrap();
    let before = hits();
    assert_eq!(fetch(near_tile).await.0, near_tag_after);
    assert_eq!(hits(), before + 1);
}

/// Many requests at once for a tile nobody has made yet (after a write, a popular tile is asked
/// for by every open map) share one making: it is encoded once, and everyone gets it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn requests_at_once_for_one_new_tile_share_its_making() {
    let state = AppState::demo(Config::default()).unwrap();
    // Central Monaco's base tile: thousands of roads and buildings, made on a blocking thread.
    let path = format!("/tiles/base/{}.mvt", tile_of(14, 7.4200, 43.7350));
    let requests: Vec<_> = (0..16)
        .map(|_| {
            let (state, path) = (state.clone(), path.clone());
            tokio::spawn(async move { get_from(state, &path, &[]).await })
        })
        .collect();
    let mut bodies = std::collections::BTreeSet::new();
    for request in requests {
        let (status, _, body) = request.await.unwrap();
        assert_eq!(status, StatusCode::OK);
        bodies.insert(body);
    }
    assert_eq!(bodies.len(), 1, "everyone got the same tile");
    let made = state
        .metrics
        .tile_misses
        .load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(made, 1, "encoded once for 16 requests");
}

#[tokio::test]
async fn base_tiles_can_be_made_ahead_into_the_cache() {
    let state = AppState::demo(Config::default()).unwrap();
    let made = state.prerender_base(10_000);
    assert!(made > 100, "every tile over Monaco to z16: {made}");
    let hits_before = state
        .metrics
        .tile_hits
        .load(std::sync::atomic::Ordering::Relaxed);
    let tile = tile_of(14, 7.4200, 43.7350);
    let (status, _, _) = get_from(state.clone(), &format!("/tiles/base/{tile}.mvt"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        state
            .metrics
            .tile_hits
            .load(std::sync::atomic::Ordering::Relaxed),
        hits_before + 1,
        "served from the cache"
    );
    assert_eq!(state.prerender_base(10_000), 0, "nothing left to make");
}

#[tokio::test]
async fn a_wide_hazard_zone_reaches_tiles_far_from_its_point() {
    let state = AppState::demo(Config::default()).unwrap();
    let mut wide = refuge_core::doc_support::shelter(987_654_321, 7.42, 43.735);
    wide.details = FacilityDetails::Hazard(
        refuge_core::HazardSource::new(
            refuge_core::HazardKind::Dam,
            refuge_core::RiskLevel::Major,
            10_000.0,
        )
        .unwrap(),
    );
    state
        .index
        .update(|index| index.with_changes(vec![wide], &[]))
        .unwrap();
    // 8 km east of the hazard's point: inside its 10 km circle, far outside the tile it stands in.
    let tile = tile_of(14, 7.42 + 0.1, 43.735);
    let (status, _, body) = get_from(state, &format!("/tiles/facilities/{tile}.mvt"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    let layers = decode(&body);
    let (_, _, hazards) = layers
        .iter()
        .find(|(n, _, _)| n == "hazards")
        .expect("a hazards layer");
    assert!(
        hazards.iter().any(|f| f.id == 987_654_321 && f.kind == 3),
        "the dam's influence circle is drawn"
    );
}

/// What `tiles/style.json` reads with `["get", …]`, by source and source layer: each entry is
/// the set of properties of which one must exist, one property for a plain `get`, the members
/// of a `coalesce` of gets (a deliberate fallback from one to the next).
fn style_reads() -> BTreeMap<(String, String), Vec<BTreeSet<String>>> {
    fn get_of(value: &Value) -> Option<String> {
        match value.as_array().map(Vec::as_slice) {
            Some([Value::String(op), Value::String(key)]) if op == "get" => Some(key.clone()),
            _ => None,
        }
    }
    fn walk(value: &Value, into: &mut Vec<BTreeSet<String>>) {
        match value {
            Value::Array(items) => {
                if let Some(key) = get_of(value) {
                    into.push(BTreeSet::from([key]));
                    return;
                }
                if items.first().and_then(Value::as_str) == Some("coalesce") {
                    let gets: BTreeSet<String> = items.iter().filter_map(get_of).collect();
                    if !gets.is_empty() {
                        into.push(gets);
                    }
                    items
                        .iter()
                        .filter(|item| get_of(item).is_none())
                        .for_each(|item| walk(item, into));
                    return;
                }
                items.iter().for_each(|item| walk(item, into));
            }
            Value::Object(members) => members.values().for_each(|v| walk(v, into)),
            _ => {}
        }
    }
    let style: Value = serde_json::from_str(include_str!("../../../../tiles/style.json")).unwrap();
    let mut reads: BTreeMap<(String, String), Vec<BTreeSet<String>>> = BTreeMap::new();
    for layer in style["layers"].as_array().unwrap() {
        let (Some(source), Some(source_layer)) =
            (layer["source"].as_str(), layer["source-layer"].as_str())
        else {
            continue;
        };
        walk(
            layer,
            reads
                .entry((source.to_owned(), source_layer.to_owned()))
                .or_default(),
        );
    }
    reads
}

/// The fields each tile layer declares in its TileJSON, by tileset and layer.
async fn declared_fields() -> BTreeMap<(String, String), BTreeSet<String>> {
    let mut declared = BTreeMap::new();
    for tileset in ["facilities", "base", "coverage"] {
        let (_, tilejson) = json(&format!("/tiles/{tileset}.json")).await;
        for layer in tilejson["vector_layers"].as_array().unwrap() {
            let fields = layer["fields"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect();
            declared.insert(
                (tileset.to_owned(), layer["id"].as_str().unwrap().to_owned()),
                fields,
            );
        }
    }
    declared
}

#[tokio::test]
async fn every_property_the_style_reads_is_one_a_tile_layer_writes() {
    let declared = declared_fields().await;
    let mut unknown = Vec::new();
    for ((source, layer), reads) in style_reads() {
        let fields = declared
            .get(&(source.clone(), layer.clone()))
            .cloned()
            .unwrap_or_default();
        for alternatives in reads {
            if alternatives.is_disjoint(&fields) {
                unknown.push(format!("{source}/{layer}: {alternatives:?}"));
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "the style reads what no tile layer writes: {unknown:?}"
    );
}

#[tokio::test]
async fn every_property_a_tile_carries_is_declared_in_its_tilejson() {
    let declared = declared_fields().await;
    // The demo city at the zooms the style draws: aggregates below z13, single features and
    // hazard zones above, every base layer.
    for tileset in ["facilities", "base"] {
        for z in [8u8, 10, 12, 13, 14, 15, 16] {
            let centre = tile_of(z, 7.4246, 43.7384);
            for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                let uri = format!(
                    "/tiles/{tileset}/{z}/{}/{}.mvt",
                    centre.x() + dx,
                    centre.y() + dy
                );
                let (status, _, bytes) = get(&uri, &[]).await;
                if status != StatusCode::OK {
                    continue;
                }
                for (layer, _, features) in decode(&bytes) {
                    let fields = &declared[&(tileset.to_owned(), layer.clone())];
                    for feature in features {
                        for (key, _) in feature.tags {
                            assert!(
                                fields.contains(&key),
                                "{tileset}/{layer} carries `{key}`, which its TileJSON does not declare"
                            );
                        }
                    }
                }
            }
        }
    }
}

#[tokio::test]
async fn a_stopping_server_gives_tile_work_up() {
    let state = AppState::demo(Config::default()).unwrap();
    state.stopping.cancel();
    assert_eq!(state.prerender_base(10_000), 0, "no tile is made ahead");
    for tileset in ["facilities", "base", "coverage"] {
        let (status, _, body) = get_from(
            state.clone(),
            &format!("/tiles/{tileset}/14/8529/5974.mvt"),
            &[],
        )
        .await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{tileset}");
        let error: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(error["error"]["code"], "stopping");
    }
    // A request given up alone (its client left) leaves the others be.
    let parent = std::sync::Arc::new(refuge_tiles::Cancel::default());
    let one = refuge_tiles::Cancel::within(std::sync::Arc::clone(&parent));
    let other = refuge_tiles::Cancel::within(std::sync::Arc::clone(&parent));
    one.cancel();
    assert!(one.is_cancelled() && !other.is_cancelled());
    parent.cancel();
    assert!(other.is_cancelled());
}
