//! The spatial index: exact nearest-facility answers in metres at any latitude.
//!
//! Positions are stored as points on the unit sphere in an R-tree (`packed.rs`). The straight-line
//! (chord) distance between two such points grows strictly with their great-circle distance, so
//! the R-tree's Euclidean nearest-neighbour order *is* the great-circle order: exact at the poles
//! and across the antimeridian, where ranking by degrees of longitude and latitude goes wrong.
//!
//! Attributes live beside the tree; a tree entry is only a point and a slot number, 16 bytes. The
//! tree keeps the unit vectors in `f32` (half the memory of `f64`, about 0.6 m of rounding), and
//! every answer is re-ranked with exact `f64` distances: the tree's order is only trusted up to
//! [`F32_SLACK`], and candidates are read until the next one is provably farther than the k-th.

mod activation;
mod base;
mod bbox;
mod cells;
mod changes;
mod exposure;
mod filter;
mod layer;
mod live;
mod packed;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use geo::{BoundingRect, Intersects};
use rpds::HashTrieMapSync;
use rstar::Envelope;

pub use activation::{ActivationPlan, LeftReason, LeftShelter};
pub use bbox::BBox;
pub use cells::CellStats;
pub use changes::{Changed, Place};
pub use exposure::{Exposure, Skip, Skipped};
pub use filter::Filter;
pub use live::LiveIndex;

use crate::distance::unit_vector;
use crate::{Error, Facility, FacilityBrief, FacilityId, GreatCircle, ItemId, LonLat, Result};
use base::{Base, PART_SIZE};
use layer::{Layer, Record, kind_slot};
use packed::{Entry, PackedTree};

/// How far (in unit-sphere chord length, ≈ 6.4 m) an `f32` tree distance may be from the exact
/// one: ten times the worst rounding of two `f32` unit vectors and their squared difference.
const F32_SLACK: f64 = 1e-6;

/// The layers of a snapshot above its base, bottom to top.
const MIDDLE: usize = 0;
const RECENT: usize = 1;
const FRESH: usize = 2;

/// How many changed facilities the top layer takes before it is merged into the recent layer: a
/// write rebuilds the top layer, so this bounds what a write costs.
const FRESH_LIMIT: usize = 128;

/// How much change (a changed facility counts twice: its new record and the id it hides below)
/// the recent layer holds before a compaction is due. A change of more than this at once (an
/// import, an activation) goes straight into the middle layer, or rebuilds the base.
const RECENT_LIMIT: usize = 4096;

/// How much change may gather in the middle layer before a compaction folds some of it into the
/// base: a sixteenth of the index's size (about one facility in 32 changed, each counting twice),
/// and at least sixteen recent layers. Folding into the base rebuilds one part of it, the one with
/// the most changes (at 10M, a sixteenth: about half a second and 100 MB); folding the recent
/// layer into the middle one costs what has changed.
fn middle_limit(len: usize) -> usize {
    (RECENT_LIMIT * 16).max(len / 16)
}

/// The tree key of a position: its unit vector rounded to `f32`.
fn key(p: LonLat) -> [f32; 3] {
    unit_vector(p).map(|c| c as f32)
}

/// The exact chord length between two unit vectors.
fn chord(a: [f64; 3], b: [f64; 3]) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

/// A facility found by a query, with its great-circle distance from the query point.
#[derive(Debug, Clone, Copy)]
pub struct Hit<'a> {
    /// The facility, as the index keeps it.
    pub facility: &'a FacilityBrief,
    /// Metres along the great circle (haversine, R = 6,371,008.8 m).
    pub distance_m: f64,
}

