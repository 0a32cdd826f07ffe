//! Writes: facilities (admin), shelter status and occupancy and stock movements (logistics),
//! hazard layers (planner), and the audit log (admin). Each goes to the store first, then the
//! index, then the live-update channel, before the response.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use refuge_core::{
    Crs, FacilityDetails, FacilityId, FacilityKind, ItemId, LiveStatus, Movement, MovementKind,
};
use refuge_io::{ImportOptions, facility_from_feature};
use refuge_store::Role;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::require;
use crate::body;
use crate::error::ApiError;
use crate::params::Params;
use crate::present;
use crate::state::AppState;

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
        .trim_matches('"')
        .trim_start_matches('v')
        .parse::<u64>()
        .map_err(|_| {
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

fn written(facility: &refuge_core::Facility, status: StatusCode, state: &AppState) -> Response {
    let snapshot = state.index.snapshot();
    let body = present::detail(facility, &snapshot, &state.catalog, Crs::Wgs84, true);
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

/// The facility as the current snapshot has it, or 404.
fn current(state: &AppState, id: FacilityId) -> Result<refuge_core::Facility, ApiError> {
    state
        .index
        .snapshot()
        .get(id)
        .cloned()
        .ok_or_else(|| ApiError::not_found(format!("no facility with id {id}")))
}

fn parse_id(id: &str) -> Result<FacilityId, ApiError> {
    id.parse()
        .map_err(|e| ApiError::bad_request("bad_parameter", format!("facility id: {e}")))
}

/// `POST /api/v1/facilities`: a GeoJSON Feature (a Refuge export feature, or any feature with
/// mappable properties and a `kind`).
pub async fn create_facility(
    State(state): State<AppState>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let actor = require(&state, &headers, Role::Admin)?;
    let feature: Value = body::json(raw)?;
    let options = ImportOptions::new("api", Crs::Wgs84);
    let facility = facility_from_feature(feature, &options, &fresh_record("api", 0))
        .map_err(|e| ApiError::bad_request("invalid", e))?;
    let state2 = state.clone();
    let created = tokio::task::spawn_blocking(move || {
        state2.write_facility(facility, None, "facility.create", &actor)
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(written(&created, StatusCode::CREATED, &state))
}

/// `PATCH /api/v1/facilities/{id}`: a JSON merge patch (RFC 7396) of the facility's fields; needs
/// `If-Match`.
pub async fn patch_facility(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let actor = require(&state, &headers, Role::Admin)?;
    let id = parse_id(&id)?;
    let expected = required_if_match(&headers)?;
    let patch: Value = body::json(raw)?;
    if !patch.is_object() {
        return Err(ApiError::bad_request(
            "bad_body",
            "a patch is a JSON object of the fields to change",
        ));
    }
    for fixed in ["id", "version", "kind"] {
        if patch.get(fixed).is_some() {
            return Err(ApiError::bad_request(
                "bad_body",
                format!("`{fixed}` cannot be changed by a patch"),
            ));
        }
    }
    let current = current(&state, id)?;
    let mut document = serde_json::to_value(&current).map_err(ApiError::internal)?;
    merge_patch(&mut document, &patch);
    let facility: refuge_core::Facility = serde_json::from_value(document).map_err(|e| {
        ApiError::bad_request("invalid", format!("the patched facility is not valid: {e}"))
    })?;
    let state2 = state.clone();
    let updated = tokio::task::spawn_blocking(move || {
        state2.write_facility(facility, Some(expected), "facility.update", &actor)
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

/// `DELETE /api/v1/facilities/{id}`: needs `If-Match`.
pub async fn delete_facility(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let actor = require(&state, &headers, Role::Admin)?;
    let id = parse_id(&id)?;
    let expected = required_if_match(&headers)?;
    let state2 = state.clone();
    tokio::task::spawn_blocking(move || state2.delete_facility(id, expected, &actor))
        .await
        .map_err(ApiError::internal)??;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusReportBody {
    status: LiveStatus,
    occupancy: Option<u32>,
    reported_by: Option<String>,
}

/// `POST /api/v1/facilities/{id}/status`: a live status report, and for a shelter its occupancy.
/// `If-Match` is optional here: the newest report wins, as on a radio net.
pub async fn report_status(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let actor = require(&state, &headers, Role::Logistics)?;
    let id = parse_id(&id)?;
    let report: StatusReportBody = body::json(raw)?;
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
        let mut facility = current(&state, id)?;
        let expected = asked.unwrap_or(facility.version);
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
            state2.write_facility(facility, Some(expected), "facility.status", &actor2)
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
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MovementBody {
    facility: u64,
    item: ItemId,
    #[serde(rename = "type")]
    kind: MovementType,
    quantity: Option<u64>,
    lot: Option<String>,
    expires: Option<NaiveDate>,
    to: Option<u64>,
    counted: Option<u64>,
    delta: Option<i64>,
    reason: Option<String>,
}

/// The kinds of movement, by name.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum MovementType {
    Receive,
    Issue,
    Transfer,
    Count,
    Adjust,
}

impl MovementBody {
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

/// `POST /api/v1/stock/movements`: receive, issue, transfer, count or adjust. A movement that
/// would take more than the unexpired stock is refused (409) and nothing is written.
pub async fn record_movement(
    State(state): State<AppState>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let actor = require(&state, &headers, Role::Logistics)?;
    let body: MovementBody = body::json(raw)?;
    let kind = body.kind()?;
    let facility = FacilityId::new(body.facility)
        .map_err(|e| ApiError::bad_request("bad_body", format!("`facility`: {e}")))?;
    state
        .catalog
        .get(&body.item)
        .map_err(|e| ApiError::bad_request("bad_body", format!("`item`: {e}")))?;
    let snapshot = state.index.snapshot();
    let holds_stock = |id: FacilityId| {
        snapshot.get(id).is_some_and(|f| {
            matches!(
                f.kind(),
                FacilityKind::Reserve | FacilityKind::MicroStorage | FacilityKind::Shelter
            )
        })
    };
    if !holds_stock(facility) {
        return Err(ApiError::bad_request(
            "bad_body",
            format!("`facility`: {facility} is not a depot, micro-storage site or shelter here"),
        ));
    }
    if let MovementKind::Transfer { to, .. } = &kind {
        if !holds_stock(*to) {
            return Err(ApiError::bad_request(
                "bad_body",
                format!("`to`: {to} is not a depot, micro-storage site or shelter here"),
            ));
        }
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
    let seq = tokio::task::spawn_blocking(move || state2.record_movement(movement, &actor))
        .await
        .map_err(ApiError::internal)??;
    let today: NaiveDate = Utc::now().date_naive();
    let (on_hand, usable) = {
        let ledger = state.ledger();
        (
            ledger.on_hand(facility, &item),
            ledger.usable(facility, &item, today),
        )
    };
    let body = json!({ "seq": seq, "facility": facility.get(), "item": item, "on_hand": on_hand, "usable": usable });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// `POST /api/v1/hazards`: a GeoJSON Feature or FeatureCollection of hazard sources and zones.
/// Every feature is checked before any is written: one bad feature refuses the upload, naming
/// it. Each hazard is then stored in its own transaction (a store failure midway keeps the ones
/// before it, and says so).
pub async fn upload_hazards(
    State(state): State<AppState>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let actor = require(&state, &headers, Role::Planner)?;
    // Parsing and checking geometry is CPU work: off the async workers.
    let ids = tokio::task::spawn_blocking(move || -> Result<Vec<u64>, ApiError> {
        let hazards = parse_hazards(&state, body::json(raw)?)?;
        let mut ids = Vec::new();
        for hazard in hazards {
            let existing = state.index.snapshot().get(hazard.id).map(|f| f.version);
            let action = if existing.is_some() {
                "hazard.update"
            } else {
                "hazard.create"
            };
            let stored = state.write_facility(hazard, existing, action, &actor)?;
            ids.push(stored.id.get());
        }
        Ok(ids)
    })
    .await
    .map_err(ApiError::internal)??;
    Ok((StatusCode::CREATED, Json(json!({ "hazards": ids }))).into_response())
}

/// The hazards of an uploaded Feature or FeatureCollection, each checked; the first bad feature
/// refuses the whole upload, naming it.
fn parse_hazards(
    state: &AppState,
    document: Value,
) -> Result<Vec<refuge_core::Facility>, ApiError> {
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
            return Err(ApiError::client(
                StatusCode::CONFLICT,
                "not_a_hazard",
                format!(
                    "feature {n}: id {} is a {}, which a hazard upload cannot replace",
                    existing.id,
                    existing.kind()
                ),
            ));
        }
        hazards.push(facility);
    }
    Ok(hazards)
}

/// `GET /api/v1/audit?limit=&before=`: who changed what, newest first (admin).
pub async fn audit_log(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    require(&state, &headers, Role::Admin)?;
    let params = Params::new(query, &["limit", "before"])?;
    let limit = params.whole_in("limit", 1..=1000, 100)?;
    let before: Option<i64> = params.optional("before", "an audit sequence number")?;
    let entries = state.store()?.audit_log(limit, before)?;
    Ok(Json(json!({ "entries": entries })).into_response())
}
