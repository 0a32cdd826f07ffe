//! The map page: its own files only (see [`crate::page::PAGE`]), built in or from `--web-dir`;
//! any other path is a JSON 404.

use std::sync::OnceLock;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::error::ApiError;
use crate::page::{PAGE, PageFile, PageSource};
use crate::state::AppState;

/// The page routes: one for each of the page's files (the OpenAPI document lists them from the
/// same [`PAGE`]); any other path is a JSON 404.
pub fn routes() -> utoipa_axum::router::OpenApiRouter<AppState> {
    let mut router = Router::new();
    for file in PAGE {
        router = router.route(file.url, get(page));
    }
    utoipa_axum::router::OpenApiRouter::from(router.fallback(not_found))
}

async fn not_found(request: Request) -> ApiError {
    ApiError::not_found(format!(
        "no page or API route at `{}`",
        request.uri().path()
    ))
}

async fn page(State(state): State<AppState>, request: Request) -> Result<Response, ApiError> {
    let path = request.uri().path();
    let Some(file) = PageSource::find(path) else {
        return Err(ApiError::not_found(format!("no page file at `{path}`")));
    };
    let source = state.config.page_source();
    let (bytes, etag) = match source {
        // Built in: no copy, and an ETag so that a reload costs a 304.
        PageSource::BuiltIn => (Bytes::from_static(file.built_in), Some(built_in_etag(file))),
        folders => {
            let read = tokio::task::spawn_blocking(move || folders.read(file))
                .await
                .map_err(ApiError::internal)?
                .map_err(|e| {
                    tracing::warn!(file = file.file, error = %e, "a page file cannot be read");
                    ApiError::not_found(format!("`{path}` is missing from the page folder"))
                })?;
            (Bytes::from(read.into_owned()), None)
        }
    };
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(file.media_type),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Some(etag) = etag {
        let seen = request
            .headers()
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
        headers.insert(header::ETAG, etag);
        if seen {
            return Ok((StatusCode::NOT_MODIFIED, headers).into_response());
        }
    }
    Ok((headers, bytes).into_response())
}

/// The ETag of a built-in page file: a hash of its bytes, made once.
fn built_in_etag(file: &PageFile) -> HeaderValue {
    static TAGS: OnceLock<Vec<HeaderValue>> = OnceLock::new();
    let tags = TAGS.get_or_init(|| {
        PAGE.iter()
            .map(|file| {
                let hash = file
                    .built_in
                    .iter()
                    .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
                    });
                HeaderValue::from_str(&format!("\"{hash:016x}\""))
                    .unwrap_or_else(|_| HeaderValue::from_static("\"\""))
            })
            .collect()
    });
    PAGE.iter()
        .position(|candidate| candidate.url == file.url)
        .and_then(|at| tags.get(at).cloned())
        .unwrap_or_else(|| HeaderValue::from_static("\"\""))
}
