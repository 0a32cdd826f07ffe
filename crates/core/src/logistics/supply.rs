//! Needs and days of supply: how long the stock at each shelter lasts the people in it, and how
//! much is short of a target number of days; per shelter and per district.
//!
//! A needs profile says what a person needs a day and which items meet it. The Sphere profile
//! counts resources: drinking water in litres and food energy in kilocalories, each met by any
//! item that carries it (a bottle of water or a purification tablet; rice, noodles, biscuits or
//! a ready meal), so the food items stand in for each other. The catalogue profile counts item by
//! item, at the catalogue's per-person-per-day rates; its food rates each assume that one item is
//! the only staple, so its food rows must not be added together.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::{Catalog, FacilityId, ItemId, Need, SpatialIndex, StockLedger};

/// What people need a day, and where the figures come from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NeedsProfile {
    /// Its name: `sphere` or `catalogue`.
    pub name: String,
    /// Where the figures come from.
    pub source: String,
    /// Each need.
    pub needs: Vec<DailyNeed>,
}

/// One thing a person needs a day, and the items that meet it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DailyNeed {
    /// What: a resource (`drinking_water`, `food_energy`) or, in the catalogue profile, an item.
    pub need: String,
    /// What it is counted in: `L`, `kcal`, or the item's unit.
    pub unit: String,
    /// How much one person needs a day.
    pub per_person_per_day: f64,
    /// The items that meet it, each with how much of the need one unit of it meets.
    pub items: Vec<Provider>,
}

/// An item that meets a need.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Provider {
    /// The item.
    pub item: ItemId,
    /// How much of the need one unit meets.
    pub per_unit: f64,
}

/// The profiles there are, by name.
pub const PROFILES: [&str; 2] = ["sphere", "catalogue"];

impl NeedsProfile {
    /// The profile called `name` (see [`PROFILES`]), with the items of `catalog` that meet its
    /// needs; `None` for an unknown name.
    pub fn named(name: &str, catalog: &Catalog) -> Option<Self> {
        match name {
            "sphere" => Some(Self::sphere(catalog)),
            "catalogue" => Some(Self::catalogue(catalog)),
            _ => None,
        }
    }

    /// The Sphere Handbook's minimum standards: 3 L of drinking water and 2,100 kcal a person a
    /// day, met by the catalogue items that carry `water_l` and `kcal`.
    pub fn sphere(catalog: &Catalog) -> Self {
        let providers = |content: fn(&crate::Item) -> Option<f64>| {
            catalog
                .items()
                .filter_map(|item| {
                    let per_unit = content(item)?;
                    Some(Provider {
                        item: item.id.clone(),
                        per_unit,
                    })
                })
                .collect()
        };
        Self {
            name: "sphere".into(),
            source: "The Sphere Handbook 2018: water supply standard 2.1 (2.5–3 L a person a day \
                for drinking and food, of the 15 L for all basic needs, which tankers and mains \
                supply, not stock) and food security standard 6.1 (2,100 kcal a person a day); \
                what each item gives from the catalogue's water_l and kcal columns"
                .into(),
            needs: vec![
                DailyNeed {
                    need: "drinking_water".into(),
                    unit: "L".into(),
                    per_person_per_day: 3.0,
                    items: providers(|item| item.water_l),
                },
                DailyNeed {
                    need: "food_energy".into(),
                    unit: "kcal".into(),
                    per_person_per_day: 2100.0,
                    items: providers(|item| item.kcal),
                },
            ],
        }
    }

    /// The catalogue's own rates (`per_person_per_day`, in each item's unit of count), item by
    /// item.
    pub fn catalogue(catalog: &Catalog) -> Self {
        Self {
            name: "catalogue".into(),
            source: "the item catalogue's per_person_per_day column (data/catalog.csv: drinking \
                water 5 bottles of 550 ml, about the 2.5–3 L of the Sphere Handbook 2018's \
                water standard); each food rate assumes that item is the only staple, so food \
                rows are not to be added together"
                .into(),
            needs: catalog
                .items()
                .filter_map(|item| {
                    let rate = item.per_person_per_day.filter(|rate| *rate > 0.0)?;
                    Some(DailyNeed {
                        need: item.id.to_string(),
                        unit: item.unit.to_string(),
                        per_person_per_day: rate,
                        items: vec![Provider {
                            item: item.id.clone(),
                            per_unit: 1.0,
                        }],
                    })
                })
                .collect(),
        }
    }
}

