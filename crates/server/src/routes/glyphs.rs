//! `GET /glyphs/{fontstack}/{start}-{end}.pbf`: label glyphs made by the server, so the map needs
//! no font server. Every fontstack is drawn with DejaVu Sans; each range is made once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use refuge_tiles::GlyphRenderer;

use crate::error::ApiError;
use crate::state::AppState;

/// Rendered ranges by their first code point (at most 256 of them).
#[derive(Debug)]
pub struct GlyphCache {
    renderer: GlyphRenderer,
    ranges: Mutex<HashMap<u32, Bytes>>,
}

impl GlyphCache {
    /// A cache over DejaVu Sans.
    pub fn new() -> Result<Self, refuge_tiles::Error> {
        Ok(Self {
            renderer: GlyphRenderer::dejavu_sans()?,
            ranges: Mutex::new(HashMap::new()),
        })
    }

    fn get_or_render(&self, start: u32) -> Result<Bytes, refuge_tiles::Error> {
        if let Some(bytes) = self.lock().get(&start) {
            return Ok(bytes.clone());
        }
        let bytes = Bytes::from(self.renderer.range("DejaVu Sans Book", start)?);
        self.lock().insert(start, bytes.clone());
        Ok(bytes)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u32, Bytes>> {
        self.ranges
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The glyph route.
pub fn routes() -> Router<AppState> {
    Router::new().route("/glyphs/{fontstack}/{range}", get(glyphs))
}

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
