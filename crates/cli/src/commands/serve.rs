//! `refuge serve`.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result};
use refuge_server::{AppState, Config, Overrides};

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
    /// The map page's folder.
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
    #[command(flatten)]
    data: DataArgs,
}

pub fn run(args: Args) -> Result<()> {
    init_logging();
    let overrides = Overrides {
        bind: args.bind,
        web_dir: args.web_dir,
        cors_origins: args.cors_origins,
        tile_cache_mb: args.tile_cache_mb,
    };
    let config = Config::load(args.config.as_deref(), overrides)?;
    if !config
        .web_dir
        .join("node_modules/maplibre-gl/dist/maplibre-gl.js")
        .exists()
    {
        eprintln!(
            "warning: {} has no MapLibre; run `npm ci --prefix {}` for the map page (the API and tiles work without it)",
            config.web_dir.display(),
            config.web_dir.display()
        );
    }
    let state = if args.data.files.is_empty() {
        AppState::demo(config).context("cannot build the demo city")?
    } else {
        let dataset = Dataset::load(&args.data)?;
        let catalog = refuge_io::read_catalog(refuge_io::demo::CATALOG_CSV.as_bytes(), "catalog")?;
        AppState::new(dataset.index, Vec::new(), catalog, config)?
    };
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime
        .block_on(refuge_server::serve(state, |address| {
            println!("Refuge is serving the map at http://{address}/ (Ctrl-C to stop)");
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
