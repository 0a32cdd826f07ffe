//! A layered snapshot answers exactly as a freshly bulk-loaded index of the same facilities: after
//! any interleaving of inserts, moves, status changes, removals, stock changes, batches and
//! compactions (including writes made while a compaction was being built).

use std::collections::BTreeMap;

use proptest::prelude::*;
use refuge_core::{
    BBox, FacilityId, Filter, ItemId, LiveStatus, LonLat, SpatialIndex, doc_support::shelter,
};

/// Ids are drawn from a small range, so that operations keep hitting facilities that exist.
const IDS: u64 = 300;

#[derive(Debug, Clone)]
enum Op {
    /// Insert or replace: a new position and whether it is open.
    Upsert {
        id: u64,
        lon: f64,
        lat: f64,
        open: bool,
    },
    /// Remove, if it exists.
    Remove { id: u64 },
    /// Many upserts in one change.
    Batch {
        first: u64,
        count: u64,
        lon: f64,
        lat: f64,
    },
    /// Set the usable units of water at a facility.
    Stock { id: u64, quantity: u64 },
    /// Take a snapshot to compact from: the compaction is built now and installed later.
    StartCompaction { fold: Fold },
    /// Install the compaction started last, on whatever is current.
    FinishCompaction,
}

/// How a compaction folds the changes above the base down.
#[derive(Debug, Clone, Copy)]
enum Fold {
    /// As due: into the middle layer, which has room here.
    Middle,
    /// Into the middle layer, then its changes of one base part into that part.
    BasePart,
    /// Everything into a new base.
    Rebuild,
}

/// Facilities a base part is made with in these tests: a few hundred facilities make many parts.
const PART_SIZE: usize = 16;

/// Positions over Beijing, close enough that queries see many of them.
fn op() -> impl Strategy<Value = Op> {
    let lon = 116.0..116.8f64;
    let lat = 39.6..40.2f64;
    prop_oneof![
        6 => (1..=IDS, lon.clone(), lat.clone(), any::<bool>())
            .prop_map(|(id, lon, lat, open)| Op::Upsert { id, lon, lat, open }),
        2 => (1..=IDS).prop_map(|id| Op::Remove { id }),
        1 => (1..=IDS, 1..200u64, lon, lat)
            .prop_map(|(first, count, lon, lat)| Op::Batch { first, count, lon, lat }),
        2 => (1..=IDS, 0..50u64).prop_map(|(id, quantity)| Op::Stock { id, quantity }),
        1 => prop_oneof![Just(Fold::Middle), Just(Fold::BasePart), Just(Fold::Rebuild)]
            .prop_map(|fold| Op::StartCompaction { fold }),
        1 => Just(Op::FinishCompaction),
    ]
}

/// Open facilities `ids` in rows of `per_row` from `corner` (longitude, latitude), 0.001° apart
/// along a row and 0.0001° between rows.
fn grid(
    ids: impl Iterator<Item = u64>,
    corner: (f64, f64),
    per_row: u64,
) -> Vec<refuge_core::Facility> {
    ids.map(|n| {
        facility(
            n,
            corner.0 + (n % per_row) as f64 * 1e-3,
            corner.1 + (n / per_row) as f64 * 1e-4,
            true,
        )
    })
    .collect()
}

fn id(n: u64) -> FacilityId {
    FacilityId::new(n).unwrap()
}

fn water() -> ItemId {
    ItemId::new("bottled_water").unwrap()
}

/// What the index should hold: facilities by id, and water by facility.
#[derive(Default)]
struct Model {
    facilities: BTreeMap<u64, refuge_core::Facility>,
    water: BTreeMap<u64, u64>,
}

impl Model {
    fn fresh_index(&self) -> SpatialIndex {
        let stock = self
            .water
            .iter()
            .filter(|(_, q)| **q > 0)
            .map(|(f, q)| ((id(*f), water()), *q))
            .collect();
        SpatialIndex::with_stock(self.facilities.values().cloned().collect(), stock).unwrap()
    }
}

fn facility(n: u64, lon: f64, lat: f64, open: bool) -> refuge_core::Facility {
    let mut facility = shelter(n, lon, lat);
    if !open {
        facility.status.status = LiveStatus::Closed;
    }
    facility
}

