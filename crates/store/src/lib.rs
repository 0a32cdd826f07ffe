#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod action;
mod activation;
mod auth;
mod backend;
mod changes;
mod copy;
mod error;
mod import;
mod postgres;
mod quotas;
mod records;
mod sqlite;
mod store;
#[doc(hidden)]
pub mod testing;

pub use action::Action;
pub use auth::{Actor, Role, hash as token_hash};
pub use changes::{Change, Changes};
pub use copy::Copied;
pub use error::{Error, Result};
pub use import::{Imported, StoreSink};
pub use refuge_io::DataSource;
pub use sqlite::schema::LATEST as SCHEMA_VERSION;
pub use store::{
    AuditEntry, Contents, FacilityWrite, Store, TOKEN_RECHECK, TokenInfo, is_postgres, restore,
};

/// Applies migrations only up to `version`, to test upgrades from an older file.
#[doc(hidden)]
pub fn migrate_to_version(path: &std::path::Path, version: u32) -> Result<()> {
    let mut conn = rusqlite::Connection::open(path).map_err(|source| Error::Open {
        path: path.to_owned(),
        source,
    })?;
    sqlite::schema::migrate_to(&mut conn, version)
}
