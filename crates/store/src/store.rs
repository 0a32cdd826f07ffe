//! The store: its rules, written once over any backend. Every write and its audit entry in one
//! transaction; versions for optimistic concurrency; tokens checked once and remembered briefly.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::Utc;
use refuge_core::planning::PopulationLayer;
use refuge_core::{Catalog, Facility, FacilityBrief, FacilityId, KeptPlan, Movement, Quota};
use refuge_io::BaseFeature;
use serde::Serialize;

use crate::auth::{Actor, Role, hash, new_secret};
use crate::backend::{AuditRow, TokenRow, Tx};
use crate::postgres::Postgres;
use crate::records::{json, now, parse, target};
use crate::sqlite::Sqlite;
use crate::{Action, Changes, Error, Result};

/// Everything the server needs at start: facilities with their versions, the movements to replay,
/// the catalogue, quotas and the base map.
#[derive(Debug)]
pub struct Contents<F = Facility> {
    /// Facilities: whole records, each with its version, or what the index keeps of them.
    pub facilities: Vec<F>,
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
    /// The last change of a shared store's change log these contents hold (0 for SQLite): a
    /// server follows the log from there.
    pub changes_through: i64,
}

impl<F> Default for Contents<F> {
    fn default() -> Self {
        Self {
            facilities: Vec::new(),
            movements: Vec::new(),
            catalog: Catalog::default(),
            quotas: Vec::new(),
            base: Vec::new(),
            sources: Vec::new(),
            changes_through: 0,
        }
    }
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
    /// The record before, as JSON: whole for a removal, only the fields that changed for a
    /// change of a record (a list, such as a facility's quotas, whole), none for a new record.
    pub before: Option<serde_json::Value>,
    /// The record after, as JSON: whole for a new record, only the fields that changed for a
    /// change of a record (a list whole), none for a removal.
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

/// An open store: SQLite or PostgreSQL behind the same rules.
#[derive(Debug)]
pub struct Store {
    backend: Backend,
    /// Live tokens seen lately, by hash: a repeated check is a hash and a map lookup.
    known_tokens: Mutex<HashMap<Vec<u8>, KnownToken>>,
    /// How many revocations this store has made: a token read from the database before a
    /// revocation committed is not remembered after it.
    revocations: AtomicUsize,
    /// The population layer's stamp as this process last read or wrote it.
    population_seen: AtomicU64,
}

/// The database behind a store.
#[derive(Debug)]
enum Backend {
    Sqlite(Sqlite),
    Postgres(Box<Postgres>),
}

/// How long a token check is trusted without asking the database again. A token revoked through
/// this store is forgotten at once; one revoked by another process (`refuge admin revoke-token`
/// while the server runs) stops working within this time.
pub const TOKEN_RECHECK: Duration = Duration::from_secs(5);

/// At most this many tokens are remembered; beyond, the memory starts afresh.
const KNOWN_TOKENS: usize = 10_000;

/// A live token as last read from the database.
#[derive(Debug)]
struct KnownToken {
    actor: Actor,
    expires_at: Option<String>,
    read: Instant,
}

impl Store {
    /// Opens (or creates) the SQLite store at `path`: WAL journal, synchronous commits,
    /// migrations run.
    pub fn open(path: &Path) -> Result<Self> {
        Ok(Self::over(Backend::Sqlite(Sqlite::open(path)?)))
    }

    /// Connects to the PostgreSQL store at `url` (`postgres://user:password@host/database`) and
    /// migrates its schema. A wrong or unreachable database is an error that shows no password.
    pub fn connect(url: &str) -> Result<Self> {
        Self::connect_with_standby(url, None)
    }

    /// Connects to the PostgreSQL primary at `url`, with reads on its streaming replica
    /// `standby` (if given). A read waits (up to a second) for the standby to replay this
    /// process's own last write, else asks the primary: a server always sees its own writes.
    pub fn connect_with_standby(url: &str, standby: Option<&str>) -> Result<Self> {
        let postgres = Postgres::connect(url, standby)?;
        Ok(Self::over(Backend::Postgres(Box::new(postgres))))
    }

    /// Opens the store `location` names: a `postgres://` (or `postgresql://`) connection string,
    /// else the path of a SQLite file.
    pub fn at(location: &str) -> Result<Self> {
        if is_postgres(location) {
            Self::connect(location)
        } else {
            Self::open(Path::new(location))
        }
    }

