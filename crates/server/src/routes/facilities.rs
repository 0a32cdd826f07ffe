//! `GET /api/v1/facilities` (by box, kind, name; paged) and `GET /api/v1/facilities/{id}`; the
//! writes to the same paths are in [`super::writes`].

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use refuge_core::{BBox, Crs, FacilityBrief, FacilityId, FacilityKind, Filter};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::writes;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::params::{Query, within};
use crate::present::{self, CollectionType, FacilityDetail, FacilityPage, Feature};
use crate::state::AppState;

/// The facility routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, writes::create_facility))
        .routes(routes!(
            one,
            writes::patch_facility,
            writes::delete_facility
        ))
}

/// What a facility list asks.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// `minLon,minLat,maxLon,maxLat` in WGS84 (default: the world).
    bbox: Option<String>,
    /// Only facilities of this kind.
    kind: Option<FacilityKind>,
    /// Only facilities whose name contains this text.
    q: Option<String>,
    /// Page size (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
    /// Facilities to skip (by id order).
    offset: Option<usize>,
    /// The CRS of the answer's positions (default wgs84).
    crs: Option<Crs>,
}

/// Facilities by box, kind and name, one page at a time in id order.
#[utoipa::path(get, path = "/api/v1/facilities", tag = "facilities", params(ListQuery),
    responses((status = 200, description = "A page of facilities", body = FacilityPage)))]
async fn list(
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
) -> Result<Json<FacilityPage>, ApiError> {
    let crs = crate::params::lon_lat_crs(query.crs)?;
    let mut filter = Filter::default();
    if let Some(kind) = query.kind {
        filter = filter.kind(kind);
    }
    let limit = within("limit", query.limit.unwrap_or(100), 1..=1000)?;
    let offset = query.offset.unwrap_or(0);
    let bbox = match &query.bbox {
        Some(text) => parse_bbox(text)?,
        None => BBox::world(),
    };
    let name = query
        .q
        .map(|q| q.trim().to_owned())
        .filter(|q| !q.is_empty());
    let snapshot = state.index.snapshot();
    // A page of a large box is one pass over every facility in it: off the async workers.
    tokio::task::spawn_blocking(move || {
        let named = |f: &FacilityBrief| name.as_deref().is_none_or(|q| f.name_contains(q));
        let (page, total) = snapshot.page_within_bbox(bbox, &filter, named, offset, limit);
        let next = offset.saturating_add(limit);
        Json(FacilityPage {
            kind: CollectionType::FeatureCollection,
            crs,
            features: page.into_iter().map(|f| present::summary(f, crs)).collect(),
            total,
            next_offset: (next < total).then_some(next),
        })
    })
    .await
    .map_err(ApiError::internal)
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

/// What a facility's detail asks.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct DetailQuery {
    /// The CRS of the answer's position (default wgs84).
    crs: Option<Crs>,
}

/// A facility's id in a path; a 400 naming it when it is not one.
pub fn parse_id(id: &str) -> Result<FacilityId, ApiError> {
    id.parse()
        .map_err(|e| ApiError::bad_request("bad_parameter", format!("facility id: {e}")))
}

/// One facility with every public field and its stock; contacts and keyholders for token
/// holders. The `ETag` is its version, for `If-Match`.
#[utoipa::path(get, path = "/api/v1/facilities/{id}", tag = "facilities",
    params(("id" = u64, Path, description = "The facility's id", minimum = 1), DetailQuery),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The facility", body = Feature<FacilityDetail>,
            headers(("ETag" = String, description = "\"v<version>\", for If-Match"))),
        (status = 404, description = "No such facility", body = crate::error::ErrorBody),
    ))]
async fn one(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(query): Query<DetailQuery>,
) -> Result<Response, ApiError> {
    let crs = crate::params::lon_lat_crs(query.crs)?;
    let id = parse_id(&id)?;
    let snapshot = state.index.snapshot();
    // The index keeps a brief of each facility; the whole record is the store's.
    let facility = state
        .record(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no facility with id {id}")))?;
    // The ETag is the record's version, for If-Match; the body also carries stock, which changes
    // without a new version, so it is never answered with 304.
    let tag = writes::etag(facility.version);
    let mut body = present::detail(&facility, &snapshot, &state.catalog, crs, caller.audience());
    if caller.audience() == present::Audience::Staff {
        let state = state.clone();
        // The ledger is read off the async workers: its lock can wait on a commit.
        let (lots, reserved, in_transit) = tokio::task::spawn_blocking(move || {
            let ledger = state.ledger();
            let lots = state
                .catalog
                .items()
                .map(|item| present::ItemLots {
                    item: item.id.clone(),
                    lots: ledger.lots(id, &item.id).to_vec(),
                })
                .filter(|held| !held.lots.is_empty())
                .collect();
            let reserved = ledger
                .holds()
                .filter(|h| h.facility == id)
                .cloned()
                .collect();
            (lots, reserved, super::shipments::road_of(&ledger, Some(id)))
        })
        .await
        .map_err(ApiError::internal)?;
        body.properties.lots = lots;
        body.properties.reserved = reserved;
        body.properties.in_transit = in_transit;
    }
    Ok((
        [
            (header::ETAG, tag),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        Json(body),
    )
        .into_response())
}
