//! Logistics plans. `POST /api/v1/plans/resupply`: where the goods a facility or a place needs
//! come from, the destination's resupply chain first (see `refuge_core::plan_resupply`);
//! `POST /api/v1/plans/allocation`: scarce stock shared across many destinations
//! (`refuge_core::allocate`). Each plan is kept with an id (`GET /api/v1/plans/{id}`) and can be
//! reserved (its lots set aside at the sources), dispatched (every leg sent, all or none) or, when
//! reserved, released. What became of a plan is read off the ledger (`refuge_core::KeptPlan`).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use refuge_core::{
    Allocation, Destination, FacilityId, KeptPlan, LonLat, Need, PlanBody, PlanRefusal, PlanState,
    PlannedDispatch, Progress, ResupplyPlan,
};
use refuge_store::Actor;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Authorized, Logistics};
use crate::body::JsonBody;
use crate::error::{ApiError, ErrorBody};
use crate::group::Booking;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(resupply))
        .routes(routes!(allocation))
        .routes(routes!(plan))
        .routes(routes!(reserve))
        .routes(routes!(dispatch))
        .routes(routes!(release))
}

/// A kept plan, where it stands, and what it was.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanAnswer {
    /// Its id: `GET`, reserve, dispatch or release it by this.
    id: String,
    /// Where it stands: `proposed`, `reserved`, `dispatched` or `released`.
    state: PlanState,
    /// When it was made.
    made_at: DateTime<Utc>,
    /// Who made it.
    made_by: String,
    /// The shipments dispatching it books (each id is also its reservation's and, once sent,
    /// its shipment's), with how far each has come.
    dispatches: Vec<DispatchAnswer>,
    /// The plan as made: `kind` (`resupply` or `allocation`) and its fields.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    plan: PlanBody,
}

/// One shipment of a plan and how far it has come.
#[derive(Debug, Serialize, ToSchema)]
struct DispatchAnswer {
    #[serde(flatten)]
    dispatch: PlannedDispatch,
    /// `reserved`, `released`, `on_road`, `arrived` or `returned`; absent while only planned.
    #[serde(skip_serializing_if = "Option::is_none")]
    progress: Option<Progress>,
}

/// How `plan` stands on this server's ledger.
fn answer(state: &AppState, plan: KeptPlan) -> PlanAnswer {
    let ledger = state.ledger();
    let dispatches = plan
        .dispatches
        .iter()
        .map(|d| DispatchAnswer {
            progress: ledger.progress(&d.id),
            dispatch: d.clone(),
        })
        .collect();
    PlanAnswer {
        id: plan.id.clone(),
        state: plan.state(&ledger),
        made_at: plan.made_at,
        made_by: plan.made_by,
        dispatches,
        plan: plan.body,
    }
}

/// A new plan's id: random, so that servers sharing a store never give the same one.
fn new_plan_id() -> Result<String, ApiError> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(ApiError::internal)?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("pl-{hex}"))
}

/// Keeps `plan` in the store and answers 201 with it and its place.
fn keep(state: &AppState, plan: KeptPlan, actor: &Actor) -> Result<Response, ApiError> {
    let store = state.store()?;
    // On a shared store another server may have written first: take its changes and try again.
    state.current(|| Ok(store.keep_plan(&plan, actor)?))?;
    let location =
        HeaderValue::from_str(&format!("/api/v1/plans/{}", plan.id)).map_err(ApiError::internal)?;
    let answer = answer(state, plan);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(answer),
    )
        .into_response())
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

/// Plans a resupply (logistics) and keeps the plan: for each need, the legs that cover it (source,
/// quantity, lots first expiring first, distance), what no source has, and the order the sources
/// were tried in: the destination's chain (community → sub-district → district), then every other
/// holder, nearest first. Only usable stock counts (unexpired, not reserved). The plan reserves
/// nothing until it is reserved or dispatched.
#[utoipa::path(post, path = "/api/v1/plans/resupply", tag = "logistics",
    security(("bearer" = [])),
    request_body = ResupplyRequest,
    responses(
        (status = 201, description = "The plan, kept", body = PlanAnswer),
        (status = 400, description = "A need or the destination is wrong", body = ErrorBody),
    ))]
