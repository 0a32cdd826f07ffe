#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod archive;
mod base;
mod clip;
mod coord;
mod coverage;
mod encode;
mod error;
mod facilities;
mod glyphs;
mod projection;
mod reach;
mod tileset;

pub use archive::{
    ARCHIVE_TILE_LIMIT, ArchiveArea, ArchiveSummary, archive_tile_count, write_archive,
};
pub use base::BaseMap;
pub use coord::{MAX_ZOOM, TileCoord};
pub use error::{Error, Result};
pub use facilities::{HazardZones, aggregation_resolution};
pub use glyphs::GlyphRenderer;
pub use projection::{BUFFER, EXTENT, TileFrame, lon_lat, world};
pub use reach::may_change;
pub use tileset::{AGGREGATE_BELOW_ZOOM, LayerSpec, Tileset};

use refuge_core::SpatialIndex;

/// Simplification tolerance in grid units: 1 unit (1/4096 of a tile) at zoom 14 and above,
/// growing by half a unit per zoom level below.
pub fn tolerance(z: u8) -> f64 {
    1.0 + f64::from(14u8.saturating_sub(z)) * 0.5
}

/// What tiles are made from: the facility snapshot, the base map, the hazard areas cache and the
/// coverage of the population.
#[derive(Debug, Clone, Copy)]
pub struct Sources<'a> {
    /// The facility index snapshot.
    pub index: &'a SpatialIndex,
    /// The base map.
    pub base: &'a BaseMap,
    /// Hazard areas, made once per data version.
    pub zones: &'a HazardZones,
    /// Coverage of the population, when the store has a population layer.
    pub coverage: Option<&'a refuge_core::planning::CoverageMap>,
    /// Set when the tile is no longer wanted.
    pub cancel: &'a Cancel,
}

/// Set when a tile is no longer wanted (its request timed out, its client left, the server is
/// stopping): the work stops at the next feature with [`Error::Cancelled`].
#[derive(Debug, Default)]
pub struct Cancel {
    given_up: std::sync::atomic::AtomicBool,
    /// A wider reason to stop, such as the server stopping.
    parent: Option<std::sync::Arc<Cancel>>,
}

impl Cancel {
    /// A cancel of its own that `parent` also sets off.
    pub fn within(parent: std::sync::Arc<Cancel>) -> Self {
        Self {
            given_up: std::sync::atomic::AtomicBool::new(false),
            parent: Some(parent),
        }
    }

    /// Gives the work up.
    pub fn cancel(&self) {
        self.given_up
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether the work is given up, here or by the parent.
    pub fn is_cancelled(&self) -> bool {
        self.given_up.load(std::sync::atomic::Ordering::Relaxed)
            || self.parent.as_ref().is_some_and(|p| p.is_cancelled())
    }

    /// An error once the work is given up.
    pub(crate) fn check(&self) -> Result<()> {
        if self.is_cancelled() {
            Err(Error::Cancelled)
        } else {
            Ok(())
        }
    }
}

/// At most this many facilities make a tile light.
const LIGHT: usize = 64;

/// Whether a tile is cheap to make: a facilities tile with at most a few dozen facilities and no
/// hazard area reaching into it. Such a tile takes tens of microseconds, less than handing it to
/// a blocking thread and back, so a server may make it on the thread that asks.
pub fn is_light(tileset: Tileset, tile: TileCoord, sources: Sources<'_>) -> bool {
    if tileset != Tileset::Facilities || tile.z() > tileset.maxzoom() {
        return false;
    }
    let Sources { index, zones, .. } = sources;
    let bbox = TileFrame::new(tile).lon_lat_bounds();
    let near = facilities::widened(bbox, zones.reach_deg(index));
    let hazards = refuge_core::Filter::default().kind(refuge_core::FacilityKind::Hazard);
    index.count_within_bbox(near, &hazards, 1) == 0
        && index.count_within_bbox(bbox, &refuge_core::Filter::default(), LIGHT + 1) <= LIGHT
}

/// Encodes one tile of a tileset.
pub fn encode(tileset: Tileset, tile: TileCoord, sources: Sources<'_>) -> Result<Vec<u8>> {
    let Sources {
        index,
        base,
        zones,
        coverage,
        cancel,
    } = sources;
    if tile.z() > tileset.maxzoom() {
        return Err(Error::Coordinate {
            parameter: "z",
            message: format!(
                "zoom {} is above the {} tileset's maxzoom {}",
                tile.z(),
                tileset.name(),
                tileset.maxzoom()
            ),
        });
    }
    let tolerance = tolerance(tile.z());
    match tileset {
        Tileset::Facilities => facilities::facilities_tile(index, zones, tile, tolerance, cancel),
        Tileset::Base => base.tile(tile, tolerance, cancel),
        Tileset::Coverage => coverage::coverage_tile(coverage, tile, tolerance, cancel),
    }
}
