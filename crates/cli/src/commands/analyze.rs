//! `refuge analyze coverage`: how well a store's shelters serve its population.

use std::io::Write;

use anyhow::{Result, bail};
use comfy_table::Table;
use refuge_core::HazardType;
use refuge_core::planning::{AreaCoverage, CoverageOptions, DEFAULT_TARGET_SHARE, coverage};
use refuge_store::Store;

use super::import::parse;

#[derive(Debug, clap::Subcommand)]
pub enum Analyze {
    /// Per district: residents, shelter places against the target share, the share within a
    /// shelter's service radius, and residents without a place (places shared nearest first).
    Coverage(CoverageArgs),
}

#[derive(Debug, clap::Args)]
pub struct CoverageArgs {
    /// The store (a SQLite file or `postgres://…`) with facilities and a population layer.
    #[arg(long, env = "REFUGE_STORE")]
    store: String,
    /// Only shelters safe in this hazard count.
    #[arg(long, value_parser = parse::<HazardType>)]
    hazard: Option<HazardType>,
    /// The share of residents shelters should hold.
    #[arg(long, default_value_t = DEFAULT_TARGET_SHARE)]
    target_share: f64,
    /// `table` (default) or `json`.
    #[arg(long, default_value = "table")]
    format: String,
}

pub fn run(command: Analyze) -> Result<()> {
    match command {
        Analyze::Coverage(args) => run_coverage(args),
    }
}

fn run_coverage(args: CoverageArgs) -> Result<()> {
    if !(args.target_share > 0.0 && args.target_share <= 1.0) {
        bail!(
            "--target-share {} is not a share from 0 to 1",
            args.target_share
        );
    }
    let store = Store::at(&args.store)?;
    let Some(layer) = store.population()? else {
        bail!(
            "{} has no population layer: import one with `refuge population import`",
            store.shown()
        );
    };
    let contents = store.load()?;
    let index = refuge_core::SpatialIndex::new(contents.facilities)?;
    let options = CoverageOptions {
        hazard: args.hazard,
        target_share: args.target_share,
        ..CoverageOptions::default()
    };
    let answer = coverage(&index, &layer, options)?;
    let mut out = std::io::stdout().lock();
    match args.format.as_str() {
        "json" => {
            serde_json::to_writer_pretty(&mut out, &answer)?;
            writeln!(out)?;
        }
        "table" => {
            writeln!(
                out,
                "population: {} (H3 resolution {})",
                answer.source, answer.resolution
            )?;
            for line in &answer.method {
                writeln!(out, "  {line}")?;
            }
            if let Some(hazard) = answer.hazard {
                writeln!(out, "shelters safe in: {hazard}")?;
            }
            let mut table = Table::new();
            table.set_header([
                "district",
                "population",
                "shelters",
                "places",
                "places/pop",
                "covered (service radius)",
                "unprovided",
            ]);
            for area in answer
                .districts
                .iter()
                .chain(std::iter::once(&answer.total))
            {
                table.add_row(row(area));
            }
            writeln!(out, "{table}")?;
            if answer.total.capacity_unknown > 0 {
                writeln!(
                    out,
                    "{} shelters have no known capacity: they take everyone in reach, so \
                     unprovided is a lower bound and places count only the known ones",
                    answer.total.capacity_unknown
                )?;
            }
            writeln!(
                out,
                "target: places for {:.0} % of residents; places shared nearest first within \
                 each shelter's service radius",
                args.target_share * 100.0
            )?;
        }
        other => bail!("--format {other}: expected table or json"),
    }
    Ok(())
}

fn row(area: &AreaCoverage) -> Vec<String> {
    let places = if area.capacity_unknown > 0 {
        format!("{} (+{} unknown)", area.places, area.capacity_unknown)
    } else {
        area.places.to_string()
    };
    vec![
        area.name.clone(),
        format!("{:.0}", area.population),
        area.shelters.to_string(),
        places,
        format!("{:.1} %", area.places_share * 100.0),
        format!("{:.1} %", area.covered_share * 100.0),
        format!("{:.0}", area.unprovided),
    ]
}