    fn over(backend: Backend) -> Self {
        Self {
            backend,
            known_tokens: Mutex::default(),
            revocations: AtomicUsize::new(0),
            population_seen: AtomicU64::new(0),
        }
    }

    /// The file, for a SQLite store.
    pub fn path(&self) -> Option<&Path> {
        match &self.backend {
            Backend::Sqlite(sqlite) => Some(sqlite.path()),
            Backend::Postgres(_) => None,
        }
    }

    /// The file or the database (without its password), for messages.
    pub fn shown(&self) -> String {
        match &self.backend {
            Backend::Sqlite(sqlite) => sqlite.path().display().to_string(),
            Backend::Postgres(postgres) => postgres.shown().to_owned(),
        }
    }

    /// Whether other servers may write to this store, so that a server must follow their
    /// changes ([`Self::changes_since`]).
    pub fn is_shared(&self) -> bool {
        matches!(self.backend, Backend::Postgres(_))
    }

    /// From now on, this process keeps a copy of the data holding every change up to `through`
    /// (see [`Contents::changes_through`]), and a write is refused with [`Error::Behind`] while
    /// another server's change is not taken. Nothing to do for SQLite.
    pub fn follow(&self, through: i64) {
        if let Backend::Postgres(postgres) = &self.backend {
            postgres.follow(through);
        }
    }

    /// The last change this process's copy holds; its own writes move it on.
    pub fn followed(&self) -> i64 {
        match &self.backend {
            Backend::Sqlite(_) => 0,
            Backend::Postgres(postgres) => postgres.followed(),
        }
    }

    /// The changes committed after `after`, at most `limit`, in commit order (none for SQLite).
    pub fn changes_since(&self, after: i64, limit: i64) -> Result<Changes> {
        match &self.backend {
            Backend::Sqlite(_) => Ok(Changes {
                through: after,
                changes: Vec::new(),
                complete: true,
            }),
            Backend::Postgres(postgres) => postgres.changes_since(after, limit),
        }
    }

    /// Waits up to `timeout` for a commit to a shared store; whether one came. A SQLite store
    /// just waits.
    pub fn wait_for_changes(&self, timeout: Duration) -> Result<bool> {
        match &self.backend {
            Backend::Sqlite(_) => {
                std::thread::sleep(timeout);
                Ok(false)
            }
            Backend::Postgres(postgres) => postgres.wait_for_changes(timeout),
        }
    }

    /// Runs `work` in one write transaction, committed if it succeeds.
    pub(crate) fn write<T>(&self, work: impl FnOnce(&mut dyn Tx) -> Result<T>) -> Result<T> {
        once(work, |tx| match &self.backend {
            Backend::Sqlite(sqlite) => sqlite.write(tx),
            Backend::Postgres(postgres) => postgres.write(tx),
        })
    }

    /// Runs `work` in one read-only transaction: it sees one state of the store throughout
    /// (on a PostgreSQL standby if there is one, once it holds this process's writes).
    pub(crate) fn read<T>(&self, work: impl FnOnce(&mut dyn Tx) -> Result<T>) -> Result<T> {
        once(work, |tx| match &self.backend {
            Backend::Sqlite(sqlite) => sqlite.read(tx),
            Backend::Postgres(postgres) => postgres.read(tx),
        })
    }

    /// Runs `work` in one read-only transaction on the primary: for what another process may
    /// have just written (a token made by `refuge token create`).
    pub(crate) fn read_primary<T>(&self, work: impl FnOnce(&mut dyn Tx) -> Result<T>) -> Result<T> {
        once(work, |tx| match &self.backend {
            Backend::Sqlite(sqlite) => sqlite.read(tx),
            Backend::Postgres(postgres) => postgres.read_primary(tx),
        })
    }

    /// Runs `work` in this server's turn: on a shared store, other servers' writes wait until it
    /// is done (for a server their writes keep putting behind); on a file, at once.
    pub fn in_turn<T>(&self, work: impl FnOnce() -> T) -> Result<T> {
        match &self.backend {
            Backend::Sqlite(_) => Ok(work()),
            Backend::Postgres(postgres) => postgres.in_turn(work),
        }
    }

