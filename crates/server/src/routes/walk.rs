//! `GET /api/v1/route`: the walk from a place to a facility over the base map's ways, around the
//! active zones of a hazard (see `refuge_core::routing`).

use axum::Json;
use axum::extract::State;
use refuge_core::routing::RouteError;
use refuge_core::{FacilityId, HazardType, LonLat};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ErrorBody};
use crate::params::Query;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(route))
}

/// Where a walk goes.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct RouteQuery {
    /// The start: `lon,lat` in WGS84.
    #[param(pattern = r"^-?[0-9.]+,-?[0-9.]+$")]
    from: String,
    /// The facility to walk to, by id.
    #[param(minimum = 1)]
    to: u64,
    /// Around the active zones of this hazard.
    hazard: Option<HazardType>,
}

/// A walk, as a GeoJSON Feature with a LineString.
#[derive(Debug, Serialize, ToSchema)]
struct WalkFeature {
    /// `Feature`.
    #[serde(rename = "type")]
    kind: &'static str,
    /// The way walked, from the start to the facility.
    #[schema(value_type = Object)]
    geometry: serde_json::Value,
    properties: WalkProperties,
}

/// What a walk measures.
#[derive(Debug, Serialize, ToSchema)]
struct WalkProperties {
    /// The facility walked to.
    to: u64,
    /// Metres walked, the steps to and from the nearest ways included.
    metres: f64,
    /// Minutes at 1.2 m/s.
    minutes: f64,
    /// The straight line's metres, for comparison.
    straight_m: f64,
    /// The hazard whose zones the walk goes around, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    hazard: Option<HazardType>,
    /// How many zones it goes around.
    zones_avoided: usize,
}

/// The shortest walk from `from` to facility `to` over the base map's walkable ways (footways,
/// paths, steps, pedestrian and residential streets, …; no motorways), around the zones of the
/// hazard sources in force that bring `hazard`.
#[utoipa::path(get, path = "/api/v1/route", tag = "facilities", params(RouteQuery),
    responses(
        (status = 200, description = "The walk", body = WalkFeature),
        (status = 400, description = "A parameter is wrong", body = ErrorBody),
        (status = 404, description = "No such facility", body = ErrorBody),
        (status = 422, description = "No walk: no ways known, a place far from every way, or no way between \
            them (around the zones avoided)", body = ErrorBody),
    ))]
async fn route(
    State(state): State<AppState>,
    Query(query): Query<RouteQuery>,
) -> Result<Json<WalkFeature>, ApiError> {
    let start = parse_position(&query.from)?;
    let id = FacilityId::new(query.to)
        .map_err(|e| ApiError::bad_request("bad_parameter", format!("`to`: {e}")))?;
    let snapshot = state.index.snapshot();
    let facility = snapshot
        .get(id)
        .ok_or_else(|| ApiError::not_found(format!("no facility with id {id}")))?;
    let end = facility.location;
    let zones = snapshot.zones_in_force(query.hazard);
    let walk = state.backdrop.load().walk.clone();
    let zones_avoided = zones.len();
    let found = tokio::task::spawn_blocking(move || walk.route(start, end, &zones))
        .await
        .map_err(ApiError::internal)?;
    let route = found.map_err(|error| {
        let code = match error {
            RouteError::OffTheGraph { .. } => "off_the_ways",
            RouteError::NoWays => "no_ways",
            RouteError::NotConnected { .. } => "not_connected",
        };
        ApiError::client(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            code,
            error.to_string(),
        )
    })?;
    let coordinates: Vec<[f64; 2]> = route.line.iter().map(|p| [p.lon(), p.lat()]).collect();
    Ok(Json(WalkFeature {
        kind: "Feature",
        geometry: serde_json::json!({ "type": "LineString", "coordinates": coordinates }),
        properties: WalkProperties {
            to: id.get(),
            metres: (route.metres * 10.0).round() / 10.0,
            minutes: (route.minutes * 10.0).round() / 10.0,
            straight_m: (refuge_core::GreatCircle.distance_m(start, end) * 10.0).round() / 10.0,
            hazard: query.hazard,
            zones_avoided,
        },
    }))
}

/// `lon,lat` as a WGS84 position; the error names the parameter.
fn parse_position(text: &str) -> Result<LonLat, ApiError> {
    let bad = |why: String| ApiError::bad_request("bad_parameter", format!("`from`: {why}"));
    let (lon, lat) = text
        .split_once(',')
        .ok_or_else(|| bad(format!("`{text}` is not `lon,lat`")))?;
    let number = |part: &str| {
        part.trim()
            .parse::<f64>()
            .map_err(|_| bad(format!("`{part}` is not a number")))
    };
    LonLat::new(number(lon)?, number(lat)?).map_err(|e| bad(e.to_string()))
}
