//! `GET /api/v1/nearest`: the nearest facilities, nearest first, with great-circle distances.

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use refuge_core::{Crs, FacilityKind, Filter, HazardType, ItemId, ReserveTier};
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::params::Params;
use crate::present;
use crate::state::AppState;

/// The nearest route.
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/nearest", get(nearest))
}

fn names<T: std::fmt::Display>(all: &[T]) -> String {
    all.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

async fn nearest(
    State(state): State<AppState>,
    Query(query): Query<Vec<(String, String)>>,
) -> Result<Json<Value>, ApiError> {
    let params = Params::new(
        query,
        &[
            "lon", "lat", "kind", "k", "tier", "item", "min_qty", "open", "has_room", "hazard",
            "crs",
        ],
    )?;
    let crs: Crs = params
        .optional("crs", &format!("one of {}", names(Crs::ALL)))?
        .unwrap_or(Crs::Wgs84);
    let lon = params
        .number_in("lon", -180.0..=180.0, true)?
        .unwrap_or_default();
    let lat = params
        .number_in("lat", -90.0..=90.0, true)?
        .unwrap_or_default();
    let origin = crs
        .to_wgs84(lon, lat)
        .map_err(|e| ApiError::bad_request("bad_parameter", format!("`lon`/`lat`: {e}")))?;
    let k = params.whole_in("k", 1..=100, 5)?;
    let mut filter = Filter::default()
        .open_only(params.flag("open")?)
        .has_room(params.flag("has_room")?);
    if let Some(kind) =
        params.optional::<FacilityKind>("kind", &format!("one of {}", names(FacilityKind::ALL)))?
    {
        filter = filter.kind(kind);
    }
    if let Some(tier) =
        params.optional::<ReserveTier>("tier", &format!("one of {}", names(ReserveTier::ALL)))?
    {
        filter = filter.tier(tier);
    }
    if let Some(hazard) =
        params.optional::<HazardType>("hazard", &format!("one of {}", names(HazardType::ALL)))?
    {
        filter = filter.hazard(hazard);
    }
    if let Some(item) = params.optional::<ItemId>("item", "an item id such as bottled_water")? {
        state
            .catalog
            .get(&item)
            .map_err(|e| ApiError::bad_request("bad_parameter", format!("`item`: {e}")))?;
        let min_qty: u64 = params.optional("min_qty", "a whole number")?.unwrap_or(1);
        filter = filter.item(item, min_qty);
    } else if params.text("min_qty").is_some() {
        return Err(ApiError::bad_request(
            "bad_parameter",
            "`min_qty` needs `item`",
        ));
    }

    let snapshot = state.index.snapshot();
    let hits = snapshot.nearest(origin, k, &filter);
    Metrics::count(&state.metrics.nearest_queries);
    let features = hits
        .iter()
        .map(|hit| {
            let mut feature = present::summary(hit.facility, crs);
            feature["properties"]["distance_m"] = json!((hit.distance_m * 10.0).round() / 10.0);
            feature
        })
        .collect();
    let mut body = present::collection(features, crs);
    body["distance"] = json!("great-circle metres (haversine, R = 6,371,008.8 m)");
    body["origin"] = json!([lon, lat]);
    body["data_version"] = json!(snapshot.version());
    Ok(Json(body))
}
