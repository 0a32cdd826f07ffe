//! Writes: facilities (admin), shelter status and occupancy and stock movements (logistics),
//! hazard layers (planner), and the audit log (admin). Each goes to the store first, then the
//! index, then the live-update channel, before the response.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use refuge_core::{
    Crs, Facility, FacilityDetails, FacilityId, FacilityKind, ItemId, LiveStatus, Movement,
    MovementKind,
};
use refuge_io::{ImportOptions, facility_from_feature};
use refuge_store::Action;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::facilities::parse_id;
use crate::auth::{Admin, Authorized, Logistics, Planner};
use crate::body::{self, JsonBody};
use crate::error::{ApiError, ErrorBody};
use crate::params::{Query, within};
use crate::present::{self, Audience, FacilityDetail, Feature};
use crate::state::AppState;

/// The write routes that have paths of their own (the facility writes share the facility
/// paths, in [`super::facilities`]).
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(report_status))
        .routes(routes!(record_movement))
        .routes(routes!(upload_hazards))
        .routes(routes!(audit_log))
}

/// The `ETag` of a facility version.
pub fn etag(version: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"v{version}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("\"\""))
}

/// The version an `If-Match` header names, if any; a malformed one is a 400.
fn if_match(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or("");
    let version = text
        .trim()
        .trim_start_matches("W/")
        .strip_prefix("\"v")
        .and_then(|rest| rest.strip_suffix('"'))
        .and_then(|digits| digits.parse::<u64>().ok())
        .ok_or_else(|| {
            ApiError::bad_request(
                "bad_header",
                format!("If-Match: `{text}` is not an ETag of this API (\"v<version>\")"),
            )
        })?;
    Ok(Some(version))
}

fn required_if_match(headers: &HeaderMap) -> Result<u64, ApiError> {
    if_match(headers)?.ok_or_else(|| {
        ApiError::client(
            StatusCode::PRECONDITION_REQUIRED,
            "if_match_required",
            "send If-Match with the ETag you read, so that no change made meanwhile is overwritten",
        )
    })
}

fn written(facility: &Facility, status: StatusCode, state: &AppState) -> Response {
    let snapshot = state.index.snapshot();
    let body = present::detail(
        facility,
        &snapshot,
        &state.catalog,
        Crs::Wgs84,
        Audience::Staff,
    );
    let mut response = (status, Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::ETAG, etag(facility.version));
    response
}

/// A record id no other request gets, for features sent without an `id`.
fn fresh_record(prefix: &str, n: usize) -> String {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let count = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let now = Utc::now().timestamp_nanos_opt().unwrap_or_default();
    format!("{prefix}-{now}-{count}-{n}")
}

/// A change is made to the version the client names, or not at all: a record read from a standby
/// that lags must not become the base of a change stored over a newer one.
fn named_version(base: &Facility, expected: u64) -> Result<(), ApiError> {
    if base.version == expected {
        return Ok(());
    }
    Err(refuge_store::Error::Conflict {
        id: base.id,
        expected,
        current: base.version,
    }
    .into())
}

/// The facility's whole record as stored, or 404.
async fn current(state: &AppState, id: FacilityId) -> Result<Facility, ApiError> {
    state
        .record(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no facility with id {id}")))
}

/// Adds a facility (admin): a GeoJSON Feature, as `refuge export` writes them or with any
/// properties the import mapping reads, and a `kind`.
#[utoipa::path(post, path = "/api/v1/facilities", tag = "writes",
    security(("bearer" = [])),
    request_body(content = Object, description = "A GeoJSON Feature with a Point geometry and \
        the facility's fields as properties, `kind` among them"),
    responses((status = 201, description = "Created; the ETag is its version",
        body = Feature<FacilityDetail>)))]
