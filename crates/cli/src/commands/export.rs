//! `refuge export`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};
use refuge_core::{BBox, Crs, FacilityKind};
use refuge_io::{BaseLayer, write_base_geojson, write_csv, write_geojson};

use super::import::parse;
use crate::DataArgs;
use crate::area::parse_bbox;
use crate::dataset::Dataset;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ExportFormat {
    Geojson,
    Csv,
    /// A GeoPackage, a layer per kind and one of hazard zones (needs the `gdal` feature).
    Gpkg,
    /// Shapefiles in the folder --output names, one per layer (needs the `gdal` feature).
    Shp,
    /// FlatGeobuf, every facility in one layer (needs the `gdal` feature).
    Fgb,
    /// KML, a layer per kind and one of hazard zones (needs the `gdal` feature).
    Kml,
    /// An offline map package in the folder --output names: one PMTiles archive of --bbox with
    /// the base map and the facilities, its style, glyphs and a page any static server shows.
    Pmtiles,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value = "geojson")]
    format: ExportFormat,
    /// Only this kind [shelter, reserve, micro_storage, hazard, poi].
    #[arg(long, value_parser = parse::<FacilityKind>)]
    kind: Option<FacilityKind>,
    /// Export a base-map layer instead of facilities, as GeoJSON [roads, buildings, water,
    /// landuse, boundaries] (from a store or the demo city).
    #[arg(long, value_parser = parse::<BaseLayer>, conflicts_with = "kind")]
    layer: Option<BaseLayer>,
    /// GeoJSON positions in this CRS (gcj02/bd09 for Chinese map apps) [wgs84, cgcs2000, gcj02, bd09].
    #[arg(long, default_value = "wgs84", value_parser = parse::<Crs>)]
    crs: Crs,
    /// CSV: add a second header row of HXL hashtags (Humanitarian Exchange Language).
    #[arg(long)]
    hxl: bool,
    /// The area of a PMTiles package: west,south,east,north in degrees.
    #[arg(long, value_parser = parse_bbox, conflicts_with = "community")]
    bbox: Option<BBox>,
    /// The area of a PMTiles package: a community (or any administrative area) of the base map,
    /// by name.
    #[arg(long)]
    community: Option<String>,
    /// The name a PMTiles package's page shows (default: the community's name, or the box).
    #[arg(long)]
    title: Option<String>,
    /// The lowest zoom of a PMTiles package.
    #[arg(long, default_value_t = 10)]
    minzoom: u8,
    /// The highest zoom of a PMTiles package (the map zooms in further on its last tiles).
    #[arg(long, default_value_t = 16)]
    maxzoom: u8,
    /// Read the facilities from this store instead of the demo city or --data.
    #[arg(long, env = "REFUGE_STORE", conflicts_with = "files")]
    store: Option<String>,
    /// Write here instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
    #[command(flatten)]
    data: DataArgs,
}

pub fn run(args: Args) -> Result<()> {
    if let Some(layer) = args.layer {
        return export_layer(&args, layer);
    }
    if matches!(args.format, ExportFormat::Pmtiles) {
        return export_package(&args);
    }
    let all = match &args.store {
        Some(path) => refuge_store::Store::at(path)?.load_records()?.facilities,
        None => Dataset::load(&args.data)?.records,
    };
    let mut facilities: Vec<_> = all
        .iter()
        .filter(|f| args.kind.is_none_or(|kind| f.kind() == kind))
        .cloned()
        .collect();
    facilities.sort_by_key(|f| f.id);
    let through_gdal = match args.format {
        ExportFormat::Geojson | ExportFormat::Csv => None,
        ExportFormat::Gpkg => Some("gpkg"),
        ExportFormat::Shp => Some("shp"),
        ExportFormat::Fgb => Some("fgb"),
        ExportFormat::Kml => Some("kml"),
        ExportFormat::Pmtiles => unreachable!("a package is written above"),
    };
    if let Some(format) = through_gdal {
        return export_through_gdal(&facilities, format, args.output.as_deref());
    }
    anyhow::ensure!(
        !args.crs.is_projected(),
        "--crs {}: a projection; GeoJSON positions are longitude and latitude (wgs84, cgcs2000, \
         gcj02 or bd09)",
        args.crs
    );
    let output = output(&args)?;
    match args.format {
        ExportFormat::Csv => write_csv(&facilities, args.hxl, output)?,
        _ => write_geojson(&facilities, args.crs, output)?,
    }
    if let Some(path) = &args.output {
        eprintln!(
            "wrote {} facilities to {}",
            facilities.len(),
            path.display()
        );
    }
    Ok(())
}

