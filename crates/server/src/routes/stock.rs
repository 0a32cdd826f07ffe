//! Stock reports for logistics staff, as JSON or CSV (`format=csv`):
//! `GET /api/v1/stock/supply` (needs and days of supply per shelter and district),
//! `GET /api/v1/stock/shortages` (below quota) and `GET /api/v1/stock/expiring` (lots expiring
//! soon). Figures are for today, by the server's clock.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use refuge_core::{FacilityId, ItemId, NeedsProfile, ReserveTier, Supply};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Authorized, Logistics};
use crate::error::{ApiError, ErrorBody};
use crate::params::{Query, within};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(supply))
        .routes(routes!(shortages))
        .routes(routes!(expiring))
}

/// How a report is sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum Format {
    /// JSON (the default).
    #[default]
    Json,
    /// CSV with a header row, UTF-8.
    Csv,
}

/// Rows as JSON, or as CSV with a header row.
fn answer<T: Serialize>(
    format: Format,
    json: impl Serialize,
    rows: &[T],
) -> Result<Response, ApiError> {
    match format {
        Format::Json => Ok(Json(json).into_response()),
        Format::Csv => {
            let mut writer = csv::Writer::from_writer(Vec::new());
            for row in rows {
                writer.serialize(row).map_err(ApiError::internal)?;
            }
            let bytes = writer.into_inner().map_err(ApiError::internal)?;
            Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], bytes).into_response())
        }
    }
}

/// What a days-of-supply report asks.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct SupplyQuery {
    /// Only the shelters of this district.
    district: Option<String>,
    /// Only this shelter's rows (and its district's).
    #[param(minimum = 1, maximum = 9007199254740991_u64)]
    facility: Option<u64>,
    /// The needs profile: `sphere` (the default: drinking water in litres and food energy in
    /// kilocalories, any item that carries them) or `catalogue` (item by item).
    profile: Option<String>,
    /// The days of supply to hold (default 3).
    #[param(minimum = 1, maximum = 365)]
    target_days: Option<u32>,
    /// `json` (default) or `csv`.
    #[param(value_type = Option<String>)]
    format: Option<Format>,
}

/// A days-of-supply report.
#[derive(Debug, Serialize, ToSchema)]
struct SupplyReport {
    /// The day of the figures.
    day: NaiveDate,
    /// The norms used, and their source.
    profile: NeedsProfile,
    /// The days of supply to hold.
    target_days: u32,
    /// The items that meet the profile's needs, with their names and units.
    items: Vec<ItemName>,
    /// Per occupied shelter and need.
    shelters: Vec<Supply>,
    /// Per district and item.
    districts: Vec<Supply>,
}

/// Needs and days of supply (logistics): for each occupied shelter and each need of the profile
/// (Sphere: drinking water and food energy, met by any item that carries them; or the
/// catalogue's rates item by item), the daily need of the people there, what the usable stock on
/// hand meets, how many days it lasts, how much is short of `target_days`, and that shortfall as
/// an order of the item the depots hold most of; and the same per district. CSV gives the
/// shelters' rows.
#[utoipa::path(get, path = "/api/v1/stock/supply", tag = "logistics",
    security(("bearer" = [])), params(SupplyQuery),
    responses(
        (status = 200, description = "The report", body = SupplyReport),
        (status = 400, description = "A parameter is wrong", body = ErrorBody),
    ))]