pub async fn create_facility(
    State(state): State<AppState>,
    Authorized(actor, _): Authorized<Admin>,
    JsonBody(feature): JsonBody<Value>,
) -> Result<Response, ApiError> {
    let options = ImportOptions::new("api", Crs::Wgs84);
    let facility = facility_from_feature(feature, &options, &fresh_record("api", 0))
        .map_err(|e| ApiError::bad_request("invalid", e))?;
    let state2 = state.clone();
    let created = tokio::task::spawn_blocking(move || {
        state2.write_facility(facility, None, Action::FacilityCreate, &actor)
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(written(&created, StatusCode::CREATED, &state))
}

/// A JSON merge patch (RFC 7396) of a facility's fields: objects merge key by key, `null` removes
/// a field, anything else replaces it. A field the facility does not have is refused by name,
/// as are `id`, `version` and `kind`, which a patch cannot change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(transparent)]
#[schema(value_type = Object)]
pub struct FacilityPatch(Map<String, Value>);

impl FacilityPatch {
    /// `facility` with the patch applied, checked as any facility is.
    fn apply(&self, facility: &Facility) -> Result<Facility, ApiError> {
        for fixed in ["id", "version", "kind"] {
            if self.0.contains_key(fixed) {
                return Err(ApiError::bad_request(
                    "bad_body",
                    format!("`{fixed}` cannot be changed by a patch"),
                ));
            }
        }
        let mut document = serde_json::to_value(facility).map_err(ApiError::internal)?;
        let patch = Value::Object(self.0.clone());
        merge_patch(&mut document, &patch);
        let patched: Facility = serde_json::from_value(document).map_err(|e| {
            ApiError::bad_request("invalid", format!("the patched facility is not valid: {e}"))
        })?;
        // What the facility does not have is dropped when it is read: a field the patch sets
        // and the patched facility lacks is a typo (`adress`) or another kind's field.
        let kept = serde_json::to_value(&patched).map_err(ApiError::internal)?;
        if let Some(path) = unknown_field(&patch, &kept, String::new()) {
            return Err(ApiError::bad_request(
                "bad_body",
                format!("`{path}` is not a field of this {}", facility.kind()),
            ));
        }
        Ok(patched)
    }
}

/// The first field `patch` sets to something that `kept` does not have, by its path. Empty values
/// (`[]`, `{}`) are not counted: the record leaves empty lists out.
fn unknown_field(patch: &Value, kept: &Value, at: String) -> Option<String> {
    let Value::Object(fields) = patch else {
        return None;
    };
    for (key, value) in fields {
        let path = if at.is_empty() {
            key.clone()
        } else {
            format!("{at}.{key}")
        };
        let empty = match value {
            Value::Null => true,
            Value::Array(items) => items.is_empty(),
            Value::Object(map) => map.is_empty(),
            _ => false,
        };
        match kept.get(key) {
            None if !empty => return Some(path),
            Some(inner) if value.is_object() && inner.is_object() => {
                if let Some(found) = unknown_field(value, inner, path) {
                    return Some(found);
                }
            }
            _ => {}
        }
    }
    None
}

/// Changes a facility's fields (admin) by a JSON merge patch; needs `If-Match`.
#[utoipa::path(patch, path = "/api/v1/facilities/{id}", tag = "writes",
    security(("bearer" = [])),
    params(("id" = u64, Path, description = "The facility's id", minimum = 1),
        ("If-Match" = Option<String>, Header, description = "Required: the ETag read, \
            \"v<version>\"; without it the answer is 428", pattern = r#"^(W/)?"v[0-9]{1,19}"$"#)),
    request_body(content = FacilityPatch, content_type = "application/json"),
    responses(
        (status = 200, description = "Changed; the ETag is the new version",
            body = Feature<FacilityDetail>),
        (status = 404, description = "No such facility", body = ErrorBody),
        (status = 412, description = "Changed meanwhile: read it again", body = ErrorBody),
        (status = 428, description = "If-Match is missing", body = ErrorBody),
    ))]
pub async fn patch_facility(
    State(state): State<AppState>,
    Authorized(actor, _): Authorized<Admin>,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(patch): JsonBody<FacilityPatch>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let expected = required_if_match(&headers)?;
    let base = current(&state, id).await?;
    named_version(&base, expected)?;
    let facility = patch.apply(&base)?;
    let state2 = state.clone();
    let updated = tokio::task::spawn_blocking(move || {
        state2.write_facility(facility, Some(expected), Action::FacilityUpdate, &actor)
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(written(&updated, StatusCode::OK, &state))
}

/// RFC 7396: objects merge key by key, `null` removes, anything else replaces.
fn merge_patch(target: &mut Value, patch: &Value) {
    let (Value::Object(target_map), Value::Object(patch_map)) = (&mut *target, patch) else {
        *target = patch.clone();
        return;
    };
    for (key, value) in patch_map {
        if value.is_null() {
            target_map.remove(key);
        } else {
            merge_patch(target_map.entry(key.clone()).or_insert(Value::Null), value);
        }
    }
}

/// Deletes a facility (admin); needs `If-Match`.
#[utoipa::path(delete, path = "/api/v1/facilities/{id}", tag = "writes",
    security(("bearer" = [])),
    params(("id" = u64, Path, description = "The facility's id", minimum = 1),
        ("If-Match" = Option<String>, Header, description = "Required: the ETag read, \
            \"v<version>\"; without it the answer is 428", pattern = r#"^(W/)?"v[0-9]{1,19}"$"#)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such facility", body = ErrorBody),
        (status = 412, description = "Changed meanwhile: read it again", body = ErrorBody),
        (status = 428, description = "If-Match is missing", body = ErrorBody),
    ))]
pub async fn delete_facility(
    State(state): State<AppState>,
    Authorized(actor, _): Authorized<Admin>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let expected = required_if_match(&headers)?;
    let state2 = state.clone();
    tokio::task::spawn_blocking(move || state2.delete_facility(id, expected, &actor))
        .await
        .map_err(ApiError::internal)??;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A status report as staff send it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct StatusReportBody {
    /// The status now.
    status: LiveStatus,
    /// For a shelter: the people in it now, at most its capacity × the overfill factor.
    occupancy: Option<u32>,
    /// Who reports it (default: the token's name); shown to staff only.
    reported_by: Option<String>,
}

/// A live status report (logistics), and for a shelter its occupancy. `If-Match` is optional
/// here: without it the newest report wins, as on a radio net.
#[utoipa::path(post, path = "/api/v1/facilities/{id}/status", tag = "writes",
    security(("bearer" = [])),
    params(("id" = u64, Path, description = "The facility's id", minimum = 1)),
    request_body = StatusReportBody,
    responses(
        (status = 200, description = "Reported", body = Feature<FacilityDetail>),
        (status = 404, description = "No such facility", body = ErrorBody),
        (status = 412, description = "If-Match named an older version", body = ErrorBody),
    ))]
async fn report_status(
    State(state): State<AppState>,
    Authorized(actor, _): Authorized<Logistics>,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(report): JsonBody<StatusReportBody>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let asked = if_match(&headers)?;
    let reporter = report
        .reported_by
        .clone()
        .unwrap_or_else(|| actor.name.clone());
    // Without If-Match the newest report wins: if another write lands between reading the record
    // and storing the report, read it again and apply the report to that.
    let mut attempts = 0;
    let updated = loop {
        attempts += 1;
        let mut facility = current(&state, id).await?;
        let expected = asked.unwrap_or(facility.version);
        named_version(&facility, expected)?;
        facility.status.status = report.status;
        facility.status.reported_at = Utc::now();
        facility.status.reported_by = Some(reporter.clone());
        if let Some(occupancy) = report.occupancy {
            let FacilityDetails::Shelter(shelter) = &mut facility.details else {
                return Err(ApiError::bad_request(
                    "bad_body",
                    format!(
                        "`occupancy`: facility {id} is a {}, not a shelter",
                        facility.kind()
                    ),
                ));
            };
            let most = shelter.capacity().map_or(MAX_OCCUPANCY, |capacity| {
                (f64::from(capacity) * state.config.overfill_factor).floor() as u32
            });
            if occupancy > most {
                return Err(ApiError::bad_request(
                    "bad_body",
                    format!(
                        "`occupancy`: {occupancy} is more than shelter {id} can hold ({most}: its \
                         capacity {} × the overfill factor {})",
                        shelter
                            .capacity()
                            .map_or("unknown".into(), |c| c.to_string()),
                        state.config.overfill_factor
                    ),
                ));
            }
            shelter.occupancy = occupancy;
        }
        let (state2, actor2) = (state.clone(), actor.clone());
        let result = tokio::task::spawn_blocking(move || {
            state2.write_facility(facility, Some(expected), Action::FacilityStatus, &actor2)
        })
        .await
        .map_err(ApiError::internal)?;
        match result {
            Err(error)
                if asked.is_none()
                    && error.status() == StatusCode::PRECONDITION_FAILED
                    && attempts < 5 =>
            {
                continue;
            }
            other => break other?,
        }
    };
    Ok(written(&updated, StatusCode::OK, &state))
}

/// The most people a shelter of unknown capacity can be reported to hold: more than any
/// stadium on Earth.
const MAX_OCCUPANCY: u32 = 250_000;

/// A stock movement as a client sends it: every field by name, unknown ones refused, so that an
/// error names the field at fault (a flattened tagged enum would hide it).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct MovementRequest {
    /// The depot, micro-storage site or shelter.
    facility: u64,
    /// The catalogue item.
    item: ItemId,
    /// What happens.
    #[serde(rename = "type")]
    kind: MovementType,
    /// Receive, issue, transfer: how many.
    quantity: Option<u64>,
    /// Receive: the lot's label (at most 100 characters).
    lot: Option<String>,
    /// Receive: when the lot expires.
    expires: Option<NaiveDate>,
    /// Transfer: the facility that receives it.
    to: Option<u64>,
    /// Count: how many were counted.
    counted: Option<u64>,
    /// Adjust: the change, + or −.
    delta: Option<i64>,
    /// Adjust: why.
    reason: Option<String>,
}

/// The kinds of movement, by name.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
enum MovementType {
    /// Stock arrives (needs `quantity`).
    Receive,
    /// Stock is given out, first expiring first (needs `quantity`).
    Issue,
    /// Stock moves to another facility (needs `to`, `quantity`).
    Transfer,
    /// A stocktake sets what is on hand (needs `counted`).
    Count,
    /// A correction (needs `delta`).
    Adjust,
}

/// What a movement left.
#[derive(Debug, Serialize, ToSchema)]
struct MovementReceipt {
    /// The movement's place in the ledger.
    seq: i64,
    /// The facility.
    facility: u64,
    /// The item.
    item: ItemId,
    /// On hand now, expired lots included.
    on_hand: u64,
    /// Usable now: unexpired.
    usable: u64,
}

impl MovementRequest {
    /// The movement the fields describe; an error names the field missing for its type.
    fn kind(&self) -> Result<MovementKind, ApiError> {
        let needs = |field: &str, value: Option<u64>| {
            value.ok_or_else(|| {
                ApiError::bad_request(
                    "bad_body",
                    format!("`{field}`: a {} needs it", self.kind_name()),
                )
            })
        };
        Ok(match self.kind {
            MovementType::Receive => MovementKind::Receive {
                lot: self.lot.clone().unwrap_or_default(),
                quantity: needs("quantity", self.quantity)?,
                expires: self.expires,
            },
            MovementType::Issue => MovementKind::Issue {
                quantity: needs("quantity", self.quantity)?,
            },
            MovementType::Transfer => MovementKind::Transfer {
                to: FacilityId::new(needs("to", self.to)?)
                    .map_err(|e| ApiError::bad_request("bad_body", format!("`to`: {e}")))?,
                quantity: needs("quantity", self.quantity)?,
            },
            MovementType::Count => MovementKind::Count {
                counted: needs("counted", self.counted)?,
            },
            MovementType::Adjust => MovementKind::Adjust {
                delta: self.delta.ok_or_else(|| {
                    ApiError::bad_request("bad_body", "`delta`: an adjustment needs it")
                })?,
                reason: self.reason.clone().unwrap_or_default(),
            },
        })
    }

    fn kind_name(&self) -> &'static str {
        match self.kind {
            MovementType::Receive => "receipt",
            MovementType::Issue => "issue",
            MovementType::Transfer => "transfer",
            MovementType::Count => "count",
            MovementType::Adjust => "adjustment",
        }
    }
}

