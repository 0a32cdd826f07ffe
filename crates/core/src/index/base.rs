//! The base of a snapshot: its facilities in parts by region, each a bulk-loaded layer, so that a
//! compaction rebuilds one part at a time.
//!
//! Rebuilding the whole base at once would hold two copies of it for a while, and at 10M
//! facilities that is gigabytes; a part is a sixteenth. A facility stays in the part that holds
//! it when it changes, even if it moves: the part it leaves and the part it joins are then always
//! the same one, so folding a part never has to reach into another.

use std::collections::HashMap;
use std::sync::Arc;

use super::key;
use super::layer::{Layer, Record};
use crate::{Error, FacilityId, LonLat, Result};

/// How many parts a large base is cut into. Folds cut a part grown past twice the size parts
/// are made at, and parts are never merged (one emptied is dropped), so a base that has taken
/// many changes may hold somewhat more.
const PARTS: usize = 16;

/// The fewest facilities a part is made with, unless set otherwise (see
/// [`SpatialIndex::with_part_size`](super::SpatialIndex::with_part_size)): a small index is one
/// part.
pub(super) const PART_SIZE: usize = 65_536;

/// The parts of the base. Their ids are distinct, and they hide nothing.
#[derive(Debug, Default)]
pub(super) struct Base {
    parts: Vec<Arc<Layer>>,
}

impl Base {
    /// Bulk-loads `records`, which must have distinct ids, in parts of at least `part_size`
    /// facilities by region.
    pub(super) fn new(mut records: Vec<Record>, part_size: usize) -> Result<Self> {
        // A store hands them over in the order of their ids already.
        if !records.is_sorted_by_key(|(facility, _)| facility.id) {
            records.sort_unstable_by_key(|(facility, _)| facility.id);
        }
        if let Some(pair) = records.windows(2).find(|pair| pair[0].0.id == pair[1].0.id) {
            return Err(Error::DuplicateFacility(pair[0].0.id));
        }
        let count = (records.len() / part_size.max(1)).clamp(1, PARTS);
        let regions = by_region(records, count);
        Ok(Self {
            parts: built(regions)?,
        })
    }

    /// The parts, each a layer with nothing hidden.
    pub(super) fn parts(&self) -> &[Arc<Layer>] {
        &self.parts
    }

    /// How many facilities the base holds.
    pub(super) fn len(&self) -> usize {
        self.parts.iter().map(|part| part.records().len()).sum()
    }

    /// The facility with this id, if the base holds it.
    pub(super) fn get(&self, id: FacilityId) -> Option<&Record> {
        self.parts.iter().find_map(|part| part.get(id))
    }

    /// The part that holds `id`, if any.
    fn holding(&self, id: FacilityId) -> Option<usize> {
        self.parts.iter().position(|part| part.get(id).is_some())
    }

    /// The part a new facility at `location` joins: the one whose facilities it lies nearest to.
    fn nearest_to(&self, location: LonLat) -> usize {
        let probe = key(location);
        (0..self.parts.len())
            .min_by(|a, b| {
                self.parts[*a]
                    .reach_2(&probe)
                    .total_cmp(&self.parts[*b].reach_2(&probe))
            })
            .unwrap_or(0)
    }