async fn supply(
    State(state): State<AppState>,
    Authorized(_, _): Authorized<Logistics>,
    Query(query): Query<SupplyQuery>,
) -> Result<Response, ApiError> {
    let target_days = within("target_days", query.target_days.unwrap_or(3), 1..=365)?;
    let asked = query.profile.as_deref().unwrap_or("sphere");
    let profile = NeedsProfile::named(asked, &state.catalog).ok_or_else(|| {
        let asked: String = asked.chars().take(100).collect();
        ApiError::bad_request(
            "bad_parameter",
            format!(
                "`profile`: no profile `{asked}`: expected one of {}",
                refuge_core::PROFILES.join(", ")
            ),
        )
    })?;
    let day = Utc::now().date_naive();
    let mut district = query.district.clone();
    let facility = match query.facility {
        Some(id) => {
            let id = FacilityId::new(id)
                .map_err(|e| ApiError::bad_request("bad_parameter", format!("`facility`: {e}")))?;
            let snapshot = state.index.snapshot();
            let shelter = snapshot
                .get(id)
                .filter(|f| f.shelter().is_some())
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "bad_parameter",
                        format!("`facility`: {id} is not a shelter here"),
                    )
                })?;
            district = district.or_else(|| shelter.admin().district.clone());
            Some(id)
        }
        None => None,
    };
    // The ledger's lock can be held by a commit waiting on the store: never on an async worker.
    let (mut shelters, districts) = {
        let (state, profile) = (state.clone(), profile.clone());
        tokio::task::spawn_blocking(move || {
            refuge_core::days_of_supply(
                &state.index.snapshot(),
                &state.ledger(),
                &profile,
                f64::from(target_days),
                district.as_deref(),
                day,
            )
        })
        .await
        .map_err(ApiError::internal)?
    };
    if let Some(id) = facility {
        shelters.retain(|row| row.facility == Some(id));
    }
    let mut items: Vec<ItemName> = Vec::new();
    for provider in profile.needs.iter().flat_map(|need| &need.items) {
        if items.iter().any(|known| known.item == provider.item) {
            continue;
        }
        if let Ok(item) = state.catalog.get(&provider.item) {
            items.push(ItemName {
                item: item.id.clone(),
                name_zh: item.name.zh.clone(),
                name_en: item.name.en.clone(),
                unit: item.unit.to_string(),
            });
        }
    }
    let report = SupplyReport {
        day,
        items,
        profile,
        target_days,
        shelters: shelters.clone(),
        districts,
    };
    let rows: Vec<SupplyRow> = shelters.iter().map(SupplyRow::of).collect();
    answer(query.format.unwrap_or_default(), report, &rows)
}

/// A catalogue item's names and unit.
#[derive(Debug, Serialize, ToSchema)]
struct ItemName {
    item: ItemId,
    #[serde(skip_serializing_if = "Option::is_none")]
    name_zh: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name_en: Option<String>,
    unit: String,
}

/// A days-of-supply line as a CSV row: the order's item and quantity in columns of their own.
#[derive(Debug, Serialize)]
struct SupplyRow<'a> {
    facility: Option<FacilityId>,
    district: Option<&'a str>,
    need: &'a str,
    unit: &'a str,
    people: u64,
    daily_need: f64,
    on_hand: f64,
    days: f64,
    shortfall: f64,
    order_item: Option<&'a ItemId>,
    order_quantity: Option<u64>,
}

impl<'a> SupplyRow<'a> {
    fn of(line: &'a Supply) -> Self {
        Self {
            facility: line.facility,
            district: line.district.as_deref(),
            need: &line.need,
            unit: &line.unit,
            people: line.people,
            daily_need: line.daily_need,
            on_hand: line.on_hand,
            days: line.days,
            shortfall: line.shortfall,
            order_item: line.order.as_ref().map(|o| &o.item),
            order_quantity: line.order.as_ref().map(|o| o.quantity),
        }
    }
}

/// What a shortage report asks.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ShortageQuery {
    /// Only depots of this tier.
    tier: Option<ReserveTier>,
    /// Only facilities of this district.
    district: Option<String>,
    /// `json` (default) or `csv`.
    #[param(value_type = Option<String>)]
    format: Option<Format>,
}

/// A facility holding less usable stock than its quota's minimum.
#[derive(Debug, Clone, Serialize, ToSchema)]
struct ShortageLine {
    facility: FacilityId,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    district: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tier: Option<ReserveTier>,
    item: ItemId,
    /// Usable units on hand.
    usable: u64,
    /// The quota's minimum.
    minimum: u64,
    /// Units that bring it back to the quota's target.
    to_target: u64,
}