/// `id` if it is a facility here that holds stock (a depot, micro-storage site or shelter), else
/// a 400 naming `field`.
pub(crate) fn holding_stock(
    snapshot: &refuge_core::SpatialIndex,
    field: &str,
    id: FacilityId,
) -> Result<FacilityId, ApiError> {
    let holds = snapshot.get(id).is_some_and(|f| {
        matches!(
            f.kind(),
            FacilityKind::Reserve | FacilityKind::MicroStorage | FacilityKind::Shelter
        )
    });
    if !holds {
        return Err(ApiError::bad_request(
            "bad_body",
            format!("`{field}`: {id} is not a depot, micro-storage site or shelter here"),
        ));
    }
    Ok(id)
}

/// Records a stock movement (logistics): receive, issue, transfer, count or adjust. A movement
/// that would take more than the unexpired stock is refused (409) and nothing is written.
#[utoipa::path(post, path = "/api/v1/stock/movements", tag = "writes",
    security(("bearer" = [])),
    request_body = MovementRequest,
    responses(
        (status = 201, description = "Booked", body = MovementReceipt),
        (status = 409, description = "More than the usable stock", body = ErrorBody),
    ))]
async fn record_movement(
    State(state): State<AppState>,
    Authorized(actor, _): Authorized<Logistics>,
    JsonBody(body): JsonBody<MovementRequest>,
) -> Result<Response, ApiError> {
    let kind = body.kind()?;
    let facility = FacilityId::new(body.facility)
        .map_err(|e| ApiError::bad_request("bad_body", format!("`facility`: {e}")))?;
    state
        .catalog
        .get(&body.item)
        .map_err(|e| ApiError::bad_request("bad_body", format!("`item`: {e}")))?;
    let snapshot = state.index.snapshot();
    holding_stock(&snapshot, "facility", facility)?;
    if let MovementKind::Transfer { to, .. } = &kind {
        holding_stock(&snapshot, "to", *to)?;
    }
    let item = body.item.clone();
    let movement = Movement {
        facility,
        item: body.item,
        kind,
        at: Utc::now(),
        by: Some(actor.name.clone()),
    };
    let state2 = state.clone();
    let receipt_item = item.clone();
    // The figures after it are read on the same blocking thread: the ledger's lock can be held
    // by a commit waiting on the store, and an async worker must not wait for it.
    let (seq, on_hand, usable) = tokio::task::spawn_blocking(move || {
        let seq = state2.record_movement(movement, &actor)?;
        let today: NaiveDate = Utc::now().date_naive();
        let ledger = state2.ledger();
        Ok::<_, ApiError>((
            seq,
            ledger.on_hand(facility, &receipt_item),
            ledger.usable(facility, &receipt_item, today),
        ))
    })
    .await
    .map_err(ApiError::internal)??;
    let receipt = MovementReceipt {
        seq,
        facility: facility.get(),
        item,
        on_hand,
        usable,
    };
    Ok((StatusCode::CREATED, Json(receipt)).into_response())
}