    /// The part with the most of `middle`'s changes folded into it, and `middle` without them:
    /// the part's facilities that `middle` replaced or removed are dropped, and the records of
    /// `middle` that belong to the part join it. A part grown past twice the size parts are
    /// made at is cut in two or more.
    pub(super) fn folded(&self, middle: &Layer, part_size: usize) -> Result<(Self, Layer)> {
        // Which part holds each hidden id (none for a facility that was new when it was
        // removed: it hides nothing here); and where each record of the middle layer goes: to the
        // part that holds its facility (a replaced one's id is hidden too), or for a new facility
        // the part it lies nearest to.
        let held: HashMap<FacilityId, Option<usize>> = middle
            .hidden()
            .keys()
            .map(|id| (*id, self.holding(*id)))
            .collect();
        let goes: HashMap<FacilityId, usize> = middle
            .records()
            .iter()
            .map(|(facility, _)| {
                let holder = match held.get(&facility.id) {
                    Some(holder) => *holder,
                    None => self.holding(facility.id),
                };
                let part = holder.unwrap_or_else(|| self.nearest_to(facility.location));
                (facility.id, part)
            })
            .collect();
        let mut weights = vec![0usize; self.parts.len().max(1)];
        for part in goes.values().chain(held.values().flatten()) {
            weights[*part] += 1;
        }
        let chosen = (0..weights.len())
            .max_by_key(|part| weights[*part])
            .unwrap_or(0);
        let goes_here = |id: &FacilityId| goes.get(id) == Some(&chosen);

        let mut records: Vec<Record> = self
            .parts
            .get(chosen)
            .into_iter()
            .flat_map(|part| part.records())
            .filter(|(facility, _)| !middle.hides(facility.id))
            .cloned()
            .collect();
        records.extend(
            middle
                .records()
                .iter()
                .filter(|(facility, _)| goes_here(&facility.id))
                .cloned(),
        );
        records.sort_unstable_by_key(|(facility, _)| facility.id);
        let target = part_size.max(self.len() / PARTS).max(1);
        let count = if records.len() > 2 * target {
            records.len().div_ceil(target)
        } else {
            1
        };
        let mut parts: Vec<Arc<Layer>> = self.parts.iter().take(chosen).cloned().collect();
        parts.extend(built(by_region(records, count))?);
        parts.extend(self.parts.iter().skip(chosen + 1).cloned());
        parts.retain(|part| !part.records().is_empty());
        if parts.is_empty() {
            parts.push(Arc::default());
        }

        let kept: Vec<Record> = middle
            .records()
            .iter()
            .filter(|(facility, _)| !goes_here(&facility.id))
            .cloned()
            .collect();
        // A hidden id is still needed only while another part holds the facility it hides.
        let still_hidden: HashMap<FacilityId, u64> = middle
            .hidden()
            .iter()
            .filter(|(id, _)| held.get(id).copied().flatten().is_some_and(|p| p != chosen))
            .map(|(id, version)| (*id, *version))
            .collect();
        Ok((Self { parts }, Layer::new(kept, still_hidden)?))
    }
}