/// An immutable snapshot of every facility, indexed by position. Make the next one with
/// [`SpatialIndex::with_changes`]; readers keep the one they hold.
///
/// A snapshot is a base and three layers above it (see `layer.rs` and `base.rs`): a base of
/// bulk-loaded parts by region, shared with earlier snapshots; a middle layer of the changes
/// compactions have folded down (up to [`middle_limit`]); a recent layer of up to
/// [`RECENT_LIMIT`] changed facilities; and a fresh layer of up to [`FRESH_LIMIT`]. A write
/// builds a new fresh layer (or, every [`FRESH_LIMIT`] changes, a new recent layer) and shares
/// the rest, so it costs what it changes. Queries read them all and skip what an upper layer
/// replaced or removed; [`SpatialIndex::compacted`] folds the recent changes into the middle
/// layer, and, when that is full, the middle layer's changes of one base part into that part,
/// off the write path (see [`LiveIndex`]).
#[derive(Debug, Clone)]
pub struct SpatialIndex {
    base: Arc<Base>,
    /// Above the base: the middle, recent and fresh layers.
    layers: [Arc<Layer>; 3],
    /// The fewest facilities a part of the base is made with.
    part_size: usize,
    len: usize,
    /// Usable units per facility and item, shared between snapshots: a movement copies only the
    /// path to the facility it changed.
    stock: HashTrieMapSync<FacilityId, BTreeMap<ItemId, u64>>,
    version: u64,
    /// What this snapshot changed on the map from the one it was made from.
    changed: Changed,
    /// The data version at which a hazard source last changed.
    hazards_version: u64,
    /// The data version at which any facility last changed (stock excepted).
    places_version: u64,
    /// The shelters exposed in each hazard, made once per places version (see
    /// [`SpatialIndex::exposed_shelters`]); shared between snapshots.
    exposed: Arc<std::sync::Mutex<exposure::ExposedCache>>,
}

impl SpatialIndex {
    /// Indexes `facilities`, validating each; an error names the facility and the field.
    pub fn new(facilities: Vec<Facility>) -> Result<Self> {
        Self::with_stock(facilities, BTreeMap::new())
    }

    /// Indexes `facilities` with the usable stock each holds, e.g. from
    /// [`StockLedger::usable_totals`](crate::StockLedger::usable_totals).
    pub fn with_stock(
        facilities: Vec<Facility>,
        stock: BTreeMap<(FacilityId, ItemId), u64>,
    ) -> Result<Self> {
        Self::of_briefs(briefs(facilities)?, stock)
    }

    /// Indexes facilities already validated (as a store holds them), kept brief, with the usable
    /// stock each holds.
    pub fn of_briefs(
        mut facilities: Vec<FacilityBrief>,
        stock: BTreeMap<(FacilityId, ItemId), u64>,
    ) -> Result<Self> {
        let mut areas = std::collections::HashSet::new();
        for facility in &mut facilities {
            facility.share_admin(&mut areas);
        }
        let records = facilities
            .into_iter()
            .map(|facility| (facility, 1))
            .collect();
        let base = Base::new(records, PART_SIZE)?;
        Ok(Self {
            len: base.len(),
            base: Arc::new(base),
            layers: Default::default(),
            part_size: PART_SIZE,
            stock: stock_map(stock),
            version: 1,
            changed: Changed::Nothing,
            hazards_version: 1,
            places_version: 1,
            exposed: Arc::default(),
        })
    }

    /// A new snapshot with `upserts` added or replaced and `removals` taken out, and the version
    /// one higher. This one is left as it was. A facility both removed and upserted ends up
    /// upserted; of two upserts of one id, the later wins.
    pub fn with_changes(
        &self,
        upserts: Vec<Facility>,
        removals: &[FacilityId],
    ) -> Result<SpatialIndex> {
        self.with_brief_changes(briefs(upserts)?, removals)
    }

