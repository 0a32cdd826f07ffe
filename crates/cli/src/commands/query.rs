//! `refuge query`.

use std::io::Write;

use anyhow::{Result, bail};
use comfy_table::Table;
use refuge_core::{Crs, FacilityDetails, FacilityKind, Filter, HazardType, ItemId, ReserveTier};
use serde_json::json;

use super::import::parse;
use crate::DataArgs;
use crate::dataset::Dataset;

#[derive(Debug, clap::Subcommand)]
pub enum Query {
    /// The nearest facilities to a point, nearest first, with great-circle distances in metres.
    Nearest(NearestArgs),
}

#[derive(Debug, clap::Args)]
pub struct NearestArgs {
    /// Longitude of the point, degrees east.
    #[arg(long, allow_hyphen_values = true)]
    lon: f64,
    /// Latitude of the point, degrees north.
    #[arg(long, allow_hyphen_values = true)]
    lat: f64,
    /// Only this kind [shelter, reserve, micro_storage, hazard, poi].
    #[arg(long, value_parser = parse::<FacilityKind>)]
    kind: Option<FacilityKind>,
    /// How many, 1 to 100.
    #[arg(short, long, default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..=100))]
    k: u16,
    /// Only reserve depots of this tier [district, subdistrict, community].
    #[arg(long, value_parser = parse::<ReserveTier>)]
    tier: Option<ReserveTier>,
    /// Only facilities holding this item (see data/catalog.csv), with --min-qty.
    #[arg(long, value_parser = parse::<ItemId>)]
    item: Option<ItemId>,
    /// With --item: at least this many usable units.
    #[arg(long, default_value_t = 1, requires = "item")]
    min_qty: u64,
    /// Only facilities reported open.
    #[arg(long)]
    open: bool,
    /// Only open shelters with free places.
    #[arg(long)]
    has_room: bool,
    /// Only shelters with step-free access, for a wheelchair.
    #[arg(long)]
    wheelchair: bool,
    /// Only shelters suitable for this hazard [earthquake, flood, waterlogging, typhoon, fire,
    /// landslide, chemical, public_health].
    #[arg(long, value_parser = parse::<HazardType>)]
    hazard: Option<HazardType>,
    /// The CRS of --lon/--lat and of the positions printed [wgs84, cgcs2000, gcj02, bd09].
    #[arg(long, default_value = "wgs84", value_parser = parse::<Crs>)]
    crs: Crs,
    /// Print GeoJSON instead of a table.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    data: DataArgs,
}

pub fn run(query: Query) -> Result<()> {
    let mut out = std::io::stdout().lock();
    let Query::Nearest(args) = query;
    anyhow::ensure!(
        !args.crs.is_projected(),
        "--crs {}: a projection; --lon and --lat are longitude and latitude (wgs84, cgcs2000, \
         gcj02 or bd09)",
        args.crs
    );
    let origin = args.crs.to_wgs84(args.lon, args.lat)?;
    let mut filter = Filter::default()
        .open_only(args.open)
        .has_room(args.has_room);
    if let Some(kind) = args.kind {
        filter = filter.kind(kind);
    }
    if args.wheelchair {
        filter = filter.amenity(refuge_core::Amenity::Accessible);
    }
    if let Some(tier) = args.tier {
        filter = filter.tier(tier);
    }
    if let Some(hazard) = args.hazard {
        filter = filter.hazard(hazard);
    }
    if let Some(item) = &args.item {
        filter = filter.item(item.clone(), args.min_qty);
    }
    let dataset = Dataset::load(&args.data)?;
    let hits = dataset.index.nearest(origin, usize::from(args.k), &filter);
    if args.json {
        let features: Vec<_> = hits
            .iter()
            .filter_map(|hit| Some((hit, dataset.record(hit.facility.id)?)))
            .map(|(hit, record)| {
                let mut feature = refuge_io::feature_json(record, args.crs);
                feature["properties"]["distance_m"] = json!((hit.distance_m * 10.0).round() / 10.0);
                feature
            })
            .collect();
        let collection = json!({
            "type": "FeatureCollection",
            "distance": "great-circle metres (haversine, R = 6,371,008.8 m)",
            "features": features,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&collection)?)?;
        return Ok(());
    }
    if hits.is_empty() {
        bail!("no facility matches those filters");
    }
    let mut table = Table::new();
    table.set_header([
        "#", "distance", "name", "kind", "status", "detail", "lon", "lat", "id",
    ]);
    for (n, hit) in (1..).zip(&hits) {
        let Some(f) = dataset.record(hit.facility.id) else {
            continue;
        };
        let [lon, lat] = args.crs.from_wgs84(f.location);
        table.add_row([
            n.to_string(),
            format!("{:.0} m", hit.distance_m),
            f.name.preferred(false).to_owned(),
            f.kind().to_string(),
            f.status.status.to_string(),
            detail(&f.details, &dataset, f.id, args.item.as_ref()),
            format!("{lon:.6}"),
            format!("{lat:.6}"),
            f.id.to_string(),
        ]);
    }
    writeln!(out, "{table}")?;
    writeln!(
        out,
        "distances: great-circle metres from {:.6},{:.6} ({})",
        args.lon, args.lat, args.crs
    )?;
    Ok(())
}

/// The figure a user of each kind looks at first.
fn detail(
    details: &FacilityDetails,
    dataset: &Dataset,
    id: refuge_core::FacilityId,
    item: Option<&ItemId>,
) -> String {
    match details {
        FacilityDetails::Shelter(s) => match (s.capacity(), s.available()) {
            (Some(capacity), Some(free)) => format!("{} · {free}/{capacity} free", s.shelter_type),
            _ => format!("{} · capacity unknown", s.shelter_type),
        },
        FacilityDetails::Reserve(d) => match item {
            Some(item) => format!("{} · {} {item}", d.tier, dataset.index.stock_of(id, item)),
            None => d.tier.to_string(),
        },
        FacilityDetails::MicroStorage(_) => "micro-storage".into(),
        FacilityDetails::Hazard(h) => format!(
            "{} · {} · {:.0} m",
            h.hazard_kind, h.risk, h.influence_radius_m
        ),
        FacilityDetails::Poi(p) => p.poi_kind.to_string(),
    }
}