/// Each region's records bulk-loaded into a layer, on as many threads as the machine has.
fn built(regions: Vec<Vec<Record>>) -> Result<Vec<Arc<Layer>>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(regions.len())
        .max(1);
    if threads == 1 {
        return regions
            .into_iter()
            .map(|records| Layer::new(records, HashMap::new()).map(Arc::new))
            .collect();
    }
    let mut shares: Vec<Vec<(usize, Vec<Record>)>> = (0..threads).map(|_| Vec::new()).collect();
    for (n, records) in regions.into_iter().enumerate() {
        shares[n % threads].push((n, records));
    }
    let mut layers: Vec<(usize, Result<Layer>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = shares
            .into_iter()
            .map(|share| {
                scope.spawn(move || {
                    share
                        .into_iter()
                        .map(|(n, records)| (n, Layer::new(records, HashMap::new())))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| {
                worker
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    layers.sort_by_key(|(n, _)| *n);
    layers
        .into_iter()
        .map(|(_, layer)| layer.map(Arc::new))
        .collect()
}

/// `records`, sorted by id, cut into about `count` regions of about equal size (columns of
/// longitude, each cut into rows of latitude; as many as the nearest grid holds, so `count`
/// 3 gives 4), each still sorted by id. The records are moved, never copied: the regions are
/// reserved at their sizes, and their pages are written only as records arrive, while the vector
/// they came in shrinks as they leave it. Cutting 10M facilities takes little more resident
/// memory than they do (with an allocator that shrinks a large block in place, as glibc's and
/// jemalloc's do).
fn by_region(mut records: Vec<Record>, count: usize) -> Vec<Vec<Record>> {
    if count <= 1 || records.is_empty() {
        return vec![records];
    }
    let columns = count.isqrt().max(1) + usize::from(count.isqrt().pow(2) < count);
    let rows = count.div_ceil(columns);
    let lon = |record: &Record| record.0.location.lon();
    let lat = |record: &Record| record.0.location.lat();
    let column_cuts = quantiles(records.iter().map(lon).collect(), columns);
    let column = |record: &Record| column_cuts.partition_point(|cut| *cut <= lon(record));
    let row_cuts: Vec<Vec<f64>> = (0..columns)
        .map(|c| {
            let lats = records.iter().filter(|r| column(r) == c).map(lat).collect();
            quantiles(lats, rows)
        })
        .collect();
    let region = |record: &Record| {
        let c = column(record);
        c * rows + row_cuts[c].partition_point(|cut| *cut <= lat(record))
    };
    let mut sizes = vec![0usize; columns * rows];
    for record in &records {
        sizes[region(record)] += 1;
    }
    let mut regions: Vec<Vec<Record>> = sizes.into_iter().map(Vec::with_capacity).collect();
    while let Some(record) = records.pop() {
        regions[region(&record)].push(record);
        if records.capacity() - records.len() > records.capacity() / 8 {
            records.shrink_to_fit();
        }
    }
    for region in &mut regions {
        // Taken from the end of a vector sorted by id.
        region.reverse();
    }
    regions.retain(|region| !region.is_empty());
    regions
}

/// The `count - 1` values that cut `values` into `count` runs of about equal length.
fn quantiles(mut values: Vec<f64>, count: usize) -> Vec<f64> {
    (1..count)
        .filter_map(|n| {
            let at = n * values.len() / count;
            (at < values.len()).then(|| *values.select_nth_unstable_by(at, f64::total_cmp).1)
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::FacilityBrief;
    use crate::index::doc_support::shelter;

    /// Facilities `ids` on a grid over Beijing, written at version 1.
    fn records(ids: impl Iterator<Item = u64>) -> Vec<Record> {
        ids.map(|n| {
            let at = shelter(
                n,
                116.0 + (n % 100) as f64 * 7e-3,
                39.6 + (n / 100) as f64 * 1e-2,
            );
            (FacilityBrief::from_facility(at), 1)
        })
        .collect()
    }

    #[test]
    fn a_large_base_is_cut_into_regions_of_about_equal_size() {
        let base = Base::new(records(1..=8_000), 100).unwrap();
        assert_eq!(base.parts().len(), PARTS);
        assert_eq!(base.len(), 8_000);
        for part in base.parts() {
            let size = part.records().len();
            assert!((400..=600).contains(&size), "a part of {size}");
            assert!(part.records().is_sorted_by_key(|(f, _)| f.id));
        }
        assert_eq!(
            Base::new(records(1..=8_000), 8_000).unwrap().parts().len(),
            1
        );
    }

    #[test]
    fn folding_rebuilds_only_the_part_with_the_most_changes() {
        let base = Base::new(records(1..=8_000), 100).unwrap();
        // Closures of 300 facilities in the south-west corner, one part, and one far north-east.
        let corner = (1..=1_200u64).filter(|n| n % 100 < 25);
        let mut changed = records(corner.chain([7_950]));
        for (facility, version) in &mut changed {
            facility.status = crate::LiveStatus::Closed;
            *version = 2;
        }
        let hides = changed.iter().map(|(f, _)| (f.id, 2)).collect();
        let middle = Layer::new(changed, hides).unwrap();
        let (folded, left) = base.folded(&middle, 100).unwrap();
        let shared = folded
            .parts()
            .iter()
            .filter(|part| base.parts().iter().any(|old| Arc::ptr_eq(old, part)))
            .count();
        assert_eq!(shared, PARTS - 1, "one part rebuilt");
        assert_eq!(folded.len(), 8_000);
        // What belongs to another part stays above the base, hiding what it replaces.
        let far = crate::FacilityId::new(7_950).unwrap();
        assert_eq!(left.records().len(), 1);
        assert!(left.get(far).is_some() && left.hides(far));
        assert_eq!(folded.get(far).unwrap().0.status, crate::LiveStatus::Open);
        let (first, _) = folded.get(crate::FacilityId::new(1).unwrap()).unwrap();
        assert_eq!(first.status, crate::LiveStatus::Closed);
    }
}
