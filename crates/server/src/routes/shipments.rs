//! Goods on the road (logistics): `POST /api/v1/shipments` dispatches stock from one facility to
//! another (off the source's usable stock at once, on the destination's when received),
//! `GET /api/v1/shipments` lists what is on the road, `POST /api/v1/shipments/{id}/receive`
//! books the arrival (perhaps short, with a reason) and `POST /api/v1/shipments/{id}/cancel`
//! calls it back. Each step is one audited movement, committed before the answer.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use refuge_core::{FacilityId, ItemId, Movement, MovementKind, StockLedger, Transit};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use refuge_store::Actor;

use crate::auth::{Authorized, Logistics};
use crate::body::JsonBody;
use crate::error::{ApiError, ErrorBody};
use crate::params::Query;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(dispatch, on_the_road))
        .routes(routes!(receive))
        .routes(routes!(cancel))
}

/// A dispatch: what goes from where to where.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct DispatchRequest {
    /// The depot, micro-storage site or shelter it leaves from.
    from: u64,
    /// Where it goes.
    to: u64,
    /// The catalogue item.
    item: ItemId,
    /// Units (1 to 10⁹), taken first expiring first.
    #[schema(minimum = 1, maximum = 1_000_000_000)]
    quantity: u64,
}

/// A shipment on the road, or as it was when it left it.
#[derive(Debug, Serialize, ToSchema)]
struct ShipmentAnswer {
    /// The movement that booked this step.
    seq: i64,
    /// The shipment.
    shipment: Transit,
}

/// A facility here that holds stock, or a 400 naming `field`.
fn stock_holder(state: &AppState, field: &str, id: u64) -> Result<FacilityId, ApiError> {
    let id = FacilityId::new(id)
        .map_err(|e| ApiError::bad_request("bad_body", format!("`{field}`: {e}")))?;
    super::writes::holding_stock(&state.index.snapshot(), field, id)
}

/// A movement of `item` at `facility` now, by `actor`.
fn movement(facility: FacilityId, item: ItemId, kind: MovementKind, actor: &Actor) -> Movement {
    Movement {
        facility,
        item,
        kind,
        at: Utc::now(),
        by: Some(actor.name.clone()),
    }
}

/// A new shipment's id: random, so that servers sharing a store never give the same one.
fn new_shipment_id() -> Result<String, ApiError> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(ApiError::internal)?;
    Ok(format!(
        "sh-{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    ))
}

/// Dispatches stock (logistics): it leaves the source's usable stock at once, first expiring
/// first, and reaches the destination's when received. More than the source holds is a 409 and
/// writes nothing.
#[utoipa::path(post, path = "/api/v1/shipments", tag = "logistics",
    security(("bearer" = [])),
    request_body = DispatchRequest,
    responses(
        (status = 201, description = "On the road", body = ShipmentAnswer),
        (status = 400, description = "A field is wrong", body = ErrorBody),
        (status = 409, description = "More than the source's usable stock", body = ErrorBody),
    ))]
async fn dispatch(
    State(state): State<AppState>,
    Authorized(actor, _): Authorized<Logistics>,
    JsonBody(body): JsonBody<DispatchRequest>,
) -> Result<Response, ApiError> {
    let from = stock_holder(&state, "from", body.from)?;
    let to = stock_holder(&state, "to", body.to)?;
    if from == to {
        return Err(ApiError::bad_request(
            "bad_body",
            "`to`: a shipment goes to another facility",
        ));
    }
    state
        .catalog
        .get(&body.item)
        .map_err(|e| ApiError::bad_request("bad_body", format!("`item`: {e}")))?;
    let shipment = new_shipment_id()?;
    let kind = MovementKind::Dispatch {
        shipment: shipment.clone(),
        to,
        quantity: body.quantity,
        reserved: false,
    };
    let movement = movement(from, body.item, kind, &actor);
    let answer = book(&state, movement, actor, shipment.clone(), true).await?;
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

/// Books `movement` as part of the next group commit, and answers with the shipment as it is
/// after it (on the road) or was before it (`on_road` false: it has arrived or returned).
async fn book(
    state: &AppState,
    movement: Movement,
    actor: Actor,
    shipment: String,
    on_road: bool,
) -> Result<ShipmentAnswer, ApiError> {
    let state = state.clone();
    tokio::task::spawn_blocking(move || {
        let before = find(&state, &shipment);
        let seq = state.record_movement(movement, &actor)?;
        let after = find(&state, &shipment);
        let shipment = if on_road { after } else { before }
            .ok_or_else(|| ApiError::internal("a booked shipment is not in the ledger"))?;
        Ok(ShipmentAnswer { seq, shipment })
    })
    .await
    .map_err(ApiError::internal)?
}

/// The shipment with this id on the road now.
fn find(state: &AppState, shipment: &str) -> Option<Transit> {
    state
        .ledger()
        .in_transit()
        .find(|t| t.shipment == shipment)
        .cloned()
}

/// What a list of shipments asks.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct RoadQuery {
    /// Only shipments leaving from or going to this facility.
    #[param(minimum = 1, maximum = 9007199254740991_u64)]
    facility: Option<u64>,
}

