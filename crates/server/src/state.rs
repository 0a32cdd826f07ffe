//! What every handler shares.

use std::sync::Arc;

use refuge_core::{Catalog, LiveIndex, SpatialIndex};
use refuge_io::BaseFeature;
use refuge_tiles::{BaseMap, HazardZones};

use crate::cache::TileCache;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::routes::glyphs::GlyphCache;

/// The server's shared state.
#[derive(Clone)]
pub struct AppState {
    /// The facility index; writers swap in new snapshots.
    pub index: Arc<LiveIndex>,
    /// The base map.
    pub base: Arc<BaseMap>,
    /// Hazard areas for tiles, made once per data version.
    pub zones: Arc<HazardZones>,
    /// The item catalogue, for stock summaries.
    pub catalog: Arc<Catalog>,
    /// The tile cache.
    pub tiles: Arc<TileCache>,
    /// Counters.
    pub metrics: Arc<Metrics>,
    /// Label glyphs.
    pub glyphs: Arc<GlyphCache>,
    /// The configuration.
    pub config: Arc<Config>,
    /// West, south, east, north of all data.
    pub bounds: [f64; 4],
}

impl AppState {
    /// State over an index, base map and catalogue.
    pub fn new(
        index: SpatialIndex,
        base: Vec<BaseFeature>,
        catalog: Catalog,
        config: Config,
    ) -> Result<Self, refuge_tiles::Error> {
        let bounds = bounds(&index);
        Ok(Self {
            index: Arc::new(LiveIndex::new(index)),
            base: Arc::new(BaseMap::new(base)),
            zones: Arc::new(HazardZones::new()),
            catalog: Arc::new(catalog),
            tiles: Arc::new(TileCache::new(config.tile_cache_bytes)),
            metrics: Arc::new(Metrics::default()),
            glyphs: Arc::new(GlyphCache::new()?),
            config: Arc::new(config),
            bounds,
        })
    }

    /// State for the embedded demo city with its stock on the demo date.
    pub fn demo(config: Config) -> Result<Self, StartError> {
        let city = refuge_io::demo::demo_city()?;
        let index = city.index(refuge_io::demo::demo_time().date_naive())?;
        Ok(Self::new(index, city.base, city.catalog, config)?)
    }
}

/// Why the server's state could not be built.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The data could not be read.
    #[error(transparent)]
    Data(#[from] refuge_io::Error),
    /// The index refused the data.
    #[error(transparent)]
    Index(#[from] refuge_core::Error),
    /// The glyph font could not be loaded.
    #[error(transparent)]
    Tiles(#[from] refuge_tiles::Error),
}

fn bounds(index: &SpatialIndex) -> [f64; 4] {
    let mut b = [180.0, 90.0, -180.0, -90.0];
    for f in index.facilities() {
        b[0] = f64::min(b[0], f.location.lon());
        b[1] = f64::min(b[1], f.location.lat());
        b[2] = f64::max(b[2], f.location.lon());
        b[3] = f64::max(b[3], f.location.lat());
    }
    if b[0] > b[2] {
        [-180.0, -85.0, 180.0, 85.0]
    } else {
        b
    }
}
