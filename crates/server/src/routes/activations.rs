//! `POST /api/v1/activations` (admin, logistics): an emergency opens the suitable shelters of an
//! area in one step; `GET` lists activations; `DELETE /api/v1/activations/{id}` ends one.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use geo::{Area, Validation};
use refuge_core::{Activation, FacilityId, HazardType, LeftShelter, LonLat};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Authorized, Caller, Logistics};
use crate::body::JsonBody;
use crate::error::{ApiError, ErrorBody};
use crate::present::Audience;
use crate::state::AppState;

/// The activation routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, start))
        .routes(routes!(end))
}

/// What an activation request says: the hazard, and the area or a district of the base map.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ActivationRequest {
    /// The emergency: earthquake, flood, typhoon, fire, …
    hazard: HazardType,
    /// The area, a GeoJSON Polygon or MultiPolygon in WGS84; or give `district`.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    area: Option<Value>,
    /// A district of the base map's boundaries, by name; or give `area`.
    #[serde(default)]
    district: Option<String>,
}

/// An activation as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
struct ActivationView {
    /// Its number.
    id: u64,
    /// The emergency.
    hazard: HazardType,
    /// The district it was asked for, if it was asked by district.
    #[serde(skip_serializing_if = "Option::is_none")]
    district: Option<String>,
    /// The area, a GeoJSON geometry in WGS84.
    #[schema(value_type = Object)]
    area: geojson::Geometry,
    /// The shelters it opened.
    opened: Vec<FacilityId>,
    /// Of those, the ones whose suitability is not stated.
    suitability_unknown: Vec<FacilityId>,
    /// The designated shelters of the area it left as they were, and why.
    left: Vec<LeftShelter>,
    /// When it started.
    started_at: DateTime<Utc>,
    /// Who started it: staff only.
    #[serde(skip_serializing_if = "Option::is_none")]
    started_by: Option<String>,
    /// When it ended, if it has.
    #[serde(skip_serializing_if = "Option::is_none")]
    ended_at: Option<DateTime<Utc>>,
    /// Who ended it: staff only.
    #[serde(skip_serializing_if = "Option::is_none")]
    ended_by: Option<String>,
    /// The shelters its end returned to standby.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    returned_to_standby: Vec<FacilityId>,
    /// The shelters its end left open for another activation still in force over them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    handed_over: Vec<FacilityId>,
}

/// The activations, newest last.
#[derive(Debug, Serialize, ToSchema)]
struct Activations {
    /// Every activation, ended ones too.
    activations: Vec<ActivationView>,
}

/// Starts an activation (logistics): opens the suitable standby shelters of an area or district
/// for a hazard, in one step.
#[utoipa::path(post, path = "/api/v1/activations", tag = "writes",
    security(("bearer" = [])),
    request_body = ActivationRequest,
    responses((status = 201, description = "Started", body = ActivationView)))]
async fn start(
    State(state): State<AppState>,
    Authorized(actor, _): Authorized<Logistics>,
    JsonBody(request): JsonBody<ActivationRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let hazard = request.hazard;
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
    Ok((
        StatusCode::CREATED,
        Json(present(&activation, Audience::Staff)),
    ))
}

/// An activation for `audience`: who started and ended it only to staff.
fn present(activation: &Activation, audience: Audience) -> ActivationView {
    let staff = audience == Audience::Staff;
    ActivationView {
        id: activation.id,
        hazard: activation.hazard,
        district: activation.district.clone(),
        area: geojson::Geometry::from(&activation.area),
        opened: activation.opened.clone(),
        suitability_unknown: activation.suitability_unknown.clone(),
        left: activation.left.clone(),
        started_at: activation.started_at,
        started_by: staff.then(|| activation.started_by.clone()),
        ended_at: activation.ended_at,
        ended_by: activation.ended_by.clone().filter(|_| staff),
        returned_to_standby: activation.returned_to_standby.clone(),
        handed_over: activation.handed_over.clone(),
    }
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

/// Every activation; who started and ended them only to token holders.
#[utoipa::path(get, path = "/api/v1/activations", tag = "facilities",
    security((), ("bearer" = [])),
    responses((status = 200, description = "The activations", body = Activations)))]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Activations>, ApiError> {
    let store = state.store.clone();
    let activations = tokio::task::spawn_blocking(move || match store {
        Some(store) => store.activations(),
        None => Ok(Vec::new()),
    })
    .await
    .map_err(ApiError::internal)??;
    let audience = caller.audience();
    Ok(Json(Activations {
        activations: activations.iter().map(|a| present(a, audience)).collect(),
    }))
}

/// Ends an activation (logistics): the shelters it opened go back to standby, unless a later
/// report or another activation still in force holds them.
#[utoipa::path(delete, path = "/api/v1/activations/{id}", tag = "writes",
    security(("bearer" = [])),
    params(("id" = u64, Path, description = "The activation's number")),
    responses(
        (status = 200, description = "Ended", body = ActivationView),
        (status = 404, description = "No such activation", body = ErrorBody),
        (status = 409, description = "It has ended already", body = ErrorBody),
    ))]
async fn end(
    State(state): State<AppState>,
    Authorized(actor, _): Authorized<Logistics>,
    Path(id): Path<String>,
) -> Result<Json<ActivationView>, ApiError> {
    let id: u64 = id.parse().map_err(|_| {
        ApiError::bad_request(
            "bad_parameter",
            format!("activation id: `{id}` is not a number"),
        )
    })?;
    let activation = tokio::task::spawn_blocking(move || state.end_activation(id, &actor))
        .await
        .map_err(ApiError::internal)??;
    Ok(Json(present(&activation, Audience::Staff)))
}
