//! The spatial index: exact nearest-facility answers in metres at any latitude.
//!
//! Positions are stored as points on the unit sphere in an `rstar` R-tree. The straight-line
//! (chord) distance between two such points grows strictly with their great-circle distance, so
//! the R-tree's Euclidean nearest-neighbour order *is* the great-circle order: exact at the poles
//! and across the antimeridian, where ranking by degrees of longitude and latitude goes wrong.
//!
//! Attributes live beside the tree; a tree entry is only a point and a slot number, 16 bytes. The
//! tree keeps the unit vectors in `f32` (half the memory of `f64`, about 0.6 m of rounding), and
//! every answer is re-ranked with exact `f64` distances: the tree's order is only trusted up to
//! [`F32_SLACK`], and candidates are read until the next one is provably farther than the k-th.

mod activation;
mod bbox;
mod cells;
mod exposure;
mod filter;
mod live;

use std::collections::{BTreeMap, HashMap};

use geo::{BoundingRect, Intersects};
use rstar::{RStarInsertionStrategy, RTree, RTreeParams, primitives::GeomWithData};

pub use activation::{ActivationPlan, LeftReason, LeftShelter};
pub use bbox::BBox;
pub use cells::CellStats;
pub use exposure::Exposure;
pub use filter::Filter;
pub use live::LiveIndex;

use crate::distance::unit_vector;
use crate::{Error, Facility, FacilityId, FacilityKind, GreatCircle, ItemId, LonLat, Result};

type Entry = GeomWithData<[f32; 3], u32>;

/// Wider nodes than rstar's default (6): fewer parent nodes per point, and k-nearest stays as fast.
#[derive(Debug, Clone, Copy)]
struct Params;

impl RTreeParams for Params {
    const MIN_SIZE: usize = 4;
    const MAX_SIZE: usize = 12;
    const REINSERTION_COUNT: usize = 3;
    type DefaultInsertionStrategy = RStarInsertionStrategy;
}

/// How far (in unit-sphere chord length, ≈ 6.4 m) an `f32` tree distance may be from the exact
/// one: ten times the worst rounding of two `f32` unit vectors and their squared difference.
const F32_SLACK: f64 = 1e-6;

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
    /// The facility.
    pub facility: &'a Facility,
    /// Metres along the great circle (haversine, R = 6,371,008.8 m).
    pub distance_m: f64,
}

