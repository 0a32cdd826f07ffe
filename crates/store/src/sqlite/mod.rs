//! The embedded backend: one SQLite file in WAL mode with synchronous commits, one writing
//! connection and a few reading ones.

pub(crate) mod schema;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use refuge_core::planning::{CellPeople, PopulationLayer};
use refuge_core::{Activation, Facility, FacilityId, Item, ItemId, KeptPlan, Movement};
use refuge_io::{BaseFeature, DataSource};
use rusqlite::{Connection, OptionalExtension, params};

use crate::backend::{
    AuditRow, LiveToken, PopulationMeta, TokenRow, Tx, cell_from_number, cell_number,
};
use crate::records::{json, now, parse, parsed};
use crate::{Error, Result, TokenInfo};

/// An open SQLite store file.
#[derive(Debug)]
pub(crate) struct Sqlite {
    path: PathBuf,
    /// The one writer.
    conn: Mutex<Connection>,
    /// Reads (token checks, lists, start-up) on connections of their own: in WAL mode they
    /// never wait for a write under way, and a few readers at once do not wait for each other.
    readers: Vec<Mutex<Connection>>,
    /// Which reader a read waits for when all are busy.
    next_reader: AtomicUsize,
}

/// How many reading connections a store opens.
const READERS: usize = 3;

impl Sqlite {
    /// Opens (or creates) the file at `path`: WAL journal, synchronous commits, migrations run.
    pub(crate) fn open(path: &Path) -> Result<Self> {
        let open_error = |source| Error::Open {
            path: path.to_owned(),
            source,
        };
        let new = !path.exists();
        let mut conn = Connection::open(path).map_err(open_error)?;
        if new {
            keep_private(path)?;
        }
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_error)?;
        // FULL: a commit is on disk before it returns, so an acknowledged write survives a crash
        // or a power cut, not only a killed process.
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(open_error)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(open_error)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(open_error)?;
        let found = schema::version(&conn)?;
        if found > schema::LATEST {
            return Err(Error::TooNew {
                store: path.display().to_string(),
                found,
                known: schema::LATEST,
            });
        }
        schema::migrate_to(&mut conn, schema::LATEST)?;
        let readers = (0..READERS)
            .map(|_| {
                let reader = Connection::open(path)?;
                reader.pragma_update(None, "query_only", true)?;
                reader.busy_timeout(std::time::Duration::from_secs(5))?;
                Ok(Mutex::new(reader))
            })
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(open_error)?;
        Ok(Self {
            path: path.to_owned(),
            conn: Mutex::new(conn),
            readers,
            next_reader: AtomicUsize::new(0),
        })
    }

    /// The file.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// A reading connection: a free one if any, else the next in turn.
    fn reading(&self) -> MutexGuard<'_, Connection> {
        for reader in &self.readers {
            match reader.try_lock() {
                Ok(free) => return free,
                Err(std::sync::TryLockError::Poisoned(poisoned)) => return poisoned.into_inner(),
                Err(std::sync::TryLockError::WouldBlock) => {}
            }
        }
        let turn = self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len();
        self.readers[turn]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The writing connection.
    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `work` in a write transaction, committed if it succeeds. The transaction takes the
    /// write lock at its start, waiting up to the busy timeout for another writer: one that read
    /// first and then found the lock taken would fail at once, without waiting.
    pub(crate) fn write(&self, work: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        work(&mut SqliteTx { conn: &tx })?;
        tx.commit()?;
        Ok(())
    }

    /// Runs `work` in a read transaction on a reading connection.
    pub(crate) fn read(&self, work: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()> {
        let mut conn = self.reading();
        let tx = conn.transaction()?;
        work(&mut SqliteTx { conn: &tx })
    }

    /// The schema version of the file.
    pub(crate) fn schema_version(&self) -> Result<u32> {
        schema::version(&self.lock())
    }

    /// Copies the live file to `destination` while it serves (SQLite's online backup).
    pub(crate) fn backup(&self, destination: &Path) -> Result<()> {
        let conn = self.lock();
        let mut target = Connection::open(destination).map_err(|source| Error::Open {
            path: destination.to_owned(),
            source,
        })?;
        let backup = rusqlite::backup::Backup::new(&conn, &mut target)?;
        backup.run_to_completion(256, std::time::Duration::from_millis(0), None)?;
        Ok(())
    }

    /// SQLite's own check of the file: `ok`, or what is damaged.
    pub(crate) fn integrity_check(&self) -> Result<String> {
        Ok(self
            .lock()
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }
}

/// A new store holds contacts and token hashes: only its owner may read it. (SQLite gives the
/// journal files the same permissions.)
fn keep_private(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(
            |source| Error::Private {
                path: path.to_owned(),
                source,
            },
        )?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// A transaction on one of the file's connections.
struct SqliteTx<'c> {
    conn: &'c Connection,
}

impl SqliteTx<'_> {
    /// The records of a query of (number, JSON body) rows, parsed on every core.
    fn parsed_rows<T: crate::records::Record>(&self, sql: &str, what: &str) -> Result<Vec<T>> {
        let count: i64 =
            self.conn
                .query_row(&format!("SELECT count(*) FROM ({sql})"), [], |row| {
                    row.get(0)
                })?;
        let mut statement = self.conn.prepare(sql)?;
        let mut rows = statement.query([])?;
        let rows = std::iter::from_fn(|| match rows.next() {
            Ok(Some(row)) => Some(
                (|| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?)))().map_err(Error::Sql),
            ),
            Ok(None) => None,
            Err(error) => Some(Err(Error::Sql(error))),
        });
        parsed(rows, usize::try_from(count).unwrap_or(0), what)
    }

    /// Runs `sql`, an insert or an update, with a facility's row as parameters 1 to 6: id,
    /// version, kind, body, time, source record.
    fn write_facility(&self, sql: &str, facility: &Facility) -> Result<()> {
        self.conn.prepare_cached(sql)?.execute(params![
            sql_id(facility.id),
            facility.version as i64,
            facility.kind().as_str(),
            json(facility)?,
            now(),
            facility.source.record
        ])?;
        Ok(())
    }

    fn exists(&self, sql: &str, param: impl rusqlite::ToSql) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached(sql)?
            .query_row(params![param], |r| r.get(0))?)
    }
}

