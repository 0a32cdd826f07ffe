//! Stock lists in bulk: a CSV of what each facility holds, booked as receipts.

use std::io::Read;

use chrono::NaiveDate;
use refuge_core::{FacilityId, ItemId};

use crate::report::{ImportReport, Location};
use crate::{Error, Result};

/// How a stock row names its facility: by Refuge id, or by the id its source gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FacilityRef {
    /// A Refuge facility id.
    Id(FacilityId),
    /// A record id in the facility's source dataset (e.g. `bj12`).
    Source(String),
}

impl std::fmt::Display for FacilityRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FacilityRef::Id(id) => write!(f, "facility {id}"),
            FacilityRef::Source(record) => write!(f, "source id `{record}`"),
        }
    }
}

/// One row of a stock list: a lot received at a facility.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockRow {
    /// Where in the file.
    pub at: Location,
    /// Which facility.
    pub facility: FacilityRef,
    /// Which item of the catalogue.
    pub item: ItemId,
    /// How much.
    pub quantity: u64,
    /// The lot's label; the line number if the row gives none.
    pub lot: String,
    /// When the lot expires, if it does.
    pub expires: Option<NaiveDate>,
}

/// Reads a stock list: a CSV with the columns `facility` (a Refuge id or a source id), `item`,
/// `quantity`, and optionally `lot` and `expires` (YYYY-MM-DD). A bad row goes into the report
/// with its line; a file without the required columns is an error.
pub fn read_stock_csv(input: impl Read, dataset: &str) -> Result<(Vec<StockRow>, ImportReport)> {
    let (mut reader, header) = crate::csv::open(input, dataset, crate::TextEncoding::Utf8)?;
    let header: Vec<String> = header.iter().map(|h| h.to_lowercase()).collect();
    let column = |name: &str, required: bool| -> Result<Option<usize>> {
        match header.iter().position(|h| h == name) {
            Some(at) => Ok(Some(at)),
            None if !required => Ok(None),
            None => Err(Error::MissingColumn {
                dataset: dataset.to_owned(),
                column: name.to_owned(),
                why: "stock lists need facility, item and quantity",
                header: header.join(", "),
            }),
        }
    };
    let facility_at = column("facility", true)?.unwrap_or_default();
    let item_at = column("item", true)?.unwrap_or_default();
    let quantity_at = column("quantity", true)?.unwrap_or_default();
    let (lot_at, expires_at) = (column("lot", false)?, column("expires", false)?);

    let mut report = ImportReport::new(dataset);
    let mut rows = Vec::new();
    for (line, record) in (2u64..).zip(reader.records()) {
        report.read_one();
        let at = Location::Line(line);
        if let Err(e) = &record {
            if e.is_io_error() {
                return Err(Error::Csv {
                    dataset: dataset.to_owned(),
                    message: format!("reading stopped at line {line}: {e}"),
                });
            }
        }
        let parsed = record
            .map_err(|e| format!("unreadable row: {e}"))
            .and_then(|record| {
                let field = |i: usize| record.get(i).unwrap_or("");
                stock_row(
                    at,
                    field(facility_at),
                    field(item_at),
                    field(quantity_at),
                    lot_at.map(field),
                    expires_at.map(field),
                )
            });
        match parsed {
            Ok(row) => rows.push(row),
            Err(reason) => report.reject(at, reason),
        }
    }
    Ok((rows, report))
}

fn stock_row(
    at: Location,
    facility: &str,
    item: &str,
    quantity: &str,
    lot: Option<&str>,
    expires: Option<&str>,
) -> Result<StockRow, String> {
    if facility.is_empty() {
        return Err("`facility` is empty".into());
    }
    let facility = match facility.parse::<u64>() {
        Ok(number) => FacilityRef::Id(FacilityId::new(number).map_err(|e| e.to_string())?),
        Err(_) => FacilityRef::Source(facility.to_owned()),
    };
    let item = ItemId::new(item).map_err(|e| format!("`item`: {e}"))?;
    let quantity = quantity
        .parse::<u64>()
        .ok()
        .filter(|q| (1..=1_000_000_000).contains(q))
        .ok_or_else(|| format!("`quantity`: `{quantity}` is not a whole number from 1 to 10^9"))?;
    let lot = match lot.filter(|l| !l.is_empty()) {
        Some(lot) if lot.chars().count() > 100 => {
            return Err("`lot`: a lot label has at most 100 characters".into());
        }
        Some(lot) => lot.to_owned(),
        None => at.to_string(),
    };
    let expires = expires
        .filter(|e| !e.is_empty())
        .map(|text| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|_| format!("`expires`: `{text}` is not a date (YYYY-MM-DD)"))
        })
        .transpose()?;
    Ok(StockRow {
        at,
        facility,
        item,
        quantity,
        lot,
        expires,
    })
}
