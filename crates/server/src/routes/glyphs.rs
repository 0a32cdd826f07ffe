//! `GET /glyphs/{fontstack}/{start}-{end}.pbf`: label glyphs made by the server, so the map needs
//! no font server. Every fontstack is drawn with DejaVu Sans; each range is made once.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::glyphs::GlyphCache;
use crate::state::AppState;

/// The glyph route.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(glyphs))
}

/// Label glyphs (SDF protobuf) for MapLibre; every fontstack is drawn with DejaVu Sans.
#[utoipa::path(get, path = "/glyphs/{fontstack}/{range}", tag = "tiles",
    params(
        ("fontstack" = String, Path, description = "Any font name: all are drawn alike"),
        ("range" = String, Path, description = "`START-END.pbf`, START a multiple of 256 and \
            END = START + 255", pattern = r"^[0-9]{1,5}-[0-9]{1,5}\.pbf$", example = "0-255.pbf"),
    ),
    responses((status = 200, description = "Glyphs", content_type = "application/x-protobuf",
        body = Vec<u8>)))]
async fn glyphs(
    State(state): State<AppState>,
    Path((_fontstack, range)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let bad = || {
        ApiError::bad_request(
            "bad_parameter",
            format!("range: `{range}` is not START-END.pbf with START a multiple of 256"),
        )
    };
    let (start, end) = range
        .strip_suffix(".pbf")
        .and_then(|r| r.split_once('-'))
        .ok_or_else(bad)?;
    let (start, end): (u32, u32) = (
        start.parse().map_err(|_| bad())?,
        end.parse().map_err(|_| bad())?,
    );
    if end != start.saturating_add(255) {
        return Err(bad());
    }
    let cache: Arc<GlyphCache> = state.glyphs.clone();
    let bytes = tokio::task::spawn_blocking(move || cache.get_or_render(start))
        .await
        .map_err(ApiError::internal)??;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-protobuf"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=604800"),
    );
    Ok(response)
}