fn output(args: &Args) -> Result<Box<dyn Write>> {
    Ok(match &args.output {
        Some(path) => Box::new(BufWriter::new(
            File::create(path).with_context(|| format!("cannot write {}", path.display()))?,
        )),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    })
}

/// An offline map package of `--bbox` or `--community` into the folder `--output`.
fn export_package(args: &Args) -> Result<()> {
    let folder = args
        .output
        .as_deref()
        .context("--format pmtiles writes a folder: give --output")?;
    let (facilities, base, sources) = match &args.store {
        Some(path) => {
            let contents = refuge_store::Store::at(path)?.load_records()?;
            (contents.facilities, contents.base, contents.sources)
        }
        None if args.data.files.is_empty() => {
            let city = refuge_io::demo::demo_city()?;
            (city.facilities, city.base, vec![refuge_io::demo::source()])
        }
        None => anyhow::bail!(
            "--data files hold facilities only; a map package needs the base map: export it from \
             a store or the demo city"
        ),
    };
    let base = refuge_tiles::BaseMap::new(base);
    let area = crate::area::area(args.bbox, args.community.as_deref(), "a package", || {
        Ok(std::borrow::Cow::Borrowed(&base))
    })?;
    let bounds = area.bounds;
    let version = facilities.iter().map(|f| f.version).max().unwrap_or(0);
    let index = refuge_core::SpatialIndex::new(facilities)?;
    let name = args.title.clone().or(area.community).unwrap_or_else(|| {
        format!(
            "Refuge map of {:.4},{:.4},{:.4},{:.4}",
            bounds[0], bounds[1], bounds[2], bounds[3]
        )
    });
    let area = refuge_tiles::ArchiveArea {
        bounds,
        zooms: args.minzoom..=args.maxzoom,
        name,
        attribution: refuge_server::package::credits(&sources),
        version,
        made_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    };
    let started = std::time::Instant::now();
    let summary = refuge_server::package::write_package(&index, &base, &area, folder)?;
    eprintln!(
        "wrote {}: {} tiles with features of {} at zooms {}–{} ({:.1} MB), {} glyph ranges, the \
         style and the page, in {:.1} s; serve the folder with any static server (e.g. `python3 \
         -m http.server` in it)",
        folder.display(),
        summary.archive.with_features,
        summary.archive.tiles,
        args.minzoom,
        args.maxzoom,
        summary.archive_bytes as f64 / 1e6,
        summary.glyph_ranges,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// A base-map layer as GeoJSON.
fn export_layer(args: &Args, layer: BaseLayer) -> Result<()> {
    if matches!(args.format, ExportFormat::Csv) {
        anyhow::bail!(
            "base-map layers are lines and areas: export them as GeoJSON (--format geojson)"
        );
    }
    let base = match &args.store {
        Some(path) => refuge_store::Store::at(path)?.load()?.base,
        None if args.data.files.is_empty() => refuge_io::demo::demo_city()?.base,
        None => anyhow::bail!(
            "--data files hold facilities only; export base-map layers from a store or the demo city"
        ),
    };
    let features: Vec<_> = base.into_iter().filter(|f| f.layer == layer).collect();
    write_base_geojson(&features, args.crs, output(args)?)?;
    if let Some(path) = &args.output {
        eprintln!(
            "wrote {} {layer} features to {}",
            features.len(),
            path.display()
        );
    }
    Ok(())
}

/// Writes `facilities` in a format GDAL writes (`gpkg`, `shp`, `fgb`, `kml`) to `output`.
#[cfg(feature = "gdal")]
fn export_through_gdal(
    facilities: &[refuge_core::Facility],
    format: &str,
    output: Option<&std::path::Path>,
) -> Result<()> {
    let path = output.with_context(|| format!("--format {format} writes a file: give --output"))?;
    let format: refuge_io::ExportFormat = format.parse()?;
    for (layer, count) in refuge_io::write_gdal(facilities, format, path)? {
        eprintln!(
            "wrote {count} features to layer {layer} of {}",
            path.display()
        );
    }
    Ok(())
}

#[cfg(not(feature = "gdal"))]
fn export_through_gdal(
    _: &[refuge_core::Facility],
    format: &str,
    _: Option<&std::path::Path>,
) -> Result<()> {
    Err(refuge_io::Error::NeedsGdal {
        format: format.to_owned(),
    }
    .into())
}
