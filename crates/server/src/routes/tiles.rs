//! `GET /tiles/{tileset}.json` (TileJSON) and `GET /tiles/{tileset}/{z}/{x}/{y}.mvt`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use refuge_tiles::{Cancel, TileCoord, Tileset};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use serde::Deserialize;
use utoipa::IntoParams;

use crate::archives::Archive;
use crate::cache::{CachedTile, Coding};
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::params::{Query, within};
use crate::state::AppState;

/// The tile routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(tilejson))
        .routes(routes!(tile))
}

/// The TileJSON 3.0.0 of a tileset; its tile URLs carry the data version (`?v=`).
#[utoipa::path(get, path = "/tiles/{name}", tag = "tiles",
    params(("name" = String, Path, description = "`{tileset}.json`: facilities.json, base.json, \
        coverage.json, or an archive's name served with `--archive`", pattern = r"^[a-z0-9_-]{1,64}\.json$")),
    responses(
        (status = 200, description = "TileJSON 3.0.0", content_type = "application/json", body = Object),
        (status = 404, description = "No such tileset", body = crate::error::ErrorBody),
    ))]
async fn tilejson(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let Some(tileset) = name.strip_suffix(".json") else {
        return Err(ApiError::not_found(format!(
            "no `{name}`: TileJSON is at /tiles/{{tileset}}.json"
        )));
    };
    if let Some(archive) = state.archive(tileset) {
        let mut response = axum::Json(archive.tilejson(&base_url(&state))).into_response();
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        return Ok(response);
    }
    let tileset = Tileset::from_name(tileset)?;
    if let (Tileset::Coverage, Some(store)) = (tileset, state.store.clone()) {
        // A population import by another process (the command line into this server's file)
        // shows from the next TileJSON on; a store that cannot answer leaves the last one seen.
        let _ = tokio::task::spawn_blocking(move || store.population_stamp()).await;
    }
    let version = state.data_version(tileset, &state.index.snapshot());
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

/// What a tile request may add to its path.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct TileQuery {
    /// The data version from TileJSON: the current one makes the tile cacheable for a day.
    #[param(minimum = 0)]
    v: Option<i64>,
}

/// A Mapbox Vector Tile, brotli or gzip when the client accepts it.
#[utoipa::path(get, path = "/tiles/{tileset}/{z}/{x}/{tile}", tag = "tiles",
    params(
        ("tileset" = String, Path, description = "facilities, base, coverage, or an archive's name \
            served with `--archive`", pattern = "^[a-z0-9_-]{1,64}$"),
        ("z" = u8, Path, description = "Zoom, 0 to the tileset's maxzoom (16; coverage 14)",
            maximum = 16),
        ("x" = u32, Path, description = "Column, 0 to 2^z - 1"),
        ("tile" = String, Path, description = "`{y}.mvt` (or `.pbf`; an archive of images: \
            `.png`, `.jpg`, `.webp`): the row, 0 to 2^z - 1",
            pattern = r"^[0-9]{1,6}\.(mvt|pbf|png|jpg|jpeg|webp)$"),
        TileQuery,
    ),
    responses(
        (status = 200, description = "The tile", content_type = "application/vnd.mapbox-vector-tile",
            body = Vec<u8>),
        (status = 204, description = "No feature in the tile"),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 404, description = "No such tileset", body = crate::error::ErrorBody),
    ))]
async fn tile(
    State(state): State<AppState>,
    Path((tileset, z, x, tile)): Path<(String, String, String, String)>,
    Query(query): Query<TileQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(archive) = state.archive(&tileset) {
        return archive_tile(archive, &z, &x, &tile, &headers).await;
    }
    let tileset = Tileset::from_name(&tileset)?;
    let y = tile
        .strip_suffix(".mvt")
        .or_else(|| tile.strip_suffix(".pbf"))
        .ok_or_else(|| ApiError::not_found(format!("no `{tile}`: tiles end in .mvt")))?;
    let coord = parse_coord(&z, &x, y, tileset)?;
    let snapshot = state.index.snapshot();
    let version = state.data_version(tileset, &snapshot);
    let key = (tileset, coord);
    let hit = state
        .tiles
        .get(&key)
        .filter(|cached| state.still_valid(tileset, coord, cached, version));
    let cached = match hit {
        Some(cached) => {
            Metrics::count(&state.metrics.tile_hits);
            cached
        }
        None => {
            // Requests for the same tile at the same version share one making. If the request
            // making it goes away, the next one waiting takes over.
            let share = state.tiles.share(key, version);
            share
                .making
                .get_or_try_init(|| async {
                    Metrics::count(&state.metrics.tile_misses);
                    // Given up when this request is (a 408, a client that left) or the server
                    // stops.
                    let cancel = Arc::new(Cancel::within(Arc::clone(&state.stopping)));
                    let _give_up = GiveUpOnDrop(Arc::clone(&cancel));
                    let mut job = TileJob {
                        tileset,
                        coord,
                        snapshot,
                        base: state.backdrop.load().base.clone(),
                        zones: state.zones.clone(),
                        coverage: None,
                        cancel,
                    };
                    // A light tile takes less than the trip to a blocking thread and back.
                    let bytes = if job.is_light() {
                        job.encode()?
                    } else {
                        let state = state.clone();
                        tokio::task::spawn_blocking(move || {
                            if job.tileset == Tileset::Coverage {
                                job.coverage = state.coverage.map(
                                    &job.snapshot,
                                    state.store.as_deref(),
                                    state.config.max_analysis_cells,
                                )?;
                            }
                            Ok::<_, ApiError>(job.encode()?)
                        })
                        .await
                        .map_err(ApiError::internal)??
                    };
                    Ok::<_, ApiError>(state.tiles.insert(key, CachedTile::new(bytes, version)))
                })
                .await
                .cloned()?
        }
    };

    // The version the tile's content is from: a write elsewhere leaves it, and its tag, as they
    // were, so a browser's revalidation gets a 304.
    // Weak: the brotli bytes of one tile change when its best compression replaces the fast one.
    let etag = format!(
        "W/{}",
        format!("\"{}-{}-{}\"", cached.made(), tileset.name(), coord).replace('/', "-")
    );
    let asked = query.v.map(|v| within("v", v, 0..=i64::MAX)).transpose()?;
    let current = asked.is_some_and(|v| u64::try_from(v) == Ok(version));
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
    let body = cached.bytes(coding);
    // Worth it only for a tile the cache keeps, and one at a time: a burst of new tiles must not
    // fill the blocking pool that tiles and writes share.
    if coding == Coding::Brotli && state.tiles.holds(&key) {
        if let Some(turn) = state.tiles.best_brotli_turn() {
            if cached.claim_best_brotli() {
                let tile = Arc::clone(&cached);
                tokio::task::spawn_blocking(move || {
                    tile.make_best_brotli();
                    drop(turn);
                });
            }
        }
    }
    Ok((response_headers, body).into_response())
}