    /// [`with_changes`](Self::with_changes) of facilities already validated, kept brief: what a
    /// stress test closes.
    pub fn with_brief_changes(
        &self,
        upserts: Vec<FacilityBrief>,
        removals: &[FacilityId],
    ) -> Result<SpatialIndex> {
        if let Some(unknown) = removals.iter().find(|id| self.get(**id).is_none()) {
            return Err(Error::UnknownFacility(*unknown));
        }
        let version = self.version + 1;
        let mut changed: BTreeMap<FacilityId, Option<FacilityBrief>> =
            removals.iter().map(|id| (*id, None)).collect();
        for facility in upserts {
            changed.insert(facility.id, Some(facility));
        }
        let mut next = self.clone();
        next.version = version;
        next.places_version = version;
        next.changed = Changed::of(
            changed
                .iter()
                .map(|(id, upsert)| (self.get(*id), upsert.as_ref())),
        );
        let hazard = |facility: Option<&FacilityBrief>| {
            facility.is_some_and(|f| f.kind() == crate::FacilityKind::Hazard)
        };
        if changed
            .iter()
            .any(|(id, upsert)| hazard(self.get(*id)) || hazard(upsert.as_ref()))
        {
            next.hazards_version = version;
        }
        for (id, upsert) in &changed {
            match (self.get(*id).is_some(), upsert.is_some()) {
                (true, false) => next.len -= 1,
                (false, true) => next.len += 1,
                _ => {}
            }
            // A replaced facility keeps the stock it holds; only a removal drops it.
            if upsert.is_none() {
                next.stock.remove_mut(id);
            }
        }
        let hides: HashMap<FacilityId, u64> = changed.keys().map(|id| (*id, version)).collect();
        let records: Vec<Record> = changed
            .into_values()
            .flatten()
            .map(|facility| (facility, version))
            .collect();
        let many = records.len() + hides.len();
        if many > RECENT_LIMIT && self.pending_changes() + many <= middle_limit(next.len) {
            // Many changes at once (an import, an activation), fewer than the middle layer
            // holds: one new middle layer of everything above the base and these.
            let (above, above_hidden) = self.above_middle();
            let middle = stacked(&self.layers[MIDDLE], above, above_hidden)?;
            next.layers = [
                Arc::new(stacked(&middle, records, hides)?),
                Arc::default(),
                Arc::default(),
            ];
            return Ok(next);
        }
        if many > RECENT_LIMIT {
            // More than the middle layer holds: one bulk load of everything beats a middle layer
            // that would have to be compacted at once anyway.
            let kept = self
                .visible_records()
                .filter(|(f, _)| !hides.contains_key(&f.id));
            let all = kept.cloned().chain(records).collect();
            next.base = Arc::new(Base::new(all, self.part_size)?);
            next.layers = Default::default();
            return Ok(next);
        }
        let fresh = stacked(&self.layers[FRESH], records, hides)?;
        if fresh.weight() <= FRESH_LIMIT {
            next.layers[FRESH] = Arc::new(fresh);
        } else {
            next.layers[RECENT] = Arc::new(stacked(
                &self.layers[RECENT],
                fresh.records().to_vec(),
                fresh.hidden().clone(),
            )?);
            next.layers[FRESH] = Arc::default();
        }
        Ok(next)
    }

    /// Whether enough changes have gathered above the base that a compaction is due.
    pub fn wants_compaction(&self) -> bool {
        self.layers[RECENT].weight() >= RECENT_LIMIT
    }

    /// How many changed facilities lie above the base, waiting for a compaction.
    pub fn pending_changes(&self) -> usize {
        self.layers[MIDDLE].weight() + self.layers[RECENT].weight() + self.layers[FRESH].weight()
    }

    /// The same facilities and version with the recent changes folded into the middle layer,
    /// and, once that is full, the middle layer's changes of one part of the base folded into
    /// that part (see [`folded_into_base`](Self::folded_into_base)); for a background thread.
    /// Install it with [`rebased`](Self::rebased) on whatever snapshot is current by then.
    pub fn compacted(&self) -> Result<SpatialIndex> {
        let middle = self.middle_with_recent()?;
        if middle.weight() <= middle_limit(self.len) {
            return Ok(SpatialIndex {
                layers: [Arc::new(middle), Arc::default(), Arc::default()],
                ..self.clone()
            });
        }
        self.folded(&middle)
    }

