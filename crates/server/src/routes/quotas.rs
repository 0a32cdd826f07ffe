//! `GET` and `PUT /api/v1/facilities/{id}/quotas` (logistics): the minimum and target stock a
//! facility should hold of each item; every change is audited.

use axum::Json;
use axum::extract::{Path, State};
use refuge_core::{FacilityId, ItemId, Quota};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::facilities::parse_id;
use crate::auth::{Authorized, Logistics};
use crate::body::JsonBody;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// The quota routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(read, replace))
}

/// A facility's quotas, as read and written.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Quotas {
    /// One per item, each item once.
    quotas: Vec<ItemQuota>,
}

/// One item's quota at the facility.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ItemQuota {
    /// The catalogue item.
    item: ItemId,
    /// Below this, the facility is short.
    minimum: u64,
    /// What it should hold; at least the minimum, at most 10^9.
    #[schema(maximum = 1_000_000_000)]
    target: u64,
}

fn facility_id(state: &AppState, id: &str) -> Result<FacilityId, ApiError> {
    let id = parse_id(id)?;
    if state.index.snapshot().get(id).is_none() {
        return Err(ApiError::not_found(format!("no facility with id {id}")));
    }
    Ok(id)
}

/// The minimum and target stock a facility should hold, by item (logistics).
#[utoipa::path(get, path = "/api/v1/facilities/{id}/quotas", tag = "writes",
    security(("bearer" = [])),
    params(("id" = u64, Path, description = "The facility's id", minimum = 1)),
    responses(
        (status = 200, description = "Its quotas", body = Quotas),
        (status = 404, description = "No such facility", body = ErrorBody),
    ))]
async fn read(
    State(state): State<AppState>,
    Authorized(_, _): Authorized<Logistics>,
    Path(id): Path<String>,
) -> Result<Json<Quotas>, ApiError> {
    let id = facility_id(&state, &id)?;
    let store = state.shared_store()?;
    let all = tokio::task::spawn_blocking(move || store.quotas())
        .await
        .map_err(ApiError::internal)??;
    Ok(Json(of_facility(&all, id)))
}

/// Replaces a facility's quotas (logistics); audited.
#[utoipa::path(put, path = "/api/v1/facilities/{id}/quotas", tag = "writes",
    security(("bearer" = [])),
    params(("id" = u64, Path, description = "The facility's id", minimum = 1)),
    request_body = Quotas,
    responses(
        (status = 200, description = "Its quotas now", body = Quotas),
        (status = 404, description = "No such facility", body = ErrorBody),
    ))]
async fn replace(
    State(state): State<AppState>,
    Authorized(actor, _): Authorized<Logistics>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<Quotas>,
) -> Result<Json<Quotas>, ApiError> {
    let id = facility_id(&state, &id)?;
    let mut quotas = Vec::with_capacity(body.quotas.len());
    for (n, quota) in body.quotas.into_iter().enumerate() {
        let at = format!("`quotas[{n}]`");
        if state.catalog.get(&quota.item).is_err() {
            return Err(ApiError::bad_request(
                "bad_body",
                format!("{at}: `{}` is not in the item catalogue", quota.item),
            ));
        }
        if quota.minimum > quota.target || quota.target > 1_000_000_000 {
            return Err(ApiError::bad_request(
                "bad_body",
                format!("{at}: the minimum may not exceed the target, which is at most 10^9"),
            ));
        }
        if quotas.iter().any(|q: &Quota| q.item == quota.item) {
            return Err(ApiError::bad_request(
                "bad_body",
                format!("{at}: `{}` is listed twice", quota.item),
            ));
        }
        quotas.push(Quota {
            facility: Some(id),
            tier: None,
            item: quota.item,
            minimum: quota.minimum,
            target: quota.target,
        });
    }
    let store = state.shared_store()?;
    let writer = state.clone();
    let stored = tokio::task::spawn_blocking(move || {
        writer.current(|| Ok(store.set_quotas(id, quotas.clone(), &actor)?))
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(Json(of_facility(&stored, id)))
}

fn of_facility(quotas: &[Quota], id: FacilityId) -> Quotas {
    Quotas {
        quotas: quotas
            .iter()
            .filter(|q| q.facility == Some(id))
            .map(|q| ItemQuota {
                item: q.item.clone(),
                minimum: q.minimum,
                target: q.target,
            })
            .collect(),
    }
}
