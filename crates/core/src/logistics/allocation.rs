//! Allocating scarce stock across many destinations: a transportation problem per item, solved
//! as a linear program (`microlp`).
//!
//! The objective, in order:
//! 1. **Equal coverage.** The smallest share of need met, over the destinations, is as large as
//!    the stock allows (in whole units).
//! 2. **As much as the stock allows.** Every unit that can go somewhere goes, up to the needs.
//! 3. **The fewest unit-kilometres** (units × great-circle kilometres from source to
//!    destination).
//!
//! The first is found exactly in whole units: the largest share `z` with `Σ ⌈z · need⌉` within
//! the stock. That sets each destination's minimum; the linear program then places every unit it
//! can at the least unit-kilometres, each destination between its minimum and its need. Its
//! constraint matrix is a network's, so its optimal vertices are whole numbers.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::{
    Error, FacilityBrief, FacilityId, FacilityKind, GreatCircle, ItemId, Result, SpatialIndex,
    StockLedger,
};

/// A destination's share of one item, as allocated.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Coverage {
    /// The destination.
    pub destination: FacilityId,
    /// The item.
    pub item: ItemId,
    /// Units needed.
    pub need: u64,
    /// Units allocated.
    pub allocated: u64,
}

/// Units of one item from one source to one destination.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Shipment {
    /// The depot or micro-storage site.
    pub source: FacilityId,
    /// The destination.
    pub destination: FacilityId,
    /// The item.
    pub item: ItemId,
    /// How many units.
    pub quantity: u64,
    /// Great-circle metres from source to destination.
    pub distance_m: f64,
}

/// An allocation of scarce stock across destinations.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Allocation {
    /// The day whose usable stock it counts.
    pub day: NaiveDate,
    /// What goes where.
    pub shipments: Vec<Shipment>,
    /// Each destination's need and allocation, per item.
    pub coverage: Vec<Coverage>,
    /// Units × great-circle kilometres over every shipment.
    pub unit_km: f64,
}

/// One item's transportation problem: stock at sources, needs at destinations, and the metres
/// between each pair. What [`allocate`] builds from the index and the ledger, and what the
/// solver takes.
#[derive(Debug, Clone, PartialEq)]
pub struct Transport {
    /// Usable units at each source.
    pub stock: Vec<u64>,
    /// Units needed at each destination.
    pub needs: Vec<u64>,
    /// `metres[source][destination]`.
    pub metres: Vec<Vec<f64>>,
}

impl Transport {
    /// The units from each source to each destination, `[source][destination]`: equal
    /// coverage first, then as many units as possible, then the fewest unit-kilometres.
    pub fn solve(&self) -> Result<Vec<Vec<u64>>> {
        let sources = self.stock.len();
        let destinations = self.needs.len();
        let mut units = vec![vec![0u64; destinations]; sources];
        let supply: u64 = self.stock.iter().sum();
        let demand: u64 = self.needs.iter().sum();
        let total = supply.min(demand);
        if total == 0 {
            return Ok(units);
        }
        let minimum = self.minimum_units(supply);
        let mut problem = microlp::Problem::new(microlp::OptimizationDirection::Minimize);
        // Only the pairs that can carry a unit: a source with stock, a destination with a need;
        // each pair's variable is in its source's row and its destination's.
        let mut pairs = Vec::new();
        let mut by_source: Vec<Vec<(microlp::Variable, f64)>> = vec![Vec::new(); sources];
        let mut by_destination: Vec<Vec<(microlp::Variable, f64)>> = vec![Vec::new(); destinations];
        for (s, &stock) in self.stock.iter().enumerate() {
            if stock == 0 {
                continue;
            }
            for (d, &need) in self.needs.iter().enumerate() {
                if need > 0 {
                    let var =
                        problem.add_var(self.metres[s][d] / 1_000.0, (0.0, need.min(stock) as f64));
                    pairs.push((s, d, var));
                    by_source[s].push((var, 1.0));
                    by_destination[d].push((var, 1.0));
                }
            }
        }
        // As many units as possible: with too little stock, every source gives all it has; with
        // enough, every destination gets all it needs (its minimum is then its need). No row
        // over every pair is needed, which keeps the factorization sparse.
        let scarce = supply < demand;
        for (row, &stock) in by_source.into_iter().zip(&self.stock) {
            if !row.is_empty() {
                let op = if scarce {
                    microlp::ComparisonOp::Eq
                } else {
                    microlp::ComparisonOp::Le
                };
                problem.add_constraint(row, op, stock as f64);
            }
        }
        for (d, (mut row, &need)) in by_destination.into_iter().zip(&self.needs).enumerate() {
            if row.is_empty() {
                continue;
            }
            // Between the minimum and the need, in one row: what is short of the need is a
            // variable of its own, at most the need less the minimum.
            if minimum[d] < need {
                let short = problem.add_var(0.0, (0.0, (need - minimum[d]) as f64));
                row.push((short, 1.0));
            }
            problem.add_constraint(row, microlp::ComparisonOp::Eq, need as f64);
        }
        let solution = problem
            .solve()
            .map_err(|e| Error::field("allocation", format!("the solver failed: {e}")))?
            .into_solution()
            .map_err(|_| Error::field("allocation", "the solver was interrupted"))?;
        for (s, d, var) in pairs {
            // A network's matrix: the optimal vertex is whole; rounding only drops float noise.
            units[s][d] = solution.var_value(var).round().max(0.0) as u64;
        }
        Ok(units)
    }

