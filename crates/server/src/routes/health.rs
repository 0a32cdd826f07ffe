//! `GET /healthz`, `GET /metrics` and `GET /api/v1/openapi.json`.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use refuge_store::Role;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::openapi;
use crate::state::AppState;

/// The health and metrics routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(metrics))
        .routes(routes!(document))
}

/// What `/healthz` says.
#[derive(Debug, Serialize, ToSchema)]
struct Health {
    /// `ok`; `degraded` when the shared store cannot be reached (reads go on from this server's
    /// copy; writes answer 503 until it is back).
    status: &'static str,
    /// Why the server is degraded, if it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    problem: Option<String>,
    /// On a shared store, the last change of the store's change log this server has taken.
    #[serde(skip_serializing_if = "Option::is_none")]
    changes_through: Option<i64>,
    /// Facilities in the index.
    facilities: usize,
    /// The data version: one more with every change.
    data_version: u64,
    /// Features of the base map.
    base_features: usize,
}

/// Whether the server is up, and what it holds.
#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, description = "The server is up", body = Health)))]
async fn healthz(State(state): State<AppState>) -> Json<Health> {
    let snapshot = state.index.snapshot();
    let problem = state.store_problem();
    Json(Health {
        status: if problem.is_some() { "degraded" } else { "ok" },
        problem,
        changes_through: state
            .store
            .as_deref()
            .filter(|store| store.is_shared())
            .map(refuge_store::Store::followed),
        facilities: snapshot.len(),
        data_version: snapshot.version(),
        base_features: state.backdrop.load().base.len(),
    })
}

/// Prometheus counters: for an admin token unless `metrics_public` (they tell an attacker how
/// the server is doing).
#[utoipa::path(get, path = "/metrics", tag = "health",
    security(("bearer" = [])),
    responses((status = 200, description = "Prometheus text exposition: an admin token is \
        needed unless the server sets metrics_public", content_type = "text/plain", body = String)))]
async fn metrics(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<impl IntoResponse, ApiError> {
    if !state.config.metrics_public {
        caller.require(Role::Admin)?;
    }
    let snapshot = state.index.snapshot();
    let (bytes, entries) = state.tiles.usage();
    let text = state
        .metrics
        .render(snapshot.version(), snapshot.len(), bytes, entries);
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text))
}

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "health",
    responses((status = 200, description = "The OpenAPI 3.1 document of this API",
        content_type = "application/json", body = Object)))]
async fn document() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        openapi::document(),
    )
}
