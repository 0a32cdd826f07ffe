//! The shared backend: PostgreSQL 15 with PostGIS, for many Refuge servers on one database.
//!
//! Writes from every server take one advisory lock for their transaction, so the changes they
//! log get sequence numbers in commit order. Each server follows that log: a write first checks
//! that the server has taken every change before it (else [`Error::Behind`]), and a server's
//! follower applies the changes of the others.

pub(crate) mod schema;

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use postgres::fallible_iterator::FallibleIterator;
use postgres::types::ToSql;
use postgres::{Client, NoTls, Statement};
use refuge_core::planning::{CellPeople, PopulationLayer};
use refuge_core::{
    Activation, Facility, FacilityDetails, FacilityId, Item, ItemId, KeptPlan, Movement,
};
use refuge_io::{BaseFeature, DataSource};

use crate::backend::{
    AuditRow, LiveToken, PopulationMeta, TokenRow, Tx, cell_from_number, cell_number,
};
use crate::records::{json, parse, parsed};
use crate::{Change, Changes, Error, Result, TokenInfo};

/// The schema version from which the population's hexagons and districts' outlines are kept.
const POPULATION_SHAPES: u32 = 5;

/// Any number, the same in every Refuge: the advisory lock every write transaction holds.
const WRITE_LOCK: i64 = 0x5265_6675_6765_5731;

/// This process's turn on the store, let go when dropped. A failure to let go is logged, never
/// returned: the work done in the turn is committed, and a connection that failed took its lock
/// with it.
struct Turn<'a>(&'a Postgres);

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let mut slot = self.0.writer.slot();
        if let Some(conn) = slot.as_mut().filter(|conn| !conn.client.is_closed()) {
            if let Err(error) = conn
                .client
                .execute("SELECT pg_advisory_unlock($1)", &[&TURN_LOCK])
            {
                tracing::warn!(%error, "could not let go of the store's turn");
            }
        }
    }
}

/// Any number, the same in every Refuge: every write transaction holds it shared; a server that
/// other servers' writes keep putting behind holds it alone while it catches up and writes, so
/// that it cannot starve (see [`Postgres::in_turn`]).
const TURN_LOCK: i64 = 0x5265_6675_6765_5454;

/// The channel a commit notifies with its last change's sequence number.
pub(crate) const CHANNEL: &str = "refuge_changes";

/// How many changes the log keeps: a server that falls further behind loads the store again.
const KEPT_CHANGES: i64 = 1_000_000;

/// The log is pruned each time its numbers pass a multiple of this.
const PRUNE_EVERY: i64 = 10_000;

/// How many reading connections a store opens.
const READERS: usize = 3;

/// How many facilities, and every facility's id and record in the order of their ids.
const FACILITY_COUNT: &str = "SELECT count(*) FROM facilities";
const FACILITY_BODIES: &str = "SELECT id, body::text FROM facilities ORDER BY id";

/// A connection and the statements prepared on it.
struct Connection {
    client: Client,
    statements: HashMap<&'static str, Statement>,
}

/// One database server: how to reach it, and how to name it without its password.
struct Database {
    config: postgres::Config,
    shown: String,
}

impl Database {
    fn at(url: &str) -> Result<Self> {
        let config = postgres::Config::from_str(url).map_err(|e| Error::Connect {
            store: "the PostgreSQL connection string".into(),
            message: e.to_string(),
        })?;
        let shown = shown(&config);
        Ok(Self { config, shown })
    }

    /// A new connection.
    fn client(&self) -> Result<Client> {
        self.config.connect(NoTls).map_err(|e| Error::Connect {
            store: self.shown.clone(),
            message: e.to_string(),
        })
    }

    /// The connection in `slot`, connecting (again) if it has none or lost it.
    fn connected<'s>(&self, slot: &'s mut Option<Connection>) -> Result<&'s mut Connection> {
        if slot.as_ref().is_none_or(|conn| conn.client.is_closed()) {
            *slot = None;
            *slot = Some(Connection {
                client: self.client()?,
                statements: HashMap::new(),
            });
        }
        slot.as_mut().ok_or_else(|| Error::Connect {
            store: self.shown.clone(),
            message: "no connection".into(),
        })
    }
}

/// A few connections to one database, each used by one caller at a time.
struct Pool {
    slots: Vec<Mutex<Option<Connection>>>,
    next: AtomicUsize,
}

impl Pool {
    fn new(size: usize) -> Self {
        Self {
            slots: (0..size.max(1)).map(|_| Mutex::new(None)).collect(),
            next: AtomicUsize::new(0),
        }
    }

