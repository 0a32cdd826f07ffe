//! `GET` and `PUT /api/v1/facilities/{id}/quotas` (logistics): the minimum and target stock a
//! facility should hold of each item; every change is audited.

use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::get;
use axum::{Json, Router, body::Bytes};
use refuge_core::{FacilityId, ItemId, Quota};
use refuge_store::Role;
use serde::{Deserialize, Serialize};

use crate::auth::require;
use crate::body;
use crate::error::ApiError;
use crate::state::AppState;

/// The quota routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/facilities/{id}/quotas", get(read).put(replace))
}

/// A facility's quotas, as read and written.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Quotas {
    quotas: Vec<ItemQuota>,
}

/// One item's quota at the facility.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemQuota {
    item: ItemId,
    minimum: u64,
    target: u64,
}

fn facility_id(state: &AppState, id: &str) -> Result<FacilityId, ApiError> {
    let id: FacilityId = id
        .parse()
        .map_err(|e| ApiError::bad_request("bad_parameter", format!("facility id: {e}")))?;
    if state.index.snapshot().get(id).is_none() {
        return Err(ApiError::not_found(format!("no facility with id {id}")));
    }
    Ok(id)
}

async fn read(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Quotas>, ApiError> {
    require(&state, &headers, Role::Logistics)?;
    let id = facility_id(&state, &id)?;
    let store = state.shared_store()?;
    let all = tokio::task::spawn_blocking(move || store.quotas())
        .await
        .map_err(ApiError::internal)??;
    Ok(Json(of_facility(&all, id)))
}

async fn replace(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Json<Quotas>, ApiError> {
    let actor = require(&state, &headers, Role::Logistics)?;
    let id = facility_id(&state, &id)?;
    let body: Quotas = body::json(raw)?;
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
    let stored = tokio::task::spawn_blocking(move || store.set_quotas(id, quotas, &actor))
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
