//! `refuge token`, `refuge backup`, `refuge restore`, `refuge store copy`: operating a store.

use std::path::PathBuf;

use anyhow::{Context, Result};
use refuge_store::{Actor, Role, Store};

use super::import::parse;

#[derive(Debug, clap::Args)]
pub struct StoreArg {
    /// The store: a SQLite file, or a PostgreSQL database (`postgres://user@host/database`).
    #[arg(long, env = "REFUGE_STORE", default_value = "refuge.db")]
    store: String,
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
            let store = Store::at(&store.store)?;
            let expires_at = expires_in_days
                .map(|days| chrono::Utc::now() + chrono::Duration::days(i64::from(days)));
            let (id, secret) = store.create_expiring_token(&name, role, expires_at, &admin)?;
            eprintln!("token {id} for {name} ({role}); it is not shown again:");
            println!("{secret}");
        }
        Token::List { store } => {
            for token in Store::at(&store.store)?.tokens()? {
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
            if !Store::at(&store.store)?.revoke_token(id, &admin)? {
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
    let store = Store::at(&args.store.store)?;
    store.backup(&args.destination)?;
    let verdict = Store::open(&args.destination)?.integrity_check()?;
    anyhow::ensure!(verdict == "ok", "the backup is damaged: {verdict}");
    eprintln!(
        "backed up {} to {} (integrity ok)",
        store.shown(),
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
    anyhow::ensure!(
        !refuge_store::is_postgres(&args.store.store),
        "a PostgreSQL store is restored with PostgreSQL's own tools, or filled from a file with \
         `refuge store copy --from FILE --to postgres://…`"
    );
    refuge_store::restore(&args.backup, std::path::Path::new(&args.store.store))
        .with_context(|| format!("cannot restore {}", args.backup.display()))?;
    eprintln!(
        "restored {} from {}",
        args.store.store,
        args.backup.display()
    );
    Ok(())
}

/// `refuge store …`.
#[derive(Debug, clap::Subcommand)]
pub enum StoreCommand {
    /// Copy everything a store holds into a new, empty one: SQLite to PostgreSQL or back.
    /// Facilities keep their versions; movements, activations, tokens and the audit log keep
    /// their order and numbers.
    Copy {
        /// The store to copy: a SQLite file or `postgres://…`.
        #[arg(long)]
        from: String,
        /// The new store: a SQLite file (created) or an empty PostgreSQL database.
        #[arg(long)]
        to: String,
    },
}

pub fn store(command: StoreCommand) -> Result<()> {
    match command {
        StoreCommand::Copy { from, to } => {
            anyhow::ensure!(from != to, "--from and --to are the same store");
            let source = Store::at(&from)?;
            let destination = Store::at(&to)?;
            let started = std::time::Instant::now();
            let copied = source.copy_into(&destination).with_context(|| {
                format!("cannot copy {} to {}", source.shown(), destination.shown())
            })?;
            eprintln!(
                "copied {} to {} in {:.1} s: {} facilities, {} stock movements, {} base-map \
                 features, {} activations, {} plans, {} tokens, {} audit entries",
                source.shown(),
                destination.shown(),
                started.elapsed().as_secs_f64(),
                copied.facilities,
                copied.movements,
                copied.base_features,
                copied.activations,
                copied.plans,
                copied.tokens,
                copied.audit
            );
            Ok(())
        }
    }
}
