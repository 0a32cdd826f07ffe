//! What every handler shares, and the write path: store first (durable), then the index, then
//! the announcement.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use chrono::Utc;
use refuge_core::{
    Activation, Catalog, Facility, FacilityBrief, FacilityId, LiveIndex, Movement, SpatialIndex,
    StockLedger,
};
use refuge_io::{BaseFeature, DataSource, StockRow};
use refuge_store::{Action, Actor, Contents, FacilityWrite, Imported, Store};
use refuge_tiles::{BaseMap, HazardZones, Tileset};
use tokio::sync::broadcast;

use crate::cache::{CachedTile, TileCache};
use crate::config::Config;
use crate::error::ApiError;
use crate::events::Event;
use crate::glyphs::GlyphCache;
use crate::group::Booking;
use crate::metrics::Metrics;

/// The server's shared state: one pointer, so that handing it to a handler (axum clones it for
/// every extractor) is one atomic increment, not one per field.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What every handler shares.
pub struct Shared {
    /// The facility index; writers swap in new snapshots.
    pub index: Arc<LiveIndex>,
    /// The base map, the bounds and the credits: swapped whole by an import.
    pub backdrop: Arc<ArcSwap<Backdrop>>,
    /// Hazard areas for tiles, made once per data version.
    pub zones: Arc<HazardZones>,
    /// The population layer and its coverage, made once per change of what they come from.
    pub coverage: Arc<crate::coverage::CoverageCache>,
    /// The item catalogue, for stock summaries.
    pub catalog: Arc<Catalog>,
    /// The stock movements and lots, for validating new movements.
    pub ledger: Arc<Mutex<StockLedger>>,
    /// The durable store; without one the server is read-only.
    pub store: Option<Arc<Store>>,
    /// Without a store, the whole record of each facility (the index keeps a brief of each).
    held: HashMap<FacilityId, Facility>,
    /// Change announcements.
    pub events: broadcast::Sender<Event>,
    /// How many event streams are open.
    pub listeners: Arc<std::sync::atomic::AtomicUsize>,
    /// Per-client budgets of failed sign-ins and writes.
    pub limits: Arc<crate::limits::Limits>,
    /// The tile cache.
    pub tiles: Arc<TileCache>,
    /// Counters.
    pub metrics: Arc<Metrics>,
    /// Label glyphs.
    pub glyphs: Arc<GlyphCache>,
    /// The configuration.
    pub config: Arc<Config>,
    /// Set when the server is stopping: tile work under way stops at its next feature.
    pub stopping: Arc<refuge_tiles::Cancel>,
    /// Facility writes waiting for their group commit.
    pub(crate) facility_groups: crate::group::Groups<FacilityWrite, crate::group::Written>,
    /// Stock movements waiting for their group commit.
    pub(crate) movement_groups: crate::group::Groups<crate::group::Booking, Vec<i64>>,
    /// Why a shared store cannot be followed now, if it cannot (see `follow.rs`).
    pub(crate) store_problem: Mutex<Option<String>>,
    /// Tile archives served beside the tilesets, opened when the server starts.
    pub(crate) archives: std::sync::OnceLock<crate::archives::Archives>,
}

/// What lies behind the live facilities and changes only with an import: the base map, the
/// version its tiles carry, the bounds of the data and the sources the map credits.
#[derive(Debug)]
pub struct Backdrop {
    /// The base map.
    pub base: Arc<BaseMap>,
    /// The version base-map tiles carry: the data version when it was last made.
    pub version: u64,
    /// West, south, east, north of the data.
    pub bounds: [f64; 4],
    /// The credits for the data on the map, e.g. `© OpenStreetMap contributors (ODbL)`.
    pub attribution: String,
    /// The walking graph of the base map's ways.
    pub walk: Arc<refuge_core::routing::WalkGraph>,
}

impl Backdrop {
    fn new(
        base: Vec<BaseFeature>,
        version: u64,
        index: &SpatialIndex,
        sources: &[DataSource],
    ) -> Self {
        let walk = refuge_core::routing::WalkGraph::from_base(&base);
        let base = BaseMap::new(base);
        let bounds = bounds(index).or_else(|| base.bounds()).unwrap_or(WORLD);
        Self {
            base: Arc::new(base),
            version,
            bounds,
            attribution: attribution(sources),
            walk: Arc::new(walk),
        }
    }
}