    /// A free slot if any, else the next in turn.
    fn slot(&self) -> MutexGuard<'_, Option<Connection>> {
        for slot in &self.slots {
            match slot.try_lock() {
                Ok(free) => return free,
                Err(std::sync::TryLockError::Poisoned(poisoned)) => return poisoned.into_inner(),
                Err(std::sync::TryLockError::WouldBlock) => {}
            }
        }
        let turn = self.next.fetch_add(1, Ordering::Relaxed) % self.slots.len();
        self.slots[turn]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A streaming replica of the primary that takes this server's reads.
struct Standby {
    database: Database,
    readers: Pool,
}

/// The position of a write that could not be read back: reads go to the primary.
const UNKNOWN_POSITION: u64 = u64::MAX;

/// How long a read waits for the standby to replay this process's last write before it asks the
/// primary instead.
const REPLAY_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// A PostgreSQL store.
pub(crate) struct Postgres {
    primary: Database,
    /// The one connection that writes.
    writer: Pool,
    readers: Pool,
    /// Where reads go, when there is a standby.
    standby: Option<Standby>,
    /// The primary's WAL position after this process's last write: a read on the standby waits
    /// until the standby has replayed it (read-your-writes).
    last_write: AtomicU64,
    /// Whether this process keeps a copy of the data up to `followed` (a server does; a command
    /// that imports or makes a token does not).
    following: AtomicBool,
    /// The last change this process's copy holds.
    followed: AtomicI64,
    /// The connection that listens for commits.
    listener: Mutex<Option<Client>>,
}

impl Drop for Postgres {
    /// A `postgres::Client` closes its connection by blocking on a runtime of its own, which
    /// tokio forbids on a thread that drives async tasks: a server's last handle on its store may
    /// be dropped on one as it stops. The connections are closed on a thread of their own.
    fn drop(&mut self) {
        let mut connections: Vec<Connection> = Vec::new();
        let pools = [&self.writer, &self.readers]
            .into_iter()
            .chain(self.standby.as_ref().map(|standby| &standby.readers));
        for pool in pools {
            for slot in &pool.slots {
                let taken = slot
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .take();
                connections.extend(taken);
            }
        }
        let listener = self
            .listener
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        let closing = std::thread::spawn(move || {
            drop(connections);
            drop(listener);
        });
        let _ = closing.join();
    }
}

impl std::fmt::Debug for Postgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Postgres")
            .field("store", &self.primary.shown)
            .field("standby", &self.standby.as_ref().map(|s| &s.database.shown))
            .finish_non_exhaustive()
    }
}

impl Postgres {
    /// Connects to the primary at `url` (`postgres://user:password@host:port/database`) and
    /// migrates its schema; reads go to the streaming replica at `standby`, if given.
    pub(crate) fn connect(url: &str, standby: Option<&str>) -> Result<Self> {
        let store = Self {
            primary: Database::at(url)?,
            writer: Pool::new(1),
            readers: Pool::new(READERS),
            standby: standby
                .map(|url| {
                    Ok::<_, Error>(Standby {
                        database: Database::at(url)?,
                        readers: Pool::new(READERS),
                    })
                })
                .transpose()?,
            last_write: AtomicU64::new(0),
            following: AtomicBool::new(false),
            followed: AtomicI64::new(0),
            listener: Mutex::new(None),
        };
        store.migrate()?;
        if let Some(standby) = &store.standby {
            // A standby that cannot be reached now is no reason not to start: reads go to the
            // primary until it answers. One that answers must be a replica of this primary.
            let mut slot = standby.readers.slot();
            let replayed = store.replayed(standby, &mut slot).unwrap_or_else(|error| {
                tracing::warn!(standby = %standby.database.shown, %error,
                    "the standby cannot be reached: reading the primary until it can");
                false
            });
            if let (true, Some(conn)) = (replayed, slot.as_mut()) {
                let found = schema::version(&mut conn.client)?;
                if found != schema::LATEST {
                    return Err(Error::Connect {
                        store: standby.database.shown.clone(),
                        message: format!(
                            "the standby has schema version {found} and the primary {}: is it \
                             a replica of {}?",
                            schema::LATEST,
                            store.primary.shown
                        ),
                    });
                }
            }
        }
        Ok(store)
    }

    /// Whether reads go to a standby.
    pub(crate) fn has_standby(&self) -> bool {
        self.standby.is_some()
    }

    /// Brings the primary's schema up to this build's; with a standby, the standby's reads wait
    /// for the migration too.
    fn migrate(&self) -> Result<()> {
        let shapes_missing = {
            let mut writer = self.writer.slot();
            let conn = self.primary.connected(&mut writer)?;
            let before = schema::version(&mut conn.client)?;
            schema::migrate(&mut conn.client, &self.primary.shown)?;
            if self.standby.is_some() {
                self.note_write(conn);
            }
            (1..POPULATION_SHAPES).contains(&before)
        };
        if shapes_missing {
            // A layer imported before its hexagons and outlines were kept: written again whole.
            self.write(&mut |tx| match tx.population()? {
                Some(layer) => tx.put_population(&layer),
                None => Ok(()),
            })?;
        }
        Ok(())
    }

    /// The database, without its password.
    pub(crate) fn shown(&self) -> &str {
        &self.primary.shown
    }