/// How long one need's stock lasts the people at one place (a shelter or a whole district).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Supply {
    /// The shelter; absent for a district's total.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facility: Option<FacilityId>,
    /// The district, as the shelters give it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
    /// The need (see [`DailyNeed::need`]).
    pub need: String,
    /// What it is counted in.
    pub unit: String,
    /// People sheltering now.
    pub people: u64,
    /// What the people need a day.
    pub daily_need: f64,
    /// What the usable stock on hand meets.
    pub on_hand: f64,
    /// Days the stock on hand lasts.
    pub days: f64,
    /// What is short of the target number of days (0 when it is met).
    pub shortfall: f64,
    /// The shortfall as an order, rounded up to whole units: of the first item meeting the need
    /// (in the catalogue's order) that enough is held of, else of the one held most of; absent
    /// when nothing is short.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<Need>,
}

/// Days of supply of every need of `profile` at every occupied shelter (optionally of one
/// district), and each district's totals, against `target_days`.
pub fn days_of_supply(
    index: &SpatialIndex,
    ledger: &StockLedger,
    profile: &NeedsProfile,
    target_days: f64,
    district: Option<&str>,
    day: NaiveDate,
) -> (Vec<Supply>, Vec<Supply>) {
    // What the ledger holds of each item of each need, in what it meets.
    let held: Vec<Vec<f64>> = profile
        .needs
        .iter()
        .map(|need| {
            need.items
                .iter()
                .map(|p| {
                    let units: u64 = ledger.holders(&p.item, day).iter().map(|(_, n)| n).sum();
                    units as f64 * p.per_unit
                })
                .collect()
        })
        .collect();
    let mut shelters = Vec::new();
    let mut districts: BTreeMap<(Option<String>, usize), (u64, f64, f64)> = BTreeMap::new();
    // Shelters with people in them, in the order of their ids: the index keeps no order.
    let mut occupied: Vec<_> = index
        .facilities()
        .filter_map(|facility| {
            let shelter = facility.shelter()?;
            let here = facility.admin().district.as_deref();
            (shelter.occupancy > 0 && district.is_none_or(|d| here == Some(d)))
                .then_some((facility, shelter, here))
        })
        .collect();
    occupied.sort_unstable_by_key(|(facility, _, _)| facility.id);
    for (facility, shelter, here) in occupied {
        let people = u64::from(shelter.occupancy);
        for (n, need) in profile.needs.iter().enumerate() {
            let on_hand: f64 = need
                .items
                .iter()
                .map(|p| ledger.usable(facility.id, &p.item, day) as f64 * p.per_unit)
                .sum();
            let daily_need = people as f64 * need.per_person_per_day;
            let totals = districts.entry((here.map(str::to_owned), n)).or_default();
            totals.0 += people;
            totals.1 += daily_need;
            totals.2 += on_hand;
            shelters.push(supply(
                (Some(facility.id), here.map(str::to_owned)),
                (need, &held[n]),
                (people, daily_need, on_hand),
                target_days,
            ));
        }
    }
    let districts = districts
        .into_iter()
        .map(|((district, n), totals)| {
            let need = &profile.needs[n];
            supply((None, district), (need, &held[n]), totals, target_days)
        })
        .collect();
    (shelters, districts)
}

/// The item to order `shortfall` of `need` in: the first (in the catalogue's order) of which
/// enough is held, else the one held most of. `held` is what is held of each item.
fn to_order<'a>(need: &'a DailyNeed, held: &[f64], shortfall: f64) -> Option<&'a Provider> {
    let enough = need
        .items
        .iter()
        .zip(held)
        .find(|(_, held)| **held >= shortfall);
    let most = || {
        need.items
            .iter()
            .zip(held)
            .max_by(|a, b| a.1.total_cmp(b.1))
    };
    enough.or_else(most).map(|(p, _)| p)
}

fn supply(
    (facility, district): (Option<FacilityId>, Option<String>),
    (need, held): (&DailyNeed, &[f64]),
    (people, daily_need, on_hand): (u64, f64, f64),
    target_days: f64,
) -> Supply {
    let shortfall = (daily_need * target_days - on_hand).max(0.0);
    let order = to_order(need, held, shortfall)
        .filter(|_| shortfall > 0.0)
        .map(|p| Need {
            item: p.item.clone(),
            quantity: (shortfall / p.per_unit).ceil() as u64,
        });
    Supply {
        facility,
        district,
        need: need.need.clone(),
        unit: need.unit.clone(),
        people,
        daily_need,
        on_hand,
        days: on_hand / daily_need,
        shortfall,
        order,
    }
}