/// Uploads hazard sources and zones (planner): a GeoJSON Feature or FeatureCollection.
/// Every feature is checked before any is written: one bad feature refuses the upload, naming
/// it. Each hazard is then stored in its own transaction (a store failure midway keeps the ones
/// before it, and says so).
#[utoipa::path(post, path = "/api/v1/hazards", tag = "writes",
    security(("bearer" = [])),
    request_body(content = Object, description = "A GeoJSON Feature or FeatureCollection of \
        hazards: a Point for a source, or a zone (Polygon, MultiPolygon, LineString) of at most \
        10,000 vertices; `hazard_kind`, `risk`, `influence_radius_m` (at most 100 km) as properties"),
    responses(
        (status = 201, description = "Stored", body = HazardsStored),
        (status = 409, description = "An id names a facility that is not a hazard", body = ErrorBody),
    ))]
async fn upload_hazards(
    State(state): State<AppState>,
    Authorized(actor, _): Authorized<Planner>,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    // Parsing and checking geometry is CPU work: off the async workers.
    let stored = tokio::task::spawn_blocking(move || -> Result<HazardsStored, ApiError> {
        let hazards = parse_hazards(&state, body::json(raw)?)?;
        let mut ids = Vec::new();
        let mut exposed = Vec::new();
        for hazard in hazards {
            // Checked against the snapshot before any write; again against the store, which this
            // server's copy may not have caught up with.
            let existing = state.store()?.facility(hazard.id)?;
            if let Some(other) = existing
                .as_ref()
                .filter(|f| f.kind() != FacilityKind::Hazard)
            {
                return Err(not_a_hazard(other.id, other.kind(), None));
            }
            let existing = existing.map(|f| f.version);
            let action = if existing.is_some() {
                Action::HazardUpdate
            } else {
                Action::HazardCreate
            };
            let stored = state.write_facility(hazard, existing, action, &actor)?;
            ids.push(stored.id.get());
            let snapshot = state.index.snapshot();
            let threatened = snapshot.exposed_to(&stored, &refuge_core::Filter::default());
            exposed.extend(super::exposure::named(&threatened, &snapshot));
        }
        Ok(HazardsStored {
            hazards: ids,
            exposed,
        })
    })
    .await
    .map_err(ApiError::internal)??;
    Ok((StatusCode::CREATED, Json(stored)).into_response())
}