    /// The same facilities and version with the recent changes folded into the middle layer, and
    /// the middle layer's changes of the base part that has the most of them folded into that
    /// part, which is rebuilt: what [`compacted`](Self::compacted) makes once the middle layer
    /// is full. It costs what that part holds, not what the index holds.
    pub fn folded_into_base(&self) -> Result<SpatialIndex> {
        self.folded(&self.middle_with_recent()?)
    }

    fn folded(&self, middle: &Layer) -> Result<SpatialIndex> {
        let (base, middle) = self.base.folded(middle, self.part_size)?;
        Ok(SpatialIndex {
            base: Arc::new(base),
            layers: [Arc::new(middle), Arc::default(), Arc::default()],
            ..self.clone()
        })
    }

    /// The same facilities and version all in a new base, bulk-loaded in parts.
    pub fn rebuilt(&self) -> Result<SpatialIndex> {
        let records = self.visible_records().cloned().collect();
        Ok(SpatialIndex {
            base: Arc::new(Base::new(records, self.part_size)?),
            layers: Default::default(),
            ..self.clone()
        })
    }

    /// The same snapshot with its base rebuilt in parts of at least `facilities` facilities
    /// (65,536 unless set), and parts made that size from then on: what tests and benchmarks use
    /// to see many parts on few facilities.
    pub fn with_part_size(self, facilities: usize) -> Result<SpatialIndex> {
        SpatialIndex {
            part_size: facilities.max(1),
            ..self
        }
        .rebuilt()
    }

    /// The middle layer with the recent and fresh layers folded into it.
    fn middle_with_recent(&self) -> Result<Layer> {
        let (records, hides) = self.above_middle();
        stacked(&self.layers[MIDDLE], records, hides)
    }

    /// The current records of the recent and fresh layers, and the ids they hide below.
    fn above_middle(&self) -> (Vec<Record>, HashMap<FacilityId, u64>) {
        let fresh = &self.layers[FRESH];
        let records = self.layers[RECENT]
            .records()
            .iter()
            .filter(|(f, _)| !fresh.hides(f.id))
            .chain(fresh.records())
            .cloned()
            .collect();
        let mut hides = self.layers[RECENT].hidden().clone();
        hides.extend(fresh.hidden());
        (records, hides)
    }

    /// This snapshot on the base and middle layer of `compacted`, made from the earlier snapshot
    /// `from`: the changes made since `from` stay above them, the older ones are in them. `None`
    /// when this snapshot no longer builds on `from`'s base and middle layer (a large change
    /// made a new middle layer or base meanwhile), so the compaction is out of date.
    pub fn rebased(&self, compacted: &SpatialIndex, from: &SpatialIndex) -> Option<SpatialIndex> {
        if !Arc::ptr_eq(&self.base, &from.base)
            || !Arc::ptr_eq(&self.layers[MIDDLE], &from.layers[MIDDLE])
        {
            return None;
        }
        let since = from.version;
        let fresh = &self.layers[FRESH];
        let records: Vec<Record> = self.layers[RECENT]
            .records()
            .iter()
            .filter(|(f, _)| !fresh.hides(f.id))
            .chain(fresh.records())
            .filter(|(_, written)| *written > since)
            .cloned()
            .collect();
        let hides: HashMap<FacilityId, u64> = self.layers[RECENT]
            .hidden()
            .iter()
            .chain(fresh.hidden())
            .filter(|(_, changed)| **changed > since)
            .map(|(id, changed)| (*id, *changed))
            .collect();
        let recent = Layer::new(records, hides).ok()?;
        Some(SpatialIndex {
            base: Arc::clone(&compacted.base),
            layers: [
                Arc::clone(&compacted.layers[MIDDLE]),
                Arc::new(recent),
                Arc::default(),
            ],
            ..self.clone()
        })
    }

    /// The same snapshot as the next one, for a write that changed nothing after all (every
    /// write of a group refused): same version, nothing changed on the map.
    #[must_use]
    pub fn unchanged(&self) -> SpatialIndex {
        SpatialIndex {
            changed: Changed::Nothing,
            ..self.clone()
        }
    }

