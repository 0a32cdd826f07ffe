//! Bearer tokens: shown once at creation, stored only as a SHA-256 hash.

use std::fmt::Write;

use serde::Serialize;
use sha2::{Digest, Sha256};

refuge_core::named_enum! {
    /// What a token may do.
    pub enum Role ("role") {
        /// Logistics staff: stock movements, shelter status and occupancy.
        Logistics = "logistics" | "物资保障",
        /// Planners: hazard sources and zones, scenarios.
        Planner = "planner" | "规划",
        /// Administrators: facilities and tokens, and everything else.
        Admin = "admin" | "管理员",
    }
}

/// Who is writing: a token's name and role (or the system, for seeding).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    /// The token's name, e.g. `duty officer 3`.
    pub name: String,
    /// Its role; `None` for the system itself.
    pub role: Option<Role>,
    /// The token's id; `None` for the system.
    pub token: Option<i64>,
}

impl Actor {
    /// The system itself (seeding, migrations).
    pub fn system() -> Self {
        Self {
            name: "system".into(),
            role: None,
            token: None,
        }
    }

    /// Whether this actor may act as `role`: an admin may do anything.
    pub fn may(&self, role: Role) -> bool {
        self.role
            .is_some_and(|own| own == role || own == Role::Admin)
    }
}

/// A new random token: 32 bytes from the operating system, hex encoded, prefixed `rfg_`.
pub fn new_secret() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    let mut secret = String::from("rfg_");
    for byte in bytes {
        let _ = write!(secret, "{byte:02x}");
    }
    Ok(secret)
}

/// The stored form of a token.
pub fn hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}