/// The hazards an upload stored.
#[derive(Debug, Serialize, ToSchema)]
struct HazardsStored {
    /// Their ids, in the order of the upload.
    hazards: Vec<u64>,
    /// The facilities each threatens (inside its zone, within its influence radius, or within
    /// 30 m of a fire source), hazard by hazard, each hazard's nearest first.
    exposed: Vec<super::exposure::ExposedFacility>,
}

/// The hazards of an uploaded Feature or FeatureCollection, each checked; the first bad feature
/// refuses the whole upload, naming it.
fn parse_hazards(state: &AppState, document: Value) -> Result<Vec<Facility>, ApiError> {
    let features = match document.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => match document.get("features") {
            Some(Value::Array(features)) if !features.is_empty() => features.clone(),
            Some(Value::Array(_)) => {
                return Err(ApiError::bad_request(
                    "bad_body",
                    "`features`: the collection is empty",
                ));
            }
            _ => {
                return Err(ApiError::bad_request(
                    "bad_body",
                    "`features`: a FeatureCollection needs a `features` array",
                ));
            }
        },
        Some("Feature") => vec![document],
        _ => {
            return Err(ApiError::bad_request(
                "bad_body",
                "expected a GeoJSON Feature or FeatureCollection",
            ));
        }
    };
    let options = ImportOptions::new("hazard-upload", Crs::Wgs84).kind(FacilityKind::Hazard);
    let snapshot = state.index.snapshot();
    let mut hazards = Vec::with_capacity(features.len());
    for (n, feature) in (1..).zip(features) {
        let facility = facility_from_feature(feature, &options, &fresh_record("hazard", n))
            .map_err(|e| ApiError::bad_request("invalid", format!("feature {n}: {e}")))?;
        if facility.kind() != FacilityKind::Hazard {
            return Err(ApiError::bad_request(
                "invalid",
                format!("feature {n}: a {} is not a hazard", facility.kind()),
            ));
        }
        // A hazard upload replaces hazards only: any other facility is an admin's to change.
        if let Some(existing) = snapshot
            .get(facility.id)
            .filter(|f| f.kind() != FacilityKind::Hazard)
        {
            return Err(not_a_hazard(existing.id, existing.kind(), Some(n)));
        }
        hazards.push(facility);
    }
    Ok(hazards)
}