    /// The same snapshot for a view that is never installed (a scenario's): caches made for it
    /// stay its own, since a live snapshot may come to have the same version.
    #[must_use]
    pub fn detached(self) -> Self {
        Self {
            exposed: Arc::default(),
            ..self
        }
    }

    /// The same snapshot with its version set: a server starts its versions above every version
    /// it served before, so that no cached tile of older data carries a current version.
    #[must_use]
    pub fn at_version(mut self, version: u64) -> Self {
        self.version = version;
        self.hazards_version = version;
        self.places_version = version;
        self
    }

    /// A new snapshot with the usable stock replaced, and the version one higher.
    pub fn with_stock_totals(&self, stock: BTreeMap<(FacilityId, ItemId), u64>) -> SpatialIndex {
        SpatialIndex {
            stock: stock_map(stock),
            version: self.version + 1,
            changed: Changed::Nothing,
            ..self.clone()
        }
    }

    /// A new snapshot with the usable units of some items at some facilities set (0 for none
    /// left), and the version one higher: what a stock movement changes, without recounting.
    pub fn with_stock_levels(
        &self,
        levels: impl IntoIterator<Item = (FacilityId, ItemId, u64)>,
    ) -> SpatialIndex {
        let mut next = SpatialIndex {
            version: self.version + 1,
            changed: Changed::Nothing,
            ..self.clone()
        };
        for (facility, item, quantity) in levels {
            let mut items = next.stock.get(&facility).cloned().unwrap_or_default();
            if quantity == 0 {
                items.remove(&item);
            } else {
                items.insert(item, quantity);
            }
            if items.is_empty() {
                next.stock.remove_mut(&facility);
            } else {
                next.stock.insert_mut(facility, items);
            }
        }
        next
    }

    /// Every layer, bottom to top (the base's parts first), each with the number of layers of
    /// [`layers`](Self::layers) below or at its level: the layers from there up can hide what
    /// it holds.
    fn levels(&self) -> impl Iterator<Item = (usize, &Layer)> {
        let parts = self.base.parts().iter().map(|part| (0, &**part));
        parts.chain((1..).zip(self.layers.iter().map(|layer| &**layer)))
    }

    /// Whether a facility a layer holds is the current one: no layer above replaced or removed
    /// it. `level` is the layer's, from [`levels`](Self::levels).
    fn visible(&self, level: usize, id: FacilityId) -> bool {
        self.layers
            .get(level..)
            .is_none_or(|above| above.iter().all(|l| !l.hides(id)))
    }

    /// Every current record.
    fn visible_records(&self) -> impl Iterator<Item = &Record> {
        self.levels().flat_map(move |(level, layer)| {
            layer
                .records()
                .iter()
                .filter(move |(f, _)| self.visible(level, f.id))
        })
    }

    /// The trees a query with `filter` has to look in, with the layer each belongs to and its
    /// level.
    fn trees_for(&self, filter: &Filter) -> impl Iterator<Item = (usize, &Layer, &PackedTree)> {
        let only = filter.only_kind().map(kind_slot);
        self.levels().flat_map(move |(level, layer)| {
            (0..crate::FacilityKind::ALL.len())
                .filter(move |k| only.is_none_or(|only| only == *k))
                .filter_map(move |k| layer.tree(k))
                .filter(|tree| tree.size() > 0)
                .map(move |tree| (level, layer, tree))
        })
    }

