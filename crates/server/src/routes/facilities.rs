//! `GET /api/v1/facilities` (by box, kind, name; paged) and `GET /api/v1/facilities/{id}`.

use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use refuge_core::{BBox, Crs, FacilityId, FacilityKind, Filter};
use serde_json::{Value, json};

use super::writes;
use crate::auth::caller;
use crate::error::ApiError;
use crate::params::Params;
use crate::present;
use crate::state::AppState;

/// The facility routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/facilities",
            get(list).post(writes::create_facility),
        )
        .route(
            "/api/v1/facilities/{id}",
            get(one)
                .patch(writes::patch_facility)
                .delete(writes::delete_facility),
        )
        .route(
            "/api/v1/facilities/{id}/status",
            post(writes::report_status),
        )
        .route("/api/v1/stock/movements", post(writes::record_movement))
        .route("/api/v1/hazards", post(writes::upload_hazards))
        .route("/api/v1/audit", get(writes::audit_log))
}

fn crs_of(params: &Params) -> Result<Crs, ApiError> {
    Ok(params
        .optional("crs", "one of wgs84, cgcs2000, gcj02, bd09")?
        .unwrap_or(Crs::Wgs84))
}

async fn list(
    State(state): State<AppState>,
    Query(query): Query<Vec<(String, String)>>,
) -> Result<Json<Value>, ApiError> {
    let params = Params::new(query, &["bbox", "kind", "q", "limit", "offset", "crs"])?;
    let crs = crs_of(&params)?;
    let mut filter = Filter::default();
    if let Some(kind) = params.optional::<FacilityKind>(
        "kind",
        "one of shelter, reserve, micro_storage, hazard, poi",
    )? {
        filter = filter.kind(kind);
    }
    let limit = params.whole_in("limit", 1..=1000, 100)?;
    let offset: usize = params.optional("offset", "a whole number")?.unwrap_or(0);
    let snapshot = state.index.snapshot();
    let bbox = match params.text("bbox") {
        Some(text) => parse_bbox(text)?,
        None => BBox::world(),
    };
    let mut found = snapshot.within_bbox(bbox, &filter);
    if let Some(q) = params.text("q").map(str::trim).filter(|q| !q.is_empty()) {
        found.retain(|f| f.name.contains(q));
    }
    found.sort_by_key(|f| f.id);
    let total = found.len();
    let page: Vec<Value> = found
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|f| present::summary(f, crs))
        .collect();
    let mut body = present::collection(page, crs);
    body["total"] = json!(total);
    if offset.saturating_add(limit) < total {
        body["next_offset"] = json!(offset.saturating_add(limit));
    }
    Ok(Json(body))
}

fn parse_bbox(text: &str) -> Result<BBox, ApiError> {
    let numbers: Vec<f64> = text
        .split(',')
        .map(|n| n.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| {
            ApiError::bad_request(
                "bad_parameter",
                format!("`bbox`: `{text}` is not minLon,minLat,maxLon,maxLat"),
            )
        })?;
    let [w, s, e, n] = numbers[..] else {
        return Err(ApiError::bad_request(
            "bad_parameter",
            format!("`bbox`: `{text}` needs four numbers: minLon,minLat,maxLon,maxLat"),
        ));
    };
    BBox::new(w, s, e, n)
        .map_err(|e| ApiError::bad_request("bad_parameter", format!("`bbox`: {e}")))
}

async fn one(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
    headers: axum::http::HeaderMap,
) -> Result<axum::response::Response, ApiError> {
    let params = Params::new(query, &["crs"])?;
    let crs = crs_of(&params)?;
    let id: FacilityId = id
        .parse()
        .map_err(|e| ApiError::bad_request("bad_parameter", format!("facility id: {e}")))?;
    // Contact details and keyholders are for token holders only.
    let private = caller(&state, &headers)?.is_some();
    let snapshot = state.index.snapshot();
    let facility = snapshot
        .get(id)
        .ok_or_else(|| ApiError::not_found(format!("no facility with id {id}")))?;
    // The ETag is the record's version, for If-Match; the body also carries stock, which changes
    // without a new version, so it is never answered with 304.
    let tag = writes::etag(facility.version);
    let body = present::detail(facility, &snapshot, &state.catalog, crs, private);
    Ok((
        [
            (axum::http::header::ETAG, tag),
            (
                axum::http::header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("no-store"),
            ),
        ],
        Json(body),
    )
        .into_response())
}
