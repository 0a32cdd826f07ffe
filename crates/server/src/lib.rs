#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod archives;
mod auth;
mod body;
mod cache;
pub mod config;
mod coverage;
mod error;
mod events;
mod follow;
mod glyphs;
mod group;
mod limits;
mod listen;
mod metrics;
mod openapi;
pub mod package;
mod page;
mod params;
mod present;
mod routes;
mod state;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::trace::TraceLayer;

pub use config::{Config, ConfigError, Overrides};
pub use error::ApiError;
pub use events::Event;
pub use page::{PAGE, PageSource};
pub use state::{AppState, Backdrop, Shared, StartError};

use crate::metrics::Metrics;

/// The whole HTTP API and the map page, ready to serve or to test with `oneshot`.
pub fn app(state: AppState) -> Router {
    let config = state.config.clone();
    let (routes, _) = openapi::router().split_for_parts();
    routes
        .layer(middleware::from_fn_with_state(state.clone(), count_errors))
        .layer(middleware::from_fn_with_state(state.clone(), limits::apply))
        .layer(middleware::from_fn(json_errors))
        .layer(middleware::from_fn(security_headers))
        .layer(cors(&config.cors_origins))
        .layer(axum::extract::DefaultBodyLimit::max(
            config.body_limit_bytes,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), read_timeout))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Reads that take too long are answered 408. Writes are not: a write runs to its commit whatever
/// happens to the connection, so a timeout would tell the client it failed when it did not, and a
/// retry would book it twice.
async fn read_timeout(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return next.run(request).await;
    }
    match tokio::time::timeout(state.config.request_timeout(), next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::client(
            StatusCode::REQUEST_TIMEOUT,
            "timeout",
            "the request took too long; try again",
        )
        .into_response(),
    }
}

/// Every error is the API's JSON, the framework's own too (405 for a wrong method, 400 for a
/// query string that is not UTF-8 or not `name=value` pairs, 415, …): the message it gave is kept
/// for a 4xx, dropped for a 5xx.
async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    if status.is_server_error() {
        return ApiError::internal(format!("the framework answered {status}")).into_response();
    }
    let (parts, body) = response.into_parts();
    // The framework's own messages are a line or two.
    let said = axum::body::to_bytes(body, 4096).await.unwrap_or_default();
    let said = String::from_utf8_lossy(&said).trim().to_owned();
    let code = match status {
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        _ => "bad_request",
    };
    let message = match (status, said.is_empty()) {
        (StatusCode::METHOD_NOT_ALLOWED, _) => {
            let allowed = parts
                .headers
                .get(header::ALLOW)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("another method");
            format!("this path takes {allowed}")
        }
        (_, true) => status
            .canonical_reason()
            .unwrap_or("bad request")
            .to_owned(),
        (_, false) => said,
    };
    let mut answer = ApiError::client(status, code, message).into_response();
    if let Some(allow) = parts.headers.get(header::ALLOW) {
        answer.headers_mut().insert(header::ALLOW, allow.clone());
    }
    answer
}

/// What the page may load: only its own scripts (no inline script), MapLibre's workers from
/// blobs, images and tiles from this server; no framing, no referrer, no type sniffing.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    worker-src 'self' blob:; child-src blob:; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; \
    base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

async fn count_errors(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let response = next.run(request).await;
    if response.status().is_client_error() {
        Metrics::count(&state.metrics.client_errors);
    } else if response.status().is_server_error() {
        Metrics::count(&state.metrics.server_errors);
    }
    response
}

fn cors(origins: &[String]) -> CorsLayer {
    let layer = CorsLayer::new()
        .allow_methods([
            Method::GET,
            Method::HEAD,
            Method::OPTIONS,
            Method::POST,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
        ])
        .expose_headers([header::ETAG]);
    if origins.iter().any(|o| o == "*") {
        return layer.allow_origin(AllowOrigin::any());
    }
    let list: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    layer.allow_origin(AllowOrigin::list(list))
}

/// Serves `state` on its configured address until Ctrl-C or SIGTERM, then finishes the requests
/// under way. `ready` is called with the bound address once the server listens.
pub async fn serve(
    state: AppState,
    ready: impl FnOnce(std::net::SocketAddr),
) -> std::io::Result<()> {
    state.open_archives().await.map_err(std::io::Error::other)?;
    let listener = tokio::net::TcpListener::bind(state.config.bind).await?;
    ready(listener.local_addr()?);
    // The base map is static: make its tiles while the first visitors arrive.
    let warm = state.clone();
    tokio::task::spawn_blocking(move || {
        let started = std::time::Instant::now();
        let made = warm.prerender_base(AppState::PRERENDERED_TILES);
        tracing::info!(
            tiles = made,
            seconds = started.elapsed().as_secs_f64(),
            "base map tiles made ahead"
        );
    });
    // On a shared store, other servers' writes come in through the change log.
    let _follower = state.follow_store();
    // Usable stock depends on the date: recount when it changes.
    let daily = state.clone();
    tokio::spawn(async move {
        let mut counted_for = chrono::Utc::now().date_naive();
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            let today = chrono::Utc::now().date_naive();
            if today != counted_for {
                let state = daily.clone();
                let _ = tokio::task::spawn_blocking(move || state.refresh_stock(today)).await;
                counted_for = today;
            }
        }
    });
    let header_timeout = state.config.header_read_timeout();
    let stopping = std::sync::Arc::clone(&state.stopping);
    let stop = async move {
        shutdown_signal().await;
        // Tiles under way are given up, so the requests left to drain end at once.
        stopping.cancel();
    };
    listen::run(listener, app(state), header_timeout, stop).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests under way");
}
