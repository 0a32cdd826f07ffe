//! `POST /api/v1/activations` (admin, logistics): an emergency opens the suitable shelters of an
//! area in one step; `GET` lists activations; `DELETE /api/v1/activations/{id}` ends one.

use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{delete, get};
use axum::{Json, Router, body::Bytes};
use chrono::Utc;
use geo::{Area, Validation};
use refuge_core::{Activation, HazardType, LonLat};
use refuge_store::Role;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::{caller, require};
use crate::body;
use crate::error::ApiError;
use crate::state::AppState;

/// The activation routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/activations", get(list).post(start))
        .route("/api/v1/activations/{id}", delete(end))
}

/// What an activation request says: the hazard, and the area or a district of the base map.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ActivationRequest {
    hazard: String,
    #[serde(default)]
    area: Option<Value>,
    #[serde(default)]
    district: Option<String>,
}

async fn start(
    State(state): State<AppState>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let actor = require(&state, &headers, Role::Logistics)?;
    let request: ActivationRequest = body::json(raw)?;
    let hazard: HazardType = request.hazard.parse().map_err(|e: refuge_core::Error| {
        ApiError::bad_request("bad_body", format!("`hazard`: {e}"))
    })?;
    let state2 = state.clone();
    let activation = tokio::task::spawn_blocking(move || -> Result<Activation, ApiError> {
        let (area, district) = match (request.area, request.district) {
            (Some(area), None) => (area_of(area)?, None),
            (None, Some(district)) => {
                let backdrop = state2.backdrop.load();
                let area = backdrop.base.boundary(&district).ok_or_else(|| {
                    let known = backdrop.base.boundary_names();
                    ApiError::bad_request(
                        "bad_body",
                        if known.is_empty() {
                            format!(
                                "`district`: no district `{district}`: the map has no boundaries \
                                 (import them with `refuge import FILE --layer boundaries`)"
                            )
                        } else {
                            format!(
                                "`district`: no district `{district}`; the map has: {}",
                                known.join(", ")
                            )
                        },
                    )
                })?;
                (area, Some(district))
            }
            _ => {
                return Err(ApiError::bad_request(
                    "bad_body",
                    "give either `area` (a GeoJSON Polygon or MultiPolygon) or `district`",
                ));
            }
        };
        let draft = Activation {
            id: 0,
            hazard,
            district,
            area,
            opened: Vec::new(),
            suitability_unknown: Vec::new(),
            left: Vec::new(),
            started_at: Utc::now(),
            started_by: actor.name.clone(),
            ended_at: None,
            ended_by: None,
            returned_to_standby: Vec::new(),
            handed_over: Vec::new(),
        };
        state2.activate(draft, &actor)
    })
    .await
    .map_err(ApiError::internal)??;
    Ok((StatusCode::CREATED, Json(present(&activation, true))))
}

/// An activation as the API shows it: its area as a GeoJSON geometry; who started and ended it
/// only to staff (`private`).
fn present(activation: &Activation, private: bool) -> Value {
    let mut value = serde_json::to_value(activation).unwrap_or(Value::Null);
    value["area"] =
        serde_json::to_value(geojson::Geometry::from(&activation.area)).unwrap_or(Value::Null);
    if let (Value::Object(fields), false) = (&mut value, private) {
        fields.remove("started_by");
        fields.remove("ended_by");
    }
    value
}

/// A GeoJSON Polygon or MultiPolygon in WGS84, checked: positions on the Earth, closed rings,
/// no self-intersection, some area.
fn area_of(value: Value) -> Result<geo::MultiPolygon, ApiError> {
    let invalid = |message: String| ApiError::bad_request("bad_body", format!("`area`: {message}"));
    let geometry: geojson::Geometry = serde_json::from_value(value)
        .map_err(|e| invalid(format!("not a GeoJSON geometry: {e}")))?;
    if !matches!(
        geometry.value,
        geojson::GeometryValue::Polygon { .. } | geojson::GeometryValue::MultiPolygon { .. }
    ) {
        return Err(invalid("a Polygon or MultiPolygon is needed".into()));
    }
    refuge_io::check_rings(&geometry).map_err(invalid)?;
    let geometry: geo::Geometry = geometry
        .try_into()
        .map_err(|e: geojson::Error| invalid(e.to_string()))?;
    let area = match geometry {
        geo::Geometry::Polygon(polygon) => geo::MultiPolygon(vec![polygon]),
        geo::Geometry::MultiPolygon(area) => area,
        _ => return Err(invalid("a Polygon or MultiPolygon is needed".into())),
    };
    for c in geo::CoordsIter::coords_iter(&area) {
        LonLat::new(c.x, c.y).map_err(|e| invalid(e.to_string()))?;
    }
    if let Err(error) = area.check_validation() {
        return Err(invalid(format!("not a valid polygon: {error}")));
    }
    if area.unsigned_area() <= 0.0 {
        return Err(invalid("the polygon has no area".into()));
    }
    Ok(area)
}

async fn list(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    let private = caller(&state, &headers)?.is_some();
    let store = state.store.clone();
    let activations = tokio::task::spawn_blocking(move || match store {
        Some(store) => store.activations(),
        None => Ok(Vec::new()),
    })
    .await
    .map_err(ApiError::internal)??;
    let listed: Vec<Value> = activations.iter().map(|a| present(a, private)).collect();
    Ok(Json(json!({ "activations": listed })))
}

async fn end(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let actor = require(&state, &headers, Role::Logistics)?;
    let id: u64 = id.parse().map_err(|_| {
        ApiError::bad_request(
            "bad_parameter",
            format!("activation id: `{id}` is not a number"),
        )
    })?;
    let activation = tokio::task::spawn_blocking(move || state.end_activation(id, &actor))
        .await
        .map_err(ApiError::internal)??;
    Ok(Json(present(&activation, true)))
}