/// Runs `ops` on a layered index and a model, then compares them on every kind of query.
fn check(ops: &[Op], origins: &[(f64, f64)]) {
    let mut model = Model::default();
    let mut index = SpatialIndex::new(Vec::new())
        .unwrap()
        .with_part_size(PART_SIZE)
        .unwrap();
    let mut compaction: Option<(SpatialIndex, SpatialIndex)> = None;
    for op in ops {
        match op {
            Op::Upsert {
                id: n,
                lon,
                lat,
                open,
            } => {
                let f = facility(*n, *lon, *lat, *open);
                index = index.with_changes(vec![f.clone()], &[]).unwrap();
                model.facilities.insert(*n, f);
            }
            Op::Remove { id: n } => {
                let result = index.with_changes(vec![], &[id(*n)]);
                if model.facilities.remove(n).is_some() {
                    index = result.unwrap();
                    model.water.remove(n);
                } else {
                    assert!(result.is_err(), "removing unknown {n} must fail");
                }
            }
            Op::Batch {
                first,
                count,
                lon,
                lat,
            } => {
                let batch: Vec<_> = (0..*count)
                    .map(|k| {
                        let n = (first + k) % IDS + 1;
                        let at = k as f64 * 1e-3;
                        facility(n, lon + at, lat - at, k % 3 != 0)
                    })
                    .collect();
                index = index.with_changes(batch.clone(), &[]).unwrap();
                for f in batch {
                    model.facilities.insert(f.id.get(), f);
                }
            }
            Op::Stock { id: n, quantity } => {
                if model.facilities.contains_key(n) {
                    index = index.with_stock_levels([(id(*n), water(), *quantity)]);
                    model.water.insert(*n, *quantity);
                }
            }
            Op::StartCompaction { fold } => {
                let compacted = match fold {
                    Fold::Middle => index.compacted(),
                    Fold::BasePart => index.folded_into_base(),
                    Fold::Rebuild => index.rebuilt(),
                };
                compaction = Some((index.clone(), compacted.unwrap()));
            }
            Op::FinishCompaction => {
                if let Some((from, compacted)) = compaction.take() {
                    let version = index.version();
                    if let Some(rebased) = index.rebased(&compacted, &from) {
                        index = rebased;
                    }
                    assert_eq!(index.version(), version, "a compaction keeps the version");
                }
            }
        }
    }
    assert_same_answers(&index, &model.fresh_index(), origins);
}

fn ids(facilities: &[&refuge_core::FacilityBrief]) -> Vec<u64> {
    let mut ids: Vec<u64> = facilities.iter().map(|f| f.id.get()).collect();
    ids.sort_unstable();
    ids
}

