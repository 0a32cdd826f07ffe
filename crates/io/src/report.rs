//! What an import did: rows read, accepted, rejected (where and why), duplicates flagged.

use std::collections::HashMap;
use std::fmt;

use refuge_core::{FacilityId, LonLat};
use serde::{Deserialize, Serialize};

/// Where in the input a record was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Location {
    /// A line of a CSV or newline-delimited file, 1-based, counting the header.
    Line(u64),
    /// A feature of a GeoJSON FeatureCollection, 1-based.
    Feature(u64),
    /// An OpenStreetMap node.
    Node(i64),
    /// An OpenStreetMap way.
    Way(i64),
    /// An OpenStreetMap relation.
    Relation(i64),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Line(n) => write!(f, "line {n}"),
            Location::Feature(n) => write!(f, "feature {n}"),
            Location::Node(id) => write!(f, "node {id}"),
            Location::Way(id) => write!(f, "way {id}"),
            Location::Relation(id) => write!(f, "relation {id}"),
        }
    }
}

/// A record that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    /// Where it was.
    pub at: Location,
    /// Why it was refused.
    pub reason: String,
}

/// Why two records look like the same thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateKind {
    /// Same position (to 1e-7°, about a centimetre).
    SamePosition,
    /// Same id in the source.
    SameSourceId,
}

/// A record accepted but flagged as a likely duplicate of an earlier one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Duplicate {
    /// The later record.
    pub at: Location,
    /// The earlier one it repeats.
    pub first: Location,
    /// What they share.
    pub kind: DuplicateKind,
}

/// The report every import ends with.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    /// The dataset's name.
    pub dataset: String,
    /// Records read.
    pub read: u64,
    /// Records accepted.
    pub accepted: u64,
    /// Records refused, each with where and why (the first [`ImportReport::LISTED`]).
    pub rejected: Vec<Rejection>,
    /// Records refused beyond those listed.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub more_rejected: u64,
    /// Accepted records that repeat an earlier one.
    pub duplicates: Vec<Duplicate>,
    /// What is wrong with the resupply chain the records state (`parent`): a tier skipped, a
    /// parent that is no depot, a loop, a parent not in the input. Accepted all the same.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chain: Vec<String>,
    /// What the reader of the data should know, such as a datum converted only approximately.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    #[serde(skip)]
    seen_positions: HashMap<(i64, i64), Location>,
    #[serde(skip)]
    seen_ids: HashMap<String, Location>,
}

impl ImportReport {
    /// An empty report for `dataset`.
    pub fn new(dataset: impl Into<String>) -> Self {
        Self {
            dataset: dataset.into(),
            ..Self::default()
        }
    }

    /// Counts a record read.
    pub fn read_one(&mut self) {
        self.read += 1;
    }

    /// How many refusals are kept with their place and reason: a file of bad rows of any length
    /// keeps the report's memory bounded.
    pub const LISTED: usize = 10_000;

    /// Records a refusal.
    pub fn reject(&mut self, at: Location, reason: impl Into<String>) {
        if self.rejected.len() < Self::LISTED {
            self.rejected.push(Rejection {
                at,
                reason: reason.into(),
            });
        } else {
            self.more_rejected += 1;
        }
    }

    /// How many records were refused in all.
    pub fn rejected_count(&self) -> u64 {
        self.rejected.len() as u64 + self.more_rejected
    }

    /// Hands an accepted facility to `sink` and records what it did with it.
    pub(crate) fn hand_over(
        &mut self,
        at: Location,
        facility: refuge_core::Facility,
        stated: crate::Stated,
        sink: &mut dyn crate::ImportSink,
    ) -> crate::Result<()> {
        let (location, record) = (facility.location, facility.source.record.clone());
        match sink.facility(facility, stated)? {
            crate::Outcome::Accepted => self.accept(at, location, record.as_deref()),
            crate::Outcome::Refused(reason) => self.reject(at, reason),
        }
        Ok(())
    }

    /// Counts an acceptance and flags it if its position or source id was seen before.
    pub fn accept(&mut self, at: Location, position: LonLat, source_id: Option<&str>) {
        self.accepted += 1;
        let key = (
            (position.lon() * 1e7).round() as i64,
            (position.lat() * 1e7).round() as i64,
        );
        if let Some(first) = self.seen_positions.get(&key) {
            self.duplicates.push(Duplicate {
                at,
                first: *first,
                kind: DuplicateKind::SamePosition,
            });
        } else {
            self.seen_positions.insert(key, at);
        }
        if let Some(id) = source_id {
            if let Some(first) = self.seen_ids.get(id) {
                self.duplicates.push(Duplicate {
                    at,
                    first: *first,
                    kind: DuplicateKind::SameSourceId,
                });
            } else {
                self.seen_ids.insert(id.to_owned(), at);
            }
        }
    }
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}: {} read, {} accepted, {} rejected, {} flagged as duplicates",
            self.dataset,
            self.read,
            self.accepted,
            self.rejected_count(),
            self.duplicates.len()
        )?;
        for note in &self.notes {
            writeln!(f, "  note: {note}")?;
        }
        const SHOWN: usize = 20;
        for rejection in self.rejected.iter().take(SHOWN) {
            writeln!(f, "  rejected {}: {}", rejection.at, rejection.reason)?;
        }
        if self.rejected_count() > SHOWN as u64 {
            writeln!(
                f,
                "  … and {} more rejected",
                self.rejected_count() - SHOWN as u64
            )?;
        }
        for duplicate in self.duplicates.iter().take(SHOWN) {
            let what = match duplicate.kind {
                DuplicateKind::SamePosition => "same position as",
                DuplicateKind::SameSourceId => "same source id as",
            };
            writeln!(
                f,
                "  duplicate {}: {what} {}",
                duplicate.at, duplicate.first
            )?;
        }
        if self.duplicates.len() > SHOWN {
            writeln!(
                f,
                "  … and {} more duplicates",
                self.duplicates.len() - SHOWN
            )?;
        }
        for problem in self.chain.iter().take(SHOWN) {
            writeln!(f, "  resupply chain: {problem}")?;
        }
        if self.chain.len() > SHOWN {
            writeln!(
                f,
                "  … and {} more chain problems",
                self.chain.len() - SHOWN
            )?;
        }
        Ok(())
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A stable id for a record of a dataset: a 64-bit FNV-1a hash of the dataset name and the
/// record's own id, cut to 53 bits so it fits a JavaScript number.
pub fn stable_id(dataset: &str, record: &str) -> FacilityId {
    const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const FNV_PRIME: u64 = 0x0100_0000_01b3;
    let hash = dataset
        .bytes()
        .chain([0])
        .chain(record.bytes())
        .fold(FNV_OFFSET, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(FNV_PRIME)
        });
    FacilityId::from_bits(hash)
}