/// The credits of the sources, each once, in the order imported. Map clients show attribution
/// as HTML, so the text is escaped.
pub(crate) fn attribution(sources: &[DataSource]) -> String {
    let mut credits: Vec<String> = Vec::new();
    for source in sources {
        let credit = escape_html(&source.attribution);
        if !credits.contains(&credit) {
            credits.push(credit);
        }
    }
    credits.push("Refuge".into());
    credits.join("; ")
}

pub(crate) fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
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
    /// The store could not be opened or read.
    #[error(transparent)]
    Store(#[from] refuge_store::Error),
}

impl AppState {
    /// Read-only state over facilities, stock, base map and catalogue, without a store: the
    /// whole records are held beside the index.
    pub fn new(
        facilities: Vec<Facility>,
        ledger: StockLedger,
        base: Vec<BaseFeature>,
        sources: &[DataSource],
        catalog: Catalog,
        config: Config,
    ) -> Result<Self, StartError> {
        let mut held = HashMap::with_capacity(facilities.len());
        let mut briefs = Vec::with_capacity(facilities.len());
        for facility in facilities {
            facility
                .validate()
                .map_err(|e| e.in_facility(facility.id))?;
            briefs.push(FacilityBrief::of(&facility));
            held.insert(facility.id, facility);
        }
        let contents = Contents {
            facilities: briefs,
            movements: Vec::new(),
            catalog,
            quotas: Vec::new(),
            base,
            sources: sources.to_vec(),
            changes_through: 0,
        };
        Self::build(contents, ledger, held, None, config)
    }

    /// State over what was read from a store (or, without one, the records in `held`).
    fn build(
        contents: Contents<FacilityBrief>,
        ledger: StockLedger,
        held: HashMap<FacilityId, Facility>,
        store: Option<Arc<Store>>,
        config: Config,
    ) -> Result<Self, StartError> {
        let Contents {
            facilities,
            catalog,
            base,
            sources,
            ..
        } = contents;
        // Versions start at the start time in milliseconds and grow by one a write, so a restart
        // (or a restore) never reuses a version an old cached tile was served under.
        let start_version = u64::try_from(Utc::now().timestamp_millis())
            .unwrap_or(1)
            .max(1);
        let index =
            SpatialIndex::of_briefs(facilities, ledger.usable_totals(Utc::now().date_naive()))?
                .at_version(start_version);
        let backdrop = Backdrop::new(base, start_version, &index, &sources);
        let (events, _) = broadcast::channel(1024);
        Ok(Self(Arc::new(Shared {
            index: Arc::new(LiveIndex::new(index)),
            backdrop: Arc::new(ArcSwap::from_pointee(backdrop)),
            zones: Arc::new(HazardZones::new()),
            coverage: Arc::default(),
            catalog: Arc::new(catalog),
            ledger: Arc::new(Mutex::new(ledger)),
            store,
            held,
            events,
            listeners: Arc::default(),
            limits: Arc::new(crate::limits::Limits {
                failed_sign_ins: crate::limits::Budget::new(config.failed_sign_ins_per_minute),
                writes: crate::limits::Budget::new(config.writes_per_minute),
            }),
            tiles: Arc::new(TileCache::new(config.tile_cache_bytes)),
            metrics: Arc::new(Metrics::default()),
            glyphs: Arc::new(GlyphCache::new()?),
            config: Arc::new(config),
            stopping: Arc::new(refuge_tiles::Cancel::default()),
            facility_groups: crate::group::Groups::default(),
            movement_groups: crate::group::Groups::default(),
            store_problem: Mutex::new(None),
            archives: std::sync::OnceLock::new(),
        })))
    }

    /// Opens the tile archives of the configuration (`--archive`), once; the tile routes serve
    /// them from then on.
    pub async fn open_archives(&self) -> Result<(), crate::archives::ArchiveError> {
        if self.archives.get().is_none() {
            let archives = crate::archives::Archives::open(&self.config.archives).await?;
            let _ = self.archives.set(archives);
        }
        Ok(())
    }

