//! `refuge serve`.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result};
use refuge_core::StockLedger;
use refuge_io::DataSource;
use refuge_server::{AppState, Config, Overrides};
use refuge_store::Store;

use crate::DataArgs;
use crate::dataset::Dataset;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, env = "REFUGE_BIND")]
    bind: Option<SocketAddr>,
    /// A TOML configuration file (see `refuge.example.toml`); flags and REFUGE_* variables win.
    #[arg(long, env = "REFUGE_CONFIG")]
    config: Option<PathBuf>,
    /// Serve the map page from this folder instead of the copy built in (page development).
    #[arg(long, env = "REFUGE_WEB_DIR")]
    web_dir: Option<PathBuf>,
    /// An origin allowed to call the API from a browser (repeat, or `*` for any).
    #[arg(
        long = "cors-origin",
        env = "REFUGE_CORS_ORIGINS",
        value_delimiter = ','
    )]
    cors_origins: Option<Vec<String>>,
    /// Tile cache budget in MiB.
    #[arg(long, env = "REFUGE_TILE_CACHE_MB")]
    tile_cache_mb: Option<usize>,
    /// A PMTiles or MBTiles archive to serve as the tileset NAME, with its TileJSON at
    /// /tiles/NAME.json (repeat for more).
    #[arg(long = "archive", value_name = "NAME=FILE", value_parser = parse_archive)]
    archives: Vec<(String, PathBuf)>,
    /// The store: a SQLite file (created if absent), or a PostgreSQL + PostGIS database
    /// (`postgres://user:password@host/database`) that several servers share. On first start it
    /// is filled with the demo city, or with --seed.
    #[arg(long, env = "REFUGE_STORE", default_value = "refuge.db")]
    store: String,
    /// A streaming replica of the PostgreSQL --store (`postgres://…`) to read from; writes go to
    /// the primary, and the server still sees its own writes at once.
    #[arg(long, env = "REFUGE_READ_STORE", value_name = "URL")]
    read_store: Option<String>,
    /// A Refuge GeoJSON file (from `refuge import --output`) to fill a new store with.
    #[arg(long, value_name = "FILE")]
    seed: Option<PathBuf>,
    /// Serve --data files (or the demo city) read-only, with no store and no writes.
    #[arg(long)]
    read_only: bool,
    #[command(flatten)]
    data: DataArgs,
}

fn parse_archive(text: &str) -> Result<(String, PathBuf), String> {
    let (name, file) = text
        .split_once('=')
        .filter(|(name, file)| !name.is_empty() && !file.is_empty())
        .ok_or_else(|| format!("`{text}` is not NAME=FILE (e.g. monaco=monaco.pmtiles)"))?;
    Ok((name.to_owned(), PathBuf::from(file)))
}

pub fn run(args: Args) -> Result<()> {
    init_logging();
    let overrides = Overrides {
        bind: args.bind,
        web_dir: args.web_dir,
        cors_origins: args.cors_origins,
        tile_cache_mb: args.tile_cache_mb,
        archives: args.archives,
    };
    let config = Config::load(args.config.as_deref(), overrides)?;
    let page = config.page_source();
    let state = if args.read_only {
        if args.data.files.is_empty() {
            AppState::demo(config).context("cannot build the demo city")?
        } else {
            let dataset = Dataset::load(&args.data)?;
            let catalog =
                refuge_io::read_catalog(refuge_io::demo::CATALOG_CSV.as_bytes(), "catalog")?;
            let sources = sources_of(&dataset.records);
            AppState::new(
                dataset.records,
                StockLedger::new(),
                Vec::new(),
                &sources,
                catalog,
                config,
            )?
        }
    } else {
        if !args.data.files.is_empty() {
            anyhow::bail!(
                "--data serves files read-only: add --read-only, or fill a new store with --seed FILE"
            );
        }
        let store = match &args.read_store {
            None => Store::at(&args.store)?,
            Some(standby) => {
                anyhow::ensure!(
                    refuge_store::is_postgres(&args.store) && refuge_store::is_postgres(standby),
                    "--read-store is a PostgreSQL standby of a PostgreSQL --store (postgres://…)"
                );
                Store::connect_with_standby(&args.store, Some(standby))?
            }
        };
        if let Some(seed) = &args.seed {
            if store.is_empty()? {
                seed_store(&store, seed)?;
            }
        }
        let started = std::time::Instant::now();
        let state = AppState::open(store, None, config)?;
        eprintln!(
            "store {}: {} facilities loaded in {:.2} s",
            state.store.as_deref().map(Store::shown).unwrap_or_default(),
            state.index.snapshot().len(),
            started.elapsed().as_secs_f64()
        );
        state
    };
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime
        .block_on(refuge_server::serve(state, |address| {
            println!(
                "Refuge is serving {} at http://{address}/ (Ctrl-C to stop)",
                page.describe()
            );
        }))
        .context("the server stopped")
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("REFUGE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tower_http=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .init();
}

/// Fills a new store from a GeoJSON file (e.g. one `refuge import --output` wrote), streamed like
/// any import, so a large city needs no more memory than its index.
fn seed_store(store: &Store, path: &std::path::Path) -> Result<()> {
    let dataset = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let spec = refuge_io::ImportSpec {
        format: refuge_io::InputFormat::from_path(path).unwrap_or(refuge_io::InputFormat::GeoJson),
        options: refuge_io::ImportOptions::new(dataset, refuge_core::Crs::Wgs84),
        columns: refuge_io::CsvColumns::default(),
        layer: None,
        source_layer: None,
    };
    let imported = store
        .import(
            &spec.source(None),
            &refuge_store::Actor::system(),
            false,
            |sink| spec.run_file(path, sink),
        )?
        .with_context(|| format!("cannot seed the store from {}", path.display()))?;
    eprint!("{}", imported.report);
    Ok(())
}

/// The datasets facilities came from, each credited by its name.
fn sources_of(facilities: &[refuge_core::Facility]) -> Vec<DataSource> {
    let mut sources: Vec<DataSource> = Vec::new();
    for facility in facilities {
        let dataset = &facility.source.dataset;
        if !sources.iter().any(|s| &s.dataset == dataset) {
            sources.push(DataSource {
                dataset: dataset.clone(),
                format: "geojson".into(),
                attribution: dataset.clone(),
            });
        }
    }
    sources
}
