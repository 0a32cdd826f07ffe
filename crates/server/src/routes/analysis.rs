//! Planning analyses (planner): `GET /api/v1/analysis/coverage`, how well the shelters serve the
//! store's population per district and in all (see `refuge_core::planning::coverage`), and
//! `POST /api/v1/scenarios`, a stress test played out on a copy of the data that the live map
//! never sees (see `refuge_core::planning::run_scenario`).

use axum::Json;
use axum::extract::State;
use refuge_core::planning::{
    AreaCoverage, CoverageOptions, DEFAULT_TARGET_SHARE, Outcome, coverage, run_scenario,
};
use refuge_core::{FacilityBrief, HazardType};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Authorized, Planner};
use crate::body::JsonBody;
use crate::error::{ApiError, ErrorBody};
use crate::params::{Query, within};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(coverage_report))
        .routes(routes!(scenario))
}

/// What a coverage analysis asks.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct CoverageQuery {
    /// Only shelters safe in this hazard count.
    hazard: Option<HazardType>,
    /// The share of residents shelters should hold (default 0.15).
    #[param(minimum = 0.01, maximum = 1.0)]
    target_share: Option<f64>,
}

/// A coverage analysis.
#[derive(Debug, Serialize, ToSchema)]
struct CoverageReport {
    /// Where the population comes from.
    source: String,
    /// The H3 resolution of its cells.
    resolution: u8,
    /// The hazard shelters had to be safe in, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    hazard: Option<HazardType>,
    /// How each district's people were placed, in words.
    method: Vec<String>,
    /// Populated cells analysed.
    cells: usize,
    /// Per district.
    districts: Vec<AreaCoverage>,
    /// The whole population.
    total: AreaCoverage,
}

/// Coverage of the population by the shelters in service (planner): per district, residents,
/// shelter places against the target share, the share within a shelter's service radius, and
/// residents without a place when places are shared nearest first. With `hazard`, only
/// shelters safe in it count. Needs a population layer (`refuge population import`).
#[utoipa::path(get, path = "/api/v1/analysis/coverage", tag = "planning",
    security(("bearer" = [])), params(CoverageQuery),
    responses(
        (status = 200, description = "The analysis", body = CoverageReport),
        (status = 400, description = "A parameter is wrong, or the layer is past the cell limit", body = ErrorBody),
        (status = 404, description = "No population layer in the store", body = ErrorBody),
    ))]
async fn coverage_report(
    State(state): State<AppState>,
    Authorized(_, _): Authorized<Planner>,
    Query(query): Query<CoverageQuery>,
) -> Result<Json<CoverageReport>, ApiError> {
    let target_share = within(
        "target_share",
        query.target_share.unwrap_or(DEFAULT_TARGET_SHARE),
        0.01..=1.0,
    )?;
    let store = state.shared_store()?;
    // Reading the layer and covering it are blocking work: off the async workers.
    tokio::task::spawn_blocking(move || {
        let layer = state.coverage.layer(&store)?.ok_or_else(|| {
            ApiError::not_found(
                "the store has no population layer: import one with `refuge population import`",
            )
        })?;
        let options = CoverageOptions {
            hazard: query.hazard,
            target_share,
            max_cells: state.config.max_analysis_cells,
        };
        let answer = coverage(&state.index.snapshot(), &layer, options)
            .map_err(|e| ApiError::bad_request("too_large", e.to_string()))?;
        Ok(Json(CoverageReport {
            source: answer.source,
            resolution: answer.resolution,
            hazard: answer.hazard,
            method: answer.method,
            cells: answer.cells.len(),
            districts: answer.districts,
            total: answer.total,
        }))
    })
    .await
    .map_err(ApiError::internal)?
}

/// A stress test, as a planner asks it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ScenarioRequest {
    /// Its name.
    name: String,
    /// The hazard it plays out.
    hazard: HazardType,
    /// Draft hazard zones and sources: a GeoJSON Feature or FeatureCollection, as a hazard
    /// upload takes them. Never stored.
    #[schema(value_type = Option<Object>)]
    zones: Option<serde_json::Value>,
    /// Facilities out of service, by id.
    #[serde(default)]
    out_of_service: Vec<u64>,
    /// How many times today's population needs a place (above 0, at most 100; default 1).
    #[schema(minimum = 0.0, maximum = 100.0)]
    demand_multiplier: Option<f64>,
}

