//! `GET /api/v1/exposure`: the facilities that hazard sources in force threaten (inside a zone,
//! within an influence radius, or within 30 m of a fire source), for planners and the public
//! alike: it is made of what the public map shows.

use axum::Json;
use axum::extract::State;
use refuge_core::{
    Exposure, FacilityId, FacilityKind, Filter, HazardKind, HazardType, Names, RiskLevel,
    SpatialIndex,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ErrorBody};
use crate::params::Query;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(exposure))
}

/// What an exposure list asks.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ExposureQuery {
    /// Only hazard sources that bring this hazard (a flood zone floods; a fuel station burns in
    /// an earthquake); all without it.
    hazard: Option<HazardType>,
    /// Only facilities of this kind.
    kind: Option<FacilityKind>,
}

/// A facility a hazard source threatens.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExposedFacility {
    /// The facility.
    pub id: FacilityId,
    /// Its names.
    pub name: Names,
    /// Its kind.
    pub kind: FacilityKind,
    /// Its metres from the zone (or point); 0 inside the zone.
    pub distance_m: f64,
    /// The hazard source.
    pub hazard: HazardNamed,
}

/// A hazard source, named.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HazardNamed {
    /// Its id.
    pub id: FacilityId,
    /// Its names.
    pub name: Names,
    /// Its kind.
    pub hazard_kind: HazardKind,
    /// Its risk level.
    pub risk: RiskLevel,
}

/// The exposures as the API shows them, each with the facility and the hazard looked up.
pub fn named(exposures: &[Exposure], index: &SpatialIndex) -> Vec<ExposedFacility> {
    exposures
        .iter()
        .filter_map(|exposure| {
            let facility = index.get(exposure.facility)?;
            let source = index.get(exposure.hazard)?;
            let details = source.hazard()?;
            Some(ExposedFacility {
                id: facility.id,
                name: facility.name(),
                kind: facility.kind(),
                distance_m: (exposure.distance_m * 10.0).round() / 10.0,
                hazard: HazardNamed {
                    id: source.id,
                    name: source.name(),
                    hazard_kind: details.hazard_kind,
                    risk: details.risk,
                },
            })
        })
        .collect()
}

/// The facilities that hazard sources in force (not closed, not decommissioned) threaten: inside
/// a zone, within an influence radius, or within 30 m of a fire source; hazard by hazard, each
/// hazard's nearest first.
#[utoipa::path(get, path = "/api/v1/exposure", tag = "facilities", params(ExposureQuery),
    responses(
        (status = 200, description = "Hazard by hazard", body = Vec<ExposedFacility>),
        (status = 400, description = "A parameter is wrong", body = ErrorBody),
    ))]
async fn exposure(
    State(state): State<AppState>,
    Query(query): Query<ExposureQuery>,
) -> Result<Json<Vec<ExposedFacility>>, ApiError> {
    let snapshot = state.index.snapshot();
    // Zones are measured point by point: CPU work, off the async workers.
    tokio::task::spawn_blocking(move || {
        let mut filter = Filter::default();
        if let Some(kind) = query.kind {
            filter = filter.kind(kind);
        }
        let exposures = snapshot.exposures(query.hazard, &filter);
        Json(named(&exposures, &snapshot))
    })
    .await
    .map_err(ApiError::internal)
}
