//! `POST /api/v1/plans/resupply` (logistics): where the goods a facility or a place needs come
//! from, the destination's resupply chain first (see `refuge_core::plan_resupply`); and
//! `POST /api/v1/plans/allocation`: scarce stock shared across many destinations
//! (`refuge_core::allocate`).

use axum::Json;
use axum::extract::State;
use chrono::Utc;
use refuge_core::{Allocation, Destination, FacilityId, LonLat, Need, ResupplyPlan};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Authorized, Logistics};
use crate::body::JsonBody;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(resupply))
        .routes(routes!(allocation))
}

/// Where the goods go: a facility's id, or a place.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
enum Target {
    /// A facility: its resupply chain is followed first.
    Facility(u64),
    /// A place (WGS84): the chain of the nearest community depot is followed first.
    Place {
        /// Longitude, degrees.
        lon: f64,
        /// Latitude, degrees.
        lat: f64,
    },
}

/// What a resupply plan is asked for.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ResupplyRequest {
    /// A facility id, or `{"lon": …, "lat": …}`.
    destination: Target,
    /// Each item once, with the units needed (1 to 10⁹).
    #[schema(min_items = 1, max_items = 100)]
    needs: Vec<Need>,
}

/// Plans a resupply (logistics): for each need, the legs that cover it (source, quantity, lots
/// first expiring first, distance), what no source has, and the order the sources were tried in:
/// the destination's chain (community → sub-district → district), then every other holder,
/// nearest first. Only usable stock counts; the plan reserves nothing.
#[utoipa::path(post, path = "/api/v1/plans/resupply", tag = "logistics",
    security(("bearer" = [])),
    request_body = ResupplyRequest,
    responses(
        (status = 200, description = "The plan", body = ResupplyPlan),
        (status = 400, description = "A need or the destination is wrong", body = ErrorBody),
    ))]
async fn resupply(
    State(state): State<AppState>,
    Authorized(_, _): Authorized<Logistics>,
    JsonBody(body): JsonBody<ResupplyRequest>,
) -> Result<Json<ResupplyPlan>, ApiError> {
    let invalid = |e: refuge_core::Error| ApiError::bad_request("bad_body", e.to_string());
    refuge_core::validate_needs(&body.needs, &state.catalog).map_err(invalid)?;
    let snapshot = state.index.snapshot();
    let destination = match body.destination {
        Target::Facility(id) => Destination::Facility(facility_here(&snapshot, "destination", id)?),
        Target::Place { lon, lat } => Destination::Point(
            LonLat::new(lon, lat)
                .map_err(|e| ApiError::bad_request("bad_body", format!("`destination`: {e}")))?,
        ),
    };
    let plan = tokio::task::spawn_blocking(move || {
        refuge_core::plan_resupply(
            &snapshot,
            &state.ledger(),
            destination,
            &body.needs,
            Utc::now().date_naive(),
        )
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(invalid)?;
    Ok(Json(plan))
}

/// The facility with `id` here, or a 400 naming `field`.
fn facility_here(
    snapshot: &refuge_core::SpatialIndex,
    field: &str,
    id: u64,
) -> Result<FacilityId, ApiError> {
    let bad = |message: String| ApiError::bad_request("bad_body", format!("`{field}`: {message}"));
    let id = FacilityId::new(id).map_err(|e| bad(e.to_string()))?;
    if snapshot.get(id).is_none() {
        return Err(bad(format!("no facility with id {id}")));
    }
    Ok(id)
}

/// The most destinations one allocation may share stock across.
const MAX_DESTINATIONS: usize = 1_000;

/// One destination of an allocation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct DestinationNeeds {
    /// The facility's id.
    destination: u64,
    /// Each item once, with the units needed (1 to 10⁹).
    #[schema(min_items = 1, max_items = 100)]
    needs: Vec<Need>,
}

/// What an allocation is asked for.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct AllocationRequest {
    /// The destinations, each once.
    #[schema(min_items = 1, max_items = 1000)]
    destinations: Vec<DestinationNeeds>,
}

/// Shares the usable stock of every depot and micro-storage site across many destinations
/// (logistics), item by item, as a transportation problem solved by linear programming: equal
/// coverage first (the smallest share of need met is as large as the stock allows), then as
/// many units as the stock allows, then the fewest unit-kilometres. Reserves nothing.
#[utoipa::path(post, path = "/api/v1/plans/allocation", tag = "logistics",
    security(("bearer" = [])),
    request_body = AllocationRequest,
    responses(
        (status = 200, description = "The allocation", body = Allocation),
        (status = 400, description = "A destination or a need is wrong", body = ErrorBody),
    ))]
async fn allocation(
    State(state): State<AppState>,
    Authorized(_, _): Authorized<Logistics>,
    JsonBody(body): JsonBody<AllocationRequest>,
) -> Result<Json<Allocation>, ApiError> {
    let bad = |message: String| ApiError::bad_request("bad_body", message);
    if body.destinations.is_empty() || body.destinations.len() > MAX_DESTINATIONS {
        return Err(bad(format!(
            "`destinations`: from 1 to {MAX_DESTINATIONS} destinations"
        )));
    }
    let snapshot = state.index.snapshot();
    let mut destinations: Vec<(FacilityId, Vec<Need>)> =
        Vec::with_capacity(body.destinations.len());
    for (n, entry) in body.destinations.into_iter().enumerate() {
        let id = facility_here(
            &snapshot,
            &format!("destinations[{n}].destination"),
            entry.destination,
        )?;
        if destinations.iter().any(|(seen, _)| *seen == id) {
            return Err(bad(format!(
                "`destinations[{n}].destination`: facility {id} is listed twice"
            )));
        }
        refuge_core::validate_needs(&entry.needs, &state.catalog)
            .map_err(|e| bad(format!("`destinations[{n}]`: {e}")))?;
        destinations.push((id, entry.needs));
    }
    let allocation = tokio::task::spawn_blocking(move || {
        // Read under the ledger's lock; solved after letting go of it.
        let problem = refuge_core::AllocationProblem::read(
            &snapshot,
            &state.ledger(),
            &destinations,
            Utc::now().date_naive(),
        )?;
        problem.solve()
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    Ok(Json(allocation))
}
