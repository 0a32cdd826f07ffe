//! Coverage: how far the people of each populated cell are from the nearest shelter in service,
//! whether that is within the shelter's service radius, and who gets a place.
//!
//! A shelter is in service when it is designated or open, and neither closed, damaged nor
//! decommissioned; in a hazard, only when it is safe in it (see
//! [`SpatialIndex::nearest_safe`]). Distances run from each cell's centre, great-circle.
//!
//! Places are shared nearest first: every pair of a cell and a shelter within the shelter's
//! service radius, shortest first, gives the cell as many places as both have left. Residents no
//! pair serves are unprovided: beyond every radius, or past the capacity of every shelter that
//! reaches them. A shelter whose capacity is not known takes everyone who comes, so unprovided is
//! then a lower bound, and the answer says how many such shelters there are.

use h3o::CellIndex;
use rstar::{RTree, primitives::GeomWithData};
use serde::Serialize;

use super::population::{DistrictFinder, Placement, PopulationLayer, cell_centre};
use crate::distance::unit_vector;
use crate::{
    Designation, Error, FacilityBrief, FacilityId, FacilityKind, Filter, GreatCircle, HazardType,
    LiveStatus, LonLat, Result, SpatialIndex, Suitability,
};

/// The share of a district's residents its shelters should hold, unless asked otherwise (fixed
/// shelter places against the planned population; see DESIGN.md's reference numbers).
pub const DEFAULT_TARGET_SHARE: f64 = 0.15;

/// What a coverage analysis is asked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CoverageOptions {
    /// Only shelters safe in this hazard count.
    pub hazard: Option<HazardType>,
    /// The share of residents shelters should hold.
    pub target_share: f64,
    /// The most populated cells an analysis takes.
    pub max_cells: usize,
}

impl Default for CoverageOptions {
    fn default() -> Self {
        Self {
            hazard: None,
            target_share: DEFAULT_TARGET_SHARE,
            max_cells: super::population::MAX_CELLS,
        }
    }
}

/// One populated cell's coverage.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CellCoverage {
    /// The cell.
    pub cell: CellIndex,
    /// People living in it.
    pub people: f64,
    /// Its district, an index into the layer's districts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub district: Option<u32>,
    /// The nearest shelter in service, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nearest: Option<FacilityId>,
    /// Metres to it (infinite when there is none).
    pub distance_m: f64,
    /// Whether some shelter in service reaches it within its service radius.
    pub covered: bool,
    /// People given a place.
    pub provided: f64,
}

/// A district's (or the whole layer's) coverage.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AreaCoverage {
    /// The district's name (`all` for the whole layer).
    pub name: String,
    /// Its code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// How its people were placed on cells.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placement: Option<Placement>,
    /// Residents.
    pub population: f64,
    /// Residents within the service radius of a shelter in service.
    pub covered: f64,
    /// `covered` over `population`.
    pub covered_share: f64,
    /// Shelters in service in it.
    pub shelters: usize,
    /// Their places, where known.
    pub places: u64,
    /// Shelters in service whose capacity is not known.
    pub capacity_unknown: usize,
    /// `places` over `population`.
    pub places_share: f64,
    /// The share of residents shelters should hold.
    pub target_share: f64,
    /// Places short of the target (0 when it is met).
    pub places_short: f64,
    /// Residents given a place, nearest first.
    pub provided: f64,
    /// Residents without one: beyond every service radius, or past every capacity.
    pub unprovided: f64,
}

/// A coverage analysis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverage {
    /// Where the population comes from.
    pub source: String,
    /// The H3 resolution of its cells.
    pub resolution: u8,
    /// The hazard shelters had to be safe in, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hazard: Option<HazardType>,
    /// How each district's people were placed, in words.
    pub method: Vec<String>,
    /// Per district.
    pub districts: Vec<AreaCoverage>,
    /// The whole layer.
    pub total: AreaCoverage,
    /// Per populated cell.
    #[serde(skip)]
    pub cells: Vec<CellCoverage>,
}

