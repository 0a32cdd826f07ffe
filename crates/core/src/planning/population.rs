//! Where people live, on H3 cells.
//!
//! A population layer holds how many people live in each cell of one H3 resolution (9 by
//! default: about 0.1 km² a cell) and the district each cell belongs to. It is made from what a
//! city has:
//! - points with a count (a census block's centre, a building's residents): each in its cell;
//! - H3 cells with a count: at the layer's resolution as they are, finer ones added up into their
//!   parent, coarser ones shared evenly among their children;
//! - district totals with the districts' outlines: spread over the district's residential
//!   buildings by floor area (footprint × levels) where the base map has them, which is the
//!   dasymetric method, else evenly over the district's cells.
//!
//! How each district's people were placed is kept with the layer, and every result names it.

use std::collections::BTreeMap;

use geo::{BoundingRect, Centroid, Contains, MultiPolygon, Point, Polygon, Rect};
use h3o::geom::{ContainmentMode, TilerBuilder};
use h3o::{CellIndex, LatLng, Resolution};
use serde::{Deserialize, Serialize};

use crate::{Error, LonLat, Result};

/// The resolution a layer is made at unless asked otherwise: cells of about 0.1 km².
pub const DEFAULT_RESOLUTION: u8 = 9;

/// The most cells one layer may hold: a province at resolution 9 is below it.
pub const MAX_CELLS: usize = 5_000_000;

/// A district: an area whose population a census gives.
#[derive(Debug, Clone, PartialEq)]
pub struct District {
    /// Its name.
    pub name: String,
    /// Its code (for a Chinese district, the GB/T 2260 code, here with the 156 country prefix).
    pub code: String,
    /// Its outline (WGS84).
    pub area: MultiPolygon,
}

/// How a district's people were placed on cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Placement {
    /// Counted where they live: points or cells with a count.
    Counted,
    /// A district total spread over its residential buildings by floor area (dasymetric).
    ByFloorArea,
    /// A district total spread evenly over the district's cells (no buildings known).
    Evenly,
}

impl Placement {
    /// How it reads in a result.
    pub fn describe(self) -> &'static str {
        match self {
            Placement::Counted => "counted where people live (points or cells with a count)",
            Placement::ByFloorArea => {
                "district total spread over residential buildings by floor area (dasymetric)"
            }
            Placement::Evenly => "district total spread evenly over the district's cells",
        }
    }
}

/// A district of a layer: its total, and how its people were placed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DistrictPeople {
    /// Its name.
    pub name: String,
    /// Its code.
    pub code: String,
    /// People, as placed on its cells.
    pub population: f64,
    /// How they were placed.
    pub placement: Placement,
}

/// People in one cell.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CellPeople {
    /// The cell.
    pub cell: CellIndex,
    /// People living in it.
    pub people: f64,
    /// The district it belongs to (an index into [`PopulationLayer::districts`]), if any.
    pub district: Option<u32>,
}

/// Where people live, on the cells of one H3 resolution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PopulationLayer {
    /// Where it comes from (a dataset name and its credit).
    pub source: String,
    /// The H3 resolution of its cells.
    pub resolution: u8,
    /// The districts, each with its total and how it was placed.
    pub districts: Vec<DistrictPeople>,
    /// The districts' outlines (WGS84), in the same order: where their shelters stand.
    pub outlines: Vec<MultiPolygon>,
    /// Populated cells, by cell; a cell two districts share comes once for each.
    pub cells: Vec<CellPeople>,
}

/// A building people live in: what the dasymetric method weighs a district's total by.
#[derive(Debug, Clone, PartialEq)]
pub struct Dwelling {
    /// Its footprint (WGS84).
    pub footprint: Polygon,
    /// Its floors above ground (1 when not known).
    pub levels: f64,
}

/// Checks an H3 resolution.
pub fn resolution(value: u8) -> Result<Resolution> {
    Resolution::try_from(value).map_err(|_| {
        Error::field(
            "resolution",
            format!("{value} is not an H3 resolution (0-15)"),
        )
    })
}

/// The cell of a position.
pub fn cell_at(at: LonLat, resolution: Resolution) -> Result<CellIndex> {
    let lat_lng = LatLng::new(at.lat(), at.lon()).map_err(|e| Error::H3(e.to_string()))?;
    Ok(lat_lng.to_cell(resolution))
}