    /// The schema version of the database.
    pub fn schema_version(&self) -> Result<u32> {
        match &self.backend {
            Backend::Sqlite(sqlite) => sqlite.schema_version(),
            Backend::Postgres(postgres) => postgres.schema_version(),
        }
    }

    /// Whether nothing was ever put in it: no facility, no base-map feature, no import (a new
    /// store, to be seeded). A store that holds only imported district outlines is not empty.
    pub fn is_empty(&self) -> Result<bool> {
        Ok(!self.read(|tx| tx.holds_anything())?)
    }

    /// Loads a whole city in one transaction, if the store is still empty (the first start of a
    /// new store): of two servers starting at once on a new shared store, one seeds it. Returns
    /// whether this call did.
    pub fn seed(&self, contents: &Contents) -> Result<bool> {
        self.write(|tx| {
            if tx.holds_anything()? {
                return Ok(false);
            }
            for facility in &contents.facilities {
                tx.insert_facility(facility)?;
            }
            for movement in &contents.movements {
                tx.insert_movement(movement)?;
            }
            for item in contents.catalog.items() {
                tx.put_item(item)?;
            }
            for feature in &contents.base {
                tx.put_base_feature(feature)?;
            }
            let at = now();
            for source in &contents.sources {
                tx.put_source(source, &at)?;
            }
            tx.put_meta("quotas", &json(&contents.quotas)?)?;
            audit(
                tx,
                &Actor::system(),
                Action::StoreSeed,
                &format!("{} facilities", contents.facilities.len()),
                None,
                None,
            )?;
            Ok(true)
        })
    }

    /// Fills the item catalogue with `catalog` if it holds no item yet (a store made by an import
    /// rather than seeded). Returns whether it did.
    pub fn ensure_catalog(&self, catalog: &Catalog) -> Result<bool> {
        self.write(|tx| {
            let empty = tx.items()?.is_empty();
            if empty {
                for item in catalog.items() {
                    tx.put_item(item)?;
                }
            }
            Ok(empty)
        })
    }

    /// Reads everything back, as of one moment, with the facilities kept brief: what a server
    /// starts from.
    pub fn load(&self) -> Result<Contents<FacilityBrief>> {
        self.read(|tx| load(tx, |tx| tx.facility_briefs()))
    }

    /// Reads everything back, as of one moment, with every facility's whole record: what an
    /// export writes.
    pub fn load_records(&self) -> Result<Contents> {
        self.read(|tx| load(tx, |tx| tx.facilities()))
    }

    /// Reads everything back from the primary, as of one moment: for a server whose copy must
    /// hold every change committed (it fell behind the change log).
    pub fn load_from_primary(&self) -> Result<Contents<FacilityBrief>> {
        self.read_primary(|tx| load(tx, |tx| tx.facility_briefs()))
    }

    /// The whole record of a facility, read from the primary: the index keeps only a brief of
    /// each, and the record must be the latest (this server may have just written it). With the
    /// primary out of reach it is read from the standby, if there is one.
    pub fn facility(&self, id: FacilityId) -> Result<Option<Facility>> {
        self.read_primary(|tx| tx.facility(id))
            .or_else(|error| match &self.backend {
                Backend::Postgres(postgres) if error.is_unavailable() && postgres.has_standby() => {
                    self.read(|tx| tx.facility(id))
                }
                _ => Err(error),
            })
    }

    /// The base map and the sources, from the primary: what a server takes when another server
    /// imported them.
    pub fn backdrop_from_primary(&self) -> Result<(Vec<BaseFeature>, Vec<crate::DataSource>)> {
        self.read_primary(|tx| Ok((tx.base_features()?, tx.sources()?)))
    }

    /// Every base-map feature.
    pub fn base_features(&self) -> Result<Vec<BaseFeature>> {
        self.read(|tx| tx.base_features())
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
        self.write(|tx| {
            let mut answers = Vec::with_capacity(writes.len());
            for write in writes {
                tx.savepoint()?;
                match write.apply(tx) {
                    Ok(written) => {
                        tx.release()?;
                        answers.push(Ok(written));
                    }
                    // Refused: its savepoint is undone, the others go on.
                    Err(refused) if refused.is_refusal() => {
                        tx.roll_back()?;
                        answers.push(Err(refused));
                    }
                    // The store failed (disk full, I/O): the database may have rolled the whole
                    // transaction back already, so nothing of the group is trusted to commit.
                    Err(failed) => return Err(failed),
                }
            }
            Ok(answers)
        })
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
        let group = [(vec![movement.clone()], actor.clone())];
        let mut answers =
            self.append_movements(&group, |_, _| apply.take().map_or(Ok(()), |apply| apply()))?;
        let seqs = answers.pop().unwrap_or_else(|| {
            Err(Error::Corrupt {
                what: "movement".into(),
                message: "a group of one movement answered nothing".into(),
            })
        })?;
        seqs.first().copied().ok_or_else(|| Error::Corrupt {
            what: "movement".into(),
            message: "a movement was stored without a number".into(),
        })
    }

