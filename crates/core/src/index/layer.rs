//! One layer of the index: facilities with an R-tree per kind, and the ids the layer hides in the
//! layers below it.
//!
//! A snapshot is a stack of layers: a large base in parts (`base.rs`), each part a layer
//! bulk-loaded once and shared by every snapshot until a compaction folds changes into it, and
//! smaller layers of changes on top. A write builds only a new top layer, so it costs what it
//! changes, not what the index holds.

use std::collections::HashMap;

use super::key;
use super::packed::{Entry, PackedTree};
use crate::{Error, FacilityBrief, FacilityId, FacilityKind, Result};

/// A facility as a layer holds it, with the data version it was written at.
pub(super) type Record = (FacilityBrief, u64);

/// Facilities indexed by position, and the ids this layer replaces or removes below it.
#[derive(Debug, Default)]
pub(super) struct Layer {
    /// One tree per facility kind, in [`FacilityKind::ALL`] order: a query for shelters never
    /// walks past depots, hazards and points of interest.
    trees: Vec<PackedTree>,
    /// Sorted by id, so that an id is found by binary search without a map beside them.
    records: Vec<Record>,
    /// Ids replaced or removed in the layers below, with the version of that change.
    hides: HashMap<FacilityId, u64>,
}

impl Layer {
    /// Bulk-loads `records`, which must have distinct ids, hiding `hides` below.
    pub(super) fn new(mut records: Vec<Record>, hides: HashMap<FacilityId, u64>) -> Result<Self> {
        if records.len() >= u32::MAX as usize {
            return Err(Error::field("facilities", "more than 4 billion facilities"));
        }
        // A store hands them over in the order of their ids already.
        if !records.is_sorted_by_key(|(facility, _)| facility.id) {
            records.sort_unstable_by_key(|(facility, _)| facility.id);
        }
        if let Some(pair) = records.windows(2).find(|pair| pair[0].0.id == pair[1].0.id) {
            return Err(Error::DuplicateFacility(pair[0].0.id));
        }
        let mut entries: Vec<Vec<Entry>> = FacilityKind::ALL.iter().map(|_| Vec::new()).collect();
        for (place, (facility, _)) in (0u32..).zip(&records) {
            if let Some(bucket) = entries.get_mut(kind_slot(facility.kind())) {
                bucket.push(Entry {
                    point: key(facility.location),
                    place,
                });
            }
        }
        Ok(Self {
            trees: entries.into_iter().map(PackedTree::new).collect(),
            records,
            hides,
        })
    }

    /// The facility with this id, if this layer holds it.
    pub(super) fn get(&self, id: FacilityId) -> Option<&Record> {
        self.records
            .binary_search_by_key(&id, |(facility, _)| facility.id)
            .ok()
            .and_then(|at| self.records.get(at))
    }

    /// The record at a place the trees hold.
    pub(super) fn at(&self, place: u32) -> &Record {
        // Places come from the trees, made with `records`.
        &self.records[place as usize]
    }

    /// Whether this layer replaces or removes `id` in the layers below.
    pub(super) fn hides(&self, id: FacilityId) -> bool {
        !self.hides.is_empty() && self.hides.contains_key(&id)
    }

    /// The ids hidden below, with the version of each change.
    pub(super) fn hidden(&self) -> &HashMap<FacilityId, u64> {
        &self.hides
    }

    /// Every record, in no particular order.
    pub(super) fn records(&self) -> &[Record] {
        &self.records
    }

    /// The tree of one kind.
    pub(super) fn tree(&self, kind: usize) -> Option<&PackedTree> {
        self.trees.get(kind)
    }

    /// How close (squared, in the trees' units) a tree key can come to the layer's facilities,
    /// by the box around each tree: 0 inside one, infinite when the layer holds none.
    pub(super) fn reach_2(&self, key: &[f32; 3]) -> f32 {
        self.trees
            .iter()
            .filter_map(PackedTree::envelope)
            .map(|envelope| rstar::Envelope::distance_2(&envelope, key))
            .fold(f32::INFINITY, f32::min)
    }

    /// How many records and hidden ids: what merging this layer costs.
    pub(super) fn weight(&self) -> usize {
        self.records.len() + self.hides.len()
    }
}

/// A kind's place in [`FacilityKind::ALL`], which is also its tree's.
pub(super) fn kind_slot(kind: FacilityKind) -> usize {
    FacilityKind::ALL
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(0)
}