/// An immutable snapshot of every facility, indexed by position. Build a new one (or
/// patch a copy with [`SpatialIndex::with_changes`]) to change it; readers keep the one they hold.
#[derive(Debug, Clone)]
pub struct SpatialIndex {
    /// One tree per facility kind, in [`FacilityKind::ALL`] order: a query for shelters never
    /// walks past depots, hazards and points of interest.
    trees: Vec<RTree<Entry, Params>>,
    facilities: Vec<Facility>,
    /// (id, slot), sorted by id: 16 bytes a facility, a third of a hash map's.
    slots: Vec<(FacilityId, u32)>,
    stock: HashMap<FacilityId, BTreeMap<ItemId, u64>>,
    version: u64,
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
        if facilities.len() >= u32::MAX as usize {
            return Err(Error::field("facilities", "more than 4 billion facilities"));
        }
        let mut slots = Vec::with_capacity(facilities.len());
        let mut entries: Vec<Vec<Entry>> = FacilityKind::ALL.iter().map(|_| Vec::new()).collect();
        for (slot, facility) in (0u32..).zip(&facilities) {
            facility
                .validate()
                .map_err(|e| in_facility(facility.id, e))?;
            slots.push((facility.id, slot));
            if let Some(bucket) = entries.get_mut(kind_slot(facility.kind())) {
                bucket.push(Entry::new(key(facility.location), slot));
            }
        }
        slots.sort_unstable_by_key(|(id, _)| *id);
        if let Some(pair) = slots.windows(2).find(|pair| pair[0].0 == pair[1].0) {
            return Err(Error::DuplicateFacility(pair[0].0));
        }
        let mut by_facility: HashMap<FacilityId, BTreeMap<ItemId, u64>> = HashMap::new();
        for ((facility, item), quantity) in stock {
            by_facility
                .entry(facility)
                .or_default()
                .insert(item, quantity);
        }
        Ok(Self {
            trees: entries
                .into_iter()
                .map(RTree::bulk_load_with_params)
                .collect(),
            facilities,
            slots,
            stock: by_facility,
            version: 1,
        })
    }

    /// A new snapshot with `upserts` added or replaced and `removals` taken out, and the version
    /// one higher. This one is left as it was.
    pub fn with_changes(
        &self,
        upserts: Vec<Facility>,
        removals: &[FacilityId],
    ) -> Result<SpatialIndex> {
        // Many changes at once (an import, an activation): one bulk load beats thousands of
        // tree inserts and sorted-vector shifts.
        if upserts.len() > 256 {
            return self.rebuilt_with(upserts, removals);
        }
        let mut next = self.clone();
        for id in removals {
            next.remove(*id)?;
        }
        for facility in upserts {
            facility
                .validate()
                .map_err(|e| in_facility(facility.id, e))?;
            // A replaced facility keeps the stock it holds; only a removal drops it.
            let held = next.stock.get(&facility.id).cloned();
            if next.slot(facility.id).is_some() {
                next.remove(facility.id)?;
            }
            let id = facility.id;
            next.insert(facility)?;
            if let Some(held) = held {
                next.stock.insert(id, held);
            }
        }
        next.version = self.version + 1;
        Ok(next)
    }

    /// [`with_changes`](Self::with_changes) by building the next snapshot from scratch.
    fn rebuilt_with(
        &self,
        upserts: Vec<Facility>,
        removals: &[FacilityId],
    ) -> Result<SpatialIndex> {
        if let Some(unknown) = removals.iter().find(|id| self.slot(**id).is_none()) {
            return Err(Error::UnknownFacility(*unknown));
        }
        let mut replaced: HashMap<FacilityId, Facility> =
            upserts.into_iter().map(|f| (f.id, f)).collect();
        let mut facilities = Vec::with_capacity(self.facilities.len() + replaced.len());
        for facility in &self.facilities {
            if removals.contains(&facility.id) {
                continue;
            }
            facilities.push(
                replaced
                    .remove(&facility.id)
                    .unwrap_or_else(|| facility.clone()),
            );
        }
        let mut added: Vec<Facility> = replaced.into_values().collect();
        added.sort_unstable_by_key(|f| f.id);
        facilities.extend(added);
        let mut next = Self::with_stock(facilities, BTreeMap::new())?;
        next.stock = self.stock.clone();
        for id in removals {
            next.stock.remove(id);
        }
        next.version = self.version + 1;
        Ok(next)
    }

    /// The same snapshot with its version set: a server starts its versions above every version
    /// it served before, so that no cached tile of older data carries a current version.
    #[must_use]
    pub fn at_version(mut self, version: u64) -> Self {
        self.version = version;
        self
    }

    /// A new snapshot with the usable stock replaced, and the version one higher.
    pub fn with_stock_totals(&self, stock: BTreeMap<(FacilityId, ItemId), u64>) -> SpatialIndex {
        let mut next = self.clone();
        next.stock.clear();
        for ((facility, item), quantity) in stock {
            next.stock
                .entry(facility)
                .or_default()
                .insert(item, quantity);
        }
        next.version = self.version + 1;
        next
    }

    fn insert(&mut self, facility: Facility) -> Result<()> {
        let slot = u32::try_from(self.facilities.len())
            .map_err(|_| Error::field("facilities", "more than 4 billion facilities"))?;
        self.tree_mut(facility.kind())
            .insert(Entry::new(key(facility.location), slot));
        let at = self.slots.partition_point(|(id, _)| *id < facility.id);
        self.slots.insert(at, (facility.id, slot));
        self.facilities.push(facility);
        Ok(())
    }

    /// The slot of a facility id.
    fn slot(&self, id: FacilityId) -> Option<u32> {
        self.slots
            .binary_search_by_key(&id, |(id, _)| *id)
            .ok()
            .and_then(|at| self.slots.get(at))
            .map(|(_, slot)| *slot)
    }

    /// Removes by moving the last facility into the freed slot, so slots stay dense.
    fn remove(&mut self, id: FacilityId) -> Result<()> {
        let at = self
            .slots
            .binary_search_by_key(&id, |(id, _)| *id)
            .map_err(|_| Error::UnknownFacility(id))?;
        let (_, slot) = self.slots.remove(at);
        let (location, kind) = (
            self.facility_at(slot).location,
            self.facility_at(slot).kind(),
        );
        self.tree_mut(kind).remove(&Entry::new(key(location), slot));
        let last = u32::try_from(self.facilities.len() - 1).unwrap_or(slot);
        if slot != last {
            let moved = self.facility_at(last);
            let (moved_id, moved_at, moved_kind) = (moved.id, key(moved.location), moved.kind());
            let tree = self.tree_mut(moved_kind);
            tree.remove(&Entry::new(moved_at, last));
            tree.insert(Entry::new(moved_at, slot));
            if let Ok(at) = self.slots.binary_search_by_key(&moved_id, |(id, _)| *id) {
                self.slots[at].1 = slot;
            }
        }
        self.facilities.swap_remove(slot as usize);
        self.stock.remove(&id);
        Ok(())
    }

    fn tree_mut(&mut self, kind: FacilityKind) -> &mut RTree<Entry, Params> {
        // One tree per kind is made in `with_stock`, so the slot always exists.
        &mut self.trees[kind_slot(kind)]
    }

    /// The trees a query with `filter` has to look in.
    fn trees_for(&self, filter: &Filter) -> impl Iterator<Item = &RTree<Entry, Params>> {
        let only = filter.only_kind().map(kind_slot);
        self.trees
            .iter()
            .enumerate()
            .filter(move |(n, _)| only.is_none_or(|k| k == *n))
            .map(|(_, tree)| tree)
    }

    fn facility_at(&self, slot: u32) -> &Facility {
        // Slots come from the tree and the id map, which are kept dense with `facilities`.
        &self.facilities[slot as usize]
    }

    fn matches(&self, facility: &Facility, filter: &Filter) -> bool {
        filter.matches(facility, |item| self.stock_of(facility.id, item))
    }

    /// The data version: 1 for a new index, one more with every change.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// How many facilities.
    pub fn len(&self) -> usize {
        self.facilities.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.facilities.is_empty()
    }

    /// Every facility, in no particular order.
    pub fn facilities(&self) -> &[Facility] {
        &self.facilities
    }

    /// The facility with this id.
    pub fn get(&self, id: FacilityId) -> Option<&Facility> {
        self.slot(id).map(|slot| self.facility_at(slot))
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
        let mut best: Vec<(f64, &Facility)> = Vec::with_capacity(k + 1);
        if k == 0 {
            return Vec::new();
        }
        // Each tree is walked until its next candidate is provably farther than the k-th best
        // so far (of all trees): the answer is the exact k nearest over every kind asked for.
        for tree in self.trees_for(filter) {
            for (entry, tree_chord2) in tree.nearest_neighbor_iter_with_distance_2(&key(origin)) {
                let farthest_kept = best.get(k - 1).map(|(c, _)| *c);
                if farthest_kept
                    .is_some_and(|kept| f64::from(tree_chord2).sqrt() - F32_SLACK > kept)
                {
                    break;
                }
                let facility = self.facility_at(entry.data);
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
            .flat_map(|tree| tree.locate_within_distance(key(origin), reach * reach))
            .map(|entry| self.facility_at(entry.data))
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

    /// Every facility matching `filter` inside `bbox` (edges included).
    pub fn within_bbox(&self, bbox: BBox, filter: &Filter) -> Vec<&Facility> {
        let envelopes = bbox.sphere_envelopes(F32_SLACK);
        let mut found: Vec<&Facility> = self
            .trees_for(filter)
            .flat_map(|tree| {
                envelopes
                    .iter()
                    .flat_map(move |envelope| tree.locate_in_envelope(envelope))
            })
            .map(|entry| self.facility_at(entry.data))
            .filter(|facility| bbox.contains(facility.location) && self.matches(facility, filter))
            .collect();
        found.sort_by_key(|facility| facility.id);
        found.dedup_by_key(|facility| facility.id);
        found
    }

    /// Every facility matching `filter` inside `area` (boundary included). The polygon is read
    /// in longitude/latitude as GeoJSON does; it must not cross the antimeridian.
    pub fn within_polygon(&self, area: &geo::MultiPolygon, filter: &Filter) -> Vec<&Facility> {
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

/// A kind's place in [`FacilityKind::ALL`], which is also its tree's.
fn kind_slot(kind: FacilityKind) -> usize {
    FacilityKind::ALL
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(0)
}

fn in_facility(id: FacilityId, error: Error) -> Error {
    match error {
        Error::Field { field, reason } => Error::Field {
            field,
            reason: format!("{reason} (facility {id})"),
        },
        other => Error::field("facility", format!("facility {id}: {other}")),
    }
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