    /// The current facility at a tree entry of a layer, if no layer above hides it.
    fn found<'a>(
        &'a self,
        level: usize,
        layer: &'a Layer,
        entry: &Entry,
    ) -> Option<&'a FacilityBrief> {
        let (facility, _) = layer.at(entry.place);
        self.visible(level, facility.id).then_some(facility)
    }

    fn matches(&self, facility: &FacilityBrief, filter: &Filter) -> bool {
        filter.matches(facility, |item| self.stock_of(facility.id, item))
    }

    /// The data version: 1 for a new index, one more with every change.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The data version at which a facility last changed (stock movements leave it).
    pub fn places_version(&self) -> u64 {
        self.places_version
    }

    /// What this snapshot changed on the map from the one it was made from.
    pub fn changed(&self) -> &Changed {
        &self.changed
    }

    /// The data version at which a hazard source was last added, changed or removed: what is
    /// worked out from the hazards alone stays valid while it stays the same.
    pub fn hazards_version(&self) -> u64 {
        self.hazards_version
    }

    /// How many facilities.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every facility, in no particular order.
    pub fn facilities(&self) -> impl Iterator<Item = &FacilityBrief> {
        self.visible_records().map(|(facility, _)| facility)
    }

    /// The facility with this id.
    pub fn get(&self, id: FacilityId) -> Option<&FacilityBrief> {
        for layer in self.layers.iter().rev() {
            if let Some((facility, _)) = layer.get(id) {
                return Some(facility);
            }
            if layer.hides(id) {
                return None;
            }
        }
        self.base.get(id).map(|(facility, _)| facility)
    }

    /// Usable units of `item` the facility holds.
    pub fn stock_of(&self, id: FacilityId, item: &ItemId) -> u64 {
        self.stock
            .get(&id)
            .and_then(|items| items.get(item))
            .copied()
            .unwrap_or(0)
    }

    /// Every item the facility holds, with usable units.
    pub fn stock_at(&self, id: FacilityId) -> impl Iterator<Item = (&ItemId, u64)> {
        self.stock
            .get(&id)
            .into_iter()
            .flat_map(|items| items.iter().map(|(item, quantity)| (item, *quantity)))
    }

    /// The `k` facilities matching `filter` nearest to `origin`, nearest first. Ties in distance
    /// keep the R-tree's order.
    ///
    /// ```
    /// # use refuge_core::*;
    /// # fn shelter(id: u64, lon: f64, lat: f64) -> Facility { doc_support::shelter(id, lon, lat) }
    /// let index = SpatialIndex::new(vec![
    ///     shelter(1, 179.99, 0.0),
    ///     shelter(2, 178.0, 0.0),
    /// ])?;
    /// // Across the antimeridian the facility at 179.99° is 1.1 km away, not 359° away.
    /// let hits = index.nearest(LonLat::new(-179.99, 0.0)?, 1, &Filter::default());
    /// assert_eq!(hits[0].facility.id.get(), 1);
    /// assert!((hits[0].distance_m - 2_224.0).abs() < 1.0);
    /// # Ok::<(), refuge_core::Error>(())
    /// ```
    pub fn nearest(&self, origin: LonLat, k: usize, filter: &Filter) -> Vec<Hit<'_>> {
        let exact_origin = unit_vector(origin);
        let mut best: Vec<(f64, &FacilityBrief)> = Vec::with_capacity(k + 1);
        if k == 0 {
            return Vec::new();
        }
        // The trees nearest first, by the box around each: a tree whose box is provably farther
        // than the k-th best so far holds nothing nearer, nor does any after it.
        let probe = key(origin);
        let mut trees: Vec<(f32, usize, &Layer, &PackedTree)> = self
            .trees_for(filter)
            .filter_map(|(level, layer, tree)| {
                let reach_2 = tree.envelope()?.distance_2(&probe);
                Some((reach_2, level, layer, tree))
            })
            .collect();
        trees.sort_by(|a, b| a.0.total_cmp(&b.0));
        // Whether a squared tree distance is provably farther than the k-th best so far.
        let beyond = |best: &[(f64, &FacilityBrief)], chord_2: f32| {
            best.get(k - 1)
                .is_some_and(|(kept, _)| f64::from(chord_2).sqrt() - F32_SLACK > *kept)
        };
        // Each tree is walked until its next candidate is provably farther than the k-th best
        // so far (of all trees and layers): the answer is the exact k nearest.
        for (reach_2, level, layer, tree) in trees {
            if beyond(&best, reach_2) {
                break;
            }
            for (entry, tree_chord2) in tree.nearest_with_distance_2(probe) {
                if beyond(&best, tree_chord2) {
                    break;
                }
                let Some(facility) = self.found(level, layer, entry) else {
                    continue;
                };
                if !self.matches(facility, filter) {
                    continue;
                }
                let exact = chord(exact_origin, unit_vector(facility.location));
                let at = best.partition_point(|(c, _)| *c <= exact);
                best.insert(at, (exact, facility));
                best.truncate(k);
            }
        }
        best.into_iter()
            .map(|(chord, facility)| Hit {
                facility,
                distance_m: GreatCircle.metres_for_chord(chord),
            })
            .collect()
    }

    /// Every facility matching `filter` within `radius_m` metres of `origin`, nearest first.
    pub fn within_radius(&self, origin: LonLat, radius_m: f64, filter: &Filter) -> Vec<Hit<'_>> {
        let reach = (GreatCircle.chord_for(radius_m.max(0.0)) + F32_SLACK) as f32;
        let mut hits: Vec<Hit<'_>> = self
            .trees_for(filter)
            .flat_map(|(n, layer, tree)| {
                tree.within_distance_2(key(origin), reach * reach)
                    .filter_map(move |entry| self.found(n, layer, entry))
            })
            .filter(|facility| self.matches(facility, filter))
            .map(|facility| Hit {
                facility,
                distance_m: GreatCircle.distance_m(origin, facility.location),
            })
            .filter(|hit| hit.distance_m <= radius_m)
            .collect();
        hits.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m));
        hits
    }

    /// Every facility matching `filter` inside `bbox` (edges included), in id order.
    pub fn within_bbox(&self, bbox: BBox, filter: &Filter) -> Vec<&FacilityBrief> {
        let mut found: Vec<(FacilityId, &FacilityBrief)> =
            self.in_bbox(bbox, filter).map(|f| (f.id, f)).collect();
        found.sort_unstable_by_key(|&(id, _)| id);
        found.into_iter().map(|(_, facility)| facility).collect()
    }

    /// A page of the facilities matching `filter` and `keep` inside `bbox`, in id order: `limit`
    /// of them after the first `offset`, and how many match in all. Only the page is sorted,
    /// so a page of a box holding millions, at any offset, costs a pass over them and two
    /// selections.
    pub fn page_within_bbox(
        &self,
        bbox: BBox,
        filter: &Filter,
        keep: impl Fn(&FacilityBrief) -> bool,
        offset: usize,
        limit: usize,
    ) -> (Vec<&FacilityBrief>, usize) {
        let mut found: Vec<(FacilityId, &FacilityBrief)> = self
            .in_bbox(bbox, filter)
            .filter(|facility| keep(facility))
            .map(|f| (f.id, f))
            .collect();
        let total = found.len();
        let end = offset.saturating_add(limit).min(total);
        if offset >= end {
            return (Vec::new(), total);
        }
        let by_id = |&(id, _): &(FacilityId, &FacilityBrief)| id;
        if end < total {
            found.select_nth_unstable_by_key(end, by_id);
            found.truncate(end);
        }
        if offset > 0 {
            found.select_nth_unstable_by_key(offset, by_id);
        }
        let mut page = found.split_off(offset);
        page.sort_unstable_by_key(by_id);
        (page.into_iter().map(|(_, f)| f).collect(), total)
    }

    /// How many facilities match `filter` inside `bbox`, counting no further than `limit`: a
    /// cheap estimate of the work a query of the box will be.
    pub fn count_within_bbox(&self, bbox: BBox, filter: &Filter, limit: usize) -> usize {
        self.in_bbox(bbox, filter).take(limit).count()
    }

    /// The facilities matching `filter` inside `bbox`, each once, in no order. A box across the
    /// antimeridian is searched as two envelopes; a facility in both is taken from the first.
    fn in_bbox(&self, bbox: BBox, filter: &Filter) -> impl Iterator<Item = &FacilityBrief> {
        let envelopes: Arc<[rstar::AABB<[f32; 3]>]> = bbox.sphere_envelopes(F32_SLACK).into();
        self.trees_for(filter)
            .flat_map(move |(n, layer, tree)| {
                let envelopes = envelopes.clone();
                (0..envelopes.len()).flat_map(move |i| {
                    let envelopes = envelopes.clone();
                    tree.in_envelope(envelopes[i])
                        .filter(move |entry| {
                            !envelopes[..i]
                                .iter()
                                .any(|e| e.contains_point(&entry.point))
                        })
                        .filter_map(move |entry| self.found(n, layer, entry))
                })
            })
            .filter(move |facility| {
                bbox.contains(facility.location) && self.matches(facility, filter)
            })
    }

    /// Every facility matching `filter` inside `area` (boundary included). The polygon is read
    /// in longitude/latitude as GeoJSON does; it must not cross the antimeridian.
    pub fn within_polygon(&self, area: &geo::MultiPolygon, filter: &Filter) -> Vec<&FacilityBrief> {
        let Some(rect) = area.bounding_rect() else {
            return Vec::new();
        };
        let Ok(bbox) = BBox::new(rect.min().x, rect.min().y, rect.max().x, rect.max().y) else {
            return Vec::new();
        };
        self.within_bbox(bbox, filter)
            .into_iter()
            .filter(|facility| area.intersects(&facility.location.point()))
            .collect()
    }
}

