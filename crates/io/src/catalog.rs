//! The item catalogue file (`data/catalog.csv`).

use std::io::Read;

use refuge_core::{Catalog, Item, ItemId, Names};
use serde::Deserialize;

use crate::{Error, Result};

#[derive(Deserialize)]
struct Row {
    item_id: String,
    code: Option<String>,
    category: String,
    name_zh: Option<String>,
    name_en: Option<String>,
    unit: String,
    shelf_life_days: Option<u32>,
    per_person_per_day: Option<f64>,
    #[serde(default)]
    water_l: Option<f64>,
    #[serde(default)]
    kcal: Option<f64>,
}

/// Reads a catalogue CSV with the columns
/// `item_id,code,category,name_zh,name_en,unit,shelf_life_days,per_person_per_day`, and
/// optionally `water_l` and `kcal` (what one unit gives of drinking water and food energy).
/// Any bad row fails the whole catalogue, naming the line: a catalogue is reference data.
pub fn read_catalog(input: impl Read, dataset: &str) -> Result<Catalog> {
    let mut catalog = Catalog::default();
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(input);
    for (line, row) in (2u64..).zip(reader.deserialize::<Row>()) {
        let fail = |message: String| Error::Csv {
            dataset: dataset.to_owned(),
            message: format!("line {line}: {message}"),
        };
        let row = row.map_err(|e| fail(e.to_string()))?;
        let item = Item {
            id: ItemId::new(row.item_id).map_err(|e| fail(e.to_string()))?,
            code: row.code.filter(|c| !c.is_empty()),
            category: row
                .category
                .parse()
                .map_err(|e: refuge_core::Error| fail(e.to_string()))?,
            name: Names::new(row.name_zh, row.name_en).map_err(|e| fail(e.to_string()))?,
            unit: row
                .unit
                .parse()
                .map_err(|e: refuge_core::Error| fail(e.to_string()))?,
            shelf_life_days: row.shelf_life_days,
            per_person_per_day: row.per_person_per_day,
            water_l: row.water_l,
            kcal: row.kcal,
        };
        catalog.insert(item).map_err(|e| fail(e.to_string()))?;
    }
    Ok(catalog)
}
