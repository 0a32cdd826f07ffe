//! Records as the databases hold them: JSON text, written and parsed the same way by every
//! backend, and many parsed at once on every core at start-up.

use serde::Serialize;

use crate::{Error, Result};

pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339()
}

pub(crate) fn json(value: &impl Serialize) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Corrupt {
        what: "record to write".into(),
        message: e.to_string(),
    })
}

pub(crate) fn parse<T: serde::de::DeserializeOwned>(what: &str, body: &str) -> Result<T> {
    serde_json::from_str(body).map_err(|e| Error::Corrupt {
        what: what.to_owned(),
        message: e.to_string(),
    })
}

pub(crate) fn target(id: refuge_core::FacilityId) -> String {
    format!("facility {id}")
}

/// Rows handed to the parsing threads at a time: the bodies of one batch are all the JSON text
/// held at once, whatever the size of the store.
const BATCH: usize = 16_384;

/// The records of (number, JSON body) `rows`, about `count` of them, parsed. The calling thread
/// reads rows while the others parse the batch before: start-up time for a large city is mostly
/// this. `what` names a record in an error, with its number.
pub(crate) fn parsed<T: serde::de::DeserializeOwned + Send>(
    rows: impl Iterator<Item = Result<(i64, String)>>,
    count: usize,
    what: &str,
) -> Result<Vec<T>> {
    std::thread::scope(|scope| {
        let (batches, received) = std::sync::mpsc::sync_channel::<Vec<(i64, String)>>(1);
        let parser = scope.spawn(move || -> Result<Vec<T>> {
            // Sized at once: growing a vector of a million records copies them all, again and
            // again.
            let mut all = Vec::with_capacity(count);
            for batch in received {
                all.extend(parse_all(&batch, what)?);
            }
            Ok(all)
        });
        let mut batch = Vec::with_capacity(BATCH);
        let read = (|| -> Result<()> {
            for row in rows {
                batch.push(row?);
                if batch.len() == BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    if batches.send(full).is_err() {
                        // The parser stopped at a broken record: its error is the answer.
                        break;
                    }
                }
            }
            if !batch.is_empty() {
                let _ = batches.send(std::mem::take(&mut batch));
            }
            Ok(())
        })();
        drop(batches);
        let parsed = parser.join().map_err(|_| Error::Corrupt {
            what: what.to_owned(),
            message: "a parsing thread failed".into(),
        })?;
        read?;
        parsed
    })
}

/// Parses a batch of stored records on every core.
fn parse_all<T: serde::de::DeserializeOwned + Send>(
    rows: &[(i64, String)],
    what: &str,
) -> Result<Vec<T>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = rows.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = rows
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(id, body)| {
                            serde_json::from_str(body).map_err(|e| Error::Corrupt {
                                what: format!("{what} {id}"),
                                message: e.to_string(),
                            })
                        })
                        .collect::<Result<Vec<T>>>()
                })
            })
            .collect();
        let mut all = Vec::with_capacity(rows.len());
        for worker in workers {
            let part = worker.join().map_err(|_| Error::Corrupt {
                what: what.to_owned(),
                message: "a parsing thread failed".into(),
            })??;
            all.extend(part);
        }
        Ok(all)
    })
}