fn assert_same_answers(layered: &SpatialIndex, fresh: &SpatialIndex, origins: &[(f64, f64)]) {
    assert_eq!(layered.len(), fresh.len());
    let mut listed: Vec<u64> = layered.facilities().map(|f| f.id.get()).collect();
    listed.sort_unstable();
    let mut expected: Vec<u64> = fresh.facilities().map(|f| f.id.get()).collect();
    expected.sort_unstable();
    assert_eq!(listed, expected);
    for n in 1..=IDS {
        assert_eq!(layered.get(id(n)), fresh.get(id(n)), "facility {n}");
        assert_eq!(
            layered.stock_of(id(n), &water()),
            fresh.stock_of(id(n), &water())
        );
    }
    let filters = [
        Filter::default(),
        Filter::default().open_only(true),
        Filter::default().item(water(), 10),
    ];
    for &(lon, lat) in origins {
        let origin = LonLat::new(lon, lat).unwrap();
        for filter in &filters {
            for k in [1, 5, 20] {
                let a: Vec<(u64, f64)> = layered
                    .nearest(origin, k, filter)
                    .iter()
                    .map(|h| (h.facility.id.get(), h.distance_m))
                    .collect();
                let b: Vec<(u64, f64)> = fresh
                    .nearest(origin, k, filter)
                    .iter()
                    .map(|h| (h.facility.id.get(), h.distance_m))
                    .collect();
                assert_eq!(a, b, "nearest k={k} from {origin} with {filter:?}");
            }
            let radius = |index: &SpatialIndex| -> Vec<u64> {
                let mut found: Vec<u64> = index
                    .within_radius(origin, 8_000.0, filter)
                    .iter()
                    .map(|h| h.facility.id.get())
                    .collect();
                found.sort_unstable();
                found
            };
            assert_eq!(radius(layered), radius(fresh), "within 8 km of {origin}");
            let bbox = BBox::new(lon - 0.1, lat - 0.05, lon + 0.1, lat + 0.05).unwrap();
            let inside = layered.within_bbox(bbox, filter).len();
            assert_eq!(layered.count_within_bbox(bbox, filter, usize::MAX), inside);
            assert_eq!(layered.count_within_bbox(bbox, filter, 3), inside.min(3));
            let all = ids(&layered.within_bbox(bbox, filter));
            assert_eq!(all, ids(&fresh.within_bbox(bbox, filter)), "in {bbox:?}");
            let even: Vec<u64> = all.iter().copied().filter(|id| id % 2 == 0).collect();
            let pages = [
                (0, 3),
                (2, 5),
                (even.len().saturating_sub(2), 5),
                (even.len(), 1),
                (even.len() + 5, 3),
                (0, usize::MAX),
                (1, usize::MAX),
            ];
            for (offset, limit) in pages {
                let (page, total) =
                    layered.page_within_bbox(bbox, filter, |f| f.id.get() % 2 == 0, offset, limit);
                let expected: Vec<u64> = even.iter().copied().skip(offset).take(limit).collect();
                assert_eq!(
                    (ids(&page), total),
                    (expected, even.len()),
                    "page {offset}+{limit}"
                );
            }
            let triangle = geo::MultiPolygon::new(vec![geo::Polygon::new(
                geo::LineString::from(vec![
                    (lon - 0.2, lat - 0.1),
                    (lon + 0.2, lat - 0.1),
                    (lon, lat + 0.15),
                    (lon - 0.2, lat - 0.1),
                ]),
                vec![],
            )]);
            assert_eq!(
                ids(&layered.within_polygon(&triangle, filter)),
                ids(&fresh.within_polygon(&triangle, filter)),
                "in a triangle around {origin}"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn any_interleaving_answers_as_a_fresh_index(
        ops in prop::collection::vec(op(), 1..400),
        origins in prop::collection::vec((116.0..116.8f64, 39.6..40.2f64), 3),
    ) {
        check(&ops, &origins);
    }
}

/// A change larger than the recent layer holds rebuilds the base, and a compaction started
/// before it is dropped rather than installed over it.
#[test]
fn a_large_change_rebuilds_and_outdates_a_compaction_under_way() {
    for fold in [Fold::Middle, Fold::BasePart, Fold::Rebuild] {
        let mut ops: Vec<Op> = (1..=50)
            .map(|n| Op::Upsert {
                id: n,
                lon: 116.0 + n as f64 * 1e-3,
                lat: 39.9,
                open: true,
            })
            .collect();
        ops.push(Op::StartCompaction { fold });
        ops.push(Op::Batch {
            first: 0,
            count: IDS,
            lon: 116.3,
            lat: 39.95,
        });
        ops.push(Op::Remove { id: 7 });
        ops.push(Op::FinishCompaction);
        check(&ops, &[(116.3, 39.9), (116.05, 39.9)]);
    }

    // Past the recent layer's limit at once: into the middle layer; past the middle layer's
    // limit too: into a new base.
    for count in [5_000u64, 70_000] {
        let many = grid(1..=count, (116.0, 39.6), 300);
        let index = SpatialIndex::new(vec![facility(count + 1, 116.2, 39.7, true)]).unwrap();
        let index = index.with_changes(many.clone(), &[]).unwrap();
        let index = index
            .with_changes(vec![facility(9, 116.5, 40.0, false)], &[id(10)])
            .unwrap();
        let mut expected: BTreeMap<u64, _> = many.into_iter().map(|f| (f.id.get(), f)).collect();
        expected.insert(count + 1, facility(count + 1, 116.2, 39.7, true));
        expected.insert(9, facility(9, 116.5, 40.0, false));
        expected.remove(&10);
        let fresh = SpatialIndex::new(expected.into_values().collect()).unwrap();
        assert_same_answers(
            &index,
            &fresh,
            &[(116.05, 39.65), (116.5, 40.0), (116.2, 39.7)],
        );
    }
}

/// A large change folds what the recent and fresh layers hold into a new middle layer with it,
/// outdating a compaction under way; writes after it stay exact.
#[test]
fn a_large_change_folds_the_upper_layers_and_outdates_a_compaction_under_way() {
    let mut model: BTreeMap<u64, refuge_core::Facility> = (1..=100)
        .map(|n| (n, facility(n, 116.0 + n as f64 * 1e-3, 39.8, true)))
        .collect();
    let mut index = SpatialIndex::new(model.values().cloned().collect()).unwrap();
    // Single writes: past the fresh layer's limit, so both the recent and the fresh layer hold
    // records and removals.
    for n in 50..350u64 {
        let f = facility(n, 116.2 + n as f64 * 1e-4, 39.9, n % 4 != 0);
        index = index.with_changes(vec![f.clone()], &[]).unwrap();
        model.insert(n, f);
    }
    for n in (60..100u64).step_by(7).chain((300..350).step_by(9)) {
        index = index.with_changes(vec![], &[id(n)]).unwrap();
        model.remove(&n);
    }
    let from = index.clone();
    let compacted = index.compacted().unwrap();
    let many = grid(1_000..6_000, (116.4, 39.7), 70);
    index = index.with_changes(many.clone(), &[id(51)]).unwrap();
    model.remove(&51);
    model.extend(many.into_iter().map(|f| (f.id.get(), f)));
    assert!(
        index.rebased(&compacted, &from).is_none(),
        "a compaction from before the large change is out of date"
    );
    let moved = facility(70, 116.6, 40.1, false);
    index = index
        .with_changes(vec![moved.clone()], &[id(1_001)])
        .unwrap();
    model.insert(70, moved);
    model.remove(&1_001);
    let fresh = SpatialIndex::new(model.into_values().collect()).unwrap();
    assert_same_answers(
        &index,
        &fresh,
        &[
            (116.05, 39.8),
            (116.22, 39.9),
            (116.45, 39.72),
            (116.6, 40.1),
        ],
    );
}

/// Thousands of single writes pass through both upper layers into a compaction that a
/// [`LiveIndex`](refuge_core::LiveIndex) runs by itself, and the answers stay exact throughout.
#[test]
fn a_live_index_compacts_by_itself_and_stays_exact() {
    let live = std::sync::Arc::new(refuge_core::LiveIndex::new(
        SpatialIndex::new(Vec::new()).unwrap(),
    ));
    let mut model = Model::default();
    for n in 1..=6_000u64 {
        let f = facility(
            n % 2_500 + 1,
            116.0 + (n % 97) as f64 * 7e-3,
            39.6 + (n % 89) as f64 * 6e-3,
            n % 5 != 0,
        );
        model.facilities.insert(f.id.get(), f.clone());
        live.update(|index| index.with_changes(vec![f], &[]))
            .unwrap();
    }
    // 2,500 ids changed, each both a record and a hidden id above the base: 5,000, more than the
    // recent layer holds before a compaction is due. Only the background thread, which nothing
    // here starts, can bring it under.
    let waited = std::time::Instant::now();
    while live.snapshot().wants_compaction() {
        assert!(waited.elapsed().as_secs() < 60, "no compaction ran");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let snapshot = live.snapshot();
    assert_same_answers(
        &snapshot,
        &model.fresh_index(),
        &[(116.2, 39.8), (116.6, 40.1)],
    );
}

/// A base in many parts takes moves across the city, new facilities and removals, and folds them
/// in one part at a time until nothing is left above it, answering exactly after every fold.
#[test]
fn a_base_in_parts_folds_one_part_at_a_time_and_stays_exact() {
    let mut model: BTreeMap<u64, refuge_core::Facility> = grid(1..=5_000, (116.0, 39.6), 70)
        .into_iter()
        .map(|f| (f.id.get(), f))
        .collect();
    let mut index = SpatialIndex::new(model.values().cloned().collect())
        .unwrap()
        .with_part_size(300)
        .unwrap();
    // Moves from the south-west to the north-east and back, new facilities, closures, removals.
    for n in (1..=5_000u64).step_by(17) {
        let f = facility(
            n,
            116.75 - (n % 70) as f64 * 1e-3,
            40.15 - (n / 70) as f64 * 1e-4,
            n % 2 == 0,
        );
        index = index.with_changes(vec![f.clone()], &[]).unwrap();
        model.insert(n, f);
    }
    for n in 6_000..6_200u64 {
        let f = facility(
            n,
            116.3 + (n % 20) as f64 * 2e-3,
            39.9 + (n % 13) as f64 * 2e-3,
            true,
        );
        index = index.with_changes(vec![f.clone()], &[]).unwrap();
        model.insert(n, f);
    }
    for n in (3..5_000u64).step_by(53).chain(6_100..6_120) {
        index = index.with_changes(vec![], &[id(n)]).unwrap();
        model.remove(&n);
    }
    let fresh = SpatialIndex::new(model.into_values().collect()).unwrap();
    let origins = [
        (116.05, 39.65),
        (116.7, 40.1),
        (116.32, 39.91),
        (116.4, 39.8),
    ];
    let mut folds = 0;
    while index.pending_changes() > 0 {
        index = index.folded_into_base().unwrap();
        folds += 1;
        assert!(
            folds <= 40,
            "folding makes no progress: {} left",
            index.pending_changes()
        );
        assert_same_answers(&index, &fresh, &origins);
    }
    assert!(
        folds > 1,
        "the changes span more than one part: {folds} fold"
    );
}
