//! Population grids: a raster whose first band counts the people of each pixel (WorldPop,
//! GHSL, a statistics bureau's 1 km grid), made into a population layer.
//!
//! A pixel's people are shared evenly over points spread across it, a grid of them fine enough
//! that every H3 cell of the layer the pixel covers gets its share (at most 16 × 16 a pixel), so
//! a coarse grid is not piled onto the cells at the pixels' centres. Pixels positions are
//! converted by GDAL and PROJ from the raster's SRS (or taken in `--crs` when it has none).
//! No-data pixels and zeros are skipped; a negative or non-finite count, and a pixel outside
//! every district, is reported by its column and row, and the rest goes on.

use std::path::Path;

use gdal::Dataset;
use gdal::spatial_ref::CoordTransform;
use refuge_core::planning::{District, PopulationLayer, resolution as h3_resolution};
use refuge_core::{Crs, LonLat};

use super::read::to_wgs84;
use crate::{Error, PopulationReport, Result};

/// The most points a grid is read as: past it, each pixel gives one point, at its centre.
const MAX_POINTS: usize = 50_000_000;

/// Reads the population grid at `path` into a layer at H3 `resolution`, each point placed in its
/// district of `districts` (when given); `crs` is the grid's when it declares none.
pub fn read_population_raster(
    path: &Path,
    crs: Crs,
    districts: &[District],
    resolution: u8,
) -> Result<(PopulationLayer, PopulationReport)> {
    let dataset_name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let fail = |message: String| Error::Gdal {
        dataset: dataset_name.clone(),
        message,
    };
    let dataset = Dataset::open(path).map_err(|e| fail(format!("GDAL cannot open it: {e}")))?;
    if dataset.raster_count() == 0 {
        return Err(fail("it has no raster band of counts".into()));
    }
    let band = dataset
        .rasterband(1)
        .map_err(|e| fail(format!("cannot read band 1: {e}")))?;
    let (columns, rows) = dataset.raster_size();
    let [x0, dx, rx, y0, ry, dy] = dataset
        .geo_transform()
        .map_err(|e| fail(format!("it has no georeferencing: {e}")))?;
    let no_data = band.no_data_value();
    let transform: Option<CoordTransform> = match dataset.spatial_ref() {
        Ok(mut srs) => Some(
            to_wgs84(&mut srs).map_err(|e| fail(format!("its SRS cannot be converted: {e}")))?,
        ),
        Err(_) => None,
    };

    // How finely each pixel is spread: fine enough for the layer's cells.
    let h3 = h3_resolution(resolution).map_err(|e| fail(e.to_string()))?;
    let cell_m = h3.edge_length_m();
    let centre_y = y0 + ry * columns as f64 / 2.0 + dy * rows as f64 / 2.0;
    let geographic = transform
        .as_ref()
        .map_or(!crs.is_projected(), |_| is_geographic(&dataset));
    let metres_per_unit = if geographic {
        111_320.0 * centre_y.to_radians().cos().abs().max(0.01)
    } else {
        1.0
    };
    // A degree of longitude shrinks with the latitude; one of latitude does not.
    let (unit_x, unit_y) = if geographic {
        (metres_per_unit, 111_320.0)
    } else {
        (1.0, 1.0)
    };
    let pixel_m = (dx.abs() * unit_x).max(dy.abs() * unit_y);
    let mut spread = ((pixel_m / cell_m).ceil() as usize).clamp(1, 16);
    if columns * rows * spread * spread > MAX_POINTS {
        spread = 1;
    }

    let mut report = PopulationReport {
        dataset: dataset_name.clone(),
        ..PopulationReport::default()
    };
    let mut points: Vec<(LonLat, f64)> = Vec::new();
    let mut pixel_of: Vec<(usize, usize)> = Vec::new();
    let mut unplaced: Option<(usize, usize)> = None;
    for row in 0..rows {
        let values = band
            .read_as::<f64>((0, row as isize), (columns, 1), (columns, 1), None)
            .map_err(|e| fail(format!("cannot read row {row}: {e}")))?;
        let mut xs = Vec::new();
        let mut ys = Vec::new();
        let mut shares = Vec::new();
        for (column, value) in values.data().iter().enumerate() {
            let is_no_data = no_data.is_some_and(|n| n == *value || (n.is_nan() && value.is_nan()));
            if is_no_data || *value == 0.0 {
                continue;
            }
            report.read += 1;
            if !(value.is_finite() && *value > 0.0) {
                report.rejected.push(format!(
                    "pixel (column {column}, row {row}): {value} is not a count"
                ));
                continue;
            }
            let share = value / (spread * spread) as f64;
            for i in 0..spread {
                for j in 0..spread {
                    let (u, v) = (
                        column as f64 + (i as f64 + 0.5) / spread as f64,
                        row as f64 + (j as f64 + 0.5) / spread as f64,
                    );
                    xs.push(x0 + u * dx + v * rx);
                    ys.push(y0 + u * ry + v * dy);
                    shares.push((share, column));
                }
            }
        }
        if let Some(transform) = &transform {
            let mut zs = vec![0.0; xs.len()];
            transform
                .transform_coords(&mut xs, &mut ys, &mut zs)
                .map_err(|e| fail(format!("cannot convert row {row}'s positions: {e}")))?;
        }
        for ((x, y), (share, column)) in xs.into_iter().zip(ys).zip(shares) {
            let at = match &transform {
                Some(_) => LonLat::new(x, y),
                None => crs.to_wgs84(x, y),
            };
            match at {
                Ok(at) => {
                    points.push((at, share));
                    pixel_of.push((column, row));
                }
                Err(e) => {
                    // Once a pixel, not once a point of it.
                    if unplaced != Some((column, row)) {
                        unplaced = Some((column, row));
                        report
                            .rejected
                            .push(format!("pixel (column {column}, row {row}): {e}"));
                    }
                }
            }
        }
    }
    let (layer, outside) =
        PopulationLayer::from_points(dataset_name.clone(), &points, districts, resolution)
            .map_err(|e| fail(e.to_string()))?;
    // A pixel on a district's edge may lose part of its people: each is reported with how many.
    let mut lost: std::collections::BTreeMap<(usize, usize), (f64, usize)> = Default::default();
    for n in &outside {
        let entry = lost.entry(pixel_of[*n]).or_default();
        entry.0 += points[*n].1;
        entry.1 += 1;
    }
    let mut wholly_outside = 0;
    for ((column, row), (people, count)) in &lost {
        if *count == spread * spread {
            wholly_outside += 1;
        }
        report.rejected.push(format!(
            "pixel (column {column}, row {row}): {people:.1} people outside every district"
        ));
    }
    let unreadable = report.rejected.len() - lost.len();
    report.accepted = report
        .read
        .saturating_sub((unreadable + wholly_outside) as u64);
    Ok((layer, report))
}

/// Whether a dataset's SRS is in degrees.
fn is_geographic(dataset: &Dataset) -> bool {
    dataset.spatial_ref().is_ok_and(|srs| srs.is_geographic())
}
