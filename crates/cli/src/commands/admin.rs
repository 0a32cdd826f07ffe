//! `refuge token`, `refuge backup`, `refuge restore`: operating a store.

use std::path::PathBuf;

use anyhow::{Context, Result};
use refuge_store::{Actor, Role, Store};

use super::import::parse;

#[derive(Debug, clap::Args)]
pub struct StoreArg {
    /// The store file.
    #[arg(long, env = "REFUGE_STORE", default_value = "refuge.db")]
    store: PathBuf,
}

#[derive(Debug, clap::Subcommand)]
pub enum Token {
    /// Make a bearer token; it is shown once and only its hash is kept.
    Create {
        /// What it may do [logistics, planner, admin].
        #[arg(long, value_parser = parse::<Role>)]
        role: Role,
        /// Who or what it is for, e.g. "duty officer 3" (shown in the audit log).
        #[arg(long)]
        name: String,
        /// Stop working after this many days (e.g. a volunteer's shift rota); never if not given.
        #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..=3650))]
        expires_in_days: Option<u32>,
        #[command(flatten)]
        store: StoreArg,
    },
    /// List tokens (never their secrets).
    List {
        #[command(flatten)]
        store: StoreArg,
    },
    /// Revoke a token by id.
    Revoke {
        /// The token's id (see `refuge token list`).
        id: i64,
        #[command(flatten)]
        store: StoreArg,
    },
}

pub fn token(command: Token) -> Result<()> {
    let admin = Actor {
        name: "refuge token (command line)".into(),
        role: Some(Role::Admin),
        token: None,
    };
    match command {
        Token::Create {
            role,
            name,
            expires_in_days,
            store,
        } => {
            let store = Store::open(&store.store)?;
            let expires_at = expires_in_days
                .map(|days| chrono::Utc::now() + chrono::Duration::days(i64::from(days)));
            let (id, secret) = store.create_expiring_token(&name, role, expires_at, &admin)?;
            eprintln!("token {id} for {name} ({role}); it is not shown again:");
            println!("{secret}");
        }
        Token::List { store } => {
            for token in Store::open(&store.store)?.tokens()? {
                let state = match (&token.revoked_at, &token.expires_at) {
                    (Some(at), _) => format!("revoked {at}"),
                    (None, Some(at)) => format!("expires {at}"),
                    (None, None) => "active".into(),
                };
                println!(
                    "{:>4}  {:<10} {:<30} {}  {state}",
                    token.id,
                    token.role.as_str(),
                    token.name,
                    token.created_at
                );
            }
        }
        Token::Revoke { id, store } => {
            if !Store::open(&store.store)?.revoke_token(id, &admin)? {
                anyhow::bail!("no active token {id}");
            }
            eprintln!("token {id} revoked");
        }
    }
    Ok(())
}

#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// Where to write the copy.
    destination: PathBuf,
    #[command(flatten)]
    store: StoreArg,
}

/// Copies the store while it serves (SQLite's online backup), then checks the copy.
pub fn backup(args: BackupArgs) -> Result<()> {
    if args.destination.exists() {
        anyhow::bail!(
            "{} exists; choose a new file for the backup",
            args.destination.display()
        );
    }
    let store = Store::open(&args.store.store)?;
    store.backup(&args.destination)?;
    let verdict = Store::open(&args.destination)?.integrity_check()?;
    anyhow::ensure!(verdict == "ok", "the backup is damaged: {verdict}");
    eprintln!(
        "backed up {} to {} (integrity ok)",
        args.store.store.display(),
        args.destination.display()
    );
    Ok(())
}

#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// The backup to restore.
    backup: PathBuf,
    #[command(flatten)]
    store: StoreArg,
}

/// Replaces the store with a checked backup. Stop the server first.
pub fn restore(args: RestoreArgs) -> Result<()> {
    refuge_store::restore(&args.backup, &args.store.store)
        .with_context(|| format!("cannot restore {}", args.backup.display()))?;
    eprintln!(
        "restored {} from {}",
        args.store.store.display(),
        args.backup.display()
    );
    Ok(())
}