    /// The archive served as the tileset `name`, if there is one.
    pub(crate) fn archive(&self, name: &str) -> Option<Arc<crate::archives::Archive>> {
        self.archives.get().and_then(|archives| archives.get(name))
    }

    /// Read-only state for the embedded demo city (no store).
    pub fn demo(config: Config) -> Result<Self, StartError> {
        let city = refuge_io::demo::demo_city()?;
        Self::new(
            city.facilities,
            city.ledger,
            city.base,
            &[refuge_io::demo::source()],
            city.catalog,
            config,
        )
    }

    /// State over a store; a new, empty store is first seeded with `seed` (the demo city when
    /// `None`). The index and the stock are rebuilt from the store.
    pub fn open(store: Store, seed: Option<Contents>, config: Config) -> Result<Self, StartError> {
        if store.is_empty()? {
            let contents = match seed {
                Some(contents) => contents,
                None => {
                    let city = refuge_io::demo::demo_city()?;
                    Contents {
                        movements: city.ledger.movements().to_vec(),
                        facilities: city.facilities,
                        catalog: city.catalog,
                        quotas: city.quotas,
                        base: city.base,
                        sources: vec![refuge_io::demo::source()],
                        changes_through: 0,
                    }
                }
            };
            store.seed(&contents)?;
        }
        store.ensure_catalog(&refuge_io::demo::catalog()?)?;
        let mut contents = store.load()?;
        // A shared store: this server holds every change up to here, and follows from here.
        store.follow(contents.changes_through);
        let ledger = StockLedger::replay(std::mem::take(&mut contents.movements))?;
        Self::build(
            contents,
            ledger,
            HashMap::new(),
            Some(Arc::new(store)),
            config,
        )
    }

    /// The stock ledger, locked.
    pub fn ledger(&self) -> std::sync::MutexGuard<'_, StockLedger> {
        self.ledger
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// How many base-map tiles are made ahead, at start and after an import of base features.
    pub const PRERENDERED_TILES: usize = 20_000;

    /// The whole record of a facility: read from the store off the async workers or, on a
    /// server without one, from the records it started with. The index keeps only a brief.
    ///
    /// With the store out of reach, a depot, micro-storage site or hazard source (kept whole in
    /// the index) is still answered; for a shelter or a point of interest the answer is a 503
    /// saying where its summary still is.
    pub async fn record(&self, id: FacilityId) -> Result<Option<Facility>, ApiError> {
        let Some(store) = &self.store else {
            return Ok(self.held.get(&id).cloned());
        };
        let store = Arc::clone(store);
        let read = tokio::task::spawn_blocking(move || store.facility(id))
            .await
            .map_err(ApiError::internal)?;
        match read {
            Ok(record) => Ok(record),
            Err(error) if error.is_unavailable() => {
                let snapshot = self.index.snapshot();
                let Some(kept) = snapshot.get(id) else {
                    return Ok(None);
                };
                if let Some(whole) = kept.whole() {
                    return Ok(Some(whole.clone()));
                }
                tracing::warn!(%error, "the store cannot be reached");
                Err(ApiError::client(
                    axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    "store_unavailable",
                    "the store cannot be reached now, and it keeps this facility's whole record; \
                     its summary is in the lists, the nearest answers and the tiles, which go on \
                     from this server's copy",
                ))
            }
            Err(error) => Err(error.into()),
        }
    }

    /// The store, or a 503 saying the server is read-only.
    pub fn store(&self) -> Result<&Store, ApiError> {
        self.store.as_deref().ok_or_else(|| {
            ApiError::client(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "read_only",
                "this server has no store and takes no writes (start it with --store FILE)",
            )
        })
    }

    /// The store, shared, for work moved off the async workers; a 503 as [`Self::store`].
    pub fn shared_store(&self) -> Result<Arc<Store>, ApiError> {
        self.store()?;
        self.store
            .clone()
            .ok_or_else(|| ApiError::internal("no store"))
    }