    /// Appends bundles of stock movements with one commit (one disk sync), each movement with its
    /// audit entry, in order. A bundle is taken whole or not at all: `check` runs for each
    /// (with its place in `group`) inside the transaction, after the bundles before it, and a
    /// bundle it refuses is answered with the refusal and written not at all, while the others go
    /// on. The answers (sequence numbers) come in the order of `group`. If the store fails,
    /// nothing is written and the error is returned.
    pub fn append_movements(
        &self,
        group: &[(Vec<Movement>, Actor)],
        mut check: impl FnMut(usize, &[Movement]) -> refuge_core::Result<()>,
    ) -> Result<Vec<Result<Vec<i64>>>> {
        self.write(|tx| {
            let mut answers = Vec::with_capacity(group.len());
            for (n, (bundle, actor)) in group.iter().enumerate() {
                if let Err(refused) = check(n, bundle) {
                    answers.push(Err(Error::Rejected(refused)));
                    continue;
                }
                let mut seqs = Vec::with_capacity(bundle.len());
                for movement in bundle {
                    seqs.push(tx.insert_movement(movement)?);
                    audit(
                        tx,
                        actor,
                        Action::of_movement(&movement.kind),
                        &target(movement.facility),
                        None,
                        Some(movement),
                    )?;
                }
                answers.push(Ok(seqs));
            }
            Ok(answers)
        })
    }

    /// Keeps a logistics plan for dispatch, with its audit entry.
    pub fn keep_plan(&self, plan: &KeptPlan, actor: &Actor) -> Result<()> {
        self.write(|tx| {
            tx.insert_plan(plan)?;
            audit(
                tx,
                actor,
                Action::PlanMake,
                &format!("plan {}", plan.id),
                None,
                Some(plan),
            )
        })
    }

    /// Replaces the population layer, with an audit entry naming its source and sums.
    pub fn set_population(&self, layer: &PopulationLayer, actor: &Actor) -> Result<()> {
        let written = self.write(|tx| {
            tx.put_population(layer)?;
            let summary = serde_json::json!({
                "source": layer.source,
                "resolution": layer.resolution,
                "cells": layer.cells.len(),
                "population": layer.total().round(),
                "districts": layer.districts,
            });
            audit(
                tx,
                actor,
                Action::PopulationImport,
                "population",
                None,
                Some(&summary),
            )
        });
        // Read back, whatever became of the write: what this process knows follows the store.
        let _ = self.population_stamp();
        written
    }

    /// The population layer, if one was imported; read from the primary, as the change that
    /// announced it was.
    pub fn population(&self) -> Result<Option<PopulationLayer>> {
        self.read_primary(|tx| tx.population())
    }

    /// The number the population layer's every import raises (0 without a layer), read from the
    /// primary: a layer read under one stamp is stale once it grows. Remembered for
    /// [`Store::population_seen`].
    pub fn population_stamp(&self) -> Result<u64> {
        let stamp = self.read_primary(|tx| tx.population_stamp())?;
        let stamp = u64::try_from(stamp).unwrap_or(0);
        self.population_seen.fetch_max(stamp, Ordering::Relaxed);
        Ok(stamp)
    }

    /// The population layer's stamp as this process last read or wrote it, without asking the
    /// database.
    pub fn population_seen(&self) -> u64 {
        self.population_seen.load(Ordering::Relaxed)
    }

    /// Every kept plan, oldest first.
    pub fn plans(&self) -> Result<Vec<KeptPlan>> {
        self.read_primary(|tx| tx.plans())
    }

