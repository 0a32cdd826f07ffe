//! The store: one SQLite file, one writer at a time, every write with its audit entry in one
//! transaction.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::Utc;
use refuge_core::{Catalog, Facility, FacilityId, Item, Movement, Quota};
use refuge_io::BaseFeature;
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;

use crate::auth::{Actor, Role, hash, new_secret};
use crate::schema;
use crate::{Action, Error, Result};

/// Everything the server needs at start: facilities with their versions, the movements to replay,
/// the catalogue, quotas and the base map.
#[derive(Debug, Default)]
pub struct Contents {
    /// Facilities; each carries its version.
    pub facilities: Vec<Facility>,
    /// Stock movements, oldest first.
    pub movements: Vec<Movement>,
    /// The item catalogue.
    pub catalog: Catalog,
    /// Stock quotas.
    pub quotas: Vec<Quota>,
    /// Base-map features.
    pub base: Vec<BaseFeature>,
    /// Where the data came from, and the credits the map shows.
    pub sources: Vec<crate::DataSource>,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    /// Its place in the log.
    pub seq: i64,
    /// When, RFC 3339.
    pub at: String,
    /// Who (token name).
    pub actor: String,
    /// With which role.
    pub role: String,
    /// What.
    pub action: Action,
    /// On what, e.g. `facility 12`.
    pub target: String,
    /// The record before, as JSON.
    pub before: Option<serde_json::Value>,
    /// The record after, as JSON.
    pub after: Option<serde_json::Value>,
}

/// A token as listed (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its role.
    pub role: Role,
    /// When it was made.
    pub created_at: String,
    /// When it was revoked, if it was.
    pub revoked_at: Option<String>,
    /// When it stops working, if it does.
    pub expires_at: Option<String>,
}

/// An open store.
#[derive(Debug)]
pub struct Store {
    path: PathBuf,
    /// The one writer.
    conn: Mutex<Connection>,
    /// Reads (token checks, lists, start-up) on connections of their own: in WAL mode they
    /// never wait for a write under way, and a few readers at once do not wait for each other.
    readers: Vec<Mutex<Connection>>,
    /// Which reader a read waits for when all are busy.
    next_reader: AtomicUsize,
    /// Live tokens seen lately, by hash: a repeated check is a hash and a map lookup.
    known_tokens: Mutex<HashMap<Vec<u8>, KnownToken>>,
    /// How many revocations this store has made: a token read from SQLite before a revocation
    /// committed is not remembered after it.
    revocations: AtomicUsize,
}

/// How many reading connections a store opens.
const READERS: usize = 3;

/// How long a token check is trusted without asking SQLite again. A token revoked through this
/// store is forgotten at once; one revoked by another process (`refuge admin revoke-token`
/// while the server runs) stops working within this time.
pub const TOKEN_RECHECK: Duration = Duration::from_secs(5);

/// At most this many tokens are remembered; beyond, the memory starts afresh.
const KNOWN_TOKENS: usize = 10_000;

/// A live token as last read from SQLite.
#[derive(Debug)]
struct KnownToken {
    actor: Actor,
    expires_at: Option<String>,
    read: Instant,
}

