//! Imports into the store: every record of one input in one transaction, facilities upserted by id
//! (which a record's dataset and source id determine), base-map features by layer and id.

use chrono::Utc;
use refuge_core::{Facility, FacilityDetails, FacilityId, Movement, MovementKind};
use refuge_io::{
    BaseFeature, DataSource, FacilityRef, ImportReport, ImportSink, Outcome, Stated, StockRow,
};
use serde::Serialize;

use crate::auth::Actor;
use crate::backend::Tx;
use crate::records::now;
use crate::store::audit;
use crate::{Action, Error, Result, Store};

/// What an import wrote.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Imported {
    /// The reader's report: read, accepted, rejected (where, why), duplicates.
    pub report: ImportReport,
    /// New facilities.
    pub created: u64,
    /// Facilities that existed and changed (each one version up).
    pub updated: u64,
    /// Facilities that existed and are the same as imported.
    pub unchanged: u64,
    /// Base-map features written (new or replaced).
    pub base: u64,
    /// The stored form of every created or updated facility, when asked for (a running server
    /// swaps them into its index); empty otherwise.
    #[serde(skip)]
    pub stored: Vec<Facility>,
}

/// The sink an import's reader writes through: one open transaction.
pub struct StoreSink<'t> {
    tx: &'t mut dyn Tx,
    dataset: String,
    keep_stored: bool,
    imported: Imported,
}

impl Store {
    /// Reads one input into the store in one transaction: `read` gets the sink, runs the reader
    /// and returns its report. If `read` fails (an unreadable file, a broken document), nothing of
    /// the input is kept. `keep_stored` returns the stored facilities (for a running index).
    pub fn import(
        &self,
        source: &DataSource,
        actor: &Actor,
        keep_stored: bool,
        read: impl FnOnce(&mut StoreSink<'_>) -> refuge_io::Result<ImportReport>,
    ) -> Result<std::result::Result<Imported, refuge_io::Error>> {
        let mut broken = None;
        let written = self.write(|tx| {
            let mut sink = StoreSink {
                tx: &mut *tx,
                dataset: source.dataset.clone(),
                keep_stored,
                imported: Imported::default(),
            };
            let report = match read(&mut sink) {
                Ok(report) => report,
                Err(error) => {
                    // Abandoned: the transaction rolls back and the store is as it was.
                    broken = Some(error);
                    return Err(Error::Abandoned);
                }
            };
            let mut imported = sink.imported;
            imported.report = report;
            tx.put_source(source, &now())?;
            let summary = serde_json::json!({
                "read": imported.report.read,
                "rejected": imported.report.rejected_count(),
                "created": imported.created,
                "updated": imported.updated,
                "unchanged": imported.unchanged,
                "base_features": imported.base,
            });
            audit(
                tx,
                actor,
                Action::Import,
                &format!("dataset {}", source.dataset),
                None,
                Some(&summary),
            )?;
            Ok(imported)
        });
        match (written, broken) {
            (Err(Error::Abandoned), Some(error)) => Ok(Err(error)),
            (written, _) => written.map(Ok),
        }
    }

    /// Every imported source and its credit, in the order first imported.
    pub fn sources(&self) -> Result<Vec<DataSource>> {
        self.read(|tx| tx.sources())
    }
}

impl StoreSink<'_> {
    fn upsert(&mut self, mut facility: Facility, stated: Stated) -> Result<Outcome> {
        let Some(before) = self.tx.facility(facility.id)? else {
            facility.version = 1;
            self.tx.insert_facility(&facility)?;
            self.imported.created += 1;
            self.keep(facility);
            return Ok(Outcome::Accepted);
        };
        if before.kind() != facility.kind() {
            return Ok(Outcome::Refused(format!(
                "facility {} is stored as a {}; an import cannot make it a {}",
                facility.id,
                before.kind(),
                facility.kind()
            )));
        }
        facility.version = before.version;
        keep_unstated(&mut facility, &before, stated);
        if facility == before {
            self.imported.unchanged += 1;
            return Ok(Outcome::Accepted);
        }
        if !stated.id {
            // Its id comes from its place in the file: another record may sit there now.
            return Ok(Outcome::Refused(format!(
                "the record has no id, and facility {} imported from the same place in this \
                 dataset differs: give the records an `id` column (or --map id=COLUMN) so that an \
                 import can tell which facility it updates",
                facility.id
            )));
        }
        facility.version = before.version + 1;
        self.tx.update_facility(&facility)?;
        self.imported.updated += 1;
        self.keep(facility);
        Ok(Outcome::Accepted)
    }