/// Shortages against quota (logistics), largest gap first.
#[utoipa::path(get, path = "/api/v1/stock/shortages", tag = "logistics",
    security(("bearer" = [])), params(ShortageQuery),
    responses(
        (status = 200, description = "Below-quota stock", body = Vec<ShortageLine>),
        (status = 400, description = "A parameter is wrong", body = ErrorBody),
    ))]
async fn shortages(
    State(state): State<AppState>,
    Authorized(_, _): Authorized<Logistics>,
    Query(query): Query<ShortageQuery>,
) -> Result<Response, ApiError> {
    let store = state.shared_store()?;
    let quotas = tokio::task::spawn_blocking(move || store.quotas())
        .await
        .map_err(ApiError::internal)??;
    let snapshot = state.index.snapshot();
    let day = Utc::now().date_naive();
    let facilities = snapshot.facilities().filter(|f| {
        query
            .tier
            .is_none_or(|tier| f.reserve().is_some_and(|d| d.tier == tier))
            && query
                .district
                .as_deref()
                .is_none_or(|d| f.admin().district.as_deref() == Some(d))
    });
    let mut lines: Vec<ShortageLine> = state
        .ledger()
        .shortages(facilities, &quotas, day)
        .into_iter()
        .filter_map(|s| {
            let facility = snapshot.get(s.facility)?;
            Some(ShortageLine {
                facility: s.facility,
                name: facility.name().preferred(false).to_owned(),
                district: facility.admin().district.clone(),
                tier: facility.reserve().map(|d| d.tier),
                item: s.item,
                usable: s.usable,
                minimum: s.minimum,
                to_target: s.to_target,
            })
        })
        .collect();
    lines.sort_by(|a, b| {
        b.to_target
            .cmp(&a.to_target)
            .then(a.facility.cmp(&b.facility))
    });
    answer(query.format.unwrap_or_default(), &lines, &lines)
}

/// What a report of expiring lots asks.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ExpiringQuery {
    /// Lots expiring from today to this many days ahead (default 30).
    #[param(minimum = 0, maximum = 3650)]
    within_days: Option<u32>,
    /// `json` (default) or `csv`.
    #[param(value_type = Option<String>)]
    format: Option<Format>,
}

/// A lot that expires soon.
#[derive(Debug, Clone, Serialize, ToSchema)]
struct ExpiringLine {
    facility: FacilityId,
    name: String,
    item: ItemId,
    lot: String,
    quantity: u64,
    expires: Option<NaiveDate>,
}

/// Lots expiring soon (logistics), soonest first: use or move them before they go.
#[utoipa::path(get, path = "/api/v1/stock/expiring", tag = "logistics",
    security(("bearer" = [])), params(ExpiringQuery),
    responses(
        (status = 200, description = "Soonest first", body = Vec<ExpiringLine>),
        (status = 400, description = "A parameter is wrong", body = ErrorBody),
    ))]
async fn expiring(
    State(state): State<AppState>,
    Authorized(_, _): Authorized<Logistics>,
    Query(query): Query<ExpiringQuery>,
) -> Result<Response, ApiError> {
    let within_days = within("within_days", query.within_days.unwrap_or(30), 0..=3650)?;
    let snapshot = state.index.snapshot();
    let soon = {
        let state = state.clone();
        tokio::task::spawn_blocking(move || {
            state
                .ledger()
                .expiring(Utc::now().date_naive(), within_days)
        })
        .await
        .map_err(ApiError::internal)?
    };
    let lines: Vec<ExpiringLine> = soon
        .into_iter()
        .map(|(facility, item, lot)| ExpiringLine {
            facility,
            name: snapshot
                .get(facility)
                .map(|f| f.name().preferred(false).to_owned())
                .unwrap_or_default(),
            item,
            lot: lot.lot,
            quantity: lot.quantity,
            expires: lot.expires,
        })
        .collect();
    answer(query.format.unwrap_or_default(), &lines, &lines)
}