async fn resupply(
    State(state): State<AppState>,
    Authorized(actor, _): Authorized<Logistics>,
    JsonBody(body): JsonBody<ResupplyRequest>,
) -> Result<Response, ApiError> {
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
    tokio::task::spawn_blocking(move || {
        let plan: ResupplyPlan = refuge_core::plan_resupply(
            &snapshot,
            &state.ledger(),
            destination,
            &body.needs,
            Utc::now().date_naive(),
        )
        .map_err(invalid)?;
        let kept = KeptPlan::resupply(new_plan_id()?, plan, actor.name.clone());
        keep(&state, kept, &actor)
    })
    .await
    .map_err(ApiError::internal)?
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
/// many units as the stock allows, then the fewest unit-kilometres. The allocation is kept as a
/// plan, each shipment a dispatch of the lots its source would give first; it reserves nothing
/// until it is reserved or dispatched.
#[utoipa::path(post, path = "/api/v1/plans/allocation", tag = "logistics",
    security(("bearer" = [])),
    request_body = AllocationRequest,
    responses(
        (status = 201, description = "The allocation, kept as a plan", body = PlanAnswer),
        (status = 400, description = "A destination or a need is wrong", body = ErrorBody),
    ))]
async fn allocation(
    State(state): State<AppState>,
    Authorized(actor, _): Authorized<Logistics>,
    JsonBody(body): JsonBody<AllocationRequest>,
) -> Result<Response, ApiError> {
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
    tokio::task::spawn_blocking(move || {
        // Read under the ledger's lock; solved after letting go of it.
        let problem = refuge_core::AllocationProblem::read(
            &snapshot,
            &state.ledger(),
            &destinations,
            Utc::now().date_naive(),
        )
        .map_err(ApiError::internal)?;
        let allocation: Allocation = problem.solve().map_err(ApiError::internal)?;
        let kept = KeptPlan::allocation(
            new_plan_id()?,
            allocation,
            &state.ledger(),
            actor.name.clone(),
        );
        keep(&state, kept, &actor)
    })
    .await
    .map_err(ApiError::internal)?
}

/// The kept plan with this id, or a 404.
fn kept(state: &AppState, id: &str) -> Result<KeptPlan, ApiError> {
    state.store()?.plan(id)?.ok_or_else(|| {
        // An id is at most 100 characters here: a longer one is not quoted back.
        let shown: String = id.chars().take(100).collect();
        ApiError::not_found(format!("no plan `{shown}`"))
    })
}

/// A kept plan (logistics): what it was, where it stands, and each shipment's progress.
#[utoipa::path(get, path = "/api/v1/plans/{id}", tag = "logistics",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The plan's id")),
    responses(
        (status = 200, description = "The plan", body = PlanAnswer),
        (status = 404, description = "No such plan", body = ErrorBody),
    ))]
async fn plan(
    State(state): State<AppState>,
    Authorized(_, _): Authorized<Logistics>,
    Path(id): Path<String>,
) -> Result<Json<PlanAnswer>, ApiError> {
    tokio::task::spawn_blocking(move || Ok(Json(answer(&state, kept(&state, &id)?))))
        .await
        .map_err(ApiError::internal)?
}

/// A step that moves a kept plan on.
#[derive(Debug, Clone, Copy)]
enum Step {
    Reserve,
    Dispatch,
    Release,
}