    fn keep(&mut self, facility: Facility) {
        if self.keep_stored {
            self.imported.stored.push(facility);
        }
    }

    fn write_base(&mut self, feature: &BaseFeature) -> Result<()> {
        self.tx.put_base_feature(feature)?;
        self.imported.base += 1;
        Ok(())
    }
}

/// What an import does not restate stays as stored: the live status report and a shelter's
/// occupancy unless the record gave a status (and a restated status equal to the stored one keeps
/// its report, so an unchanged file changes nothing), and the designation unless the record gave
/// one (a planner's decision is not undone by importing the source again).
fn keep_unstated(facility: &mut Facility, before: &Facility, stated: Stated) {
    if !stated.status || facility.status.status == before.status.status {
        facility.status = before.status.clone();
        if let (FacilityDetails::Shelter(new), FacilityDetails::Shelter(old)) =
            (&mut facility.details, &before.details)
        {
            if !stated.status {
                new.occupancy = old.occupancy;
            }
        }
    }
    if !stated.designation {
        facility.designation = before.designation;
    }
}

impl StoreSink<'_> {
    fn stopped(&self, error: crate::Error) -> refuge_io::Error {
        refuge_io::Error::Destination {
            dataset: self.dataset.clone(),
            message: error.to_string(),
        }
    }
}

impl ImportSink for StoreSink<'_> {
    fn facility(&mut self, facility: Facility, stated: Stated) -> refuge_io::Result<Outcome> {
        self.upsert(facility, stated).map_err(|e| self.stopped(e))
    }

    fn base(&mut self, feature: BaseFeature) -> refuge_io::Result<Outcome> {
        self.write_base(&feature).map_err(|e| self.stopped(e))?;
        Ok(Outcome::Accepted)
    }
}

impl Store {
    /// Books a stock list as receipts, in one transaction with one audit entry. A row naming a
    /// facility or an item the store does not know is refused in `report` by its line, and the
    /// others are booked. `check` sees the receipts before the commit; if it refuses, nothing is
    /// written. Returns the movements booked.
    pub fn import_stock(
        &self,
        dataset: &str,
        rows: Vec<StockRow>,
        report: &mut ImportReport,
        actor: &Actor,
        check: impl FnOnce(&[Movement]) -> refuge_core::Result<()>,
    ) -> Result<Vec<Movement>> {
        self.write(|tx| {
            let at = Utc::now();
            let mut movements = Vec::new();
            for row in rows {
                let facility = match resolve(tx, &row.facility)? {
                    Ok(id) => id,
                    Err(reason) => {
                        report.reject(row.at, reason);
                        continue;
                    }
                };
                if !tx.item_known(&row.item)? {
                    report.reject(
                        row.at,
                        format!("`item`: `{}` is not in the item catalogue", row.item),
                    );
                    continue;
                }
                report.accepted += 1;
                movements.push(Movement {
                    facility,
                    item: row.item,
                    kind: MovementKind::Receive {
                        lot: row.lot,
                        quantity: row.quantity,
                        expires: row.expires,
                    },
                    at,
                    by: Some(actor.name.clone()),
                });
            }
            check(&movements)?;
            // Rows refused while read and rows refused here, in the order of the file.
            report.rejected.sort_by_key(|rejection| rejection.at);
            for movement in &movements {
                tx.insert_movement(movement)?;
            }
            let summary = serde_json::json!({
                "read": report.read,
                "rejected": report.rejected_count(),
                "receipts": movements.len(),
            });
            audit(
                tx,
                actor,
                Action::StockImport,
                &format!("dataset {dataset}"),
                None,
                Some(&summary),
            )?;
            Ok(movements)
        })
    }
}

fn resolve(
    tx: &mut dyn Tx,
    reference: &FacilityRef,
) -> Result<std::result::Result<FacilityId, String>> {
    let ids = match reference {
        // A number that is no Refuge id may be a source's own numeric id.
        FacilityRef::Id(id) if tx.facility_version(*id)?.is_some() => vec![*id],
        FacilityRef::Id(id) => tx.facilities_from_record(&id.to_string())?,
        FacilityRef::Source(record) => tx.facilities_from_record(record)?,
    };
    Ok(match ids.as_slice() {
        [id] => Ok(*id),
        [] => Err(format!("`facility`: no {reference} in the store")),
        _ => Err(format!(
            "`facility`: {reference} names more than one facility; use the Refuge id"
        )),
    })
}