/// `layer`'s records that `hides` leaves, and `records` on top, as one new layer hiding what
/// both hid.
fn stacked(layer: &Layer, records: Vec<Record>, hides: HashMap<FacilityId, u64>) -> Result<Layer> {
    let mut all: Vec<Record> = layer
        .records()
        .iter()
        .filter(|(f, _)| !hides.contains_key(&f.id))
        .cloned()
        .collect();
    all.extend(records);
    let mut hidden = layer.hidden().clone();
    hidden.extend(hides);
    Layer::new(all, hidden)
}

/// Stock totals by facility.
fn stock_map(
    stock: BTreeMap<(FacilityId, ItemId), u64>,
) -> HashTrieMapSync<FacilityId, BTreeMap<ItemId, u64>> {
    let mut by_facility: BTreeMap<FacilityId, BTreeMap<ItemId, u64>> = BTreeMap::new();
    for ((facility, item), quantity) in stock {
        by_facility
            .entry(facility)
            .or_default()
            .insert(item, quantity);
    }
    let mut map = HashTrieMapSync::new_sync();
    for (facility, items) in by_facility {
        map.insert_mut(facility, items);
    }
    map
}

/// The briefs of `facilities`, each validated first; an error names the facility and the field.
fn briefs(facilities: Vec<Facility>) -> Result<Vec<FacilityBrief>> {
    let mut briefs = Vec::with_capacity(facilities.len());
    for facility in facilities {
        facility
            .validate()
            .map_err(|e| e.in_facility(facility.id))?;
        briefs.push(FacilityBrief::from_facility(facility));
    }
    Ok(briefs)
}

/// Facilities for examples and tests.
#[doc(hidden)]
#[allow(clippy::expect_used)]
pub mod doc_support {
    use chrono::{TimeZone, Utc};

    use crate::*;

    /// An open, empty 1,500 m² emergency shelter at a position.
    pub fn shelter(id: u64, lon: f64, lat: f64) -> Facility {
        let mut shelter = Shelter::new(ShelterType::Emergency, SpaceType::OpenSite, Some(1_500.0))
            .expect("valid shelter");
        shelter.suitable_for.insert(HazardType::Earthquake);
        Facility {
            id: FacilityId::new(id).expect("valid id"),
            version: 1,
            name: Names::new(None, Some(format!("Shelter {id}"))).expect("valid name"),
            address: None,
            location: LonLat::new(lon, lat).expect("valid position"),
            footprint: None,
            admin: AdminArea::default(),
            operator: None,
            contact: None,
            designation: Designation::Designated,
            status: StatusReport::new(
                LiveStatus::Open,
                Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
                    .single()
                    .expect("valid time"),
            ),
            source: Source {
                dataset: "test".into(),
                record: None,
                crs: Crs::Wgs84,
            },
            details: FacilityDetails::Shelter(shelter),
        }
    }
}
