//! `refuge stats`.

use std::collections::BTreeMap;

use std::io::Write;

use anyhow::Result;
use refuge_core::{FacilityBrief, FacilityKind, ReserveTier};

use crate::DataArgs;
use crate::dataset::Dataset;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Count a store (a SQLite file or `postgres://…`) instead of the demo city or --data.
    #[arg(long, env = "REFUGE_STORE", conflicts_with = "files")]
    store: Option<String>,
    #[command(flatten)]
    data: DataArgs,
}

/// What stock the figures count: the ledger, quotas and catalogue size.
struct Stock {
    ledger: refuge_core::StockLedger,
    quotas: Vec<refuge_core::Quota>,
    items: usize,
}

pub fn run(args: Args) -> Result<()> {
    let mut out = std::io::stdout().lock();
    let (dataset, stock) = match &args.store {
        Some(store) => {
            let contents = refuge_store::Store::at(store)?.load()?;
            let stock = Stock {
                ledger: refuge_core::StockLedger::replay(contents.movements)?,
                quotas: contents.quotas,
                items: contents.catalog.len(),
            };
            let index = refuge_core::SpatialIndex::of_briefs(contents.facilities, BTreeMap::new())?;
            let dataset = Dataset {
                index,
                records: Vec::new(),
                city: None,
            };
            (dataset, Some(stock))
        }
        None => {
            let dataset = Dataset::load(&args.data)?;
            let stock = dataset.city.as_ref().map(|city| Stock {
                ledger: city.ledger.clone(),
                quotas: city.quotas.clone(),
                items: city.catalog.len(),
            });
            (dataset, stock)
        }
    };
    let facilities: Vec<&FacilityBrief> = dataset.index.facilities().collect();
    writeln!(out, "{} facilities", facilities.len())?;
    for kind in FacilityKind::ALL {
        let count = facilities.iter().filter(|f| f.kind() == *kind).count();
        writeln!(out, "  {:<14}{count}", kind.as_str())?;
    }
    let mut tiers: BTreeMap<ReserveTier, usize> = BTreeMap::new();
    for depot in facilities.iter().filter_map(|f| f.reserve()) {
        *tiers.entry(depot.tier).or_default() += 1;
    }
    for (tier, count) in tiers {
        writeln!(out, "  reserve depots, {:<12}{count}", tier.as_str())?;
    }
    let shelters: Vec<_> = facilities.iter().filter_map(|f| f.shelter()).collect();
    let capacity: u64 = shelters
        .iter()
        .filter_map(|s| s.capacity())
        .map(u64::from)
        .sum();
    let occupancy: u64 = shelters.iter().map(|s| u64::from(s.occupancy)).sum();
    let unknown = shelters.iter().filter(|s| s.capacity().is_none()).count();
    writeln!(
        out,
        "shelter capacity {capacity} persons (GB 21734, 1.5 m²/person where no design capacity is given), occupancy {occupancy}"
    )?;
    if unknown > 0 {
        writeln!(out, "  {unknown} shelters of unknown capacity")?;
    }
    if let Some(stock) = &stock {
        // Today, by the clock: lots that have expired no longer count.
        let day = chrono::Utc::now().date_naive();
        writeln!(
            out,
            "{} catalogue items, {} stock movements",
            stock.items,
            stock.ledger.movements().len()
        )?;
        let shortages = stock
            .ledger
            .shortages(facilities.iter().copied(), &stock.quotas, day);
        writeln!(out, "{} shortages against quota on {day}", shortages.len())?;
        for s in shortages {
            let name = dataset
                .index
                .get(s.facility)
                .map_or_else(|| "?".to_owned(), |f| f.name().preferred(false).to_owned());
            writeln!(
                out,
                "  {name}: {} {} usable, minimum {}, {} to target",
                s.usable, s.item, s.minimum, s.to_target
            )?;
        }
        let expiring = stock.ledger.expiring(day, 365);
        writeln!(out, "{} lots expire within a year of {day}", expiring.len())?;
    }
    Ok(())
}
