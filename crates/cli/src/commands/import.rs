//! `refuge import`.

use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use refuge_core::{Crs, FacilityKind};
use refuge_io::{
    BaseLayer, CsvColumns, GeoJsonTarget, ImportOptions, InputFormat, Mapping, read_csv,
    read_geojson, read_ndjson, read_osm, write_geojson,
};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The file to import.
    file: PathBuf,
    /// Its format; told from the extension if not given [geojson, ndjson, csv, osm].
    #[arg(long, value_parser = parse::<InputFormat>)]
    format: Option<InputFormat>,
    /// The CRS its positions are in [wgs84, cgcs2000, gcj02, bd09]. Chinese map apps give gcj02
    /// (AMap, Tencent) or bd09 (Baidu); they are converted to WGS84.
    #[arg(long, default_value = "wgs84", value_parser = parse::<Crs>)]
    crs: Crs,
    /// The kind of records that have no `kind` column [shelter, reserve, micro_storage, hazard, poi].
    #[arg(long, value_parser = parse::<FacilityKind>)]
    kind: Option<FacilityKind>,
    /// Import as base-map features of this layer instead of facilities (e.g. district
    /// boundaries) [roads, buildings, water, landuse, boundaries].
    #[arg(long, value_parser = parse::<BaseLayer>, conflicts_with = "kind")]
    layer: Option<BaseLayer>,
    /// Map a model field to a column or property name, e.g. `--map capacity=容纳人数`. Fields:
    /// id, name, name_zh, name_en, address, kind, status, designation, tier, shelter_type, class,
    /// space, effective_area_m2, capacity, occupancy, suitable_for, hazard_kind, risk,
    /// influence_radius_m, poi_kind, district, street, community, operator, phone, …
    #[arg(long = "map", value_name = "FIELD=COLUMN")]
    map: Vec<String>,
    /// CSV: the longitude column (default: lon, lng, longitude, x or the first lon… column).
    #[arg(long)]
    lon_col: Option<String>,
    /// CSV: the latitude column (default: lat, latitude, y or the first lat… column).
    #[arg(long)]
    lat_col: Option<String>,
    /// Write the accepted facilities here as Refuge GeoJSON (WGS84), for `--data`.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Print the report as JSON instead of text.
    #[arg(long)]
    json: bool,
}

pub fn parse<T: std::str::FromStr<Err = refuge_core::Error>>(text: &str) -> Result<T, String> {
    text.parse().map_err(|e: refuge_core::Error| e.to_string())
}

pub fn run(args: Args) -> Result<()> {
    let mut out = std::io::stdout().lock();
    let format = match args.format {
        Some(format) => format,
        None => InputFormat::from_path(&args.file)?,
    };
    let mut mapping = Mapping::default();
    for pair in &args.map {
        let (field, column) = Mapping::parse_pair(pair)?;
        mapping = mapping.with(field, column);
    }
    let dataset = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| args.file.display().to_string());
    let mut options = ImportOptions::new(dataset, args.crs).mapping(mapping);
    options.kind = args.kind;

    let file =
        File::open(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let progress = ProgressBar::new(size).with_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {bytes}/{total_bytes} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    progress.set_message(format!("importing {}", args.file.display()));
    let input = progress.wrap_read(BufReader::new(file));
    let target = match args.layer {
        Some(layer) => GeoJsonTarget::Base(layer),
        None => GeoJsonTarget::Facilities,
    };
    let import = match format {
        InputFormat::Csv => {
            let columns = CsvColumns {
                lon: args.lon_col,
                lat: args.lat_col,
            };
            read_csv(input, &columns, &options)?
        }
        InputFormat::GeoJson => read_geojson(&read_text(input, &args.file)?, target, &options)?,
        InputFormat::NdJson => read_ndjson(&read_text(input, &args.file)?, target, &options)?,
        InputFormat::Osm => read_osm(input, &options)?,
    };
    progress.finish_and_clear();

    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&import.report)?)?;
    } else {
        write!(out, "{}", import.report)?;
        if !import.base.is_empty() {
            writeln!(out, "{} base-map features", import.base.len())?;
        }
    }
    if let Some(path) = args.output {
        let file =
            File::create(&path).with_context(|| format!("cannot write {}", path.display()))?;
        write_geojson(
            &import.facilities,
            Crs::Wgs84,
            std::io::BufWriter::new(file),
        )?;
        eprintln!(
            "wrote {} facilities to {}",
            import.facilities.len(),
            path.display()
        );
    }
    Ok(())
}

fn read_text(mut input: impl Read, path: &std::path::Path) -> Result<String> {
    let mut bytes = Vec::new();
    input
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!(
            "{} is not UTF-8 text (byte {} is invalid); save it as UTF-8",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })
}
