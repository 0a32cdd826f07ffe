//! `refuge import`: files into a store, into a running server, or into a Refuge GeoJSON file.

use std::fs::File;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use refuge_core::{Crs, FacilityKind};
use refuge_io::{
    BaseFeature, BaseLayer, CsvColumns, Import, ImportReport, ImportSink, ImportSpec, InputFormat,
    Mapping, Outcome, TextEncoding, read_stock_csv, write_geojson,
};
use refuge_store::{Actor, Store};
use serde_json::Value;

use super::write::{Body, Server, call};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The files to import (each is one transaction).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Their format; told from the extension if not given [geojson, ndjson, csv, osm].
    #[arg(long, value_parser = parse::<InputFormat>)]
    format: Option<InputFormat>,
    /// The CRS positions are in [wgs84, cgcs2000, gcj02, bd09, or EPSG:NNNN]. Chinese map apps
    /// give gcj02 (AMap, Tencent) or bd09 (Baidu); surveys give Gauss–Krüger zones of CGCS2000
    /// (EPSG:4491–4554), Xi'an 1980 (EPSG:2327–2390) or Beijing 1954 (EPSG:2401–2442,
    /// 21413–21423, 21453–21463, 21473–21483); also UTM (EPSG:326NN, 327NN) and Web Mercator
    /// (EPSG:3857). All are converted to WGS84.
    #[arg(long, default_value = "wgs84", value_parser = parse::<Crs>)]
    crs: Crs,
    /// The text encoding of a CSV's attributes [utf-8, gbk, gb18030].
    #[arg(long, default_value = "utf-8", value_parser = parse::<TextEncoding>)]
    encoding: TextEncoding,
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
    /// The files are stock lists (CSV: facility, item, quantity, and optionally lot and expires),
    /// booked as receipts. `facility` is a Refuge id or the facility's source id.
    #[arg(long, conflicts_with_all = ["kind", "layer", "output"])]
    stock: bool,
    /// How the map credits this data (default: OpenStreetMap for an OSM extract, else the file
    /// name), e.g. "北京市政务数据资源网".
    #[arg(long)]
    attribution: Option<String>,
    /// Write into this store (created if absent): facilities and base-map features, updated in
    /// place when imported again. Stop the server first, or use --server.
    #[arg(long, conflicts_with_all = ["server", "output"])]
    store: Option<String>,
    /// Send to this running server (admin token): its map changes at once.
    #[arg(long, requires = "token", conflicts_with = "output")]
    server: Option<String>,
    /// The bearer token for --server.
    #[arg(long, env = "REFUGE_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Write the accepted facilities here as Refuge GeoJSON (WGS84), for `--data` (one file).
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Print the report as JSON instead of text.
    #[arg(long)]
    json: bool,
    /// A source with several layers (a GeoPackage, a KML with folders, …): the layer to read.
    /// Without it, such a source is refused with its layers listed.
    #[arg(long, value_name = "NAME")]
    source_layer: Option<String>,
}

pub fn parse<T: std::str::FromStr<Err = refuge_core::Error>>(text: &str) -> Result<T, String> {
    text.parse().map_err(|e: refuge_core::Error| e.to_string())
}

/// Where the records go.
enum Destination {
    Store(Box<Store>),
    Server(Server),
    File(PathBuf),
    ReportOnly,
}

pub fn run(args: Args) -> Result<()> {
    // Every file readable before anything is written: a mistyped name leaves the store untouched
    // (and makes no new store).
    for file in &args.files {
        File::open(file).with_context(|| format!("cannot read {}", file.display()))?;
    }
    let destination = match (&args.store, &args.server, &args.output) {
        (Some(path), _, _) => {
            let store = Store::at(path)?;
            store.ensure_catalog(&refuge_io::demo::catalog()?)?;
            Destination::Store(Box::new(store))
        }
        (_, Some(url), _) => Destination::Server(Server {
            server: url.clone(),
            token: args.token.clone().unwrap_or_default(),
        }),
        (_, _, Some(path)) if args.files.len() == 1 => Destination::File(path.clone()),
        (_, _, Some(_)) => bail!("--output takes one input file; import the others separately"),
        _ => Destination::ReportOnly,
    };
    for file in &args.files {
        import_one(&args, file, &destination)?;
    }
    Ok(())
}