/// A shelter in service, as the analysis sees it.
#[derive(Debug, Clone, Copy)]
struct InService {
    id: FacilityId,
    at: LonLat,
    radius_m: f64,
    capacity: Option<u64>,
}

type ShelterPoint = GeomWithData<[f64; 3], usize>;

/// What one cell finds: its nearest shelter in service (by its place in the list) and the metres
/// to it, and every shelter whose service radius reaches it, with the metres.
type Reached = (Option<(usize, f64)>, Vec<(usize, f64)>);

/// Whether a shelter is in service: designated or open; not closed, damaged or decommissioned.
fn in_service(facility: &FacilityBrief) -> bool {
    facility.designation != Designation::Decommissioned
        && !matches!(facility.status, LiveStatus::Closed | LiveStatus::Damaged)
        && (facility.designation == Designation::Designated || facility.status == LiveStatus::Open)
}

/// The shelters in service in `index` (safe in `hazard`, if given).
fn shelters_in_service(index: &SpatialIndex, hazard: Option<HazardType>) -> Vec<InService> {
    let exposed = hazard.map(|h| index.exposed_shelters(h));
    index
        .within_bbox(
            crate::BBox::world(),
            &Filter::default().kind(FacilityKind::Shelter),
        )
        .into_iter()
        .filter(|f| in_service(f))
        .filter_map(|f| {
            let shelter = f.shelter()?;
            if let Some(h) = hazard {
                if shelter.suitability(h) == Suitability::Unsuitable {
                    return None;
                }
                if exposed.as_ref().is_some_and(|e| e.contains_key(&f.id)) {
                    return None;
                }
            }
            Some(InService {
                id: f.id,
                at: f.location,
                radius_m: shelter.service_radius_m,
                capacity: shelter.capacity().map(u64::from),
            })
        })
        .collect()
}

