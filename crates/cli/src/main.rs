//! `refuge`: import, query, export and inspect a city's emergency resources.

#![forbid(unsafe_code)]

mod area;
mod commands;
mod dataset;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// jemalloc gives back what the server's threads free (a compaction, a burst of writes), within
/// a second and from a thread of its own (`.cargo/config.toml`); glibc's allocator kept it.
#[cfg(feature = "jemalloc")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Refuge keeps a city's emergency resources (shelters, reserve depots, micro-storage sites,
/// hazard sources) on one map. Without --data, commands work on the embedded demo city (Monaco,
/// from OpenStreetMap).
#[derive(Debug, Parser)]
#[command(name = "refuge", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Import GeoJSON, newline-delimited GeoJSON, CSV or OpenStreetMap PBF files (or stock lists)
    /// into a store (--store) or a running server (--server): validates every record and prints
    /// a report; --output writes Refuge GeoJSON instead.
    Import(commands::import::Args),
    /// Open the suitable shelters of an area for an emergency (logistics), list activations, or
    /// end one.
    Activate(commands::activate::Args),
    /// Ask the index: nearest facilities, with filters.
    #[command(subcommand)]
    Query(commands::query::Query),
    /// Write facilities as GeoJSON or CSV (GeoPackage, Shapefile, FlatGeobuf, KML with GDAL), or
    /// an offline map package (PMTiles).
    Export(commands::export::Args),
    /// Print the community map of an area as a PDF (A4 or A3): its shelters, reserves and
    /// hazards, the legend, the nearest shelters on foot from a point, and a QR code of the live
    /// map (needs Chromium).
    Print(commands::print::Args),
    /// Count facilities, capacity, stock and shortages.
    Stats(commands::stats::Args),
    /// Serve the map, vector tiles, the query and write API from a store (the demo city on first
    /// start).
    Serve(commands::serve::Args),
    /// Make, list or revoke bearer tokens for writes.
    #[command(subcommand)]
    Token(commands::admin::Token),
    /// Write through a running server: status, stock, hazards, facilities.
    #[command(subcommand)]
    Write(commands::write::Write),
    /// The newest audit log entries of a running server (admin token).
    Audit(commands::write::AuditArgs),
    /// Copy a store while it serves.
    Backup(commands::admin::BackupArgs),
    /// Replace a store with a backup (stop the server first).
    Restore(commands::admin::RestoreArgs),
    /// Move a store between SQLite and PostgreSQL.
    #[command(subcommand)]
    Store(commands::admin::StoreCommand),
    /// Import where people live (a population layer on H3 cells) into a store.
    #[command(subcommand)]
    Population(commands::population::Population),
    /// Planning figures from a store: coverage of its population by its shelters.
    #[command(subcommand)]
    Analyze(commands::analyze::Analyze),
}

/// Where facilities come from: Refuge GeoJSON files written by `refuge import`, or the demo city.
#[derive(Debug, clap::Args)]
struct DataArgs {
    /// Refuge GeoJSON file(s) written by `refuge import --output`; the demo city if none.
    #[arg(
        long = "data",
        value_name = "FILE",
        env = "REFUGE_DATA",
        value_delimiter = ','
    )]
    files: Vec<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Import(args) => commands::import::run(args),
        Command::Activate(args) => commands::activate::run(args),
        Command::Query(query) => commands::query::run(query),
        Command::Export(args) => commands::export::run(args),
        Command::Print(args) => commands::print::run(args),
        Command::Stats(args) => commands::stats::run(args),
        Command::Serve(args) => commands::serve::run(args),
        Command::Token(command) => commands::admin::token(command),
        Command::Write(command) => commands::write::run(command),
        Command::Audit(args) => commands::write::audit(args),
        Command::Backup(args) => commands::admin::backup(args),
        Command::Restore(args) => commands::admin::restore(args),
        Command::Store(command) => commands::admin::store(command),
        Command::Population(command) => commands::population::run(command),
        Command::Analyze(command) => commands::analyze::run(command),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // A reader that stops early (`refuge … | head`) is not an error.
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", describe(&error));
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The error and its causes, each cause shown once even where a message already quotes it.
fn describe(error: &anyhow::Error) -> String {
    let mut text = error.to_string();
    for cause in error.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text = format!("{text}: {cause}");
        }
    }
    text
}
