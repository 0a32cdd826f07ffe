//! Planning: where people live (population on H3 cells) and how well the shelters serve them
//! (coverage), for planners' figures; and stress tests that play a hazard out on a copy of the
//! data (scenarios).

mod coverage;
mod coverage_map;
mod population;
mod scenario;

pub use coverage::{
    AreaCoverage, CellCoverage, Coverage, CoverageOptions, DEFAULT_TARGET_SHARE, coverage,
};
pub use coverage_map::{CellFigures, CoverageMap};
pub use population::{
    CellPeople, DEFAULT_RESOLUTION, District, DistrictFinder, DistrictPeople, Dwelling, MAX_CELLS,
    Placement, PopulationLayer, cell_at, cell_centre, cells_in, resolution,
};
pub use scenario::{Figures, MAX_DEMAND_MULTIPLIER, Outcome, Scenario, open_plans, run_scenario};