impl Store {
    /// Opens (or creates) the store at `path`: WAL journal, synchronous commits, migrations run.
    pub fn open(path: &Path) -> Result<Self> {
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
                path: path.to_owned(),
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
            known_tokens: Mutex::default(),
            revocations: AtomicUsize::new(0),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A reading connection: a free one if any, else the next in turn.
    pub(crate) fn reading(&self) -> MutexGuard<'_, Connection> {
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
    pub(crate) fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The schema version of the file.
    pub fn schema_version(&self) -> Result<u32> {
        schema::version(&self.lock())
    }

    /// Whether nothing was ever put in it: no facility, no base-map feature, no import (a new
    /// store, to be seeded). A store that holds only imported district outlines is not empty.
    pub fn is_empty(&self) -> Result<bool> {
        let filled: bool = self.lock().query_row(
            "SELECT EXISTS (SELECT 1 FROM facilities) OR EXISTS (SELECT 1 FROM base_features)
                 OR EXISTS (SELECT 1 FROM sources)",
            [],
            |r| r.get(0),
        )?;
        Ok(!filled)
    }

    /// Loads a whole city in one transaction: the first start of a new store.
    pub fn seed(&self, contents: &Contents) -> Result<()> {
        let mut conn = self.lock();
        let tx = writing(&mut conn)?;
        for facility in &contents.facilities {
            insert_facility(&tx, facility)?;
        }
        for movement in &contents.movements {
            insert_movement(&tx, movement)?;
        }
        for item in contents.catalog.items() {
            tx.execute(
                "INSERT OR REPLACE INTO catalog (item, body) VALUES (?1, ?2)",
                params![item.id.as_str(), json(item)?],
            )?;
        }
        for feature in &contents.base {
            tx.execute(
                "INSERT OR REPLACE INTO base_features (id, layer, body) VALUES (?1, ?2, ?3)",
                params![feature.id as i64, feature.layer.as_str(), json(feature)?],
            )?;
        }
        for source in &contents.sources {
            tx.execute(
                "INSERT OR REPLACE INTO sources (dataset, format, attribution, imported_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![source.dataset, source.format, source.attribution, now()],
            )?;
        }
        tx.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('quotas', ?1)",
            params![json(&contents.quotas)?],
        )?;
        audit(
            &tx,
            &Actor::system(),
            Action::StoreSeed,
            &format!("{} facilities", contents.facilities.len()),
            None,
            None,
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Fills the item catalogue with `catalog` if it holds no item yet (a store made by an import
    /// rather than seeded). Returns whether it did.
    pub fn ensure_catalog(&self, catalog: &Catalog) -> Result<bool> {
        let mut conn = self.lock();
        let tx = writing(&mut conn)?;
        let empty: bool = tx.query_row("SELECT NOT EXISTS (SELECT 1 FROM catalog)", [], |r| {
            r.get(0)
        })?;
        if empty {
            for item in catalog.items() {
                tx.execute(
                    "INSERT INTO catalog (item, body) VALUES (?1, ?2)",
                    params![item.id.as_str(), json(item)?],
                )?;
            }
        }
        tx.commit()?;
        Ok(empty)
    }

    /// Reads everything back.
    pub fn load(&self) -> Result<Contents> {
        let conn = self.reading();
        let mut catalog = Catalog::default();
        let mut statement = conn.prepare("SELECT item, body FROM catalog ORDER BY item")?;
        let rows = statement.query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })?;
        for row in rows {
            let (id, body) = row?;
            let item: Item = parse(&format!("item {id}"), &body)?;
            catalog.insert(item)?;
        }
        let quotas: Option<String> = conn
            .query_row("SELECT value FROM meta WHERE key = 'quotas'", [], |r| {
                r.get(0)
            })
            .optional()?;
        let mut contents = Contents {
            facilities: parsed_rows(
                &conn,
                "SELECT id, body FROM facilities ORDER BY id",
                "facility",
            )?,
            movements: parsed_rows(
                &conn,
                "SELECT seq, body FROM movements ORDER BY seq",
                "movement",
            )?,
            catalog,
            quotas: quotas
                .map(|q| parse("quotas", &q))
                .transpose()?
                .unwrap_or_default(),
            base: parsed_rows(
                &conn,
                "SELECT rowid, body FROM base_features ORDER BY rowid",
                "base feature",
            )?,
            sources: Vec::new(),
        };
        drop(statement);
        drop(conn);
        contents.sources = self.sources()?;
        Ok(contents)
    }

    /// Every base-map feature.
    pub fn base_features(&self) -> Result<Vec<BaseFeature>> {
        let conn = self.reading();
        parsed_rows(
            &conn,
            "SELECT rowid, body FROM base_features ORDER BY rowid",
            "base feature",
        )
    }

    /// Adds a facility at version 1.
    pub fn create_facility(&self, facility: &Facility, actor: &Actor) -> Result<Facility> {
        self.one_write(FacilityWrite::Create {
            facility: facility.clone(),
            actor: actor.clone(),
        })
    }

    /// Replaces a facility if it is still at `expected` version; the stored one gets the next
    /// version. A stale version is a [`Error::Conflict`] and nothing changes.
    pub fn update_facility(
        &self,
        facility: &Facility,
        expected: u64,
        action: Action,
        actor: &Actor,
    ) -> Result<Facility> {
        self.one_write(FacilityWrite::Update {
            facility: facility.clone(),
            expected,
            action,
            actor: actor.clone(),
        })
    }

    /// Deletes a facility if it is still at `expected` version; returns it as it was.
    pub fn delete_facility(
        &self,
        id: FacilityId,
        expected: u64,
        actor: &Actor,
    ) -> Result<Facility> {
        self.one_write(FacilityWrite::Delete {
            id,
            expected,
            actor: actor.clone(),
        })
    }

    fn one_write(&self, write: FacilityWrite) -> Result<Facility> {
        self.write_facilities(vec![write])?
            .pop()
            .unwrap_or_else(|| {
                Err(Error::Corrupt {
                    what: "write".into(),
                    message: "a group of one write answered nothing".into(),
                })
            })
    }

    /// Makes several facility writes with one commit (one disk sync), each with its audit entry
    /// and in a savepoint of its own: a write that fails (a stale version, a facility that is not
    /// there) changes nothing and leaves the others to commit. The answers come in the order of
    /// `writes`. If the commit fails, nothing is written and the error is returned.
    pub fn write_facilities(&self, writes: Vec<FacilityWrite>) -> Result<Vec<Result<Facility>>> {
        let mut conn = self.lock();
        let mut tx = writing(&mut conn)?;
        let mut answers = Vec::with_capacity(writes.len());
        for write in writes {
            let savepoint = tx.savepoint()?;
            match write.apply(&savepoint) {
                Ok(written) => {
                    savepoint.commit()?;
                    answers.push(Ok(written));
                }
                // Refused: its savepoint rolls back when dropped, the others go on.
                Err(refused) if refused.is_refusal() => answers.push(Err(refused)),
                // The store failed (disk full, I/O): SQLite may have rolled the whole
                // transaction back already, so nothing of the group is trusted to commit.
                Err(failed) => return Err(failed),
            }
        }
        tx.commit()?;
        Ok(answers)
    }

    /// Appends a stock movement. `apply` runs inside the transaction, before the commit: if it
    /// refuses (the ledger says stock would go negative), nothing is written.
    pub fn append_movement(
        &self,
        movement: &Movement,
        actor: &Actor,
        apply: impl FnOnce() -> refuge_core::Result<()>,
    ) -> Result<i64> {
        let mut apply = Some(apply);
        let group = [(movement.clone(), actor.clone())];
        self.append_movements(&group, |_| apply.take().map_or(Ok(()), |apply| apply()))?
            .pop()
            .unwrap_or_else(|| {
                Err(Error::Corrupt {
                    what: "movement".into(),
                    message: "a group of one movement answered nothing".into(),
                })
            })
    }

    /// Appends several stock movements with one commit (one disk sync), each with its audit entry
    /// and in a savepoint of its own, in order. `check` runs for each inside the transaction,
    /// after the ones before it: a movement it refuses is answered with the refusal and written
    /// not at all, and the others go on. The answers (sequence numbers) come in the order of
    /// `group`. If the store fails, nothing is written and the error is returned.
    pub fn append_movements(
        &self,
        group: &[(Movement, Actor)],
        mut check: impl FnMut(&Movement) -> refuge_core::Result<()>,
    ) -> Result<Vec<Result<i64>>> {
        let mut conn = self.lock();
        let mut tx = writing(&mut conn)?;
        let mut answers = Vec::with_capacity(group.len());
        for (movement, actor) in group {
            if let Err(refused) = check(movement) {
                answers.push(Err(Error::Rejected(refused)));
                continue;
            }
            let savepoint = tx.savepoint()?;
            let seq = insert_movement(&savepoint, movement)?;
            audit(
                &savepoint,
                actor,
                Action::of_movement(&movement.kind),
                &target(movement.facility),
                None,
                Some(movement),
            )?;
            savepoint.commit()?;
            answers.push(Ok(seq));
        }
        tx.commit()?;
        Ok(answers)
    }

    /// Makes a token and returns its secret, which is not stored and cannot be shown again.
    pub fn create_token(&self, name: &str, role: Role, actor: &Actor) -> Result<(i64, String)> {
        self.create_expiring_token(name, role, None, actor)
    }

    /// Makes a token that stops working at `expires_at` (if given), and returns its secret.
    pub fn create_expiring_token(
        &self,
        name: &str,
        role: Role,
        expires_at: Option<chrono::DateTime<Utc>>,
        actor: &Actor,
    ) -> Result<(i64, String)> {
        let secret =
            new_secret().map_err(|e| Error::Backup(format!("no randomness for a token: {e}")))?;
        let mut conn = self.lock();
        let tx = writing(&mut conn)?;
        let expires_at = expires_at.map(|at| at.to_rfc3339());
        tx.execute(
            "INSERT INTO tokens (name, role, hash, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![name, role.as_str(), hash(&secret), now(), expires_at],
        )?;
        let id = tx.last_insert_rowid();
        let info =
            serde_json::json!({ "id": id, "name": name, "role": role, "expires_at": expires_at });
        audit(
            &tx,
            actor,
            Action::TokenCreate,
            &format!("token {id}"),
            None,
            Some(&info),
        )?;
        tx.commit()?;
        Ok((id, secret))
    }

    /// The actor a secret belongs to, if it is a live token checked within [`TOKEN_RECHECK`]:
    /// no SQLite, so an async worker may call it. `None` means "ask [`Self::authenticate`]".
    pub fn known_token(&self, secret: &str) -> Option<Actor> {
        let key = hash(secret);
        let known = self.known_tokens();
        let token = known.get(&key)?;
        let live = token.read.elapsed() < TOKEN_RECHECK
            && token.expires_at.as_ref().is_none_or(|at| *at > now());
        live.then(|| token.actor.clone())
    }

    /// The actor a secret belongs to, if it is a live token: remembered, or read from SQLite.
    pub fn authenticate(&self, secret: &str) -> Result<Option<Actor>> {
        if let Some(actor) = self.known_token(secret) {
            return Ok(Some(actor));
        }
        let key = hash(secret);
        let revocations = self.revocations.load(Ordering::SeqCst);
        let found: Option<(i64, String, String, Option<String>)> = self
            .reading()
            .query_row(
                "SELECT id, name, role, expires_at FROM tokens WHERE hash = ?1
                 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?2)",
                params![key, now()],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
            )
            .optional()?;
        let Some((id, name, role, expires_at)) = found else {
            return Ok(None);
        };
        let Ok(role) = role.parse() else {
            return Ok(None);
        };
        let actor = Actor {
            name,
            role: Some(role),
            token: Some(id),
        };
        let mut known = self.known_tokens();
        if self.revocations.load(Ordering::SeqCst) != revocations {
            // A revocation committed while this token was read: it may be this one.
            return Ok(Some(actor));
        }
        if known.len() >= KNOWN_TOKENS {
            known.clear();
        }
        known.insert(
            key,
            KnownToken {
                actor: actor.clone(),
                expires_at,
                read: Instant::now(),
            },
        );
        Ok(Some(actor))
    }