    /// Solves several problems (one per item), on every core: each answer as [`Self::solve`]'s,
    /// in order.
    pub fn solve_each(problems: &[Transport]) -> Result<Vec<Vec<Vec<u64>>>> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let chunk = problems.len().div_ceil(threads).max(1);
        std::thread::scope(|scope| {
            let workers: Vec<_> = problems
                .chunks(chunk)
                .map(|part| {
                    scope.spawn(move || {
                        part.iter()
                            .map(Transport::solve)
                            .collect::<Result<Vec<_>>>()
                    })
                })
                .collect();
            let mut all = Vec::with_capacity(problems.len());
            for worker in workers {
                let part = worker
                    .join()
                    .map_err(|_| Error::field("allocation", "a solving thread failed"))??;
                all.extend(part);
            }
            Ok(all)
        })
    }

    /// Each destination's minimum: its need times the largest share `z` (a fraction `k / need`
    /// of some destination's need) for which the minimums fit in `supply`, rounded up.
    fn minimum_units(&self, supply: u64) -> Vec<u64> {
        let needed = |k: u64, n: u64| -> u128 {
            // Σ ⌈k/n · need⌉, exactly in integers.
            self.needs
                .iter()
                .map(|&need| (u128::from(k) * u128::from(need)).div_ceil(u128::from(n)))
                .sum()
        };
        // The best share: for each destination, the largest k with k / need fitting.
        let mut best: (u64, u64) = (0, 1);
        for &n in self.needs.iter().filter(|&&n| n > 0) {
            let (mut low, mut high) = (0u64, n);
            while low < high {
                let mid = low + (high - low).div_ceil(2);
                if needed(mid, n) <= u128::from(supply) {
                    low = mid;
                } else {
                    high = mid - 1;
                }
            }
            // low / n > best.0 / best.1?
            if u128::from(low) * u128::from(best.1) > u128::from(best.0) * u128::from(n) {
                best = (low, n);
            }
        }
        let (k, n) = best;
        self.needs
            .iter()
            .map(|&need| {
                u64::try_from((u128::from(k) * u128::from(need)).div_ceil(u128::from(n)))
                    .unwrap_or(need)
                    .min(need)
            })
            .collect()
    }
}

/// The problems of an allocation, one per item, as read from the index and the ledger: solved
/// by [`AllocationProblem::solve`] without either (a server reads them under its ledger's lock
/// and solves after letting go of it).
#[derive(Debug, Clone)]
pub struct AllocationProblem {
    day: NaiveDate,
    destinations: Vec<FacilityId>,
    /// Each item, the units needed at each destination, the sources, and its problem.
    items: Vec<(ItemId, Vec<u64>, Vec<FacilityId>, Transport)>,
}

