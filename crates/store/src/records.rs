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

pub(crate) fn value(record: &impl Serialize) -> Result<serde_json::Value> {
    serde_json::to_value(record).map_err(|e| Error::Corrupt {
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

/// A record the store reads back from its JSON text, many at once at start-up.
pub(crate) trait Record: Sized + Send {
    /// The record of `text`.
    fn from_json(text: &str) -> serde_json::Result<Self>;
}

macro_rules! record_by_serde {
    ($($record:ty),*) => {
        $(impl Record for $record {
            fn from_json(text: &str) -> serde_json::Result<Self> {
                serde_json::from_str(text)
            }
        })*
    };
}

record_by_serde!(
    refuge_core::Movement,
    refuge_io::BaseFeature,
    refuge_core::Activation,
    refuge_core::KeptPlan
);

/// A facility in two direct readings of its text: the common fields with `kind`, then the
/// kind's own fields. The derived reader (serde's `flatten` of the tagged details) first
/// buffers the whole record in a generic tree, which made reading a store at start-up about
/// twice as slow (BENCHMARKS.md). Anything the direct readings refuse is read the derived way,
/// for its exact error.
impl Record for refuge_core::Facility {
    fn from_json(text: &str) -> serde_json::Result<Self> {
        use refuge_core::{
            AdminArea, Contact, Designation, FacilityDetails, FacilityId, FacilityKind, LonLat,
            Names, Source, StatusReport,
        };
        #[derive(serde::Deserialize)]
        struct Common {
            id: FacilityId,
            #[serde(default = "first_version")]
            version: u64,
            name: Names,
            #[serde(default)]
            address: Option<String>,
            location: LonLat,
            #[serde(default)]
            footprint: Option<geo::MultiPolygon>,
            #[serde(default)]
            admin: AdminArea,
            #[serde(default)]
            operator: Option<String>,
            #[serde(default)]
            contact: Option<Contact>,
            designation: Designation,
            status: StatusReport,
            source: Source,
            kind: FacilityKind,
        }
        fn first_version() -> u64 {
            1
        }
        let direct = || -> serde_json::Result<Self> {
            let common: Common = serde_json::from_str(text)?;
            let details = match common.kind {
                FacilityKind::Shelter => FacilityDetails::Shelter(serde_json::from_str(text)?),
                FacilityKind::Reserve => FacilityDetails::Reserve(serde_json::from_str(text)?),
                FacilityKind::MicroStorage => {
                    FacilityDetails::MicroStorage(serde_json::from_str(text)?)
                }
                FacilityKind::Hazard => FacilityDetails::Hazard(serde_json::from_str(text)?),
                FacilityKind::Poi => FacilityDetails::Poi(serde_json::from_str(text)?),
            };
            Ok(Self {
                id: common.id,
                version: common.version,
                name: common.name,
                address: common.address,
                location: common.location,
                footprint: common.footprint,
                admin: common.admin,
                operator: common.operator,
                contact: common.contact,
                designation: common.designation,
                status: common.status,
                source: common.source,
                details,
            })
        };
        direct().or_else(|_| serde_json::from_str(text))
    }
}

/// What the index keeps of a facility, read on the parsing threads, so that a whole city's
/// whole records are never held at once. A shelter or a point of interest is read in one pass
/// that builds only its brief's fields and skips the rest; a kind kept whole, and any record the
/// brief reading refuses, is read whole and validated, for its exact error.
impl Record for refuge_core::FacilityBrief {
    fn from_json(text: &str) -> serde_json::Result<Self> {
        let brief = serde_json::from_str::<refuge_core::BriefFields>(text)
            .ok()
            .and_then(|fields| Self::from_fields(fields).ok().flatten());
        if let Some(brief) = brief {
            return Ok(brief);
        }
        let facility = refuge_core::Facility::from_json(text)?;
        facility.validate().map_err(serde::de::Error::custom)?;
        Ok(Self::from_facility(facility))
    }
}

/// Rows handed to the parsing threads at a time: the bodies of one batch are all the JSON text
/// held at once, whatever the size of the store.
const BATCH: usize = 16_384;

/// The records of (number, JSON body) `rows`, about `count` of them, parsed. The calling thread
/// reads rows while the others parse the batch before: start-up time for a large city is mostly
/// this. `what` names a record in an error, with its number.
pub(crate) fn parsed<T: Record>(
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
fn parse_all<T: Record>(rows: &[(i64, String)], what: &str) -> Result<Vec<T>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = rows.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = rows
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(id, body)| {
                            T::from_json(body).map_err(|e| Error::Corrupt {
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

#[cfg(test)]
mod tests {
    use super::*;
    use refuge_core::Facility;

    /// The direct reading gives what the derived one gives: for every facility of the demo city,
    /// as written, with its keys in another order (PostgreSQL's `jsonb` sorts them), and with a
    /// field no kind has.
    #[test]
    fn a_facility_reads_the_same_directly_as_through_serde() {
        let city = refuge_io::demo::demo_city().unwrap();
        let mut kinds = std::collections::BTreeSet::new();
        for facility in &city.facilities {
            kinds.insert(facility.kind());
            let written = serde_json::to_string(facility).unwrap();
            let sorted = serde_json::from_str::<serde_json::Value>(&written)
                .unwrap()
                .to_string();
            let mut extra: serde_json::Value = serde_json::from_str(&written).unwrap();
            extra["note_from_elsewhere"] = serde_json::json!({"a": [1, 2]});
            for text in [written, sorted, extra.to_string()] {
                let direct = Facility::from_json(&text).unwrap();
                let derived: Facility = serde_json::from_str(&text).unwrap();
                assert_eq!(direct, derived);
                assert_eq!(&direct, facility);
                // The brief read from the text alone is the brief of the whole record.
                let brief = refuge_core::FacilityBrief::from_json(&text).unwrap();
                assert_eq!(brief, refuge_core::FacilityBrief::of(facility));
            }
        }
        assert_eq!(kinds.len(), 5, "every kind: {kinds:?}");
    }

    /// A record the brief reading refuses is refused with the whole reading's error, naming the
    /// field: a shelter's service radius of zero, a name left blank.
    #[test]
    fn a_broken_record_read_brief_is_refused_for_what_is_wrong() {
        let city = refuge_io::demo::demo_city().unwrap();
        let shelter = city
            .facilities
            .iter()
            .find(|f| f.shelter().is_some())
            .unwrap();
        let mut record = serde_json::to_value(shelter).unwrap();
        record["service_radius_m"] = serde_json::json!(0.0);
        let error = refuge_core::FacilityBrief::from_json(&record.to_string()).unwrap_err();
        assert!(error.to_string().contains("service_radius_m"), "{error}");
        let mut record = serde_json::to_value(shelter).unwrap();
        record["name"] = serde_json::json!({"en": "  "});
        let error = refuge_core::FacilityBrief::from_json(&record.to_string()).unwrap_err();
        assert!(error.to_string().contains("name"), "{error}");
    }

    #[test]
    fn a_broken_facility_is_refused_as_the_derived_reader_refuses_it() {
        let city = refuge_io::demo::demo_city().unwrap();
        let mut record = serde_json::to_value(&city.facilities[0]).unwrap();
        record["location"] = serde_json::json!({"lon": 200.0, "lat": 0.0});
        let text = record.to_string();
        let direct = Facility::from_json(&text).unwrap_err().to_string();
        let derived = serde_json::from_str::<Facility>(&text)
            .unwrap_err()
            .to_string();
        assert_eq!(direct, derived);
        record.as_object_mut().unwrap().remove("kind");
        assert!(Facility::from_json(&record.to_string()).is_err());
    }
}