    fn known_tokens(&self) -> MutexGuard<'_, HashMap<Vec<u8>, KnownToken>> {
        self.known_tokens
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Every token, without secrets.
    pub fn tokens(&self) -> Result<Vec<TokenInfo>> {
        let conn = self.reading();
        let mut statement = conn.prepare(
            "SELECT id, name, role, created_at, revoked_at, expires_at FROM tokens ORDER BY id",
        )?;
        let rows = statement.query_map([], |row| {
            Ok((
                (
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                ),
                (row.get(3)?, row.get(4)?, row.get(5)?),
            ))
        })?;
        let mut tokens = Vec::new();
        for row in rows {
            let ((id, name, role), (created_at, revoked_at, expires_at)) = row?;
            let role = role
                .parse()
                .map_err(|e: refuge_core::Error| Error::Corrupt {
                    what: format!("token {id}"),
                    message: e.to_string(),
                })?;
            tokens.push(TokenInfo {
                id,
                name,
                role,
                created_at,
                revoked_at,
                expires_at,
            });
        }
        Ok(tokens)
    }

    /// Revokes a token.
    pub fn revoke_token(&self, id: i64, actor: &Actor) -> Result<bool> {
        let mut conn = self.lock();
        let tx = writing(&mut conn)?;
        let changed = tx.execute(
            "UPDATE tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
            params![id, now()],
        )?;
        if changed > 0 {
            audit(
                &tx,
                actor,
                Action::TokenRevoke,
                &format!("token {id}"),
                None,
                None,
            )?;
        }
        tx.commit()?;
        let mut known = self.known_tokens();
        self.revocations.fetch_add(1, Ordering::SeqCst);
        known.retain(|_, known| known.actor.token != Some(id));
        Ok(changed > 0)
    }

