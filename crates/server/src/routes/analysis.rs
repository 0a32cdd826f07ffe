//! `GET /api/v1/analysis/coverage` (planner): how well the shelters serve the store's population,
//! per district and in all (see `refuge_core::planning::coverage`).

use axum::Json;
use axum::extract::State;
use refuge_core::HazardType;
use refuge_core::planning::{AreaCoverage, CoverageOptions, DEFAULT_TARGET_SHARE, coverage};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Authorized, Planner};
use crate::error::{ApiError, ErrorBody};
use crate::params::{Query, within};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(coverage_report))
}

/// What a coverage analysis asks.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct CoverageQuery {
    /// Only shelters safe in this hazard count.
    hazard: Option<HazardType>,
    /// The share of residents shelters should hold (default 0.15).
    #[param(minimum = 0.01, maximum = 1.0)]
    target_share: Option<f64>,
}

/// A coverage analysis.
#[derive(Debug, Serialize, ToSchema)]
struct CoverageReport {
    /// Where the population comes from.
    source: String,
    /// The H3 resolution of its cells.
    resolution: u8,
    /// The hazard shelters had to be safe in, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    hazard: Option<HazardType>,
    /// How each district's people were placed, in words.
    method: Vec<String>,
    /// Populated cells analysed.
    cells: usize,
    /// Per district.
    districts: Vec<AreaCoverage>,
    /// The whole population.
    total: AreaCoverage,
}

/// Coverage of the population by the shelters in service (planner): per district, residents,
/// shelter places against the target share, the share within a shelter's service radius, and
/// residents without a place when places are shared nearest first. With `hazard`, only
/// shelters safe in it count. Needs a population layer (`refuge population import`).
#[utoipa::path(get, path = "/api/v1/analysis/coverage", tag = "planning",
    security(("bearer" = [])), params(CoverageQuery),
    responses(
        (status = 200, description = "The analysis", body = CoverageReport),
        (status = 400, description = "A parameter is wrong, or the layer is past the cell limit", body = ErrorBody),
        (status = 404, description = "No population layer in the store", body = ErrorBody),
    ))]
async fn coverage_report(
    State(state): State<AppState>,
    Authorized(_, _): Authorized<Planner>,
    Query(query): Query<CoverageQuery>,
) -> Result<Json<CoverageReport>, ApiError> {
    let target_share = within(
        "target_share",
        query.target_share.unwrap_or(DEFAULT_TARGET_SHARE),
        0.01..=1.0,
    )?;
    let store = state.shared_store()?;
    // Reading the layer and covering it are blocking work: off the async workers.
    tokio::task::spawn_blocking(move || {
        let layer = store.population()?.ok_or_else(|| {
            ApiError::not_found(
                "the store has no population layer: import one with `refuge population import`",
            )
        })?;
        let options = CoverageOptions {
            hazard: query.hazard,
            target_share,
            max_cells: state.config.max_analysis_cells,
        };
        let answer = coverage(&state.index.snapshot(), &layer, options)
            .map_err(|e| ApiError::bad_request("too_large", e.to_string()))?;
        Ok(Json(CoverageReport {
            source: answer.source,
            resolution: answer.resolution,
            hazard: answer.hazard,
            method: answer.method,
            cells: answer.cells.len(),
            districts: answer.districts,
            total: answer.total,
        }))
    })
    .await
    .map_err(ApiError::internal)?
}
