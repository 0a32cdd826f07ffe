//! `GET /healthz`, `GET /metrics` and `GET /api/v1/openapi.json`.

use axum::extract::State;
use axum::http::{HeaderMap, header};
use refuge_store::Role;

use crate::auth::require;
use crate::error::ApiError;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::state::AppState;

/// The health and metrics routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/api/v1/openapi.json", get(openapi))
}

async fn healthz(State(state): State<AppState>) -> Json<Value> {
    let snapshot = state.index.snapshot();
    Json(json!({
        "status": "ok",
        "facilities": snapshot.len(),
        "data_version": snapshot.version(),
        "base_features": state.backdrop.load().base.len(),
    }))
}

/// Prometheus counters: for an admin token unless `metrics_public` (they tell an attacker how
/// the server is doing).
async fn metrics(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    if !state.config.metrics_public {
        require(&state, &headers, Role::Admin)?;
    }
    let snapshot = state.index.snapshot();
    let (bytes, entries) = state.tiles.usage();
    let text = state
        .metrics
        .render(snapshot.version(), snapshot.len(), bytes, entries);
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text))
}

/// The OpenAPI document, kept beside the code and checked against the router by the tests.
const OPENAPI: &str = include_str!("../openapi.json");

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}