/// What a scenario changes, and its map for the planner's page.
#[derive(Debug, Serialize, ToSchema)]
struct ScenarioAnswer {
    #[serde(flatten)]
    outcome: Outcome,
    /// The scenario on the map, a GeoJSON FeatureCollection: its draft zones (`role` zone) and
    /// the facilities it changes, at their positions: out of service, depots newly cut off, and
    /// facilities newly threatened (`role` out_of_service, cut_off or exposed).
    #[schema(value_type = Object)]
    map: serde_json::Value,
}

/// The scenario's draft zones and the facilities it changes, as GeoJSON features.
fn scenario_map(
    index: &refuge_core::SpatialIndex,
    scenario: &refuge_core::planning::Scenario,
    outcome: &Outcome,
) -> serde_json::Value {
    let feature = |geometry: geojson::Geometry, role: &str, facility: &FacilityBrief| {
        let name = facility.name();
        serde_json::json!({
            "type": "Feature",
            "geometry": geometry,
            "properties": {
                "role": role,
                "id": facility.id.get(),
                "kind": facility.kind().as_str(),
                "name_zh": name.zh,
                "name_en": name.en,
            },
        })
    };
    let point = |f: &FacilityBrief| geojson::Geometry::from(&f.location.point());
    let mut features: Vec<serde_json::Value> = scenario
        .zones
        .iter()
        .map(|zone| {
            let area = zone.hazard().and_then(|h| h.zone.as_ref());
            let zone = FacilityBrief::of(zone);
            feature(
                area.map_or_else(|| point(&zone), geojson::Geometry::from),
                "zone",
                &zone,
            )
        })
        .collect();
    let mut marked = std::collections::BTreeSet::new();
    let newly = |after: &[refuge_core::FacilityId], before: &[refuge_core::FacilityId]| {
        after
            .iter()
            .filter(|id| !before.contains(id))
            .copied()
            .collect::<Vec<_>>()
    };
    let cut_off = newly(
        &outcome.after.depots_cut_off,
        &outcome.before.depots_cut_off,
    );
    let exposed = newly(&outcome.after.exposed, &outcome.before.exposed);
    let roles = scenario
        .out_of_service
        .iter()
        .map(|id| (id, "out_of_service"))
        .chain(cut_off.iter().map(|id| (id, "cut_off")))
        .chain(exposed.iter().map(|id| (id, "exposed")));
    for (id, role) in roles {
        // Out of service before cut off before exposed: each facility once, by what tells most.
        if marked.insert(*id) {
            if let Some(facility) = index.get(*id) {
                features.push(feature(point(facility), role, facility));
            }
        }
    }
    serde_json::json!({ "type": "FeatureCollection", "features": features })
}

/// Plays a stress test out on a copy of the current data (planner): draft zones in force,
/// facilities out of service, more people. Answers figures before and after: coverage per
/// district (with a population layer), the facilities hazards threaten, the depots cut off, and
/// the kept plans that draw on them; and the scenario on a map of its own. The live map, its
/// tiles and its residents never see it.
#[utoipa::path(post, path = "/api/v1/scenarios", tag = "planning",
    security(("bearer" = [])),
    request_body = ScenarioRequest,
    responses(
        (status = 200, description = "Before and after", body = ScenarioAnswer),
        (status = 400, description = "A zone, a facility or the multiplier is wrong", body = ErrorBody),
    ))]
async fn scenario(
    State(state): State<AppState>,
    Authorized(_, _): Authorized<Planner>,
    JsonBody(body): JsonBody<ScenarioRequest>,
) -> Result<Json<ScenarioAnswer>, ApiError> {
    let file = refuge_io::ScenarioFile {
        name: body.name,
        hazard: body.hazard,
        zones: body.zones,
        zones_file: None,
        out_of_service: body.out_of_service,
        demand_multiplier: body.demand_multiplier.unwrap_or(1.0),
    };
    let invalid = |message: String| ApiError::bad_request("invalid", message);
    let store = state.shared_store()?;
    // Geometry, coverage and the store's plans: blocking work, off the async workers.
    tokio::task::spawn_blocking(move || {
        let scenario = file.scenario(None).map_err(invalid)?;
        let layer = state.coverage.layer(&store)?;
        let plans = refuge_core::planning::open_plans(store.plans()?, &state.ledger());
        let index = state.index.snapshot();
        let outcome = run_scenario(
            &index,
            layer.as_deref(),
            &scenario,
            &plans,
            state.config.max_analysis_cells,
        )
        .map_err(|e| invalid(e.to_string()))?;
        let map = scenario_map(&index, &scenario, &outcome);
        Ok(Json(ScenarioAnswer { outcome, map }))
    })
    .await
    .map_err(ApiError::internal)?
}