/// The centre of a cell.
pub fn cell_centre(cell: CellIndex) -> Result<LonLat> {
    let centre = LatLng::from(cell);
    LonLat::new(centre.lng(), centre.lat())
}

/// The cells whose centres lie in `area`, at `resolution`.
pub fn cells_in(area: &MultiPolygon, resolution: Resolution) -> Result<Vec<CellIndex>> {
    let mut tiler = TilerBuilder::new(resolution)
        .containment_mode(ContainmentMode::ContainsCentroid)
        .build();
    tiler
        .add_batch(area.0.iter().cloned())
        .map_err(|e| Error::field("area", format!("not a valid outline: {e}")))?;
    if tiler.coverage_size_hint() > MAX_CELLS {
        return Err(Error::field(
            "area",
            format!("more than {MAX_CELLS} cells at resolution {resolution}: use a coarser one"),
        ));
    }
    let mut cells: Vec<CellIndex> = tiler.into_coverage().collect();
    cells.sort_unstable();
    Ok(cells)
}

/// Which district a position lies in: the first whose outline holds it.
pub struct DistrictFinder<'a> {
    outlines: Vec<(Option<Rect>, &'a MultiPolygon)>,
}

impl<'a> DistrictFinder<'a> {
    /// For these districts.
    pub fn new(districts: &'a [District]) -> Self {
        Self::from_areas(districts.iter().map(|d| &d.area))
    }

    /// For these outlines.
    pub fn for_outlines(outlines: &'a [MultiPolygon]) -> Self {
        Self::from_areas(outlines.iter())
    }

    fn from_areas(areas: impl Iterator<Item = &'a MultiPolygon>) -> Self {
        Self {
            outlines: areas.map(|a| (a.bounding_rect(), a)).collect(),
        }
    }

    /// The index of the district holding `at`, if any.
    pub fn find(&self, at: LonLat) -> Option<u32> {
        let point = at.point();
        self.outlines
            .iter()
            .position(|(rect, area)| {
                rect.is_some_and(|r| r.contains(&point)) && area.contains(&point)
            })
            .map(|n| n as u32)
    }
}

impl PopulationLayer {
    /// A layer from counts at points (each `(position, people)`), each in its cell and, with
    /// districts, in the district holding it. Points outside every district, when districts are
    /// given, are answered by their place in `points`, not counted.
    pub fn from_points(
        source: String,
        points: &[(LonLat, f64)],
        districts: &[District],
        resolution: u8,
    ) -> Result<(Self, Vec<usize>)> {
        let h3 = self::resolution(resolution)?;
        Self::counted(source, points, districts, resolution, |(at, people)| {
            Ok((*at, vec![(cell_at(*at, h3)?, *people)]))
        })
    }

    /// A layer from counts per H3 cell, of any resolution: finer cells add up into their parent
    /// at `resolution`, coarser ones are shared evenly among their children. Cells whose centre
    /// lies outside every district, when districts are given, are answered by their place in
    /// `counts`, not counted.
    pub fn from_cells(
        source: String,
        counts: &[(CellIndex, f64)],
        districts: &[District],
        resolution: u8,
    ) -> Result<(Self, Vec<usize>)> {
        let h3 = self::resolution(resolution)?;
        Self::counted(source, counts, districts, resolution, |(cell, people)| {
            let shares = if cell.resolution() >= h3 {
                let parent = cell
                    .parent(h3)
                    .ok_or_else(|| Error::H3("no parent".into()))?;
                vec![(parent, *people)]
            } else {
                if cell.children_count(h3) > MAX_CELLS as u64 {
                    return Err(Error::field(
                        "cell",
                        format!("{cell} holds more than {MAX_CELLS} cells at resolution {h3}"),
                    ));
                }
                let children: Vec<CellIndex> = cell.children(h3).collect();
                let each = people / children.len() as f64;
                children.into_iter().map(|c| (c, each)).collect()
            };
            Ok((cell_centre(*cell)?, shares))
        })
    }