/// What a page of the audit log asks.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct AuditQuery {
    /// Entries per page (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
    /// Only entries before this sequence number (the next page).
    before: Option<i64>,
}

/// A page of the audit log, newest first.
#[derive(Debug, Serialize, ToSchema)]
struct AuditPage {
    /// Who changed what, when, with the record before and after: a new record whole in `after`,
    /// a removed one whole in `before`, and of a change of a record only the fields that
    /// changed, on both sides (a list, such as quotas, whole; lines written by older versions
    /// hold whole records on both sides).
    #[schema(value_type = Vec<Object>)]
    entries: Vec<refuge_store::AuditEntry>,
}

/// Who changed what, newest first (admin).
#[utoipa::path(get, path = "/api/v1/audit", tag = "writes",
    security(("bearer" = [])),
    params(AuditQuery),
    responses((status = 200, description = "Newest first", body = AuditPage)))]
async fn audit_log(
    State(state): State<AppState>,
    Authorized(_, _): Authorized<Admin>,
    Query(query): Query<AuditQuery>,
) -> Result<Json<AuditPage>, ApiError> {
    let limit = within("limit", query.limit.unwrap_or(100), 1..=1000)?;
    let store = state.shared_store()?;
    let entries = tokio::task::spawn_blocking(move || store.audit_log(limit, query.before))
        .await
        .map_err(ApiError::internal)??;
    Ok(Json(AuditPage { entries }))
}

/// A hazard upload's refusal of an id that is another kind of facility (`feature` numbers it in
/// the upload, when known).
fn not_a_hazard(id: FacilityId, kind: FacilityKind, feature: Option<usize>) -> ApiError {
    let at = feature
        .map(|n| format!("feature {n}: "))
        .unwrap_or_default();
    ApiError::client(
        StatusCode::CONFLICT,
        "not_a_hazard",
        format!("{at}id {id} is a {kind}, which a hazard upload cannot replace"),
    )
}
