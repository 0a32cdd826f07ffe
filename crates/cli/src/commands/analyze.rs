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
    /// Play a stress test out on a copy of the store's data (draft hazard zones, facilities out
    /// of service, more people) and print the figures before and after. Nothing is written.
    Scenario(ScenarioArgs),
}

#[derive(Debug, clap::Args)]
pub struct ScenarioArgs {
    /// The scenario: JSON, or TOML (by its extension); see `refuge_io::ScenarioFile`.
    #[arg(value_name = "FILE")]
    file: std::path::PathBuf,
    /// The store (a SQLite file or `postgres://…`).
    #[arg(long, env = "REFUGE_STORE")]
    store: String,
    /// `table` (default) or `json`.
    #[arg(long, default_value = "table")]
    format: String,
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
        Analyze::Scenario(args) => run_scenario(args),
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
    let index = refuge_core::SpatialIndex::of_briefs(contents.facilities, Default::default())?;
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

fn run_scenario(args: ScenarioArgs) -> Result<()> {
    use anyhow::Context;
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let toml = args.file.extension().is_some_and(|e| e == "toml");
    let file: refuge_io::ScenarioFile = if toml {
        toml::from_str(&text).with_context(|| format!("{}", args.file.display()))?
    } else {
        serde_json::from_str(&text).with_context(|| format!("{}", args.file.display()))?
    };
    let zones = match &file.zones_file {
        Some(zones) => {
            let path = args
                .file
                .parent()
                .unwrap_or(std::path::Path::new("."))
                .join(zones);
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            Some(serde_json::from_str(&text).with_context(|| format!("{}", path.display()))?)
        }
        None => None,
    };
    let scenario = file
        .scenario(zones)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.file.display()))?;
    let store = Store::at(&args.store)?;
    let contents = store.load()?;
    let ledger = refuge_core::StockLedger::replay(contents.movements)?;
    let index = refuge_core::SpatialIndex::of_briefs(contents.facilities, Default::default())?;
    let plans = refuge_core::planning::open_plans(store.plans()?, &ledger);
    let layer = store.population()?;
    let outcome = refuge_core::planning::run_scenario(
        &index,
        layer.as_ref(),
        &scenario,
        &plans,
        refuge_core::planning::MAX_CELLS,
    )
    .map_err(|e| anyhow::anyhow!("{}: {e}", args.file.display()))?;
    let mut out = std::io::stdout().lock();
    match args.format.as_str() {
        "json" => {
            serde_json::to_writer_pretty(&mut out, &outcome)?;
            writeln!(out)?;
        }
        "table" => {
            writeln!(
                out,
                "scenario: {} ({}, demand × {})",
                outcome.name, outcome.hazard, outcome.demand_multiplier
            )?;
            for line in &outcome.method {
                writeln!(out, "  {line}")?;
            }
            if layer.is_some() {
                let mut table = Table::new();
                table.set_header([
                    "district",
                    "population before → after",
                    "shelters",
                    "covered",
                    "unprovided",
                ]);
                let pairs = outcome
                    .before
                    .districts
                    .iter()
                    .zip(&outcome.after.districts);
                let totals = outcome.before.total.iter().zip(&outcome.after.total);
                for (before, after) in pairs.chain(totals) {
                    table.add_row([
                        before.name.clone(),
                        format!("{:.0} → {:.0}", before.population, after.population),
                        format!("{} → {}", before.shelters, after.shelters),
                        format!(
                            "{:.1} % → {:.1} %",
                            before.covered_share * 100.0,
                            after.covered_share * 100.0
                        ),
                        format!("{:.0} → {:.0}", before.unprovided, after.unprovided),
                    ]);
                }
                writeln!(out, "{table}")?;
            } else {
                writeln!(out, "no population layer: coverage not figured")?;
            }
            let ids = |ids: &[refuge_core::FacilityId]| {
                ids.iter()
                    .map(|id| id.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            writeln!(
                out,
                "facilities threatened: {} → {}",
                outcome.before.exposed.len(),
                outcome.after.exposed.len()
            )?;
            writeln!(
                out,
                "depots cut off: {} → {} ({})",
                outcome.before.depots_cut_off.len(),
                outcome.after.depots_cut_off.len(),
                ids(&outcome.after.depots_cut_off)
            )?;
            writeln!(
                out,
                "plans that can no longer be met: {} → {} ({})",
                outcome.before.plans_unmet.len(),
                outcome.after.plans_unmet.len(),
                outcome.after.plans_unmet.join(", ")
            )?;
        }
        other => bail!("--format {other}: expected table or json"),
    }
    Ok(())
}
