//! The map page: its own files only (see [`crate::page::PAGE`]), built in or from `--web-dir`;
//! any other path is a JSON 404.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::page::PageSource;
use crate::state::AppState;

/// The page routes: every path not taken by the API is looked up among the page's files.
pub fn routes() -> Router<AppState> {
    Router::new().fallback(page)
}

async fn page(State(state): State<AppState>, request: Request) -> Result<Response, ApiError> {
    let path = request.uri().path();
    let Some(file) = PageSource::find(path) else {
        return Err(ApiError::not_found(format!(
            "no page or API route at `{path}`"
        )));
    };
    let source = state.config.page_source();
    let bytes = tokio::task::spawn_blocking(move || source.read(file))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| {
            tracing::warn!(file = file.file, error = %e, "a page file cannot be read");
            ApiError::not_found(format!("`{path}` is missing from the page folder"))
        })?;
    let mut response = bytes.into_owned().into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(file.media_type),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(response)
}
