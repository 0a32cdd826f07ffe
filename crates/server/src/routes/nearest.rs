//! `GET /api/v1/nearest`: the nearest facilities, nearest first, with great-circle distances.

use axum::Json;
use axum::extract::State;
use refuge_core::{Crs, FacilityKind, FacilitySummary, Filter, HazardType, ItemId, ReserveTier};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::params::{Flag, Query, flag, within};
use crate::present::{self, Feature, NearestHit, NearestResponse};
use crate::state::AppState;

/// The nearest route.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(nearest))
}

/// What a nearest search asks.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct NearestQuery {
    /// Longitude of the point, in `crs`.
    #[param(minimum = -180.0, maximum = 180.0)]
    lon: f64,
    /// Latitude of the point, in `crs`.
    #[param(minimum = -90.0, maximum = 90.0)]
    lat: f64,
    /// Only facilities of this kind.
    kind: Option<FacilityKind>,
    /// How many to return (default 5).
    #[param(minimum = 1, maximum = 100)]
    k: Option<usize>,
    /// Only reserve depots of this tier.
    tier: Option<ReserveTier>,
    /// Only facilities holding this item (usable stock).
    item: Option<ItemId>,
    /// With `item`: at least this many (default 1).
    min_qty: Option<u64>,
    /// Only open facilities.
    #[param(value_type = Option<bool>)]
    open: Option<Flag>,
    /// Only shelters with room (known free places, or unknown capacity).
    #[param(value_type = Option<bool>)]
    has_room: Option<Flag>,
    /// Only shelters with step-free access, for a wheelchair (the `accessible` amenity).
    #[param(value_type = Option<bool>)]
    wheelchair: Option<Flag>,
    /// Only shelters that are safe in this hazard: not stating themselves unsuitable for it, and
    /// not threatened by a hazard source in force that brings it (inside its zone, within its
    /// influence radius, or within 30 m of a fire source). The answer's `skipped` lists the
    /// nearer shelters passed over, and why.
    hazard: Option<HazardType>,
    /// The CRS of `lon`/`lat` and of the answer (default wgs84).
    crs: Option<Crs>,
    /// `distance` (the default: great-circle) or `walk`: the great-circle candidates (three
    /// times `k`, at least `k` + 10) ranked by metres on foot, around the zones of `hazard`;
    /// those no way leads to come last.
    by: Option<RankBy>,
}

/// How nearest answers are ranked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
enum RankBy {
    /// Great-circle metres.
    Distance,
    /// Metres on foot.
    Walk,
}

/// The nearest facilities to a point, nearest first, with great-circle distances in metres.
#[utoipa::path(get, path = "/api/v1/nearest", tag = "facilities", params(NearestQuery),
    responses((status = 200, description = "Nearest first", body = NearestResponse)))]
async fn nearest(
    State(state): State<AppState>,
    Query(query): Query<NearestQuery>,
) -> Result<Json<NearestResponse>, ApiError> {
    let crs = crate::params::lon_lat_crs(query.crs)?;
    let lon = within("lon", query.lon, -180.0..=180.0)?;
    let lat = within("lat", query.lat, -90.0..=90.0)?;
    let origin = crs
        .to_wgs84(lon, lat)
        .map_err(|e| ApiError::bad_request("bad_parameter", format!("`lon`/`lat`: {e}")))?;
    let k = within("k", query.k.unwrap_or(5), 1..=100)?;
    let mut filter = Filter::default()
        .open_only(flag(query.open))
        .has_room(flag(query.has_room));
    if let Some(kind) = query.kind {
        filter = filter.kind(kind);
    }
    if flag(query.wheelchair) {
        filter = filter.amenity(refuge_core::Amenity::Accessible);
    }
    if let Some(tier) = query.tier {
        filter = filter.tier(tier);
    }
    match (query.item, query.min_qty) {
        (Some(item), min_qty) => {
            state
                .catalog
                .get(&item)
                .map_err(|e| ApiError::bad_request("bad_parameter", format!("`item`: {e}")))?;
            filter = filter.item(item, min_qty.unwrap_or(1));
        }
        (None, Some(_)) => {
            return Err(ApiError::bad_request(
                "bad_parameter",
                "`min_qty` needs `item`",
            ));
        }
        (None, None) => {}
    }

    let snapshot = state.index.snapshot();
    Metrics::count(&state.metrics.nearest_queries);
    let hazard = query.hazard;
    let walking = query.by == Some(RankBy::Walk);
    let walk = walking.then(|| state.backdrop.load().walk.clone());
    // On foot, more candidates than asked: a nearer one across a river may be a longer walk.
    let wanted = if walking {
        (k * 3).max(k + 10).min(100)
    } else {
        k
    };
    let answer = move || {
        let (hits, skipped) = match hazard {
            Some(hazard) => {
                let (hits, skipped) = snapshot.nearest_safe(origin, wanted, &filter, hazard);
                let skipped = skipped
                    .iter()
                    .map(|s| present::SkippedShelter::of(s, &snapshot))
                    .collect();
                (hits, Some(skipped))
            }
            None => (snapshot.nearest(origin, wanted, &filter), None),
        };
        let tenth = |metres: f64| (metres * 10.0).round() / 10.0;
        // Metres on foot to each, around the hazard's zones; those no way leads to last.
        let mut ranked: Vec<(&refuge_core::Hit<'_>, Option<f64>)> = match &walk {
            Some(walk) => {
                let zones = snapshot.zones_in_force(hazard);
                let mut on_foot: Vec<_> = hits
                    .iter()
                    .map(|hit| {
                        let metres = walk.route(origin, hit.facility.location, &zones).ok();
                        (hit, metres.map(|r| r.metres))
                    })
                    .collect();
                on_foot.sort_by(|a, b| match (a.1, b.1) {
                    (Some(x), Some(y)) => x.total_cmp(&y),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (None, None) => a.0.distance_m.total_cmp(&b.0.distance_m),
                });
                on_foot.truncate(k);
                on_foot
            }
            None => hits.iter().map(|hit| (hit, None)).collect(),
        };
        let features = ranked
            .drain(..)
            .map(|(hit, walk_m)| {
                let summary = FacilitySummary::of(hit.facility);
                Feature::of(
                    hit.facility,
                    crs,
                    NearestHit {
                        summary,
                        distance_m: tenth(hit.distance_m),
                        walk_m: walk_m.map(tenth),
                        walk_minutes: walk_m
                            .map(|m| tenth(m / refuge_core::routing::WALKING_M_PER_MIN)),
                    },
                )
            })
            .collect();
        NearestResponse {
            kind: present::CollectionType::FeatureCollection,
            crs,
            features,
            distance: "great-circle metres (haversine, R = 6,371,008.8 m)",
            origin: [lon, lat],
            data_version: snapshot.version(),
            skipped,
        }
    };
    if hazard.is_none() && !walking {
        // A plain nearest search takes microseconds: answered on the async worker.
        return Ok(Json(answer()));
    }
    // In a hazard, the first search of a version finds what every hazard threatens, and a search
    // may pass many shelters over: off the async workers.
    Ok(Json(
        tokio::task::spawn_blocking(answer)
            .await
            .map_err(ApiError::internal)?,
    ))
}