    /// Stores a facility (new when `expected` is `None`, else replacing that version), then swaps
    /// it into the index, then announces it, as part of a group commit (see `group.rs`). Returns
    /// the stored record with its new version.
    pub fn write_facility(
        &self,
        facility: Facility,
        expected: Option<u64>,
        action: Action,
        actor: &Actor,
    ) -> Result<Facility, ApiError> {
        facility
            .validate()
            .map_err(|e| ApiError::bad_request("invalid", e.to_string()))?;
        let actor = actor.clone();
        let write = match expected {
            None => FacilityWrite::Create { facility, actor },
            Some(expected) => FacilityWrite::Update {
                facility,
                expected,
                action,
                actor,
            },
        };
        Ok(self.write_in_group(write)?.0)
    }

    /// Deletes a facility at `expected` version from the store, then from the index.
    pub fn delete_facility(
        &self,
        id: FacilityId,
        expected: u64,
        actor: &Actor,
    ) -> Result<Facility, ApiError> {
        let write = FacilityWrite::Delete {
            id,
            expected,
            actor: actor.clone(),
        };
        Ok(self.write_in_group(write)?.0)
    }

    /// Records a stock movement as part of a group commit (see `group.rs`): the ledger checks it
    /// inside the store's transaction, so a refused movement writes nothing, and takes it once it
    /// is committed; the index's stock figures follow. Returns its sequence number.
    pub fn record_movement(&self, movement: Movement, actor: &Actor) -> Result<i64, ApiError> {
        let seqs = self.move_in_group(Booking::one(movement, actor.clone()))?;
        seqs.first()
            .copied()
            .ok_or_else(|| ApiError::internal("a movement was booked without a number"))
    }

    /// The version a tileset's tiles are made from: the facility snapshot's; for the base map,
    /// which changes only with an import, the version it was last made at; for coverage, one that
    /// grows with each change of a facility or of the population layer.
    pub fn data_version(&self, tileset: Tileset, index: &SpatialIndex) -> u64 {
        match tileset {
            Tileset::Facilities => index.version(),
            Tileset::Base => self.backdrop.load().version,
            Tileset::Coverage => crate::coverage::version(index, self.store.as_deref()),
        }
    }

    /// Whether a cached tile still shows the data at `version`: for the base map, made at that
    /// version; for the facilities, no write since it was made could have altered it.
    pub fn still_valid(
        &self,
        tileset: Tileset,
        tile: refuge_tiles::TileCoord,
        cached: &CachedTile,
        version: u64,
    ) -> bool {
        if tileset != Tileset::Facilities {
            return cached.made() == version;
        }
        // A hazard source's area reaches past its position: its change touches every tile.
        let valid = self.index.untouched(cached.checked(), version, |place| {
            place.kind == refuge_core::FacilityKind::Hazard
                || refuge_tiles::may_change(tile, place.at)
        });
        if valid {
            cached.still_valid_at(version);
        }
        valid
    }

    /// Imports one input through the store (one transaction), then swaps the changed facilities
    /// into the index once, remakes the base map if the input had base-map features, and
    /// announces the import once. A broken input leaves the store and the index as they were.
    pub fn import(
        &self,
        source: &DataSource,
        read: impl FnOnce(&mut dyn refuge_io::ImportSink) -> refuge_io::Result<refuge_io::ImportReport>,
        actor: &Actor,
    ) -> Result<Imported, ApiError> {
        let store = self.store()?;
        // The file is read once: take other servers' changes first, so that the store rarely
        // finds this server behind (then the import is refused and may be sent again).
        self.catch_up()?;
        let mut imported = None;
        let snapshot = self
            .index
            .update(|index| -> Result<SpatialIndex, ApiError> {
                let mut done = store
                    .import(source, actor, true, |sink| read(sink))?
                    .map_err(|error| match error {
                        // The store failed, not the file.
                        refuge_io::Error::Destination { .. } => ApiError::internal(error),
                        _ => ApiError::bad_request("bad_import", error.to_string()),
                    })?;
                let changed = std::mem::take(&mut done.stored);
                let next = index
                    .with_changes(changed, &[])
                    .map_err(ApiError::internal)?;
                // The backdrop follows in the same turn, so that imports one after another
                // leave the newest one's.
                let base = if done.base > 0 {
                    Some(store.base_features()?)
                } else {
                    None
                };
                self.backdrop
                    .store(Arc::new(self.next_backdrop(base, &next, &store.sources()?)));
                imported = Some(done);
                Ok(next)
            })?;
        let imported = imported.ok_or_else(|| ApiError::internal("import produced no report"))?;
        let bbox = self.backdrop.load().bounds;
        let _ = self.events.send(Event {
            action: Action::Import,
            facility: None,
            kind: None,
            count: Some(imported.created + imported.updated + imported.base),
            bbox,
            data_version: snapshot.version(),
        });
        Ok(imported)
    }

