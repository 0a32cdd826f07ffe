//! Needs and days of supply: how long the stock at each shelter lasts the people in it, by a
//! per-person-per-day norm, and how much is short of a target number of days; per shelter and
//! per district.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::{Catalog, FacilityId, ItemId, SpatialIndex, StockLedger};

/// Per-person-per-day norms, each profile naming where its figures come from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NeedsProfile {
    /// Its name, e.g. `catalogue`.
    pub name: String,
    /// Where the figures come from.
    pub source: String,
    /// Units of each item one person uses in a day.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub per_person_per_day: BTreeMap<ItemId, f64>,
}

impl NeedsProfile {
    /// The catalogue's own norms (`per_person_per_day`, in each item's unit of count).
    pub fn catalogue(catalog: &Catalog) -> Self {
        Self {
            name: "catalogue".into(),
            source: "the item catalogue's per_person_per_day column (data/catalog.csv: drinking \
                water 5 bottles of 550 ml, about the 2.5–3 L of the Sphere Handbook 2018's \
                water standard; its 15 L counts cooking and washing too)"
                .into(),
            per_person_per_day: catalog
                .items()
                .filter_map(|item| Some((item.id.clone(), item.per_person_per_day?)))
                .filter(|(_, rate)| *rate > 0.0)
                .collect(),
        }
    }
}

/// How long one item lasts the people at one place (a shelter or a whole district).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Supply {
    /// The shelter; absent for a district's total.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facility: Option<FacilityId>,
    /// The district, as the shelters give it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
    /// The item.
    pub item: ItemId,
    /// People sheltering now.
    pub people: u64,
    /// Units the people use in a day.
    pub daily_need: f64,
    /// Usable units on hand.
    pub on_hand: u64,
    /// Days the stock on hand lasts.
    pub days: f64,
    /// Units short of the target number of days (0 when it is met).
    pub shortfall: u64,
}

/// Days of supply of every item of `profile` at every occupied shelter (optionally of one
/// district), and each district's totals, against `target_days`.
pub fn days_of_supply(
    index: &SpatialIndex,
    ledger: &StockLedger,
    profile: &NeedsProfile,
    target_days: f64,
    district: Option<&str>,
    day: NaiveDate,
) -> (Vec<Supply>, Vec<Supply>) {
    let mut shelters = Vec::new();
    let mut districts: BTreeMap<(Option<String>, ItemId), (u64, f64, u64)> = BTreeMap::new();
    for facility in index.facilities() {
        let Some(shelter) = facility.shelter() else {
            continue;
        };
        let here = facility.admin.district.as_deref();
        if shelter.occupancy == 0 || district.is_some_and(|d| here != Some(d)) {
            continue;
        }
        let people = u64::from(shelter.occupancy);
        for (item, rate) in &profile.per_person_per_day {
            let on_hand = ledger.usable(facility.id, item, day);
            let daily_need = people as f64 * rate;
            let totals = districts
                .entry((here.map(str::to_owned), item.clone()))
                .or_default();
            totals.0 += people;
            totals.1 += daily_need;
            totals.2 += on_hand;
            shelters.push(supply(
                Some(facility.id),
                here.map(str::to_owned),
                item.clone(),
                (people, daily_need, on_hand),
                target_days,
            ));
        }
    }
    let districts = districts
        .into_iter()
        .map(|((district, item), totals)| supply(None, district, item, totals, target_days))
        .collect();
    (shelters, districts)
}

fn supply(
    facility: Option<FacilityId>,
    district: Option<String>,
    item: ItemId,
    (people, daily_need, on_hand): (u64, f64, u64),
    target_days: f64,
) -> Supply {
    let wanted = (daily_need * target_days).ceil();
    Supply {
        facility,
        district,
        item,
        people,
        daily_need,
        on_hand,
        days: on_hand as f64 / daily_need,
        shortfall: (wanted - on_hand as f64).max(0.0) as u64,
    }
}