fn import_one(args: &Args, file: &Path, destination: &Destination) -> Result<()> {
    let dataset = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.display().to_string());
    let format = match (args.stock, args.format) {
        (true, _) => InputFormat::Csv,
        (false, Some(format)) => format,
        (false, None) => InputFormat::from_path(file)?,
    };
    let mut mapping = Mapping::default();
    for pair in &args.map {
        let (field, column) = Mapping::parse_pair(pair)?;
        mapping = mapping.with(field, column);
    }
    let mut options = refuge_io::ImportOptions::new(dataset.clone(), args.crs)
        .mapping(mapping)
        .encoding(args.encoding);
    options.kind = args.kind;
    let spec = ImportSpec {
        format,
        options,
        columns: CsvColumns {
            lon: args.lon_col.clone(),
            lat: args.lat_col.clone(),
        },
        layer: args.layer,
        source_layer: args.source_layer.clone(),
    };
    // A server is sent the file as it is (a Shapefile as a zip of its files); here, GDAL reads
    // its formats from the file itself.
    let (input, progress) = if format.needs_gdal() && !matches!(destination, Destination::Server(_))
    {
        (Input::File(file), ProgressBar::hidden())
    } else {
        let opened = File::open(file).with_context(|| format!("cannot read {}", file.display()))?;
        let progress = progress_bar(&opened, file);
        let stream = progress.wrap_read(BufReader::new(opened));
        (Input::Stream(Box::new(stream)), progress)
    };
    let mut out = std::io::stdout().lock();
    let summary = match destination {
        Destination::Server(server) => {
            let path = server_path(args, &spec, &dataset);
            let answer = call(server, "POST", &path, Body::Stream(input.stream()?), None)?;
            progress.finish_and_clear();
            answer
        }
        Destination::Store(store) if args.stock => {
            let (rows, mut report) = read_stock_csv(input.stream()?, &dataset)?;
            progress.finish_and_clear();
            let booked =
                store.import_stock(&dataset, rows, &mut report, &Actor::system(), |_| Ok(()))?;
            serde_json::json!({ "report": report, "receipts": booked.len() })
        }
        Destination::Store(store) => {
            let source = spec.source(args.attribution.clone());
            let imported = store
                .import(&source, &Actor::system(), false, |sink| {
                    input.run(&spec, sink)
                })?
                .with_context(|| format!("nothing of {} was imported", file.display()))?;
            progress.finish_and_clear();
            serde_json::to_value(&imported)?
        }
        Destination::File(path) => {
            let mut import = Import::new(&dataset);
            import.report = input.run(&spec, &mut import)?;
            progress.finish_and_clear();
            let output =
                File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
            write_geojson(
                &import.facilities,
                Crs::Wgs84,
                std::io::BufWriter::new(output),
            )?;
            eprintln!(
                "wrote {} facilities to {}",
                import.facilities.len(),
                path.display()
            );
            serde_json::json!({ "report": import.report, "base": import.base.len() })
        }
        Destination::ReportOnly if args.stock => {
            let (_, report) = read_stock_csv(input.stream()?, &dataset)?;
            progress.finish_and_clear();
            serde_json::json!({ "report": report })
        }
        Destination::ReportOnly => {
            let mut counted = Counted::default();
            let report = input.run(&spec, &mut counted)?;
            progress.finish_and_clear();
            serde_json::json!({ "report": report, "base": counted.base })
        }
    };
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&summary)?)?;
    } else {
        print_summary(&mut out, &summary)?;
    }
    Ok(())
}

/// What an import reads: the file as a stream (behind its progress bar), or the file itself for
/// the formats GDAL reads (a Shapefile needs the files beside it).
enum Input<'a> {
    Stream(Box<dyn std::io::Read + Send>),
    File(&'a Path),
}

impl Input<'_> {
    fn run(self, spec: &ImportSpec, sink: &mut dyn ImportSink) -> refuge_io::Result<ImportReport> {
        match self {
            Input::Stream(stream) => spec.run(stream, sink),
            Input::File(path) => spec.run_file(path, sink),
        }
    }

    fn stream(self) -> Result<Box<dyn std::io::Read + Send>> {
        match self {
            Input::Stream(stream) => Ok(stream),
            Input::File(path) => bail!("{} is not read as a stream", path.display()),
        }
    }
}

/// The import request for a running server: the file's settings as query parameters.
fn server_path(args: &Args, spec: &ImportSpec, dataset: &str) -> String {
    let mut query = url_pairs(&[("dataset", dataset)]);
    if args.stock {
        return format!("/api/v1/stock/import?{query}");
    }
    let mut pairs = vec![
        ("format", spec.format.as_str().to_owned()),
        ("crs", spec.options.crs.to_string()),
        ("encoding", spec.options.encoding.as_str().to_owned()),
    ];
    if let Some(kind) = args.kind {
        pairs.push(("kind", kind.as_str().to_owned()));
    }
    if let Some(layer) = args.layer {
        pairs.push(("layer", layer.as_str().to_owned()));
    }
    if let Some(credit) = &args.attribution {
        pairs.push(("attribution", credit.clone()));
    }
    for (name, value) in [("lon_col", &args.lon_col), ("lat_col", &args.lat_col)] {
        if let Some(value) = value {
            pairs.push((name, value.clone()));
        }
    }
    for pair in &args.map {
        pairs.push(("map", pair.clone()));
    }
    let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    query.push('&');
    query.push_str(&url_pairs(&borrowed));
    format!("/api/v1/import?{query}")
}

fn url_pairs(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn progress_bar(file: &File, path: &Path) -> ProgressBar {
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let progress = ProgressBar::new(size).with_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {bytes}/{total_bytes} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    progress.set_message(format!("importing {}", path.display()));
    progress
}

/// The report, then what was written.
fn print_summary(out: &mut impl Write, summary: &Value) -> Result<()> {
    if let Ok(report) = serde_json::from_value::<ImportReport>(summary["report"].clone()) {
        write!(out, "{report}")?;
    }
    let count = |key: &str| summary[key].as_u64().unwrap_or(0);
    if summary.get("created").is_some() {
        writeln!(
            out,
            "stored: {} new, {} updated, {} unchanged facilities; {} base-map features",
            count("created"),
            count("updated"),
            count("unchanged"),
            count("base")
        )?;
    } else if summary.get("receipts").is_some() {
        writeln!(out, "booked {} receipts", count("receipts"))?;
    } else if count("base") > 0 {
        writeln!(out, "{} base-map features", count("base"))?;
    }
    Ok(())
}

/// Counts what an import would write, keeping nothing.
#[derive(Default)]
struct Counted {
    base: u64,
}

impl ImportSink for Counted {
    fn facility(
        &mut self,
        _: refuge_core::Facility,
        _: refuge_io::Stated,
    ) -> refuge_io::Result<Outcome> {
        Ok(Outcome::Accepted)
    }

    fn base(&mut self, _: BaseFeature) -> refuge_io::Result<Outcome> {
        self.base += 1;
        Ok(Outcome::Accepted)
    }
}