    /// The backdrop after an import: a new base map (at the data version `index` is at) if the
    /// import brought base features, else the current one; the bounds of `index`; the credits.
    pub(crate) fn next_backdrop(
        &self,
        base: Option<Vec<BaseFeature>>,
        index: &SpatialIndex,
        sources: &[DataSource],
    ) -> Backdrop {
        let current = self.backdrop.load_full();
        match base {
            Some(base) => Backdrop::new(base, index.version(), index, sources),
            None => Backdrop {
                base: Arc::clone(&current.base),
                version: current.version,
                bounds: bounds(index).unwrap_or(current.bounds),
                attribution: attribution(sources),
                walk: Arc::clone(&current.walk),
            },
        }
    }

    /// Books a stock list as receipts: checked by the ledger inside the store's transaction,
    /// taken by it once committed, one event for the whole list.
    pub fn import_stock(
        &self,
        dataset: &str,
        rows: Vec<StockRow>,
        report: &mut refuge_io::ImportReport,
        actor: &Actor,
    ) -> Result<usize, ApiError> {
        let store = self.store()?;
        let mut booked = 0;
        let snapshot = self.current(|| {
            self.index
                .update(|index| -> Result<SpatialIndex, ApiError> {
                    let mut ledger = self.ledger();
                    let mut attempt = report.clone();
                    let movements = store.import_stock(
                        dataset,
                        rows.clone(),
                        &mut attempt,
                        actor,
                        |movements| movements.iter().try_for_each(|m| ledger.check(m)),
                    )?;
                    *report = attempt;
                    booked = movements.len();
                    for movement in &movements {
                        ledger
                            .record(movement.clone())
                            .map_err(ApiError::internal)?;
                    }
                    let today = Utc::now().date_naive();
                    Ok(index.with_stock_levels(ledger.usable_after(&movements, today)))
                })
        })?;
        let _ = self.events.send(Event {
            action: Action::StockImport,
            facility: None,
            kind: None,
            count: Some(booked as u64),
            bbox: self.backdrop.load().bounds,
            data_version: snapshot.version(),
        });
        Ok(booked)
    }

    /// Starts an activation: the plan is made on the current snapshot, the store opens the
    /// shelters in one transaction, the index takes them in one swap, one event announces it.
    pub fn activate(&self, draft: Activation, actor: &Actor) -> Result<Activation, ApiError> {
        let store = self.store()?;
        self.change_activation(Action::ActivationStart, |index| {
            let plan = index.activation_plan(draft.hazard, &draft.area);
            let mut activation = draft.clone();
            activation.suitability_unknown = plan.suitability_unknown.clone();
            Ok(store.start_activation(activation, plan, actor)?)
        })
    }

    /// Ends an activation; its shelters go back to standby unless a later report says otherwise.
    pub fn end_activation(&self, id: u64, actor: &Actor) -> Result<Activation, ApiError> {
        let store = self.store()?;
        self.change_activation(Action::ActivationEnd, |_| {
            Ok(store.end_activation(id, actor)?)
        })
    }

    /// Runs `change` (which stores an activation and the shelters it changed) in the index's
    /// writer turn, swaps the shelters in once, and announces `action` once.
    fn change_activation(
        &self,
        action: Action,
        change: impl Fn(&SpatialIndex) -> Result<(Activation, Vec<Facility>), ApiError>,
    ) -> Result<Activation, ApiError> {
        let mut changed = None;
        let snapshot = self.current(|| {
            self.index
                .update(|index| -> Result<SpatialIndex, ApiError> {
                    let (activation, shelters) = change(index)?;
                    let next = index
                        .with_changes(shelters, &[])
                        .map_err(ApiError::internal)?;
                    changed = Some(activation);
                    Ok(next)
                })
        })?;
        let activation =
            changed.ok_or_else(|| ApiError::internal("activation produced no record"))?;
        self.announce_area(action, &activation, snapshot.version());
        Ok(activation)
    }