    /// A layer from counts, each placed by `place`: where it is (for its district) and the people
    /// it puts in which cells. Those outside every district, when districts are given, are
    /// answered by their place in `counts`, not counted.
    fn counted<T>(
        source: String,
        counts: &[T],
        districts: &[District],
        resolution: u8,
        place: impl Fn(&T) -> Result<(LonLat, Vec<(CellIndex, f64)>)>,
    ) -> Result<(Self, Vec<usize>)> {
        let finder = DistrictFinder::new(districts);
        let mut cells: BTreeMap<(CellIndex, Option<u32>), f64> = BTreeMap::new();
        let mut outside = Vec::new();
        for (n, count) in counts.iter().enumerate() {
            let (at, shares) = place(count)?;
            let district = finder.find(at);
            if !districts.is_empty() && district.is_none() {
                outside.push(n);
                continue;
            }
            for (cell, people) in shares {
                *cells.entry((cell, district)).or_default() += people;
            }
        }
        Ok((
            Self::assemble(source, resolution, districts, cells, |_| Placement::Counted),
            outside,
        ))
    }

    /// A layer from district totals (`totals[n]` people in `districts[n]`): each spread over the
    /// district's dwellings by floor area where any lie in it, else evenly over its cells.
    pub fn from_district_totals(
        source: String,
        districts: &[District],
        totals: &[f64],
        dwellings: &[Dwelling],
        resolution: u8,
    ) -> Result<Self> {
        let h3 = self::resolution(resolution)?;
        let finder = DistrictFinder::new(districts);
        // Floor area per cell, per district.
        let mut floor: Vec<BTreeMap<CellIndex, f64>> = vec![BTreeMap::new(); districts.len()];
        for dwelling in dwellings {
            let Some(centre) = dwelling.footprint.centroid() else {
                continue;
            };
            let Ok(at) = LonLat::new(centre.x(), centre.y()) else {
                continue;
            };
            let Some(district) = finder.find(at) else {
                continue;
            };
            let area = geo::GeodesicArea::geodesic_area_unsigned(&dwelling.footprint);
            let floors = if dwelling.levels.is_finite() && dwelling.levels >= 1.0 {
                dwelling.levels
            } else {
                1.0
            };
            *floor[district as usize]
                .entry(cell_at(at, h3)?)
                .or_default() += area * floors;
        }
        let mut cells: BTreeMap<(CellIndex, Option<u32>), f64> = BTreeMap::new();
        let mut placements = Vec::with_capacity(districts.len());
        for (n, (district, total)) in districts.iter().zip(totals).enumerate() {
            let here = Some(n as u32);
            let floor_here: f64 = floor[n].values().sum();
            if floor_here > 0.0 {
                for (cell, area) in &floor[n] {
                    *cells.entry((*cell, here)).or_default() += total * area / floor_here;
                }
                placements.push(Placement::ByFloorArea);
            } else {
                let mut inside = cells_in(&district.area, h3)?;
                if inside.is_empty() {
                    // A district smaller than a cell: its people in the cell of its centre.
                    let centre = district
                        .area
                        .centroid()
                        .unwrap_or_else(|| Point::new(0.0, 0.0));
                    inside.push(cell_at(LonLat::new(centre.x(), centre.y())?, h3)?);
                }
                let each = total / inside.len() as f64;
                for cell in inside {
                    *cells.entry((cell, here)).or_default() += each;
                }
                placements.push(Placement::Evenly);
            }
        }
        Ok(Self::assemble(source, resolution, districts, cells, |n| {
            placements[n]
        }))
    }

    fn assemble(
        source: String,
        resolution: u8,
        districts: &[District],
        cells: BTreeMap<(CellIndex, Option<u32>), f64>,
        placement: impl Fn(usize) -> Placement,
    ) -> Self {
        let mut people = vec![0.0; districts.len()];
        let cells: Vec<CellPeople> = cells
            .into_iter()
            .filter(|(_, n)| *n > 0.0)
            .map(|((cell, district), n)| {
                if let Some(d) = district {
                    people[d as usize] += n;
                }
                CellPeople {
                    cell,
                    people: n,
                    district,
                }
            })
            .collect();
        let people = districts
            .iter()
            .zip(people)
            .enumerate()
            .map(|(n, (d, population))| DistrictPeople {
                name: d.name.clone(),
                code: d.code.clone(),
                population,
                placement: placement(n),
            })
            .collect();
        Self {
            source,
            resolution,
            districts: people,
            outlines: districts.iter().map(|d| d.area.clone()).collect(),
            cells,
        }
    }

    /// Everyone in the layer.
    pub fn total(&self) -> f64 {
        self.cells.iter().map(|c| c.people).sum()
    }
}