/// Takes `step` on the plan `id`: its movements are booked together, all or none.
async fn take(
    state: AppState,
    actor: Actor,
    id: String,
    step: Step,
) -> Result<Json<PlanAnswer>, ApiError> {
    tokio::task::spawn_blocking(move || {
        let plan = kept(&state, &id)?;
        // On a shared store, what other servers did to the plan first: the step starts from it.
        state.catch_up()?;
        let (before, bundle) = {
            let ledger = state.ledger();
            let (at, by) = (Utc::now(), actor.name.as_str());
            let bundle = match step {
                Step::Reserve => plan.reservation(&ledger, at, by),
                Step::Dispatch => plan.dispatch(&ledger, at, by),
                Step::Release => plan.release(&ledger, at, by),
            };
            (plan.state(&ledger), bundle.map_err(refused)?)
        };
        let booking = Booking {
            movements: bundle,
            actor,
        };
        if let Err(error) = state.move_in_group(booking) {
            // Another step on the same plan (here or on another server) came first: say so,
            // rather than what the ledger refused of this one.
            let now = plan.state(&state.ledger());
            if now != before {
                return Err(ApiError::client(
                    StatusCode::CONFLICT,
                    "plan_state",
                    format!("plan `{}` became {} meanwhile", plan.id, now.as_str()),
                ));
            }
            return Err(error);
        }
        Ok(Json(answer(&state, plan)))
    })
    .await
    .map_err(ApiError::internal)?
}

/// Why a plan cannot take a step now: always a 409.
fn refused(refusal: PlanRefusal) -> ApiError {
    let code = match refusal {
        PlanRefusal::State { .. } => "plan_state",
        PlanRefusal::NoDestination(_) => "plan_for_place",
        PlanRefusal::Empty(_) => "plan_empty",
    };
    ApiError::client(StatusCode::CONFLICT, code, refusal.to_string())
}

/// Reserves a proposed plan (logistics): each leg's lots are set aside at its source, where
/// nothing else can take them, until the plan is dispatched or released. Every leg or none; if
/// the lots are no longer those the plan saw, a 409 says to make a new plan.
#[utoipa::path(post, path = "/api/v1/plans/{id}/reserve", tag = "logistics",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The plan's id")),
    responses(
        (status = 200, description = "Reserved", body = PlanAnswer),
        (status = 404, description = "No such plan", body = ErrorBody),
        (status = 409, description = "Not a proposed plan, for a place, or its stock changed", body = ErrorBody),
    ))]
async fn reserve(
    State(state): State<AppState>,
    Authorized(actor, _): Authorized<Logistics>,
    Path(id): Path<String>,
) -> Result<Json<PlanAnswer>, ApiError> {
    take(state, actor, id, Step::Reserve).await
}

/// Dispatches a plan (logistics): one shipment per leg, all or none, each on the road (off the
/// source's stock, not yet at the destination) until received. A reserved plan sends what it
/// set aside; a proposed plan sends fresh stock only if it is what the plan saw, else a 409
/// says to make a new plan and nothing is written.
#[utoipa::path(post, path = "/api/v1/plans/{id}/dispatch", tag = "logistics",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The plan's id")),
    responses(
        (status = 200, description = "Dispatched: every shipment on the road", body = PlanAnswer),
        (status = 404, description = "No such plan", body = ErrorBody),
        (status = 409, description = "Dispatched or released already, for a place, or its stock changed", body = ErrorBody),
    ))]
async fn dispatch(
    State(state): State<AppState>,
    Authorized(actor, _): Authorized<Logistics>,
    Path(id): Path<String>,
) -> Result<Json<PlanAnswer>, ApiError> {
    take(state, actor, id, Step::Dispatch).await
}

/// Releases a reserved plan (logistics): what it set aside is usable again.
#[utoipa::path(post, path = "/api/v1/plans/{id}/release", tag = "logistics",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The plan's id")),
    responses(
        (status = 200, description = "Released", body = PlanAnswer),
        (status = 404, description = "No such plan", body = ErrorBody),
        (status = 409, description = "Not a reserved plan", body = ErrorBody),
    ))]
async fn release(
    State(state): State<AppState>,
    Authorized(actor, _): Authorized<Logistics>,
    Path(id): Path<String>,
) -> Result<Json<PlanAnswer>, ApiError> {
    take(state, actor, id, Step::Release).await
}