/// A tile of an archive served as a tileset: as stored (gzip when the client takes it), 204 where
/// the archive has none.
async fn archive_tile(
    archive: Arc<Archive>,
    z: &str,
    x: &str,
    tile: &str,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let format = archive.format();
    let y = tile
        .rsplit_once('.')
        .filter(|(_, extension)| format.has_extension(extension))
        .map(|(y, _)| y)
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "no `{tile}`: this archive's tiles end in .{}",
                format.extension()
            ))
        })?;
    let z = number("z", z)?;
    let zooms = archive.zooms();
    let z = u8::try_from(z)
        .ok()
        .filter(|z| zooms.contains(z))
        .ok_or_else(|| {
            ApiError::bad_request(
                "bad_tile",
                format!(
                    "z: {z} is outside the archive's zooms {}–{}",
                    zooms.start(),
                    zooms.end()
                ),
            )
        })?;
    let coord = TileCoord::new(z, number("x", x)?, number("y", y)?)?;
    let reading = Arc::clone(&archive);
    let handle = tokio::runtime::Handle::current();
    let stored = tokio::task::spawn_blocking(move || {
        handle.block_on(reading.tile(coord.z(), coord.x(), coord.y()))
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    let mut response_headers = HeaderMap::new();
    response_headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response_headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    let Some(stored) = stored else {
        return Ok((StatusCode::NO_CONTENT, response_headers).into_response());
    };
    response_headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.media_type()),
    );
    let takes_gzip = crate::cache::accepts(
        headers
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok()),
        "gzip",
    );
    // Each tile as stored: some writers gzip some tiles and not others.
    let body = if !stored.starts_with(&[0x1f, 0x8b]) {
        stored.to_vec()
    } else if takes_gzip {
        response_headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        stored.to_vec()
    } else {
        let mut plain = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&stored[..]), &mut plain)
            .map_err(ApiError::internal)?;
        plain
    };
    Ok((response_headers, body).into_response())
}

/// What making one tile needs, owned, so that the work can move to a blocking thread.
struct TileJob {
    tileset: Tileset,
    coord: TileCoord,
    snapshot: Arc<refuge_core::SpatialIndex>,
    base: Arc<refuge_tiles::BaseMap>,
    zones: Arc<refuge_tiles::HazardZones>,
    /// The population's coverage, for a coverage tile.
    coverage: Option<Arc<refuge_core::planning::CoverageMap>>,
    cancel: Arc<Cancel>,
}

impl TileJob {
    fn sources(&self) -> refuge_tiles::Sources<'_> {
        refuge_tiles::Sources {
            index: &self.snapshot,
            base: &self.base,
            zones: &self.zones,
            coverage: self.coverage.as_deref(),
            cancel: &self.cancel,
        }
    }

    fn is_light(&self) -> bool {
        refuge_tiles::is_light(self.tileset, self.coord, self.sources())
    }

    fn encode(&self) -> refuge_tiles::Result<Vec<u8>> {
        refuge_tiles::encode(self.tileset, self.coord, self.sources())
    }
}

/// Gives a tile up when the request that wants it is dropped: the tile's work then stops at its
/// next feature instead of running on for nobody.
struct GiveUpOnDrop(Arc<Cancel>);

impl Drop for GiveUpOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("\"\""))
}

/// A tile coordinate's whole number, or a 400 naming it.
fn number(name: &'static str, text: &str) -> Result<u32, ApiError> {
    text.parse::<u32>().map_err(|_| {
        ApiError::bad_request(
            "bad_tile",
            format!("{name}: `{text}` is not a whole number"),
        )
    })
}

/// Parses z/x/y with errors that name the parameter; z above the tileset's maxzoom is refused.
fn parse_coord(z: &str, x: &str, y: &str, tileset: Tileset) -> Result<TileCoord, ApiError> {
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
