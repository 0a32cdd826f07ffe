//! The map page: `web/` at `/`, MapLibre from `web/node_modules` at `/vendor/maplibre-gl/`, and the
//! style at `/style.json`.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::services::ServeDir;

use crate::error::ApiError;
use crate::state::AppState;

/// The static routes; the page folder is the fallback for every other path.
pub fn routes(state: &AppState) -> Router<AppState> {
    let web = &state.config.web_dir;
    Router::new()
        .route("/style.json", get(style))
        .nest_service(
            "/vendor/maplibre-gl",
            ServeDir::new(web.join("node_modules/maplibre-gl/dist")),
        )
        .fallback_service(ServeDir::new(web))
}

async fn style(State(state): State<AppState>) -> Result<Response, ApiError> {
    let path = state.config.style_dir.join("style.json");
    let text = tokio::fs::read_to_string(&path)
        .await
        .map_err(|e| ApiError::internal(format!("cannot read {}: {e}", path.display())))?;
    let mut response = text.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}