/// Shipments on the road (logistics), oldest first.
#[utoipa::path(get, path = "/api/v1/shipments", tag = "logistics",
    security(("bearer" = [])), params(RoadQuery),
    responses((status = 200, description = "On the road", body = Vec<Transit>)))]
async fn on_the_road(
    State(state): State<AppState>,
    Authorized(_, _): Authorized<Logistics>,
    Query(query): Query<RoadQuery>,
) -> Result<Json<Vec<Transit>>, ApiError> {
    let facility = query
        .facility
        .map(FacilityId::new)
        .transpose()
        .map_err(|e| ApiError::bad_request("bad_parameter", format!("`facility`: {e}")))?;
    Ok(Json(road(&state, facility).await?))
}

/// The shipments on the road (from or to `facility`, if given), oldest first. The ledger is
/// read off the async workers: its lock can wait on a commit.
async fn road(state: &AppState, facility: Option<FacilityId>) -> Result<Vec<Transit>, ApiError> {
    let state = state.clone();
    tokio::task::spawn_blocking(move || road_of(&state.ledger(), facility))
        .await
        .map_err(ApiError::internal)
}

/// The shipments on the road in `ledger` (from or to `facility`, if given), oldest first.
pub(crate) fn road_of(ledger: &StockLedger, facility: Option<FacilityId>) -> Vec<Transit> {
    let mut road: Vec<Transit> = ledger
        .in_transit()
        .filter(|t| facility.is_none_or(|id| t.from == id || t.to == id))
        .cloned()
        .collect();
    road.sort_by_key(|t| t.dispatched_at);
    road
}

/// What arrived.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ReceiveRequest {
    /// Units that arrived: at most what was sent.
    received: u64,
    /// Why fewer arrived than were sent; needed then.
    reason: Option<String>,
}

/// The shipment on the road with this id, or a 404.
async fn on_road(state: &AppState, id: &str) -> Result<Transit, ApiError> {
    let (state, id) = (state.clone(), id.to_owned());
    tokio::task::spawn_blocking(move || {
        find(&state, &id).ok_or_else(|| {
            // An id is at most 100 characters: a longer one is not quoted back.
            let shown: String = id.chars().take(100).collect();
            ApiError::not_found(format!("no shipment `{shown}` is on the road"))
        })
    })
    .await
    .map_err(ApiError::internal)?
}

/// Receives a shipment at its destination (logistics): what arrived joins the destination's
/// stock with its lots; what did not is written off with the reason.
#[utoipa::path(post, path = "/api/v1/shipments/{id}/receive", tag = "logistics",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The shipment's id")),
    request_body = ReceiveRequest,
    responses(
        (status = 200, description = "Received: the shipment as it arrived", body = ShipmentAnswer),
        (status = 400, description = "More than was sent, or a shortfall without a reason", body = ErrorBody),
        (status = 404, description = "No such shipment on the road", body = ErrorBody),
    ))]
async fn receive(
    State(state): State<AppState>,
    Authorized(actor, _): Authorized<Logistics>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ReceiveRequest>,
) -> Result<Json<ShipmentAnswer>, ApiError> {
    let transit = on_road(&state, &id).await?;
    let kind = MovementKind::Arrive {
        shipment: id.clone(),
        received: body.received,
        reason: body.reason,
    };
    let movement = movement(transit.to, transit.item, kind, &actor);
    Ok(Json(book(&state, movement, actor, id, false).await?))
}

/// Calls a shipment back (logistics): its goods return to the source's stock.
#[utoipa::path(post, path = "/api/v1/shipments/{id}/cancel", tag = "logistics",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The shipment's id")),
    responses(
        (status = 200, description = "Called back: the shipment as it was", body = ShipmentAnswer),
        (status = 404, description = "No such shipment on the road", body = ErrorBody),
    ))]
async fn cancel(
    State(state): State<AppState>,
    Authorized(actor, _): Authorized<Logistics>,
    Path(id): Path<String>,
) -> Result<Json<ShipmentAnswer>, ApiError> {
    let transit = on_road(&state, &id).await?;
    let kind = MovementKind::Cancel {
        shipment: id.clone(),
    };
    let movement = movement(transit.from, transit.item, kind, &actor);
    Ok(Json(book(&state, movement, actor, id, false).await?))
}