    /// The kept plan with this id, read from the primary (another server may have just made it).
    pub fn plan(&self, id: &str) -> Result<Option<KeptPlan>> {
        self.read_primary(|tx| tx.plan(id))
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
        let expires_at = expires_at.map(|at| at.to_rfc3339());
        let id = self.write(|tx| {
            let id = tx.insert_token(&TokenRow {
                id: None,
                name: name.to_owned(),
                role: role.as_str().to_owned(),
                hash: hash(&secret),
                created_at: now(),
                revoked_at: None,
                expires_at: expires_at.clone(),
            })?;
            let info = serde_json::json!({ "id": id, "name": name, "role": role, "expires_at": expires_at });
            audit(
                tx,
                actor,
                Action::TokenCreate,
                &format!("token {id}"),
                None,
                Some(&info),
            )?;
            Ok(id)
        })?;
        Ok((id, secret))
    }

    /// The actor a secret belongs to, if it is a live token checked within [`TOKEN_RECHECK`]:
    /// no database, so an async worker may call it. `None` means "ask [`Self::authenticate`]".
    pub fn known_token(&self, secret: &str) -> Option<Actor> {
        let key = hash(secret);
        let known = self.known_tokens();
        let token = known.get(&key)?;
        let live = token.read.elapsed() < TOKEN_RECHECK
            && token.expires_at.as_ref().is_none_or(|at| *at > now());
        live.then(|| token.actor.clone())
    }

    /// The actor a secret belongs to, if it is a live token: remembered, or read from the
    /// database.
    pub fn authenticate(&self, secret: &str) -> Result<Option<Actor>> {
        if let Some(actor) = self.known_token(secret) {
            return Ok(Some(actor));
        }
        let key = hash(secret);
        let revocations = self.revocations.load(Ordering::SeqCst);
        let Some(found) = self.read_primary(|tx| tx.live_token(&key, &now()))? else {
            return Ok(None);
        };
        let Ok(role) = found.role.parse() else {
            return Ok(None);
        };
        let actor = Actor {
            name: found.name,
            role: Some(role),
            token: Some(found.id),
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
                expires_at: found.expires_at,
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
        self.read(|tx| tx.tokens())
    }

    /// Revokes a token.
    pub fn revoke_token(&self, id: i64, actor: &Actor) -> Result<bool> {
        let changed = self.write(|tx| {
            let changed = tx.revoke_token(id, &now())?;
            if changed {
                audit(
                    tx,
                    actor,
                    Action::TokenRevoke,
                    &format!("token {id}"),
                    None,
                    None,
                )?;
            }
            Ok(changed)
        })?;
        let mut known = self.known_tokens();
        self.revocations.fetch_add(1, Ordering::SeqCst);
        known.retain(|_, known| known.actor.token != Some(id));
        Ok(changed)
    }

    /// The newest `limit` audit entries before `before` (a seq), newest first.
    pub fn audit_log(&self, limit: usize, before: Option<i64>) -> Result<Vec<AuditEntry>> {
        self.read(|tx| tx.audit_log(limit, before))?
            .into_iter()
            .map(AuditRow::entry)
            .collect()
    }

    /// Copies the live store to `destination` while it serves (SQLite's online backup). A
    /// PostgreSQL store is backed up with PostgreSQL's own tools, or copied with
    /// [`Store::copy_into`].
    pub fn backup(&self, destination: &Path) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(sqlite) => sqlite.backup(destination),
            Backend::Postgres(postgres) => Err(Error::Backup(format!(
                "{} is backed up with pg_dump or pg_basebackup, or copied to a file with \
                 `refuge store copy --from {} --to FILE`",
                postgres.shown(),
                postgres.shown()
            ))),
        }
    }

    /// The database's own check of its files: `ok`, or what is damaged.
    pub fn integrity_check(&self) -> Result<String> {
        match &self.backend {
            Backend::Sqlite(sqlite) => sqlite.integrity_check(),
            // PostgreSQL checks its pages as it reads them; being readable is the check here.
            Backend::Postgres(_) => self.read(|tx| tx.holds_anything()).map(|_| "ok".into()),
        }
    }
}

