//! `GET /tiles/{tileset}.json` (TileJSON) and `GET /tiles/{tileset}/{z}/{x}/{y}.mvt`.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use refuge_tiles::{TileCoord, Tileset};

use crate::cache::{CachedTile, Coding};
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::state::AppState;

/// The tile routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/tiles/{name}", get(tilejson))
        .route("/tiles/{tileset}/{z}/{x}/{tile}", get(tile))
}

async fn tilejson(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let Some(tileset) = name.strip_suffix(".json") else {
        return Err(ApiError::not_found(format!(
            "no `{name}`: TileJSON is at /tiles/{{tileset}}.json"
        )));
    };
    let tileset = Tileset::from_name(tileset)?;
    let version = state.data_version(tileset, state.index.snapshot().version());
    let base_url = base_url(&state);
    let backdrop = state.backdrop.load();
    let body = tileset.tilejson(&base_url, version, backdrop.bounds, &backdrop.attribution);
    let mut response = axum::Json(body).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}

/// Where tile URLs point: the configured public URL, or paths on this server. Never the `Host`
/// header, which a client chooses.
fn base_url(state: &AppState) -> String {
    state
        .config
        .public_url
        .as_deref()
        .unwrap_or("")
        .trim_end_matches('/')
        .to_owned()
}

async fn tile(
    State(state): State<AppState>,
    Path((tileset, z, x, tile)): Path<(String, String, String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let tileset = Tileset::from_name(&tileset)?;
    let y = tile
        .strip_suffix(".mvt")
        .or_else(|| tile.strip_suffix(".pbf"))
        .ok_or_else(|| ApiError::not_found(format!("no `{tile}`: tiles end in .mvt")))?;
    let coord = parse_coord(&z, &x, y, tileset)?;
    let snapshot = state.index.snapshot();
    let version = state.data_version(tileset, snapshot.version());
    let key = (version, tileset, coord);
    let cached = match state.tiles.get(&key) {
        Some(cached) => {
            Metrics::count(&state.metrics.tile_hits);
            cached
        }
        None => {
            Metrics::count(&state.metrics.tile_misses);
            let (base, zones) = (state.backdrop.load().base.clone(), state.zones.clone());
            let bytes = tokio::task::spawn_blocking(move || {
                let sources = refuge_tiles::Sources {
                    index: &snapshot,
                    base: &base,
                    zones: &zones,
                };
                refuge_tiles::encode(tileset, coord, sources)
            })
            .await
            .map_err(ApiError::internal)??;
            state.tiles.insert(key, CachedTile::new(bytes))
        }
    };

    let etag = format!("\"{}-{}-{}\"", version, tileset.name(), coord).replace('/', "-");
    let current = query.get("v").is_some_and(|v| v == &version.to_string());
    let cache_control = if current {
        "public, max-age=86400, immutable"
    } else {
        "no-cache"
    };
    let mut response_headers = HeaderMap::new();
    response_headers.insert(header::ETAG, header_value(&etag));
    response_headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    response_headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
    if matches {
        return Ok((StatusCode::NOT_MODIFIED, response_headers).into_response());
    }
    if cached.is_empty() {
        return Ok((StatusCode::NO_CONTENT, response_headers).into_response());
    }
    let coding = Coding::negotiate(
        headers
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok()),
    );
    response_headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/vnd.mapbox-vector-tile"),
    );
    if let Some(encoding) = coding.header() {
        response_headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
    }
    Ok((response_headers, cached.bytes(coding)).into_response())
}

fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("\"\""))
}

/// Parses z/x/y with errors that name the parameter; z above the tileset's maxzoom is refused.
fn parse_coord(z: &str, x: &str, y: &str, tileset: Tileset) -> Result<TileCoord, ApiError> {
    let number = |name: &'static str, text: &str| {
        text.parse::<u32>().map_err(|_| {
            ApiError::bad_request(
                "bad_tile",
                format!("{name}: `{text}` is not a whole number"),
            )
        })
    };
    let z = number("z", z)?;
    if z > u32::from(tileset.maxzoom()) {
        return Err(ApiError::bad_request(
            "bad_tile",
            format!(
                "z: {z} is above the {} tileset's maxzoom {}",
                tileset.name(),
                tileset.maxzoom()
            ),
        ));
    }
    let z = u8::try_from(z).map_err(|_| ApiError::bad_request("bad_tile", "z: too large"))?;
    Ok(TileCoord::new(z, number("x", x)?, number("y", y)?)?)
}
