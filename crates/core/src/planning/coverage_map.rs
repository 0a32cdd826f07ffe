//! Coverage as a map: each populated cell's figures at the layer's resolution, and the same
//! figures summed into the coarser cells that hold them, so that a map zoomed out shows whole
//! areas and zoomed in shows single cells. Cells are found by where their centres lie.

use std::collections::HashMap;

use h3o::{CellIndex, Resolution};
use rstar::{AABB, RTree, primitives::GeomWithData};

use super::coverage::Coverage;
use super::population::cell_centre;
use crate::{BBox, Result};

/// The coverage figures of one cell, or of the populated cells a coarser cell holds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CellFigures {
    /// People living in it.
    pub people: f64,
    /// People within a shelter's service radius.
    pub covered: f64,
    /// People given a place when places are shared nearest first.
    pub provided: f64,
    /// People with a shelter in service anywhere, and the sum of their metres to it: the mean
    /// distance, weighted by people.
    reached: f64,
    metres: f64,
}

impl CellFigures {
    fn add(&mut self, other: &CellFigures) {
        self.people += other.people;
        self.covered += other.covered;
        self.provided += other.provided;
        self.reached += other.reached;
        self.metres += other.metres;
    }

    /// The mean metres from its people to their nearest shelter in service, weighted by people;
    /// `None` when there is no shelter in service or nobody lives there.
    pub fn distance_m(&self) -> Option<f64> {
        (self.reached > 0.0).then(|| self.metres / self.reached)
    }

    /// The share of its people within a shelter's service radius (0 when nobody lives there).
    pub fn covered_share(&self) -> f64 {
        if self.people > 0.0 {
            (self.covered / self.people).min(1.0)
        } else {
            0.0
        }
    }

    /// People without a place.
    pub fn unprovided(&self) -> f64 {
        (self.people - self.provided).max(0.0)
    }
}

type Centre = GeomWithData<[f64; 2], CellIndex>;

/// The cells of one resolution, found by where their centres lie.
#[derive(Debug, Default)]
struct Level {
    figures: HashMap<CellIndex, CellFigures>,
    centres: RTree<Centre>,
}

/// A coverage analysis as map cells, at its layer's resolution and every coarser one.
#[derive(Debug)]
pub struct CoverageMap {
    /// The finest resolution: the layer's.
    resolution: u8,
    /// By resolution, 0 up to `resolution`.
    levels: Vec<Level>,
}

impl CoverageMap {
    /// The map of `coverage`; a cell that two districts share counts once, with both shares.
    pub fn of(coverage: &Coverage) -> Result<Self> {
        let finest = coverage.resolution;
        let mut sums: Vec<HashMap<CellIndex, CellFigures>> =
            vec![HashMap::new(); usize::from(finest) + 1];
        for cell in &coverage.cells {
            let reached = if cell.distance_m.is_finite() {
                cell.people
            } else {
                0.0
            };
            let figures = CellFigures {
                people: cell.people,
                covered: if cell.covered { cell.people } else { 0.0 },
                provided: cell.provided,
                reached,
                metres: reached * if reached > 0.0 { cell.distance_m } else { 0.0 },
            };
            for (resolution, level) in sums.iter_mut().enumerate() {
                let Some(holder) = u8::try_from(resolution)
                    .ok()
                    .and_then(|r| Resolution::try_from(r).ok())
                    .and_then(|r| cell.cell.parent(r))
                else {
                    continue;
                };
                level.entry(holder).or_default().add(&figures);
            }
        }
        let levels = sums
            .into_iter()
            .map(|figures| {
                let centres = figures
                    .keys()
                    .map(|cell| {
                        let at = cell_centre(*cell)?;
                        Ok(Centre::new([at.lon(), at.lat()], *cell))
                    })
                    .collect::<Result<Vec<_>>>()?;
                Ok(Level {
                    figures,
                    centres: RTree::bulk_load(centres),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            resolution: finest,
            levels,
        })
    }

    /// The finest resolution it holds.
    pub fn resolution(&self) -> u8 {
        self.resolution
    }

    /// The populated cells at `resolution` (at most the finest) that reach into `bounds` (a box
    /// that does not cross the antimeridian, such as a tile's), with their figures.
    pub fn cells_within(
        &self,
        resolution: u8,
        bounds: BBox,
    ) -> impl Iterator<Item = (CellIndex, &CellFigures)> + '_ {
        let level = &self.levels[usize::from(resolution.min(self.resolution))];
        // A cell reaches at most its circumradius (about its edge length) past its centre.
        let edge_km = Resolution::try_from(resolution.min(self.resolution))
            .map_or(1_200.0, Resolution::edge_length_km);
        let lat_margin = 1.5 * edge_km / 111.0;
        let (min, max) = (bounds.min(), bounds.max());
        let widest_lat = min.lat().abs().max(max.lat().abs()).min(85.0);
        let lon_margin = lat_margin / widest_lat.to_radians().cos();
        let envelope = AABB::from_corners(
            [min.lon() - lon_margin, min.lat() - lat_margin],
            [max.lon() + lon_margin, max.lat() + lat_margin],
        );
        level
            .centres
            .locate_in_envelope(&envelope)
            .filter_map(|centre| {
                level
                    .figures
                    .get(&centre.data)
                    .map(|figures| (centre.data, figures))
            })
    }

    /// The figures of a cell at any resolution it holds.
    pub fn figures(&self, cell: CellIndex) -> Option<&CellFigures> {
        self.levels
            .get(usize::from(u8::from(cell.resolution())))?
            .figures
            .get(&cell)
    }
}