/// Everything a store holds, read in one transaction.
fn load<F>(
    tx: &mut dyn Tx,
    facilities: impl FnOnce(&mut dyn Tx) -> Result<Vec<F>>,
) -> Result<Contents<F>> {
    let mut catalog = Catalog::default();
    for item in tx.items()? {
        catalog.insert(item)?;
    }
    let quotas = tx.meta("quotas")?;
    Ok(Contents {
        facilities: facilities(tx)?,
        movements: tx.movements()?,
        catalog,
        quotas: quotas
            .map(|q| parse("quotas", &q))
            .transpose()?
            .unwrap_or_default(),
        base: tx.base_features()?,
        sources: tx.sources()?,
        changes_through: tx.latest_change()?,
    })
}

/// Whether `location` is a PostgreSQL connection string.
pub fn is_postgres(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

/// Hands `work`, which returns a value, to `run`, which runs a transaction's work once and
/// returns nothing: the bridge between the store's typed work and a backend's object-safe one.
fn once<T>(
    work: impl FnOnce(&mut dyn Tx) -> Result<T>,
    run: impl FnOnce(&mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()>,
) -> Result<T> {
    let mut work = Some(work);
    let mut done = None;
    run(&mut |tx: &mut dyn Tx| -> Result<()> {
        let work = work.take().ok_or_else(ran_twice)?;
        done = Some(work(tx)?);
        Ok(())
    })?;
    done.ok_or_else(ran_twice)
}

fn ran_twice() -> Error {
    Error::Corrupt {
        what: "transaction".into(),
        message: "the work of one transaction ran twice or not at all".into(),
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
    fn apply(self, tx: &mut dyn Tx) -> Result<Facility> {
        match self {
            Self::Create { facility, actor } => {
                if tx.facility_version(facility.id)?.is_some() {
                    return Err(Error::Exists(facility.id));
                }
                let mut created = facility;
                created.version = 1;
                tx.insert_facility(&created)?;
                audit(
                    tx,
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
                let before = tx
                    .facility(facility.id)?
                    .ok_or(Error::NotFound(facility.id))?;
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
                tx.update_facility(&after)?;
                audit(
                    tx,
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
                let before = tx.facility(id)?.ok_or(Error::NotFound(id))?;
                if before.version != expected {
                    return Err(Error::Conflict {
                        id,
                        expected,
                        current: before.version,
                    });
                }
                tx.delete_facility(id)?;
                audit(
                    tx,
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

/// Writes the audit line of a change. A record made is kept whole in `after`, a record removed
/// whole in `before`; of a record replaced, both sides keep only the fields that changed (see
/// [`changed_fields`]), so a status report costs its status, not the whole facility twice. A
/// list (a facility's quotas) has no fields, and is kept whole on both sides.
pub(crate) fn audit(
    tx: &mut dyn Tx,
    actor: &Actor,
    action: Action,
    target: &str,
    before: Option<&dyn erased::Json>,
    after: Option<&dyn erased::Json>,
) -> Result<()> {
    let value = |record: Option<&dyn erased::Json>| record.map(|r| r.to_value()).transpose();
    let (before, after) = changed_fields(value(before)?, value(after)?);
    let text = |value: Option<serde_json::Value>| value.map(|v| json(&v)).transpose();
    tx.audit(&AuditRow {
        seq: 0,
        at: now(),
        actor: actor.name.clone(),
        role: actor.role.map_or("system", |r| r.as_str()).to_owned(),
        action: action.as_str().to_owned(),
        target: target.to_owned(),
        before: text(before)?,
        after: text(after)?,
    })
}

/// Of two JSON objects, the fields whose values differ, on each side (a field on one side only
/// stays on that side). Anything else is returned as it is.
fn changed_fields(
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> (Option<serde_json::Value>, Option<serde_json::Value>) {
    use serde_json::Value::Object;
    match (before, after) {
        (Some(Object(mut before)), Some(Object(mut after))) => {
            let unchanged: Vec<String> = before
                .iter()
                .filter(|&(field, old)| after.get(field) == Some(old))
                .map(|(field, _)| field.clone())
                .collect();
            for field in &unchanged {
                before.remove(field);
                after.remove(field);
            }
            (Some(Object(before)), Some(Object(after)))
        }
        sides => sides,
    }
}

/// Any serializable record, for the audit log's before/after columns.
mod erased {
    pub trait Json {
        fn to_value(&self) -> crate::Result<serde_json::Value>;
    }

    impl<T: serde::Serialize> Json for T {
        fn to_value(&self) -> crate::Result<serde_json::Value> {
            crate::records::value(self)
        }
    }
}