/// Allocates the usable stock (on `day`) of every depot and micro-storage site across
/// `destinations`, each with its needs per item (validated by the caller). Sources that are
/// themselves destinations do not give.
pub fn allocate(
    index: &SpatialIndex,
    ledger: &StockLedger,
    destinations: &[(FacilityId, Vec<super::Need>)],
    day: NaiveDate,
) -> Result<Allocation> {
    AllocationProblem::read(index, ledger, destinations, day)?.solve()
}

impl AllocationProblem {
    /// The problems of allocating the usable stock on `day` across `destinations`.
    pub fn read(
        index: &SpatialIndex,
        ledger: &StockLedger,
        destinations: &[(FacilityId, Vec<super::Need>)],
        day: NaiveDate,
    ) -> Result<Self> {
        let places: Vec<&FacilityBrief> = destinations
            .iter()
            .map(|(id, _)| {
                index.get(*id).ok_or(Error::field(
                    "destinations",
                    format!("no facility with id {id}"),
                ))
            })
            .collect::<Result<_>>()?;
        let mut needed: BTreeMap<&ItemId, Vec<u64>> = BTreeMap::new();
        for (n, (_, needs)) in destinations.iter().enumerate() {
            for need in needs {
                needed
                    .entry(&need.item)
                    .or_insert_with(|| vec![0; destinations.len()])[n] += need.quantity;
            }
        }
        let metric = GreatCircle;
        let mut items = Vec::with_capacity(needed.len());
        for (item, needs) in needed {
            let sources: Vec<&FacilityBrief> = ledger
                .holders(item, day)
                .into_iter()
                .filter(|(id, _)| !destinations.iter().any(|(d, _)| d == id))
                .filter_map(|(id, _)| {
                    let facility = index.get(id)?;
                    matches!(
                        facility.kind(),
                        FacilityKind::Reserve | FacilityKind::MicroStorage
                    )
                    .then_some(facility)
                })
                .collect();
            let transport = Transport {
                stock: sources
                    .iter()
                    .map(|source| ledger.usable(source.id, item, day))
                    .collect(),
                needs: needs.clone(),
                metres: sources
                    .iter()
                    .map(|source| {
                        places
                            .iter()
                            .map(|place| metric.distance_m(source.location, place.location))
                            .collect()
                    })
                    .collect(),
            };
            items.push((
                item.clone(),
                needs,
                sources.iter().map(|source| source.id).collect(),
                transport,
            ));
        }
        Ok(Self {
            day,
            destinations: places.iter().map(|place| place.id).collect(),
            items,
        })
    }

    /// Solves every item's problem (on every core) and says what goes where.
    pub fn solve(self) -> Result<Allocation> {
        let transports: Vec<Transport> = self.items.iter().map(|(.., t)| t.clone()).collect();
        let solved = Transport::solve_each(&transports)?;
        let mut allocation = Allocation {
            day: self.day,
            shipments: Vec::new(),
            coverage: Vec::new(),
            unit_km: 0.0,
        };
        for ((item, needs, sources, transport), units) in self.items.into_iter().zip(solved) {
            let mut allocated = vec![0u64; self.destinations.len()];
            for (s, row) in units.iter().enumerate() {
                for (d, &quantity) in row.iter().enumerate() {
                    if quantity == 0 {
                        continue;
                    }
                    allocated[d] += quantity;
                    let distance_m = transport.metres[s][d];
                    allocation.unit_km += quantity as f64 * distance_m / 1_000.0;
                    allocation.shipments.push(Shipment {
                        source: sources[s],
                        destination: self.destinations[d],
                        item: item.clone(),
                        quantity,
                        distance_m,
                    });
                }
            }
            for (d, destination) in self.destinations.iter().enumerate() {
                if needs[d] > 0 {
                    allocation.coverage.push(Coverage {
                        destination: *destination,
                        item: item.clone(),
                        need: needs[d],
                        allocated: allocated[d],
                    });
                }
            }
        }
        Ok(allocation)
    }
}