/// Every facility's id and record, in the order of their ids.
const FACILITY_BODIES: &str = "SELECT id, body FROM facilities ORDER BY id";

fn sql_id(id: FacilityId) -> i64 {
    id.get() as i64
}

impl Tx for SqliteTx<'_> {
    fn batch(&mut self, sql: &str) -> Result<()> {
        Ok(self.conn.execute_batch(sql)?)
    }

    fn holds_anything(&mut self) -> Result<bool> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM facilities) OR EXISTS (SELECT 1 FROM base_features)
                 OR EXISTS (SELECT 1 FROM sources)",
            [],
            |r| r.get(0),
        )?)
    }

    fn facility(&mut self, id: FacilityId) -> Result<Option<Facility>> {
        let body: Option<String> = self
            .conn
            .prepare_cached("SELECT body FROM facilities WHERE id = ?1")?
            .query_row(params![sql_id(id)], |r| r.get(0))
            .optional()?;
        body.map(|body| parse(&crate::records::target(id), &body))
            .transpose()
    }

    fn facility_version(&mut self, id: FacilityId) -> Result<Option<u64>> {
        let version: Option<i64> = self
            .conn
            .prepare_cached("SELECT version FROM facilities WHERE id = ?1")?
            .query_row(params![sql_id(id)], |r| r.get(0))
            .optional()?;
        Ok(version.map(|v| v as u64))
    }

    fn facilities_from_record(&mut self, record: &str) -> Result<Vec<FacilityId>> {
        let ids: Vec<i64> = self
            .conn
            .prepare_cached("SELECT id FROM facilities WHERE source_record = ?1 LIMIT 2")?
            .query_map(params![record], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        ids.into_iter()
            .map(|id| {
                FacilityId::new(id as u64).map_err(|e| Error::Corrupt {
                    what: format!("facility {id}"),
                    message: e.to_string(),
                })
            })
            .collect()
    }

    fn facilities(&mut self) -> Result<Vec<Facility>> {
        self.parsed_rows(FACILITY_BODIES, "facility")
    }

    fn facility_briefs(&mut self) -> Result<Vec<refuge_core::FacilityBrief>> {
        self.parsed_rows(FACILITY_BODIES, "facility")
    }

    fn insert_facility(&mut self, facility: &Facility) -> Result<()> {
        self.write_facility(
            "INSERT INTO facilities (id, version, kind, body, updated_at, source_record)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            facility,
        )
    }

    fn update_facility(&mut self, facility: &Facility) -> Result<()> {
        self.write_facility(
            "UPDATE facilities SET version = ?2, kind = ?3, body = ?4, updated_at = ?5,
                 source_record = ?6
             WHERE id = ?1",
            facility,
        )
    }

    fn delete_facility(&mut self, id: FacilityId) -> Result<()> {
        self.conn
            .prepare_cached("DELETE FROM facilities WHERE id = ?1")?
            .execute(params![sql_id(id)])?;
        Ok(())
    }

    fn insert_movement(&mut self, movement: &Movement) -> Result<i64> {
        self.conn
            .prepare_cached("INSERT INTO movements (facility, item, body) VALUES (?1, ?2, ?3)")?
            .execute(params![
                sql_id(movement.facility),
                movement.item.as_str(),
                json(movement)?
            ])?;
        Ok(self.conn.last_insert_rowid())
    }

    fn movements(&mut self) -> Result<Vec<Movement>> {
        self.parsed_rows("SELECT seq, body FROM movements ORDER BY seq", "movement")
    }

    fn items(&mut self) -> Result<Vec<Item>> {
        let mut statement = self
            .conn
            .prepare("SELECT item, body FROM catalog ORDER BY item")?;
        let rows = statement.query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })?;
        let mut items = Vec::new();
        for row in rows {
            let (id, body) = row?;
            items.push(parse(&format!("item {id}"), &body)?);
        }
        Ok(items)
    }

    fn put_item(&mut self, item: &Item) -> Result<()> {
        self.conn
            .prepare_cached("INSERT OR REPLACE INTO catalog (item, body) VALUES (?1, ?2)")?
            .execute(params![item.id.as_str(), json(item)?])?;
        Ok(())
    }

    fn item_known(&mut self, item: &ItemId) -> Result<bool> {
        self.exists(
            "SELECT EXISTS (SELECT 1 FROM catalog WHERE item = ?1)",
            item.as_str(),
        )
    }

    fn base_features(&mut self) -> Result<Vec<BaseFeature>> {
        self.parsed_rows(
            "SELECT rowid, body FROM base_features ORDER BY rowid",
            "base feature",
        )
    }

    fn put_base_feature(&mut self, feature: &BaseFeature) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO base_features (id, layer, body) VALUES (?1, ?2, ?3)
                 ON CONFLICT (layer, id) DO UPDATE SET body = excluded.body",
            )?
            .execute(params![
                feature.id as i64,
                feature.layer.as_str(),
                json(feature)?
            ])?;
        Ok(())
    }

    fn sources(&mut self) -> Result<Vec<DataSource>> {
        let mut statement = self
            .conn
            .prepare("SELECT dataset, format, attribution FROM sources ORDER BY rowid")?;
        let rows = statement.query_map([], |row| {
            Ok(DataSource {
                dataset: row.get(0)?,
                format: row.get(1)?,
                attribution: row.get(2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn put_source(&mut self, source: &DataSource, at: &str) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO sources (dataset, format, attribution, imported_at)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (dataset) DO UPDATE SET format = excluded.format,
                     attribution = excluded.attribution, imported_at = excluded.imported_at",
            )?
            .execute(params![
                source.dataset,
                source.format,
                source.attribution,
                at
            ])?;
        Ok(())
    }

    fn meta(&mut self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
            .query_row(params![key], |r| r.get(0))
            .optional()?)
    }

    fn put_meta(&mut self, key: &str, value: &str) -> Result<()> {
        self.conn
            .prepare_cached("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)")?
            .execute(params![key, value])?;
        Ok(())
    }

    fn new_activation(&mut self, started_at: &str) -> Result<u64> {
        self.conn.execute(
            "INSERT INTO activations (body, started_at) VALUES ('{}', ?1)",
            params![started_at],
        )?;
        Ok(u64::try_from(self.conn.last_insert_rowid()).unwrap_or_default())
    }

    fn save_activation(&mut self, activation: &Activation) -> Result<()> {
        self.conn.execute(
            "INSERT INTO activations (id, body, started_at, ended_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (id) DO UPDATE SET body = excluded.body, ended_at = excluded.ended_at",
            params![
                activation.id as i64,
                json(activation)?,
                activation.started_at.to_rfc3339(),
                activation.ended_at.map(|t| t.to_rfc3339())
            ],
        )?;
        Ok(())
    }

    fn activation(&mut self, id: u64) -> Result<Option<Activation>> {
        let body: Option<String> = self
            .conn
            .query_row(
                "SELECT body FROM activations WHERE id = ?1",
                params![i64::try_from(id).unwrap_or(i64::MAX)],
                |row| row.get(0),
            )
            .optional()?;
        body.map(|body| parse(&format!("activation {id}"), &body))
            .transpose()
    }

    fn activations(&mut self, in_force_only: bool) -> Result<Vec<Activation>> {
        self.parsed_rows(
            if in_force_only {
                "SELECT id, body FROM activations WHERE ended_at IS NULL ORDER BY id"
            } else {
                "SELECT id, body FROM activations ORDER BY id"
            },
            "activation",
        )
    }

    fn insert_plan(&mut self, plan: &KeptPlan) -> Result<()> {
        self.conn.execute(
            "INSERT INTO plans (id, made_at, body) VALUES (?1, ?2, ?3)",
            params![plan.id, plan.made_at.to_rfc3339(), json(plan)?],
        )?;
        Ok(())
    }

    fn plan(&mut self, id: &str) -> Result<Option<KeptPlan>> {
        let body: Option<String> = self
            .conn
            .query_row("SELECT body FROM plans WHERE id = ?1", params![id], |row| {
                row.get(0)
            })
            .optional()?;
        body.map(|body| parse(&format!("plan {id}"), &body))
            .transpose()
    }

    fn plans(&mut self) -> Result<Vec<KeptPlan>> {
        self.parsed_rows("SELECT rowid, body FROM plans ORDER BY made_at, id", "plan")
    }

    fn put_population(&mut self, layer: &PopulationLayer) -> Result<()> {
        self.conn.execute("DELETE FROM population_cells", [])?;
        self.conn.execute(
            "INSERT OR REPLACE INTO population (id, body, stamp)
             VALUES (1, ?1, COALESCE((SELECT stamp FROM population WHERE id = 1), 0) + 1)",
            params![json(&PopulationMeta::of(layer))?],
        )?;
        let mut insert = self.conn.prepare_cached(
            "INSERT INTO population_cells (cell, people, district) VALUES (?1, ?2, ?3)",
        )?;
        for cell in &layer.cells {
            insert.execute(params![cell_number(cell.cell), cell.people, cell.district])?;
        }
        Ok(())
    }

    fn population_stamp(&mut self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT stamp FROM population WHERE id = 1", [], |row| {
                row.get(0)
            })
            .optional()?
            .unwrap_or(0))
    }

    fn population(&mut self) -> Result<Option<PopulationLayer>> {
        let body: Option<String> = self
            .conn
            .query_row("SELECT body FROM population WHERE id = 1", [], |row| {
                row.get(0)
            })
            .optional()?;
        let Some(body) = body else {
            return Ok(None);
        };
        let meta: PopulationMeta = parse("population", &body)?;
        let mut statement = self.conn.prepare(
            "SELECT cell, people, district FROM population_cells ORDER BY cell, district",
        )?;
        let rows = statement.query_map([], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, f64>(1)?,
                row.get::<_, Option<u32>>(2)?,
            ))
        })?;
        let mut cells = Vec::new();
        for row in rows {
            let (cell, people, district) = row?;
            cells.push(CellPeople {
                cell: cell_from_number(cell)?,
                people,
                district,
            });
        }
        Ok(Some(meta.with_cells(cells)))
    }

    fn insert_token(&mut self, token: &TokenRow) -> Result<i64> {
        self.conn.execute(
            "INSERT INTO tokens (id, name, role, hash, created_at, revoked_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                token.id,
                token.name,
                token.role,
                token.hash,
                token.created_at,
                token.revoked_at,
                token.expires_at
            ],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    fn live_token(&mut self, hash: &[u8], now: &str) -> Result<Option<LiveToken>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT id, name, role, expires_at FROM tokens WHERE hash = ?1
                 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?2)",
            )?
            .query_row(params![hash, now], |row| {
                Ok(LiveToken {
                    id: row.get(0)?,
                    name: row.get(1)?,
                    role: row.get(2)?,
                    expires_at: row.get(3)?,
                })
            })
            .optional()?)
    }

    fn tokens(&mut self) -> Result<Vec<TokenInfo>> {
        self.token_rows()?
            .into_iter()
            .map(TokenInfo::try_from)
            .collect()
    }

    fn token_rows(&mut self) -> Result<Vec<TokenRow>> {
        let mut statement = self.conn.prepare(
            "SELECT id, name, role, hash, created_at, revoked_at, expires_at FROM tokens
             ORDER BY id",
        )?;
        let rows = statement.query_map([], |row| {
            Ok(TokenRow {
                id: row.get(0)?,
                name: row.get(1)?,
                role: row.get(2)?,
                hash: row.get(3)?,
                created_at: row.get(4)?,
                revoked_at: row.get(5)?,
                expires_at: row.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn revoke_token(&mut self, id: i64, at: &str) -> Result<bool> {
        let changed = self.conn.execute(
            "UPDATE tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
            params![id, at],
        )?;
        Ok(changed > 0)
    }

    fn latest_change(&mut self) -> Result<i64> {
        // One process writes a SQLite store: there is nobody to follow.
        Ok(0)
    }

    fn renumber(&mut self) -> Result<()> {
        // AUTOINCREMENT numbers after the largest number in the table already.
        Ok(())
    }

    fn audit(&mut self, line: &AuditRow) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO audit (seq, at, actor, role, action, target, before, after)
                 VALUES (nullif(?1, 0), ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                line.seq,
                line.at,
                line.actor,
                line.role,
                line.action,
                line.target,
                line.before,
                line.after
            ])?;
        Ok(())
    }

    fn audit_log(&mut self, limit: usize, before: Option<i64>) -> Result<Vec<AuditRow>> {
        let mut statement = self.conn.prepare_cached(
            "SELECT seq, at, actor, role, action, target, before, after FROM audit
             WHERE seq < ?1 ORDER BY seq DESC LIMIT ?2",
        )?;
        let rows = statement.query_map(
            params![
                before.unwrap_or(i64::MAX),
                i64::try_from(limit).unwrap_or(i64::MAX)
            ],
            |row| {
                Ok(AuditRow {
                    seq: row.get(0)?,
                    at: row.get(1)?,
                    actor: row.get(2)?,
                    role: row.get(3)?,
                    action: row.get(4)?,
                    target: row.get(5)?,
                    before: row.get(6)?,
                    after: row.get(7)?,
                })
            },
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