/// Covers `layer` with the shelters of `index`: see the module's documentation.
pub fn coverage(
    index: &SpatialIndex,
    layer: &PopulationLayer,
    options: CoverageOptions,
) -> Result<Coverage> {
    if layer.cells.len() > options.max_cells {
        return Err(Error::field(
            "cells",
            format!(
                "{} populated cells is more than the limit of {}: use a coarser resolution or \
                 raise the limit (max_analysis_cells)",
                layer.cells.len(),
                options.max_cells
            ),
        ));
    }
    let shelters = shelters_in_service(index, options.hazard);
    let tree = RTree::bulk_load(
        shelters
            .iter()
            .enumerate()
            .map(|(n, s)| ShelterPoint::new(unit_vector(s.at), n))
            .collect(),
    );
    let widest = shelters.iter().map(|s| s.radius_m).fold(0.0, f64::max);
    let reach = GreatCircle.chord_for(widest);

    // Each cell: its nearest shelter, and the shelters whose radius reaches it, in parallel.
    let centres: Vec<LonLat> = layer
        .cells
        .iter()
        .map(|c| cell_centre(c.cell))
        .collect::<Result<_>>()?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = centres.len().div_ceil(threads).max(1);
    let found: Vec<Reached> = std::thread::scope(|scope| {
        let workers: Vec<_> = centres
            .chunks(chunk)
            .map(|part| {
                let (tree, shelters) = (&tree, &shelters);
                scope.spawn(move || {
                    part.iter()
                        .map(|at| reached(tree, shelters, *at, reach))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_default())
            .collect()
    });

    // Places, nearest first.
    let mut pairs: Vec<(f64, usize, usize)> = found
        .iter()
        .enumerate()
        .flat_map(|(cell, (_, within))| within.iter().map(move |(s, d)| (*d, cell, *s)))
        .collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut left_people: Vec<f64> = layer.cells.iter().map(|c| c.people).collect();
    let mut left_places: Vec<f64> = shelters
        .iter()
        .map(|s| s.capacity.map_or(f64::INFINITY, |c| c as f64))
        .collect();
    let mut provided = vec![0.0; layer.cells.len()];
    for (_, cell, shelter) in pairs {
        let take = left_people[cell].min(left_places[shelter]);
        if take > 0.0 {
            left_people[cell] -= take;
            left_places[shelter] -= take;
            provided[cell] += take;
        }
    }

    let cells: Vec<CellCoverage> = layer
        .cells
        .iter()
        .zip(&found)
        .zip(provided)
        .map(|((c, (nearest, within)), provided)| CellCoverage {
            cell: c.cell,
            people: c.people,
            district: c.district,
            nearest: nearest.map(|(s, _)| shelters[s].id),
            distance_m: nearest.map_or(f64::INFINITY, |(_, d)| d),
            covered: !within.is_empty(),
            provided,
        })
        .collect();
    Ok(summarise(layer, &shelters, cells, options))
}

/// The nearest shelter to `at`, and every shelter whose service radius reaches it, with metres.
fn reached(tree: &RTree<ShelterPoint>, shelters: &[InService], at: LonLat, reach: f64) -> Reached {
    let here = unit_vector(at);
    let metres = |n: usize| GreatCircle.distance_m(at, shelters[n].at);
    let nearest = tree
        .nearest_neighbor(&here)
        .map(|p| (p.data, metres(p.data)));
    let within = tree
        .locate_within_distance(here, reach * reach * (1.0 + 1e-9) + 1e-18)
        .map(|p| (p.data, metres(p.data)))
        .filter(|(n, d)| *d <= shelters[*n].radius_m)
        .collect();
    (nearest, within)
}

fn summarise(
    layer: &PopulationLayer,
    shelters: &[InService],
    cells: Vec<CellCoverage>,
    options: CoverageOptions,
) -> Coverage {
    let blank = |name: String, code: Option<String>, placement: Option<Placement>| AreaCoverage {
        name,
        code,
        placement,
        population: 0.0,
        covered: 0.0,
        covered_share: 0.0,
        shelters: 0,
        places: 0,
        capacity_unknown: 0,
        places_share: 0.0,
        target_share: options.target_share,
        places_short: 0.0,
        provided: 0.0,
        unprovided: 0.0,
    };
    let mut districts: Vec<AreaCoverage> = layer
        .districts
        .iter()
        .map(|d| blank(d.name.clone(), Some(d.code.clone()), Some(d.placement)))
        .collect();
    let mut total = blank("all".into(), None, None);
    for cell in &cells {
        let areas = std::iter::once(&mut total)
            .chain(cell.district.and_then(|d| districts.get_mut(d as usize)));
        for area in areas {
            area.population += cell.people;
            if cell.covered {
                area.covered += cell.people;
            }
            area.provided += cell.provided;
        }
    }
    // Shelters count where they stand: in the district whose outline holds them.
    let finder = DistrictFinder::for_outlines(&layer.outlines);
    for shelter in shelters {
        let district = finder
            .find(shelter.at)
            .and_then(|d| districts.get_mut(d as usize));
        for area in std::iter::once(&mut total).chain(district) {
            area.shelters += 1;
            match shelter.capacity {
                Some(places) => area.places += places,
                None => area.capacity_unknown += 1,
            }
        }
    }
    for area in districts.iter_mut().chain(std::iter::once(&mut total)) {
        let share = |n: f64| {
            if area.population > 0.0 {
                n / area.population
            } else {
                0.0
            }
        };
        area.covered_share = share(area.covered);
        area.places_share = share(area.places as f64);
        area.places_short = (area.population * area.target_share - area.places as f64).max(0.0);
        area.unprovided = (area.population - area.provided).max(0.0);
    }
    let mut method: Vec<String> = layer
        .districts
        .iter()
        .map(|d| format!("{}: {}", d.name, d.placement.describe()))
        .collect();
    if method.is_empty() {
        method.push(Placement::Counted.describe().to_owned());
    }
    Coverage {
        source: layer.source.clone(),
        resolution: layer.resolution,
        hazard: options.hazard,
        method,
        districts,
        total,
        cells,
    }
}