    /// The newest `limit` audit entries before `before` (a seq), newest first.
    pub fn audit_log(&self, limit: usize, before: Option<i64>) -> Result<Vec<AuditEntry>> {
        let conn = self.reading();
        let mut statement = conn.prepare(
            "SELECT seq, at, actor, role, action, target, before, after FROM audit
             WHERE seq < ?1 ORDER BY seq DESC LIMIT ?2",
        )?;
        let rows =
            statement.query_map(params![before.unwrap_or(i64::MAX), limit as i64], |row| {
                let value = |text: Option<String>| text.and_then(|t| serde_json::from_str(&t).ok());
                Ok(AuditEntry {
                    seq: row.get(0)?,
                    at: row.get(1)?,
                    actor: row.get(2)?,
                    role: row.get(3)?,
                    action: row
                        .get::<_, String>(4)?
                        .parse()
                        .map_err(|e: refuge_core::Error| {
                            rusqlite::Error::FromSqlConversionFailure(
                                4,
                                rusqlite::types::Type::Text,
                                Box::new(e),
                            )
                        })?,
                    target: row.get(5)?,
                    before: value(row.get(6)?),
                    after: value(row.get(7)?),
                })
            })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Copies the live store to `destination` while it serves (SQLite's online backup).
    pub fn backup(&self, destination: &Path) -> Result<()> {
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
    pub fn integrity_check(&self) -> Result<String> {
        Ok(self
            .lock()
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }
}

/// Replaces the store file at `store` with the backup at `backup`, after checking the backup. The
/// server must not be running on `store`.
pub fn restore(backup: &Path, store: &Path) -> Result<()> {
    let checked = Store::open(backup)?;
    let verdict = checked.integrity_check()?;
    if verdict != "ok" {
        return Err(Error::Backup(format!(
            "{} is damaged: {verdict}",
            backup.display()
        )));
    }
    drop(checked);
    let temporary = store.with_extension("restoring");
    {
        let source = Store::open(backup)?;
        source.backup(&temporary)?;
    }
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", store.display()));
        if side.exists() {
            std::fs::remove_file(&side)
                .map_err(|e| Error::Backup(format!("cannot remove {}: {e}", side.display())))?;
        }
    }
    std::fs::rename(&temporary, store)
        .map_err(|e| Error::Backup(format!("cannot replace {}: {e}", store.display())))?;
    Ok(())
}

/// A write transaction that takes the write lock at its start, waiting up to the busy timeout for
/// another writer: a transaction that read first and then found the lock taken would fail at
/// once, without waiting.
/// One facility write, for [`Store::write_facilities`].
#[derive(Debug, Clone)]
pub enum FacilityWrite {
    /// A new facility, stored at version 1.
    Create {
        /// The facility.
        facility: Facility,
        /// Who writes.
        actor: Actor,
    },
    /// A facility replaced if it is still at `expected` version.
    Update {
        /// The facility as it is to be.
        facility: Facility,
        /// The version the writer read.
        expected: u64,
        /// What the audit log calls it.
        action: Action,
        /// Who writes.
        actor: Actor,
    },
    /// A facility deleted if it is still at `expected` version.
    Delete {
        /// The facility.
        id: FacilityId,
        /// The version the writer read.
        expected: u64,
        /// Who writes.
        actor: Actor,
    },
}

impl FacilityWrite {
    /// The facility it writes.
    pub fn id(&self) -> FacilityId {
        match self {
            Self::Create { facility, .. } | Self::Update { facility, .. } => facility.id,
            Self::Delete { id, .. } => *id,
        }
    }

    /// What the audit log calls it.
    pub fn action(&self) -> Action {
        match self {
            Self::Create { .. } => Action::FacilityCreate,
            Self::Update { action, .. } => *action,
            Self::Delete { .. } => Action::FacilityDelete,
        }
    }

    /// Makes the write and its audit entry on `conn` (inside a transaction); returns the facility
    /// as stored, or for a delete as it was.
    fn apply(self, conn: &Connection) -> Result<Facility> {
        match self {
            Self::Create { facility, actor } => {
                if current_version(conn, facility.id)?.is_some() {
                    return Err(Error::Exists(facility.id));
                }
                let mut created = facility;
                created.version = 1;
                insert_facility(conn, &created)?;
                audit(
                    conn,
                    &actor,
                    Action::FacilityCreate,
                    &target(created.id),
                    None,
                    Some(&created),
                )?;
                Ok(created)
            }
            Self::Update {
                facility,
                expected,
                action,
                actor,
            } => {
                let before = stored_facility(conn, facility.id)?;
                if before.version != expected {
                    return Err(Error::Conflict {
                        id: facility.id,
                        expected,
                        current: before.version,
                    });
                }
                if before.kind() != facility.kind() {
                    return Err(Error::Rejected(refuge_core::Error::field(
                        "kind",
                        format!(
                            "facility {} is a {}; its kind cannot change",
                            facility.id,
                            before.kind()
                        ),
                    )));
                }
                let mut after = facility;
                after.version = expected + 1;
                conn.execute(
                    "UPDATE facilities SET version = ?2, kind = ?3, body = ?4, updated_at = ?5 WHERE id = ?1",
                    params![after.id.get() as i64, after.version as i64, after.kind().as_str(), json(&after)?, now()],
                )?;
                audit(
                    conn,
                    &actor,
                    action,
                    &target(after.id),
                    Some(&before),
                    Some(&after),
                )?;
                Ok(after)
            }
            Self::Delete {
                id,
                expected,
                actor,
            } => {
                let before = stored_facility(conn, id)?;
                if before.version != expected {
                    return Err(Error::Conflict {
                        id,
                        expected,
                        current: before.version,
                    });
                }
                conn.execute(
                    "DELETE FROM facilities WHERE id = ?1",
                    params![id.get() as i64],
                )?;
                audit(
                    conn,
                    &actor,
                    Action::FacilityDelete,
                    &target(id),
                    Some(&before),
                    None,
                )?;
                Ok(before)
            }
        }
    }
}

pub(crate) fn writing(conn: &mut Connection) -> Result<Transaction<'_>> {
    Ok(conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?)
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

pub(crate) fn now() -> String {
    Utc::now().to_rfc3339()
}

pub(crate) fn json(value: &impl Serialize) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Corrupt {
        what: "record to write".into(),
        message: e.to_string(),
    })
}

pub(crate) fn parse<T: serde::de::DeserializeOwned>(what: &str, body: &str) -> Result<T> {
    serde_json::from_str(body).map_err(|e| Error::Corrupt {
        what: what.to_owned(),
        message: e.to_string(),
    })
}

/// Rows read from SQLite and handed to the parsing threads at a time: the bodies of one batch
/// are all the JSON text held at once, whatever the size of the store.
const BATCH: usize = 16_384;

/// The records a query of (number, JSON body) rows returns, parsed. One thread reads rows while
/// the others parse the batch before: start-up time for a large city is mostly this.
fn parsed_rows<T: serde::de::DeserializeOwned + Send>(
    conn: &Connection,
    sql: &str,
    what: &str,
) -> Result<Vec<T>> {
    // Sized at once: growing a vector of a million records copies them all, again and again.
    let count: i64 = conn.query_row(&format!("SELECT count(*) FROM ({sql})"), [], |row| {
        row.get(0)
    })?;
    let mut statement = conn.prepare(sql)?;
    let mut rows = statement.query([])?;
    std::thread::scope(|scope| {
        let (batches, received) = std::sync::mpsc::sync_channel::<Vec<(i64, String)>>(1);
        let parser = scope.spawn(move || -> Result<Vec<T>> {
            let mut all = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
            for batch in received {
                all.extend(parse_all(&batch, what)?);
            }
            Ok(all)
        });
        let mut batch = Vec::with_capacity(BATCH);
        let read = (|| -> Result<()> {
            while let Some(row) = rows.next()? {
                batch.push((row.get::<_, i64>(0)?, row.get::<_, String>(1)?));
                if batch.len() == BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    if batches.send(full).is_err() {
                        // The parser stopped at a broken record: its error is the answer.
                        break;
                    }
                }
            }
            if !batch.is_empty() {
                let _ = batches.send(std::mem::take(&mut batch));
            }
            Ok(())
        })();
        drop(batches);
        let parsed = parser.join().map_err(|_| Error::Corrupt {
            what: what.to_owned(),
            message: "a parsing thread failed".into(),
        })?;
        read?;
        parsed
    })
}

