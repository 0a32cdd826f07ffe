//! `refuge stats`.

use std::collections::BTreeMap;

use std::io::Write;

use anyhow::Result;
use refuge_core::{Facility, FacilityKind, ReserveTier};

use crate::DataArgs;
use crate::dataset::Dataset;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    data: DataArgs,
}

pub fn run(args: Args) -> Result<()> {
    let mut out = std::io::stdout().lock();
    let dataset = Dataset::load(&args.data)?;
    let facilities: Vec<&Facility> = dataset.index.facilities().collect();
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
    if let Some(city) = &dataset.city {
        let day = refuge_io::demo::demo_time().date_naive();
        writeln!(
            out,
            "{} catalogue items, {} stock movements",
            city.catalog.len(),
            city.ledger.movements().len()
        )?;
        let shortages = city.ledger.shortages(&city.facilities, &city.quotas, day);
        writeln!(out, "{} shortages against quota on {day}", shortages.len())?;
        for s in shortages {
            let name = dataset
                .index
                .get(s.facility)
                .map(|f| f.name.preferred(false))
                .unwrap_or("?");
            writeln!(
                out,
                "  {name}: {} {} usable, minimum {}, {} to target",
                s.usable, s.item, s.minimum, s.to_target
            )?;
        }
        let expiring = city.ledger.expiring(day, 365);
        writeln!(out, "{} lots expire within a year of {day}", expiring.len())?;
    }
    Ok(())
}
