//! Scratch stores for tests, on each backend: a new SQLite file, and a new database on the
//! PostgreSQL server that `REFUGE_TEST_POSTGRES` names (`postgres://user@host:port/database`).
//! Without that variable the PostgreSQL half is skipped with a message, unless
//! `REFUGE_REQUIRE_POSTGRES=1` (as in CI), which makes it a failure.
//!
//! Test support: a scratch store that cannot be made fails the test at once.
#![allow(clippy::panic)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::Store;

/// A store that exists for one test and is removed after it.
#[derive(Debug)]
pub struct Scratch {
    /// What `refuge --store` and [`Store::at`] take: a file path or a connection string.
    pub location: String,
    place: Place,
}

#[derive(Debug)]
enum Place {
    Folder(PathBuf),
    Database { server: String, name: String },
}

/// Numbers scratch stores apart within a process.
static MADE: AtomicUsize = AtomicUsize::new(0);

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        MADE.fetch_add(1, Ordering::Relaxed)
    )
}

impl Scratch {
    /// A new SQLite file in a folder of its own.
    pub fn sqlite() -> Self {
        let folder = std::env::temp_dir().join(unique("refuge_store"));
        std::fs::create_dir_all(&folder).unwrap_or_else(|e| panic!("{}: {e}", folder.display()));
        Self {
            location: folder.join("refuge.db").display().to_string(),
            place: Place::Folder(folder),
        }
    }

    /// A new, empty database on the test PostgreSQL server, or `None` (having said so) when
    /// there is none.
    pub fn postgres() -> Option<Self> {
        let server = postgres_server()?;
        let name = unique("refuge_test");
        admin(&server)
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap_or_else(|e| panic!("cannot create a test database on {server}: {e}"));
        let base = server
            .rsplit_once('/')
            .map_or(server.as_str(), |(base, _)| base);
        Some(Self {
            location: format!("{base}/{name}"),
            place: Place::Database { server, name },
        })
    }

    /// A scratch store on every backend this machine has.
    pub fn each() -> Vec<Self> {
        std::iter::once(Self::sqlite())
            .chain(Self::postgres())
            .collect()
    }

    /// Opens (another handle on) the store.
    pub fn open(&self) -> Store {
        Store::at(&self.location).unwrap_or_else(|e| panic!("{}: {e}", self.location))
    }

    /// `sqlite` or `postgres`, for messages.
    pub fn backend(&self) -> &'static str {
        match self.place {
            Place::Folder(_) => "sqlite",
            Place::Database { .. } => "postgres",
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        match &self.place {
            Place::Folder(folder) => {
                let _ = std::fs::remove_dir_all(folder);
            }
            Place::Database { server, name } => {
                let _ = admin(server).batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"));
            }
        }
    }
}

/// The test server's connection string, if the tests have one. Panics when CI requires one and
/// it is missing.
pub fn postgres_server() -> Option<String> {
    match std::env::var("REFUGE_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("REFUGE_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") => {
            panic!("REFUGE_REQUIRE_POSTGRES=1 but REFUGE_TEST_POSTGRES is not set")
        }
        _ => {
            eprintln!(
                "SKIPPED: the PostgreSQL half of this test (set REFUGE_TEST_POSTGRES, e.g. from \
                 scripts/postgres.sh start DIR)"
            );
            None
        }
    }
}

/// A connection to the test server's `postgres` database, to make and drop databases.
fn admin(server: &str) -> postgres::Client {
    let mut config: postgres::Config = server
        .parse()
        .unwrap_or_else(|e| panic!("REFUGE_TEST_POSTGRES={server}: {e}"));
    config.dbname("postgres");
    config
        .connect(postgres::NoTls)
        .unwrap_or_else(|e| panic!("cannot connect to {server}: {e}"))
}
