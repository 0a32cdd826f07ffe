//! The item catalogue: what reserves are counted in.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Error, ItemId, Names, Result};

crate::named_enum! {
    /// The three categories of emergency supplies in municipal reserve practice.
    pub enum ItemCategory ("item category") {
        /// General rescue equipment (通用救援).
        GeneralRescue = "general_rescue" | "通用救援",
        /// Basic living supplies (基本生活).
        BasicLiving = "basic_living" | "基本生活",
        /// Medical and protective supplies (医疗防护).
        MedicalProtective = "medical_protective" | "医疗防护",
    }
}

crate::named_enum! {
    /// The unit an item is counted in; quantities are whole numbers of it.
    pub enum Unit ("unit") {
        /// 个/件.
        Piece = "piece" | "个" | "件",
        /// 箱/盒.
        Box = "box" | "箱" | "盒",
        /// 瓶.
        Bottle = "bottle" | "瓶",
        /// 袋.
        Bag = "bag" | "袋",
        /// 套.
        Set = "set" | "套",
        /// 包.
        Pack = "pack" | "包",
        /// 升.
        Litre = "litre" | "升" | "l",
        /// 千克.
        Kg = "kg" | "千克" | "公斤",
        /// 双.
        Pair = "pair" | "双",
        /// 卷.
        Roll = "roll" | "卷",
    }
}

/// One catalogue item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// Stable id, e.g. `bottled_water`.
    pub id: ItemId,
    /// GB/T 38565-2020 seven-digit code, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Category.
    pub category: ItemCategory,
    /// Names.
    pub name: Names,
    /// Unit of count.
    pub unit: Unit,
    /// Days from receipt to expiry for perishable items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shelf_life_days: Option<u32>,
    /// Consumption per person per day, in `unit`, where it makes sense.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_person_per_day: Option<f64>,
    /// Litres of drinking water one unit gives: a bottle's content, or what a purification
    /// tablet treats.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub water_l: Option<f64>,
    /// Food energy of one unit, kilocalories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kcal: Option<f64>,
}

impl Item {
    /// Checks each field, naming the first that is wrong.
    pub fn validate(&self) -> Result<()> {
        self.name.validate()?;
        if let Some(code) = &self.code {
            if code.len() != 7 || !code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Error::field(
                    "code",
                    format!("`{code}` is not a seven-digit GB/T 38565 code"),
                ));
            }
        }
        for (field, value) in [
            ("per_person_per_day", self.per_person_per_day),
            ("water_l", self.water_l),
            ("kcal", self.kcal),
        ] {
            if let Some(value) = value {
                if !(value.is_finite() && value > 0.0) {
                    return Err(Error::field(
                        field,
                        format!("{value} is not a positive amount"),
                    ));
                }
            }
        }
        if self.shelf_life_days == Some(0) {
            return Err(Error::field(
                "shelf_life_days",
                "a shelf life is at least one day",
            ));
        }
        Ok(())
    }
}

/// The catalogue: items by id.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Catalog {
    items: BTreeMap<ItemId, Item>,
}

impl Catalog {
    /// Adds an item after validating it; an error if the id is taken.
    pub fn insert(&mut self, item: Item) -> Result<()> {
        item.validate()?;
        if self.items.contains_key(&item.id) {
            return Err(Error::field(
                "item_id",
                format!("`{}` appears more than once", item.id),
            ));
        }
        self.items.insert(item.id.clone(), item);
        Ok(())
    }

    /// The item with this id.
    pub fn get(&self, id: &ItemId) -> Result<&Item> {
        self.items
            .get(id)
            .ok_or_else(|| Error::UnknownItem(id.clone()))
    }

    /// Every item, by id.
    pub fn items(&self) -> impl Iterator<Item = &Item> {
        self.items.values()
    }

    /// How many items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether it has no items.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}
