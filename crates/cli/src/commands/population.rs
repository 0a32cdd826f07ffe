//! `refuge population import`: a population layer into a store.

use std::fs::File;
use std::io::{BufReader, Write};
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use refuge_core::Crs;
use refuge_core::planning::DEFAULT_RESOLUTION;
use refuge_store::{Actor, Store};

use super::import::parse;

#[derive(Debug, clap::Subcommand)]
pub enum Population {
    /// Import where people live into a store, replacing the layer there: a CSV of points
    /// (`lon,lat,population`), of H3 cells (`h3,population`) or of district totals
    /// (`gb,population` or `name,population`, with --districts), made into H3 cells. District
    /// totals are spread over the base map's homes by floor area where it has buildings, else
    /// evenly; the report says which. A raster of people per pixel (GeoTIFF, ASCII grid, …;
    /// needs the `gdal` feature) is spread over each pixel.
    Import(ImportArgs),
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The counts (CSV, UTF-8), or a grid of people per pixel (.tif, .tiff, .asc, .img, .vrt).
    #[arg(value_name = "FILE")]
    counts: PathBuf,
    /// District outlines (GeoJSON FeatureCollection with `name` and `gb` or `code`): needed for
    /// totals; with points or cells, each is placed in its district and those outside all are
    /// refused by line.
    #[arg(long, value_name = "GEOJSON")]
    districts: Option<PathBuf>,
    /// The CRS of the points' positions.
    #[arg(long, default_value = "wgs84", value_parser = parse::<Crs>)]
    crs: Crs,
    /// The CRS of the district outlines.
    #[arg(long, default_value = "wgs84", value_parser = parse::<Crs>)]
    districts_crs: Crs,
    /// The H3 resolution of the cells (0–15; 9 is about 0.1 km² a cell).
    #[arg(long, default_value_t = DEFAULT_RESOLUTION, value_parser = clap::value_parser!(u8).range(0..=15))]
    resolution: u8,
    /// The store (a SQLite file or `postgres://…`).
    #[arg(long, env = "REFUGE_STORE")]
    store: String,
}

pub fn run(command: Population) -> Result<()> {
    match command {
        Population::Import(args) => import(args),
    }
}

fn import(args: ImportArgs) -> Result<()> {
    let open = |path: &PathBuf| {
        File::open(path)
            .map(BufReader::new)
            .with_context(|| format!("cannot read {}", path.display()))
    };
    let districts = match &args.districts {
        Some(path) => {
            refuge_io::read_districts(open(path)?, &path.display().to_string(), args.districts_crs)?
        }
        None => Vec::new(),
    };
    let store = Store::at(&args.store)?;
    let base = store.base_features()?;
    let dataset = args.counts.file_name().map_or_else(
        || args.counts.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let (layer, report) = if is_grid(&args.counts) {
        read_grid(&args, &districts)?
    } else {
        refuge_io::read_population(
            open(&args.counts)?,
            &dataset,
            args.crs,
            &districts,
            &base,
            args.resolution,
        )?
    };
    let mut out = std::io::stdout().lock();
    let unit = if is_grid(&args.counts) {
        "pixels with people"
    } else {
        "lines"
    };
    writeln!(
        out,
        "{}: {} {unit} read, {} taken, {} refused",
        report.dataset,
        report.read,
        report.accepted,
        report.rejected.len()
    )?;
    for line in &report.rejected {
        writeln!(out, "  {line}")?;
    }
    if !report.without_total.is_empty() {
        writeln!(out, "  no total for: {}", report.without_total.join(", "))?;
    }
    if layer.cells.is_empty() {
        bail!("nothing to import: no line gave a population");
    }
    store.set_population(&layer, &Actor::system())?;
    let cells = layer.cells.len();
    writeln!(
        out,
        "{:.0} people in {cells} cell{} at H3 resolution {}",
        layer.total(),
        if cells == 1 { "" } else { "s" },
        layer.resolution
    )?;
    for district in &layer.districts {
        writeln!(
            out,
            "  {} ({}): {:.0}, {}",
            district.name,
            district.code,
            district.population,
            district.placement.describe()
        )?;
    }
    Ok(())
}

/// Whether a counts file is a raster grid, by its extension.
fn is_grid(path: &std::path::Path) -> bool {
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    ["tif", "tiff", "asc", "img", "vrt"].contains(&extension.as_str())
}

#[cfg(feature = "gdal")]
fn read_grid(
    args: &ImportArgs,
    districts: &[refuge_core::planning::District],
) -> Result<(
    refuge_core::planning::PopulationLayer,
    refuge_io::PopulationReport,
)> {
    Ok(refuge_io::read_population_raster(
        &args.counts,
        args.crs,
        districts,
        args.resolution,
    )?)
}

#[cfg(not(feature = "gdal"))]
fn read_grid(
    args: &ImportArgs,
    _: &[refuge_core::planning::District],
) -> Result<(
    refuge_core::planning::PopulationLayer,
    refuge_io::PopulationReport,
)> {
    Err(refuge_io::Error::NeedsGdal {
        format: format!("population grid ({})", args.counts.display()),
    }
    .into())
}