    fn announce_area(&self, action: Action, activation: &Activation, data_version: u64) {
        use geo::BoundingRect;
        let bbox = activation
            .area
            .bounding_rect()
            .map_or(self.backdrop.load().bounds, |r| {
                [r.min().x, r.min().y, r.max().x, r.max().y]
            });
        let _ = self.events.send(Event {
            action,
            facility: None,
            kind: None,
            count: Some(activation.opened.len() as u64),
            bbox,
            data_version,
        });
    }

    /// Makes every base-map tile over the data's bounds up to zoom 16 (at most `limit` tiles) and
    /// puts it in the tile cache: the base map never changes while the server runs, so no visitor
    /// waits for one to be made. Returns how many were made.
    pub fn prerender_base(&self, limit: usize) -> usize {
        use refuge_tiles::{Sources, TileCoord, encode};
        let backdrop = self.backdrop.load_full();
        let snapshot = self.index.snapshot();
        let sources = Sources {
            index: &snapshot,
            base: &backdrop.base,
            zones: &self.zones,
            coverage: None,
            cancel: &self.stopping,
        };
        let mut made = 0;
        for tile in TileCoord::covering(backdrop.bounds, 0..=Tileset::Base.maxzoom()) {
            if made >= limit || self.stopping.is_cancelled() {
                break;
            }
            let key = (Tileset::Base, tile);
            if self
                .tiles
                .get(&key)
                .is_some_and(|cached| cached.made() == backdrop.version)
            {
                continue;
            }
            if let Ok(bytes) = encode(Tileset::Base, tile, sources) {
                self.tiles
                    .insert(key, CachedTile::new(bytes, backdrop.version));
                made += 1;
            }
        }
        made
    }

    /// Recomputes usable stock for `day` (lots that expired at midnight stop counting) and swaps
    /// in the new snapshot.
    pub fn refresh_stock(&self, day: chrono::NaiveDate) {
        let _ = self
            .index
            .update(|index| -> Result<SpatialIndex, ApiError> {
                let ledger = self.ledger();
                Ok(index.with_stock_totals(ledger.usable_totals(day)))
            });
    }

    pub(crate) fn announce(
        &self,
        action: Action,
        facility: impl Into<Announced>,
        data_version: u64,
    ) {
        let facility = facility.into();
        let (lon, lat) = (facility.at.lon(), facility.at.lat());
        // Nobody listening is fine.
        let _ = self.events.send(Event {
            action,
            facility: Some(facility.id.get()),
            kind: Some(facility.kind),
            count: None,
            bbox: [lon, lat, lon, lat],
            data_version,
        });
    }
}

/// What an event tells of a facility: which, what kind, and where.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Announced {
    id: FacilityId,
    kind: refuge_core::FacilityKind,
    at: refuge_core::LonLat,
}

impl From<&Facility> for Announced {
    fn from(facility: &Facility) -> Self {
        Self {
            id: facility.id,
            kind: facility.kind(),
            at: facility.location,
        }
    }
}

impl From<&FacilityBrief> for Announced {
    fn from(facility: &FacilityBrief) -> Self {
        Self {
            id: facility.id,
            kind: facility.kind(),
            at: facility.location,
        }
    }
}

const WORLD: [f64; 4] = [-180.0, -85.0, 180.0, 85.0];

/// West, south, east, north of every facility; `None` without any.
fn bounds(index: &SpatialIndex) -> Option<[f64; 4]> {
    let mut b = [180.0, 90.0, -180.0, -90.0];
    for f in index.facilities() {
        b[0] = f64::min(b[0], f.location.lon());
        b[1] = f64::min(b[1], f.location.lat());
        b[2] = f64::max(b[2], f.location.lon());
        b[3] = f64::max(b[3], f.location.lat());
    }
    (b[0] <= b[2]).then_some(b)
}
