//! The one error type of `refuge-store`.

use std::path::PathBuf;

use refuge_core::FacilityId;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database file could not be opened or used.
    #[error("store {path}: {source}")]
    Open {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: rusqlite::Error,
    },
    /// A statement failed.
    #[error("store: {0}")]
    Sql(#[from] rusqlite::Error),
    /// A PostgreSQL store could not be reached.
    #[error("cannot connect to {store}: {message}")]
    Connect {
        /// The database, without its password.
        store: String,
        /// Why.
        message: String,
    },
    /// A PostgreSQL statement failed, or the connection was lost.
    #[error("store: {0}")]
    Postgres(#[from] postgres::Error),
    /// Another server committed changes this process has not taken yet: take them, then write
    /// again. Nothing was written.
    #[error("the store has changes up to {latest} and this server has taken up to {followed}")]
    Behind {
        /// The last change this process has taken.
        followed: i64,
        /// The last change committed.
        latest: i64,
    },
    /// A stored record could not be read back.
    #[error("store: record {what} is not valid: {message}")]
    Corrupt {
        /// Which record.
        what: String,
        /// What is wrong with it.
        message: String,
    },
    /// The database was written by a newer Refuge.
    #[error(
        "store {store} has schema version {found}; this Refuge knows up to {known}: upgrade Refuge"
    )]
    TooNew {
        /// The file or database.
        store: String,
        /// Its schema version.
        found: u32,
        /// The newest this build knows.
        known: u32,
    },
    /// A facility that does not exist.
    #[error("no facility with id {0}")]
    NotFound(FacilityId),
    /// A facility that exists already.
    #[error("facility {0} exists already")]
    Exists(FacilityId),
    /// The caller's version is not the stored one: someone else changed it first.
    #[error("facility {id} is at version {current}, not {expected}: reload it and try again")]
    Conflict {
        /// The facility.
        id: FacilityId,
        /// The version the caller had.
        expected: u64,
        /// The stored version.
        current: u64,
    },
    /// The model refused the change (e.g. stock would go negative); nothing was written.
    #[error(transparent)]
    Rejected(#[from] refuge_core::Error),
    /// An activation that does not exist.
    #[error("no activation with id {0}")]
    NoActivation(u64),
    /// An activation that has ended already.
    #[error("activation {0} has ended already")]
    ActivationEnded(u64),
    /// A new store file could not be made readable by its owner only.
    #[error("cannot make {path} private: {source}")]
    Private {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A backup or restore failed.
    #[error("{0}")]
    Backup(String),
    /// The work of a transaction gave up, and the transaction rolled back: the caller has the
    /// reason.
    #[doc(hidden)]
    #[error("the transaction was abandoned")]
    Abandoned,
}

impl Error {
    /// Whether a write was refused for what it asked (a stale version, a facility that is or is
    /// not there, a change the model refuses), not for a failure of the store: the transaction
    /// around it is intact and the other writes in it may commit.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            Error::NotFound(_) | Error::Exists(_) | Error::Conflict { .. } | Error::Rejected(_)
        )
    }

    /// Whether the database cannot be reached now (it is down, restarting, or the network to it
    /// is): the data is intact, and the write may succeed once it is back.
    pub fn is_unavailable(&self) -> bool {
        match self {
            Error::Connect { .. } => true,
            // Lost connections, and the server shutting down or starting (SQLSTATE classes 08
            // and 57P).
            Error::Postgres(error) => {
                error.is_closed()
                    || std::error::Error::source(error).is_some_and(|s| s.is::<std::io::Error>())
                    || error.code().is_some_and(|state| {
                        state.code().starts_with("08") || state.code().starts_with("57P")
                    })
            }
            _ => false,
        }
    }

    /// Whether the store was busy: another writer held it past the busy timeout. Trying again
    /// later may succeed; nothing is wrong with the data.
    pub fn is_busy(&self) -> bool {
        matches!(
            self,
            Error::Sql(rusqlite::Error::SqliteFailure(failure, _))
                if matches!(
                    failure.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                )
        )
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