    /// Runs `work` in a write transaction, committed if it succeeds. The transaction holds the
    /// write lock; if another server committed a change this process has not taken, nothing is
    /// done and the answer is [`Error::Behind`].
    pub(crate) fn write(&self, work: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()> {
        let mut slot = self.writer.slot();
        let conn = self.primary.connected(&mut slot)?;
        let last = {
            let mut tx = conn.client.transaction()?;
            tx.execute(
                "SELECT pg_advisory_xact_lock_shared($1), pg_advisory_xact_lock($2)",
                &[&TURN_LOCK, &WRITE_LOCK],
            )?;
            if self.following.load(Ordering::SeqCst) {
                let latest: i64 = tx
                    .query_one("SELECT coalesce(max(seq), 0) FROM changes", &[])?
                    .get(0);
                let followed = self.followed.load(Ordering::SeqCst);
                if latest > followed {
                    return Err(Error::Behind { followed, latest });
                }
            }
            let mut pg = PgTx {
                tx,
                statements: &mut conn.statements,
                first_change: None,
                last_change: None,
                backdrop_changed: false,
            };
            work(&mut pg)?;
            let last = pg.last_change;
            if let Some(last) = last {
                if pg
                    .first_change
                    .is_some_and(|first| (first - 1) / PRUNE_EVERY != last / PRUNE_EVERY)
                {
                    pg.prune(last - KEPT_CHANGES)?;
                }
                pg.tx
                    .execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &last.to_string()])?;
            }
            let PgTx { tx, .. } = pg;
            tx.commit()?;
            last
        };
        if let Some(last) = last {
            if self.following.load(Ordering::SeqCst) {
                self.followed.store(last, Ordering::SeqCst);
            }
        }
        if self.standby.is_some() {
            self.note_write(conn);
        }
        Ok(())
    }

    /// Runs `work` with the turn lock held by this process alone: other servers' writes wait
    /// until it is done, while this process's own writes (on the same connection) go ahead. For
    /// a server that keeps finding itself behind: it catches up and writes in its turn.
    pub(crate) fn in_turn<T>(&self, work: impl FnOnce() -> T) -> Result<T> {
        {
            let mut slot = self.writer.slot();
            let conn = self.primary.connected(&mut slot)?;
            conn.client
                .execute("SELECT pg_advisory_lock($1)", &[&TURN_LOCK])?;
        }
        // Let go however `work` ends, a panic included: a turn held for ever would stop every
        // other server's writes.
        let _turn = Turn(self);
        Ok(work())
    }

    /// Remembers the primary's WAL position after a write of this process, for reads on the
    /// standby to wait for.
    /// Never fails: it runs after a commit, which must not be reported as failed. A position
    /// that cannot be read sends reads to the primary until the next write's can.
    fn note_write(&self, conn: &mut Connection) {
        let position = conn
            .client
            .query_one("SELECT pg_current_wal_lsn()::text", &[])
            .ok()
            .and_then(|row| lsn(&row.get::<_, String>(0)));
        // Writes take turns on the one writing connection: positions come in order.
        self.last_write
            .store(position.unwrap_or(UNKNOWN_POSITION), Ordering::SeqCst);
    }

    /// Runs `work` in a read-only transaction that sees one state throughout: on the standby
    /// once it has replayed this process's last write, else (lagging, or unreachable) on the
    /// primary.
    pub(crate) fn read(&self, work: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()> {
        if let Some(standby) = &self.standby {
            let mut slot = standby.readers.slot();
            match self.replayed(standby, &mut slot) {
                Ok(true) => {
                    if let Some(conn) = slot.as_mut() {
                        return read_on(conn, work);
                    }
                }
                Ok(false) => {}
                Err(error) => {
                    tracing::warn!(standby = %standby.database.shown, %error,
                        "the standby cannot be read: reading the primary");
                }
            }
        }
        self.read_primary(work)
    }

    /// Runs `work` in a read-only transaction on the primary.
    pub(crate) fn read_primary(
        &self,
        work: &mut dyn FnMut(&mut dyn Tx) -> Result<()>,
    ) -> Result<()> {
        let mut slot = self.readers.slot();
        let conn = self.primary.connected(&mut slot)?;
        read_on(conn, work)
    }

    /// Whether the standby (connected in `slot`) has replayed this process's last write,
    /// waiting up to [`REPLAY_WAIT`] for it.
    fn replayed(&self, standby: &Standby, slot: &mut Option<Connection>) -> Result<bool> {
        let conn = standby.database.connected(slot)?;
        let wanted = self.last_write.load(Ordering::SeqCst);
        if wanted == UNKNOWN_POSITION {
            return Ok(false);
        }
        if wanted == 0 {
            return Ok(true);
        }
        let position = format!("{:X}/{:X}", wanted >> 32, wanted & 0xFFFF_FFFF);
        let started = std::time::Instant::now();
        loop {
            let replayed: Option<bool> = conn
                .client
                .query_one(
                    "SELECT pg_last_wal_replay_lsn() >= $1::text::pg_lsn",
                    &[&position],
                )?
                .get(0);
            if replayed != Some(false) {
                // Replayed, or not a standby at all (promoted): either way it has the write.
                return Ok(true);
            }
            if started.elapsed() >= REPLAY_WAIT {
                return Ok(false);
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
    }

    /// The schema version of the database.
    pub(crate) fn schema_version(&self) -> Result<u32> {
        let mut slot = self.writer.slot();
        let conn = self.primary.connected(&mut slot)?;
        schema::version(&mut conn.client)
    }

    /// From now on, this process keeps a copy of the data that holds every change up to
    /// `through`, and its writes check that.
    pub(crate) fn follow(&self, through: i64) {
        self.followed.store(through, Ordering::SeqCst);
        self.following.store(true, Ordering::SeqCst);
    }

    /// The last change this process's copy holds.
    pub(crate) fn followed(&self) -> i64 {
        self.followed.load(Ordering::SeqCst)
    }

    /// Waits up to `timeout` for a commit of another server (or of this one); whether one came.
    /// Nothing is lost if one comes while nobody waits: the next wait answers at once.
    pub(crate) fn wait_for_changes(&self, timeout: std::time::Duration) -> Result<bool> {
        let mut slot = self
            .listener
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if slot.as_ref().is_none_or(Client::is_closed) {
            *slot = None;
            let mut client = self.primary.client()?;
            client.batch_execute(&format!("LISTEN {CHANNEL}"))?;
            *slot = Some(client);
        }
        let Some(client) = slot.as_mut() else {
            return Ok(false);
        };
        let waited = (|| -> Result<bool> {
            let mut notifications = client.notifications();
            let came = notifications.timeout_iter(timeout).next()?.is_some();
            // The others that came meanwhile are answered by the same catching up.
            while notifications.iter().next()?.is_some() {}
            Ok(came)
        })();
        if waited.is_err() {
            *slot = None;
        }
        waited
    }

    /// The changes after `after`, at most `limit`, in commit order.
    pub(crate) fn changes_since(&self, after: i64, limit: i64) -> Result<Changes> {
        // On the primary: a server catching up before a write needs every change committed.
        let mut slot = self.readers.slot();
        let conn = self.primary.connected(&mut slot)?;
        let mut tx = conn
            .client
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()?;
        let pruned: i64 = tx
            .query_opt(
                "SELECT value FROM meta WHERE key = 'changes_pruned_through'",
                &[],
            )?
            .and_then(|row| row.get::<_, String>(0).parse().ok())
            .unwrap_or(0);
        let latest: i64 = tx
            .query_one("SELECT coalesce(max(seq), 0) FROM changes", &[])?
            .get(0);
        if after < pruned {
            tx.commit()?;
            return Ok(Changes {
                through: latest,
                changes: Vec::new(),
                complete: false,
            });
        }
        let rows = tx.query(
            "SELECT seq, what, facility, body::text FROM changes WHERE seq > $1
             ORDER BY seq LIMIT $2",
            &[&after, &limit],
        )?;
        tx.commit()?;
        let mut changes = Vec::with_capacity(rows.len());
        let mut through = after;
        for row in rows {
            let seq: i64 = row.get(0);
            let what: String = row.get(1);
            let facility: Option<i64> = row.get(2);
            let body: Option<String> = row.get(3);
            let named = format!("change {seq}");
            let change = match (what.as_str(), facility, body) {
                ("facility", _, Some(body)) => Change::Facility(Box::new(parse(&named, &body)?)),
                ("removed", Some(id), _) => Change::Removed(facility_id(id)?),
                ("movement", _, Some(body)) => Change::Movement(parse(&named, &body)?),
                ("backdrop", _, _) => Change::Backdrop,
                ("population", _, _) => Change::Population,
                _ => {
                    return Err(Error::Corrupt {
                        what: named,
                        message: format!("`{what}` is no change Refuge knows"),
                    });
                }
            };
            changes.push((seq, change));
            through = seq;
        }
        Ok(Changes {
            through,
            changes,
            complete: true,
        })
    }
}

/// Runs `work` in a repeatable-read, read-only transaction on `conn`.
fn read_on(conn: &mut Connection, work: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()> {
    let tx = conn
        .client
        .build_transaction()
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()?;
    let mut pg = PgTx {
        tx,
        statements: &mut conn.statements,
        first_change: None,
        last_change: None,
        backdrop_changed: false,
    };
    work(&mut pg)?;
    pg.tx.commit()?;
    Ok(())
}

/// A WAL position (`16/B374D848`) as a number.
fn lsn(text: &str) -> Option<u64> {
    let (high, low) = text.split_once('/')?;
    Some((u64::from_str_radix(high, 16).ok()? << 32) | u64::from_str_radix(low, 16).ok()?)
}

/// The connection string's user, hosts, ports and database, never its password.
fn shown(config: &postgres::Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|host| match host {
            postgres::config::Host::Tcp(name) => name.clone(),
            postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .collect();
    let ports: Vec<String> = config.get_ports().iter().map(u16::to_string).collect();
    format!(
        "postgres://{}@{}:{}/{}",
        config.get_user().unwrap_or(""),
        hosts.join(","),
        ports.join(","),
        config.get_dbname().unwrap_or("")
    )
}

fn facility_id(id: i64) -> Result<FacilityId> {
    FacilityId::new(id as u64).map_err(|e| Error::Corrupt {
        what: format!("facility {id}"),
        message: e.to_string(),
    })
}

/// A transaction on one connection, with the changes it logged.
struct PgTx<'c> {
    tx: postgres::Transaction<'c>,
    statements: &'c mut HashMap<&'static str, Statement>,
    /// The sequence numbers of the first and the last change logged.
    first_change: Option<i64>,
    last_change: Option<i64>,
    /// Whether the base map or the sources changed (logged once).
    backdrop_changed: bool,
}

/// The columns planners query, taken from a facility.
struct Columns {
    name: Option<String>,
    status: &'static str,
    capacity: Option<i32>,
    occupancy: Option<i32>,
    lon: f64,
    lat: f64,
    /// The facility's shape when it has one (a hazard zone, a footprint), as GeoJSON.
    shape: Option<String>,
}

impl Columns {
    fn of(facility: &Facility) -> Result<Self> {
        let shelter = facility.shelter();
        let to_i32 = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
        let shape = match (&facility.details, &facility.footprint) {
            (FacilityDetails::Hazard(hazard), _) if hazard.zone.is_some() => {
                hazard.zone.as_ref().map(geojson_text).transpose()?
            }
            (_, Some(footprint)) => Some(geojson_text(&geo::Geometry::MultiPolygon(
                footprint.clone(),
            ))?),
            _ => None,
        };
        Ok(Self {
            name: facility
                .name
                .zh
                .clone()
                .or_else(|| facility.name.en.clone()),
            status: facility.status.status.as_str(),
            capacity: shelter.and_then(|s| s.capacity()).map(to_i32),
            occupancy: shelter.map(|s| to_i32(s.occupancy)),
            lon: facility.location.lon(),
            lat: facility.location.lat(),
            shape,
        })
    }
}

/// An H3 cell's hexagon as EWKT, which a COPY into a geometry column reads.
fn hexagon_ewkt(cell: refuge_core::CellIndex) -> String {
    let ring = geo::LineString::from(cell.boundary());
    let mut points: Vec<String> = ring.coords().map(|c| format!("{} {}", c.x, c.y)).collect();
    if let Some(first) = points.first().cloned() {
        if points.last() != Some(&first) {
            points.push(first);
        }
    }
    format!("SRID=4326;POLYGON(({}))", points.join(","))
}

fn geojson_text(geometry: &geo::Geometry) -> Result<String> {
    json(&geojson::Geometry::from(geometry))
}

impl PgTx<'_> {
    /// The statement for `sql`, prepared once per connection.
    fn statement(&mut self, sql: &'static str) -> Result<Statement> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.tx.prepare(sql)?;
        self.statements.insert(sql, statement.clone());
        Ok(statement)
    }

    fn execute(&mut self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> Result<u64> {
        let statement = self.statement(sql)?;
        Ok(self.tx.execute(&statement, params)?)
    }

    fn query(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<postgres::Row>> {
        let statement = self.statement(sql)?;
        Ok(self.tx.query(&statement, params)?)
    }

    fn query_opt(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<postgres::Row>> {
        let statement = self.statement(sql)?;
        Ok(self.tx.query_opt(&statement, params)?)
    }

    /// Logs a change for the other servers.
    fn log(&mut self, what: &str, facility: Option<i64>, body: Option<&str>) -> Result<()> {
        let row = self
            .query_opt(
                "INSERT INTO changes (what, facility, body) VALUES ($1, $2, $3::text::jsonb)
                 RETURNING seq",
                &[&what, &facility, &body],
            )?
            .ok_or_else(|| Error::Corrupt {
                what: "change".into(),
                message: "the change log numbered nothing".into(),
            })?;
        let seq = row.get(0);
        self.first_change.get_or_insert(seq);
        self.last_change = Some(seq);
        Ok(())
    }

    /// Forgets the changes up to `through`: a server that had not taken them loads the store
    /// again.
    fn prune(&mut self, through: i64) -> Result<()> {
        if through <= 0 {
            return Ok(());
        }
        self.execute("DELETE FROM changes WHERE seq <= $1", &[&through])?;
        self.put_meta("changes_pruned_through", &through.to_string())
    }

    fn log_backdrop(&mut self) -> Result<()> {
        if !self.backdrop_changed {
            self.backdrop_changed = true;
            self.log("backdrop", None, None)?;
        }
        Ok(())
    }

    /// The records of a query of (number, JSON text) rows, parsed on every core while read.
    fn parsed_rows<T: crate::records::Record>(
        &mut self,
        count_sql: &'static str,
        sql: &'static str,
        what: &str,
    ) -> Result<Vec<T>> {
        let count: i64 = self.tx.query_one(count_sql, &[])?.get(0);
        let statement = self.statement(sql)?;
        let rows = self
            .tx
            .query_raw(&statement, std::iter::empty::<&(dyn ToSql + Sync)>())?;
        let rows = rows.iterator().map(|row| {
            let row = row?;
            Ok((row.try_get::<_, i64>(0)?, row.try_get::<_, String>(1)?))
        });
        parsed(rows, usize::try_from(count).unwrap_or(0), what)
    }

    fn upsert_facility(&mut self, facility: &Facility, sql: &'static str) -> Result<()> {
        let columns = Columns::of(facility)?;
        let body = json(facility)?;
        let id = facility.id.get() as i64;
        let version = facility.version as i64;
        self.execute(
            sql,
            &[
                &id,
                &version,
                &facility.kind().as_str(),
                &columns.name,
                &columns.status,
                &columns.capacity,
                &columns.occupancy,
                &facility.source.record,
                &columns.lon,
                &columns.lat,
                &columns.shape,
                &body,
            ],
        )?;
        self.log("facility", Some(id), Some(&body))
    }
}

impl Tx for PgTx<'_> {
    fn batch(&mut self, sql: &str) -> Result<()> {
        Ok(self.tx.batch_execute(sql)?)
    }

    fn holds_anything(&mut self) -> Result<bool> {
        Ok(self
            .tx
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM facilities) OR EXISTS (SELECT 1 FROM base_features)
                     OR EXISTS (SELECT 1 FROM sources)",
                &[],
            )?
            .get(0))
    }

    fn facility(&mut self, id: FacilityId) -> Result<Option<Facility>> {
        let row = self.query_opt(
            "SELECT body::text FROM facilities WHERE id = $1",
            &[&(id.get() as i64)],
        )?;
        row.map(|row| parse(&crate::records::target(id), &row.get::<_, String>(0)))
            .transpose()
    }

    fn facility_version(&mut self, id: FacilityId) -> Result<Option<u64>> {
        let row = self.query_opt(
            "SELECT version FROM facilities WHERE id = $1",
            &[&(id.get() as i64)],
        )?;
        Ok(row.map(|row| row.get::<_, i64>(0) as u64))
    }

    fn facilities_from_record(&mut self, record: &str) -> Result<Vec<FacilityId>> {
        self.query(
            "SELECT id FROM facilities WHERE source_record = $1 LIMIT 2",
            &[&record],
        )?
        .into_iter()
        .map(|row| facility_id(row.get(0)))
        .collect()
    }

    fn facilities(&mut self) -> Result<Vec<Facility>> {
        self.parsed_rows(FACILITY_COUNT, FACILITY_BODIES, "facility")
    }

    fn facility_briefs(&mut self) -> Result<Vec<refuge_core::FacilityBrief>> {
        self.parsed_rows(FACILITY_COUNT, FACILITY_BODIES, "facility")
    }

    fn insert_facility(&mut self, facility: &Facility) -> Result<()> {
        self.upsert_facility(
            facility,
            "INSERT INTO facilities (id, version, kind, name, status, capacity, occupancy,
                 source_record, location, geom, body)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, ST_SetSRID(ST_MakePoint($9, $10), 4326),
                 coalesce(ST_SetSRID(ST_GeomFromGeoJSON($11::text), 4326),
                          ST_SetSRID(ST_MakePoint($9, $10), 4326)),
                 $12::text::jsonb)",
        )
    }

    fn update_facility(&mut self, facility: &Facility) -> Result<()> {
        self.upsert_facility(
            facility,
            "UPDATE facilities SET version = $2, kind = $3, name = $4, status = $5,
                 capacity = $6, occupancy = $7, source_record = $8,
                 location = ST_SetSRID(ST_MakePoint($9, $10), 4326),
                 geom = coalesce(ST_SetSRID(ST_GeomFromGeoJSON($11::text), 4326),
                                 ST_SetSRID(ST_MakePoint($9, $10), 4326)),
                 body = $12::text::jsonb, updated_at = now()
             WHERE id = $1",
        )
    }

    fn delete_facility(&mut self, id: FacilityId) -> Result<()> {
        let id = id.get() as i64;
        self.execute("DELETE FROM facilities WHERE id = $1", &[&id])?;
        self.log("removed", Some(id), None)
    }

    fn insert_movement(&mut self, movement: &Movement) -> Result<i64> {
        let body = json(movement)?;
        let row = self
            .query_opt(
                "INSERT INTO movements (facility, item, body) VALUES ($1, $2, $3::text::jsonb)
                 RETURNING seq",
                &[
                    &(movement.facility.get() as i64),
                    &movement.item.as_str(),
                    &body,
                ],
            )?
            .ok_or_else(|| Error::Corrupt {
                what: "movement".into(),
                message: "the ledger numbered nothing".into(),
            })?;
        self.log(
            "movement",
            Some(movement.facility.get() as i64),
            Some(&body),
        )?;
        Ok(row.get(0))
    }

    fn movements(&mut self) -> Result<Vec<Movement>> {
        self.parsed_rows(
            "SELECT count(*) FROM movements",
            "SELECT seq, body::text FROM movements ORDER BY seq",
            "movement",
        )
    }

    fn items(&mut self) -> Result<Vec<Item>> {
        self.query("SELECT item, body::text FROM catalog ORDER BY item", &[])?
            .into_iter()
            .map(|row| {
                parse(
                    &format!("item {}", row.get::<_, String>(0)),
                    &row.get::<_, String>(1),
                )
            })
            .collect()
    }

    fn put_item(&mut self, item: &Item) -> Result<()> {
        self.execute(
            "INSERT INTO catalog (item, body) VALUES ($1, $2::text::jsonb)
             ON CONFLICT (item) DO UPDATE SET body = excluded.body",
            &[&item.id.as_str(), &json(item)?],
        )?;
        Ok(())
    }

    fn item_known(&mut self, item: &ItemId) -> Result<bool> {
        Ok(self
            .query_opt("SELECT 1 FROM catalog WHERE item = $1", &[&item.as_str()])?
            .is_some())
    }

    fn base_features(&mut self) -> Result<Vec<BaseFeature>> {
        self.parsed_rows(
            "SELECT count(*) FROM base_features",
            "SELECT seq, body::text FROM base_features ORDER BY seq",
            "base feature",
        )
    }

    fn put_base_feature(&mut self, feature: &BaseFeature) -> Result<()> {
        self.execute(
            "INSERT INTO base_features (id, layer, body) VALUES ($1, $2, $3::text::jsonb)
             ON CONFLICT (layer, id) DO UPDATE SET body = excluded.body",
            &[
                &(feature.id as i64),
                &feature.layer.as_str(),
                &json(feature)?,
            ],
        )?;
        self.log_backdrop()
    }

    fn sources(&mut self) -> Result<Vec<DataSource>> {
        Ok(self
            .query(
                "SELECT dataset, format, attribution FROM sources ORDER BY seq",
                &[],
            )?
            .into_iter()
            .map(|row| DataSource {
                dataset: row.get(0),
                format: row.get(1),
                attribution: row.get(2),
            })
            .collect())
    }

    fn put_source(&mut self, source: &DataSource, at: &str) -> Result<()> {
        self.execute(
            "INSERT INTO sources (dataset, format, attribution, imported_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (dataset) DO UPDATE SET format = excluded.format,
                 attribution = excluded.attribution, imported_at = excluded.imported_at",
            &[&source.dataset, &source.format, &source.attribution, &at],
        )?;
        self.log_backdrop()
    }

    fn meta(&mut self, key: &str) -> Result<Option<String>> {
        Ok(self
            .query_opt("SELECT value FROM meta WHERE key = $1", &[&key])?
            .map(|row| row.get(0)))
    }

    fn put_meta(&mut self, key: &str, value: &str) -> Result<()> {
        self.execute(
            "INSERT INTO meta (key, value) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&key, &value],
        )?;
        Ok(())
    }

    fn new_activation(&mut self, started_at: &str) -> Result<u64> {
        let row = self
            .query_opt(
                "INSERT INTO activations (body, started_at) VALUES ('{}', $1) RETURNING id",
                &[&started_at],
            )?
            .ok_or_else(|| Error::Corrupt {
                what: "activation".into(),
                message: "no number was given".into(),
            })?;
        Ok(u64::try_from(row.get::<_, i64>(0)).unwrap_or_default())
    }

    fn save_activation(&mut self, activation: &Activation) -> Result<()> {
        self.execute(
            "INSERT INTO activations (id, body, started_at, ended_at)
             VALUES ($1, $2::text::jsonb, $3, $4)
             ON CONFLICT (id) DO UPDATE SET body = excluded.body, ended_at = excluded.ended_at",
            &[
                &(activation.id as i64),
                &json(activation)?,
                &activation.started_at.to_rfc3339(),
                &activation.ended_at.map(|t| t.to_rfc3339()),
            ],
        )?;
        Ok(())
    }

    fn activation(&mut self, id: u64) -> Result<Option<Activation>> {
        let row = self.query_opt(
            "SELECT body::text FROM activations WHERE id = $1",
            &[&i64::try_from(id).unwrap_or(i64::MAX)],
        )?;
        row.map(|row| parse(&format!("activation {id}"), &row.get::<_, String>(0)))
            .transpose()
    }

    fn activations(&mut self, in_force_only: bool) -> Result<Vec<Activation>> {
        self.query(
            "SELECT id, body::text FROM activations WHERE NOT $1 OR ended_at IS NULL
             ORDER BY id",
            &[&in_force_only],
        )?
        .into_iter()
        .map(|row| {
            parse(
                &format!("activation {}", row.get::<_, i64>(0)),
                &row.get::<_, String>(1),
            )
        })
        .collect()
    }

    fn insert_plan(&mut self, plan: &KeptPlan) -> Result<()> {
        self.execute(
            "INSERT INTO plans (id, made_at, body) VALUES ($1, $2, $3::text::jsonb)",
            &[&plan.id, &plan.made_at.to_rfc3339(), &json(plan)?],
        )?;
        Ok(())
    }

    fn plan(&mut self, id: &str) -> Result<Option<KeptPlan>> {
        let row = self.query_opt("SELECT body::text FROM plans WHERE id = $1", &[&id])?;
        row.map(|row| parse(&format!("plan {id}"), &row.get::<_, String>(0)))
            .transpose()
    }

    fn plans(&mut self) -> Result<Vec<KeptPlan>> {
        self.query("SELECT id, body::text FROM plans ORDER BY made_at, id", &[])?
            .into_iter()
            .map(|row| {
                parse(
                    &format!("plan {}", row.get::<_, String>(0)),
                    &row.get::<_, String>(1),
                )
            })
            .collect()
    }

    fn put_population(&mut self, layer: &PopulationLayer) -> Result<()> {
        self.log("population", None, None)?;
        self.tx
            .batch_execute("DELETE FROM population_cells; DELETE FROM population_districts;")?;
        self.execute(
            "INSERT INTO population (id, body, stamp) VALUES (1, $1::text::jsonb, 1)
             ON CONFLICT (id) DO UPDATE SET body = excluded.body, stamp = population.stamp + 1",
            &[&json(&PopulationMeta::of(layer))?],
        )?;
        // Hundreds of thousands of rows: one COPY, not a statement each.
        let mut writer = self
            .tx
            .copy_in("COPY population_cells (cell, people, district, geom) FROM STDIN")?;
        let mut rows = String::new();
        for cell in &layer.cells {
            let district = cell.district.map_or("\\N".to_owned(), |d| d.to_string());
            rows.push_str(&format!(
                "{}\t{}\t{}\t{}\n",
                cell_number(cell.cell),
                cell.people,
                district,
                hexagon_ewkt(cell.cell)
            ));
            if rows.len() > 1 << 20 {
                std::io::Write::write_all(&mut writer, rows.as_bytes())
                    .map_err(|e| Error::Backup(e.to_string()))?;
                rows.clear();
            }
        }
        std::io::Write::write_all(&mut writer, rows.as_bytes())
            .map_err(|e| Error::Backup(e.to_string()))?;
        writer.finish()?;
        for (id, district) in layer.districts.iter().enumerate() {
            let outline = layer
                .outlines
                .get(id)
                .map(|outline| geojson_text(&geo::Geometry::MultiPolygon(outline.clone())))
                .transpose()?;
            let placement = serde_json::to_value(district.placement)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            self.execute(
                "INSERT INTO population_districts (id, name, code, people, placement, geom)
                 VALUES ($1, $2, $3, $4, $5, ST_Multi(ST_GeomFromGeoJSON($6)))",
                &[
                    &i32::try_from(id).unwrap_or(i32::MAX),
                    &district.name,
                    &district.code,
                    &district.population,
                    &placement,
                    &outline,
                ],
            )?;
        }
        Ok(())
    }

    fn population_stamp(&mut self) -> Result<i64> {
        Ok(self
            .query_opt("SELECT stamp FROM population WHERE id = 1", &[])?
            .map_or(0, |row| row.get(0)))
    }

    fn population(&mut self) -> Result<Option<PopulationLayer>> {
        let Some(row) = self.query_opt("SELECT body::text FROM population WHERE id = 1", &[])?
        else {
            return Ok(None);
        };
        let meta: PopulationMeta = parse("population", &row.get::<_, String>(0))?;
        let cells = self
            .query(
                "SELECT cell, people, district FROM population_cells
                 ORDER BY cell, district NULLS FIRST",
                &[],
            )?
            .into_iter()
            .map(|row| {
                Ok(CellPeople {
                    cell: cell_from_number(row.get::<_, i64>(0))?,
                    people: row.get(1),
                    district: row.get::<_, Option<i32>>(2).map(|d| d as u32),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(meta.with_cells(cells)))
    }

    fn insert_token(&mut self, token: &TokenRow) -> Result<i64> {
        let row = self
            .query_opt(
                "INSERT INTO tokens (id, name, role, hash, created_at, revoked_at, expires_at)
                 VALUES (coalesce($1, nextval(pg_get_serial_sequence('tokens', 'id'))),
                         $2, $3, $4, $5, $6, $7)
                 RETURNING id",
                &[
                    &token.id,
                    &token.name,
                    &token.role,
                    &token.hash,
                    &token.created_at,
                    &token.revoked_at,
                    &token.expires_at,
                ],
            )?
            .ok_or_else(|| Error::Corrupt {
                what: "token".into(),
                message: "no number was given".into(),
            })?;
        Ok(row.get(0))
    }

    fn live_token(&mut self, hash: &[u8], now: &str) -> Result<Option<LiveToken>> {
        Ok(self
            .query_opt(
                "SELECT id, name, role, expires_at FROM tokens WHERE hash = $1
                 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)",
                &[&hash, &now],
            )?
            .map(|row| LiveToken {
                id: row.get(0),
                name: row.get(1),
                role: row.get(2),
                expires_at: row.get(3),
            }))
    }

    fn tokens(&mut self) -> Result<Vec<TokenInfo>> {
        self.token_rows()?
            .into_iter()
            .map(TokenInfo::try_from)
            .collect()
    }

    fn token_rows(&mut self) -> Result<Vec<TokenRow>> {
        Ok(self
            .query(
                "SELECT id, name, role, hash, created_at, revoked_at, expires_at FROM tokens
                 ORDER BY id",
                &[],
            )?
            .into_iter()
            .map(|row| TokenRow {
                id: row.get(0),
                name: row.get(1),
                role: row.get(2),
                hash: row.get(3),
                created_at: row.get(4),
                revoked_at: row.get(5),
                expires_at: row.get(6),
            })
            .collect())
    }

    fn revoke_token(&mut self, id: i64, at: &str) -> Result<bool> {
        Ok(self.execute(
            "UPDATE tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
            &[&id, &at],
        )? > 0)
    }

    fn latest_change(&mut self) -> Result<i64> {
        Ok(self
            .tx
            .query_one("SELECT coalesce(max(seq), 0) FROM changes", &[])?
            .get(0))
    }

    fn renumber(&mut self) -> Result<()> {
        for (table, column) in [
            ("movements", "seq"),
            ("base_features", "seq"),
            ("sources", "seq"),
            ("tokens", "id"),
            ("audit", "seq"),
            ("activations", "id"),
            ("changes", "seq"),
        ] {
            self.tx.execute(
                &format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', '{column}'),
                         greatest((SELECT max({column}) FROM {table}), 1))"
                ),
                &[],
            )?;
        }
        Ok(())
    }

    fn audit(&mut self, line: &AuditRow) -> Result<()> {
        self.execute(
            "INSERT INTO audit (seq, at, actor, role, action, target, before, after)
             VALUES (coalesce(nullif($1::bigint, 0), nextval(pg_get_serial_sequence('audit', 'seq'))),
                     $2, $3, $4, $5, $6, $7, $8)",
            &[
                &line.seq,
                &line.at,
                &line.actor,
                &line.role,
                &line.action,
                &line.target,
                &line.before,
                &line.after,
            ],
        )?;
        Ok(())
    }

    fn audit_log(&mut self, limit: usize, before: Option<i64>) -> Result<Vec<AuditRow>> {
        Ok(self
            .query(
                "SELECT seq, at, actor, role, action, target, before, after FROM audit
                 WHERE seq < $1 ORDER BY seq DESC LIMIT $2",
                &[
                    &before.unwrap_or(i64::MAX),
                    &i64::try_from(limit).unwrap_or(i64::MAX),
                ],
            )?
            .into_iter()
            .map(|row| AuditRow {
                seq: row.get(0),
                at: row.get(1),
                actor: row.get(2),
                role: row.get(3),
                action: row.get(4),
                target: row.get(5),
                before: row.get(6),
                after: row.get(7),
            })
            .collect())
    }
}