/// Parses a batch of stored records on every core.
fn parse_all<T: serde::de::DeserializeOwned + Send>(
    rows: &[(i64, String)],
    what: &str,
) -> Result<Vec<T>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = rows.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = rows
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(id, body)| {
                            serde_json::from_str(body).map_err(|e| Error::Corrupt {
                                what: format!("{what} {id}"),
                                message: e.to_string(),
                            })
                        })
                        .collect::<Result<Vec<T>>>()
                })
            })
            .collect();
        let mut all = Vec::with_capacity(rows.len());
        for worker in workers {
            let part = worker.join().map_err(|_| Error::Corrupt {
                what: what.to_owned(),
                message: "a parsing thread failed".into(),
            })??;
            all.extend(part);
        }
        Ok(all)
    })
}

pub(crate) fn target(id: FacilityId) -> String {
    format!("facility {id}")
}

fn insert_facility(tx: &Connection, facility: &Facility) -> Result<()> {
    tx.execute(
        "INSERT INTO facilities (id, version, kind, body, updated_at, source_record)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            facility.id.get() as i64,
            facility.version as i64,
            facility.kind().as_str(),
            json(facility)?,
            now(),
            facility.source.record
        ],
    )?;
    Ok(())
}

pub(crate) fn insert_movement(tx: &Connection, movement: &Movement) -> Result<i64> {
    tx.execute(
        "INSERT INTO movements (facility, item, body) VALUES (?1, ?2, ?3)",
        params![
            movement.facility.get() as i64,
            movement.item.as_str(),
            json(movement)?
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

fn current_version(tx: &Connection, id: FacilityId) -> Result<Option<u64>> {
    let version: Option<i64> = tx
        .query_row(
            "SELECT version FROM facilities WHERE id = ?1",
            params![id.get() as i64],
            |r| r.get(0),
        )
        .optional()?;
    Ok(version.map(|v| v as u64))
}

pub(crate) fn stored_facility(tx: &Connection, id: FacilityId) -> Result<Facility> {
    let body: Option<String> = tx
        .query_row(
            "SELECT body FROM facilities WHERE id = ?1",
            params![id.get() as i64],
            |r| r.get(0),
        )
        .optional()?;
    let body = body.ok_or(Error::NotFound(id))?;
    parse(&target(id), &body)
}

pub(crate) fn audit(
    tx: &Connection,
    actor: &Actor,
    action: Action,
    target: &str,
    before: Option<&dyn erased::Json>,
    after: Option<&dyn erased::Json>,
) -> Result<()> {
    let encode = |value: Option<&dyn erased::Json>| value.map(|v| v.to_json()).transpose();
    tx.execute(
        "INSERT INTO audit (at, actor, role, action, target, before, after) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            now(),
            actor.name,
            actor.role.map_or("system", |r| r.as_str()),
            action.as_str(),
            target,
            encode(before)?,
            encode(after)?
        ],
    )?;
    Ok(())
}

/// Any serializable record, for the audit log's before/after columns.
mod erased {
    pub trait Json {
        fn to_json(&self) -> crate::Result<String>;
    }

    impl<T: serde::Serialize> Json for T {
        fn to_json(&self) -> crate::Result<String> {
            super::json(self)
        }
    }
}
