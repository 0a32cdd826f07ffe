//! The embedded demo city: Monaco from OpenStreetMap, with emergency facilities designated by
//! the rules written down in `data/README.md`.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, TimeZone, Utc};
use geo::{Centroid, Geometry, InteriorPoint, Intersects};
use refuge_core::{
    AdminArea, Catalog, Contact, Crs, Designation, Facility, FacilityDetails, FacilityId,
    FacilityKind, LiveStatus, LonLat, MicroStorageSite, Movement, MovementKind, Names, PoiKind,
    Quota, ReserveDepot, ReserveTier, Source, SpatialIndex, StatusReport, StockLedger,
};

use crate::mapping::{ImportOptions, facility_id};
use crate::osm::{area_m2, read_osm};
use crate::report::ImportReport;
use crate::{Result, read_catalog};
use refuge_core::{BaseFeature, BaseLayer};

/// The OpenStreetMap extract the demo is built from (© OpenStreetMap contributors, ODbL 1.0).
pub const MONACO_PBF: &[u8] = include_bytes!("../../../data/monaco.osm.pbf");
/// The item catalogue.
pub const CATALOG_CSV: &str = include_str!("../../../data/catalog.csv");
/// The dataset name generated facilities carry as their source.
const DEMO: &str = "refuge-demo";
/// Items a micro-storage site keeps for the first hour.
const MICRO_ITEMS: &[&str] = &[
    "bottled_water",
    "instant_noodles",
    "flashlight",
    "battery_aa",
    "first_aid_kit",
    "raincoat",
    "megaphone",
    "life_jacket",
    "fire_extinguisher",
    "surgical_mask",
];

/// A whole city: facilities, base map, catalogue, stock and quotas.
#[derive(Debug, Clone)]
pub struct City {
    /// Every facility.
    pub facilities: Vec<Facility>,
    /// The base map.
    pub base: Vec<BaseFeature>,
    /// The item catalogue.
    pub catalog: Catalog,
    /// Stock movements and the lots derived from them.
    pub ledger: StockLedger,
    /// Stock quotas.
    pub quotas: Vec<Quota>,
    /// The OpenStreetMap import report.
    pub report: ImportReport,
}

impl City {
    /// The spatial index of the city with the stock usable on `day`.
    pub fn index(&self, day: chrono::NaiveDate) -> refuge_core::Result<SpatialIndex> {
        SpatialIndex::with_stock(self.facilities.clone(), self.ledger.usable_totals(day))
    }
}

/// The item catalogue Refuge ships (`data/catalog.csv`), for a store that has none yet.
pub fn catalog() -> Result<refuge_core::Catalog> {
    read_catalog(CATALOG_CSV.as_bytes(), "data/catalog.csv")
}

/// Where the demo city comes from, and its credit.
pub fn source() -> crate::DataSource {
    crate::DataSource {
        dataset: "monaco.osm.pbf".into(),
        format: "osm".into(),
        attribution: crate::OSM_ATTRIBUTION.into(),
    }
}

/// The moment the demo's statuses and stock receipts are dated: 5 January 2026, 08:00 UTC.
pub fn demo_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 8, 0, 0)
        .single()
        .unwrap_or_default()
}

struct Quarter {
    name: String,
    name_zh: Option<String>,
    area: geo::Geometry,
    centre: LonLat,
}

/// Builds the demo city. Deterministic: the same facilities, ids and stock every time.
pub fn demo_city() -> Result<City> {
    let mut options = ImportOptions::new("monaco.osm.pbf", Crs::Wgs84);
    options.reported_at = demo_time();
    let import = read_osm(MONACO_PBF, &options)?;
    let catalog = read_catalog(CATALOG_CSV.as_bytes(), "data/catalog.csv")?;
    let quarters = quarters(&import.base);
    let mut facilities = import.facilities;

    // Shelter candidates become designated, open shelters; everything gets its quarter.
    for facility in &mut facilities {
        if let FacilityDetails::Shelter(_) = facility.details {
            facility.designation = Designation::Designated;
            facility.status.status = LiveStatus::Open;
        }
        facility.admin = admin_of(&quarters, facility.location);
    }

    let buildings = buildings(&import.base);
    let mut used = Vec::new();
    let district = depot(
        pick(&buildings, &mut used, is_depot_building),
        ReserveTier::District,
        None,
        "district",
        Names::new(
            Some("摩纳哥区级应急物资储备库".into()),
            Some("Monaco District Emergency Reserve Depot".into()),
        )?,
        &quarters,
    );
    let mut depots = Vec::new();
    let mut communities = Vec::new();
    let mut ordered: Vec<&Quarter> = quarters.iter().collect();
    ordered.sort_by(|a, b| a.centre.lon().total_cmp(&b.centre.lon()));
    let groups: Vec<&[&Quarter]> = ordered.chunks(2).collect();
    let sides = [
        ("西部", "West"),
        ("中部", "Central"),
        ("东部", "East"),
        ("北部", "North"),
    ];
    for (n, group) in groups.iter().enumerate() {
        let (zh, en) = sides.get(n).copied().unwrap_or(("", "Outer"));
        let within = |b: &&Building| group.iter().any(|q| q.area.intersects(&b.centre.point()));
        let Some(site) = pick(&buildings, &mut used, |b| {
            within(&b) && is_depot_building(b)
        }) else {
            continue;
        };
        let street = depot(
            Some(site),
            ReserveTier::Subdistrict,
            district.as_ref().map(|d| d.id),
            &format!("subdistrict-{n}"),
            Names::new(
                Some(format!("{zh}街道应急物资储备库")),
                Some(format!("{en} Sub-district Reserve Depot")),
            )?,
            &quarters,
        );
        for quarter in group.iter() {
            let inside = |b: &Building| quarter.area.intersects(&b.centre.point());
            let site = pick(&buildings, &mut used, |b| inside(b) && is_civic(b))
                .or_else(|| pick(&buildings, &mut used, |b| inside(b) && is_depot_building(b)));
            let zh = quarter
                .name_zh
                .clone()
                .unwrap_or_else(|| quarter.name.clone());
            if let Some(community) = depot(
                site,
                ReserveTier::Community,
                street.as_ref().map(|d| d.id),
                &format!("community-{}", quarter.name),
                Names::new(
                    Some(format!("{zh}社区应急物资储备点")),
                    Some(format!("{} Community Reserve Depot", quarter.name)),
                )?,
                &quarters,
            ) {
                communities.push(community);
            }
        }
        depots.extend(street);
    }
    depots.extend(district);

    let micro = micro_storage(&facilities, &buildings, &mut used, &quarters, &communities)?;
    facilities.extend(depots);
    facilities.extend(communities);
    facilities.extend(micro);

    let (ledger, quotas) = stock(&facilities, &catalog)?;
    Ok(City {
        facilities,
        base: import.base,
        catalog,
        ledger,
        quotas,
        report: import.report,
    })
}

fn quarters(base: &[BaseFeature]) -> Vec<Quarter> {
    let mut quarters: Vec<Quarter> = base
        .iter()
        .filter(|b| b.layer == BaseLayer::Boundaries && b.class == "10")
        .filter_map(|b| {
            let centre = b
                .geometry
                .centroid()
                .and_then(|c| LonLat::try_from(c).ok())?;
            Some(Quarter {
                name: b.name.clone()?,
                name_zh: b.name_zh.clone(),
                area: b.geometry.clone(),
                centre,
            })
        })
        .collect();
    quarters.sort_by(|a, b| a.name.cmp(&b.name));
    quarters
}

fn admin_of(quarters: &[Quarter], at: LonLat) -> AdminArea {
    AdminArea {
        district: Some("Monaco".into()),
        street: None,
        community: quarters
            .iter()
            .find(|q| q.area.intersects(&at.point()))
            .map(|q| q.name.clone()),
    }
}

struct Building {
    id: u64,
    class: String,
    name: Option<String>,
    area_m2: f64,
    centre: LonLat,
    outline: Geometry,
}

fn buildings(base: &[BaseFeature]) -> Vec<Building> {
    let mut buildings: Vec<Building> = base
        .iter()
        .filter(|b| b.layer == BaseLayer::Buildings)
        .filter_map(|b| {
            let centre = b
                .geometry
                .interior_point()
                .and_then(|p| LonLat::try_from(p).ok())?;
            Some(Building {
                id: b.id,
                class: b.class.clone(),
                name: b.name.clone(),
                area_m2: area_m2(&b.geometry),
                centre,
                outline: b.geometry.clone(),
            })
        })
        .collect();
    // Largest first; ties by id so the choice never depends on read order.
    buildings.sort_by(|a, b| b.area_m2.total_cmp(&a.area_m2).then(a.id.cmp(&b.id)));
    buildings
}

fn is_depot_building(b: &Building) -> bool {
    ![
        "residential",
        "house",
        "apartments",
        "detached",
        "church",
        "chapel",
        "cathedral",
        "hotel",
        "roof",
        "ruins",
        "construction",
    ]
    .contains(&b.class.as_str())
}

fn is_civic(b: &Building) -> bool {
    [
        "public",
        "civic",
        "government",
        "school",
        "college",
        "hospital",
        "fire_station",
        "train_station",
        "office",
    ]
    .contains(&b.class.as_str())
}

/// The largest unused building passing `test`, marked used.
fn pick<'b>(
    buildings: &'b [Building],
    used: &mut Vec<u64>,
    test: impl Fn(&Building) -> bool,
) -> Option<&'b Building> {
    let found = buildings
        .iter()
        .find(|b| !used.contains(&b.id) && test(b))?;
    used.push(found.id);
    Some(found)
}

fn depot(
    site: Option<&Building>,
    tier: ReserveTier,
    parent: Option<FacilityId>,
    key: &str,
    name: Names,
    quarters: &[Quarter],
) -> Option<Facility> {
    let site = site?;
    let mut depot = ReserveDepot::physical(tier);
    depot.parent = parent;
    // One storey of 3.5 m over the footprint.
    depot.volume_m3 = Some((site.area_m2 * 3.5).round().max(1.0));
    Some(generated(
        key,
        name,
        site,
        quarters,
        FacilityDetails::Reserve(depot),
    ))
}

fn generated(
    key: &str,
    name: Names,
    site: &Building,
    quarters: &[Quarter],
    details: FacilityDetails,
) -> Facility {
    let footprint = match &site.outline {
        Geometry::Polygon(p) => Some(geo::MultiPolygon(vec![p.clone()])),
        Geometry::MultiPolygon(p) => Some(p.clone()),
        _ => None,
    };
    Facility {
        id: facility_id(DEMO, key),
        version: 1,
        name,
        address: site.name.clone(),
        location: site.centre,
        footprint,
        admin: admin_of(quarters, site.centre),
        operator: Some("Refuge demo".into()),
        contact: None,
        designation: Designation::Designated,
        status: StatusReport::new(LiveStatus::Open, demo_time()),
        source: Source {
            dataset: DEMO.into(),
            record: Some(key.into()),
            crs: Crs::Wgs84,
        },
        details,
    }
}

/// A micro-storage site in every community centre and town hall, and in each quarter without one
/// the largest apartment building (standing for its property office).
fn micro_storage(
    facilities: &[Facility],
    buildings: &[Building],
    used: &mut Vec<u64>,
    quarters: &[Quarter],
    communities: &[Facility],
) -> Result<Vec<Facility>> {
    let depot_of = |at: LonLat| {
        let community = admin_of(quarters, at).community;
        communities
            .iter()
            .find(|d| d.admin.community == community)
            .map(|d| d.id)
    };
    let site = |at: LonLat, host: &str| MicroStorageSite {
        parent_depot: depot_of(at),
        host: Some(host.into()),
        keyholder: Some(Contact {
            name: Some(format!("{host} duty keyholder")),
            phone: None,
        }),
        open_hours: Some("24/7".into()),
    };
    let mut sites = Vec::new();
    for poi in facilities.iter().filter(|f| {
        matches!(&f.details, FacilityDetails::Poi(p) if matches!(p.poi_kind, PoiKind::CommunityCentre | PoiKind::Townhall))
    }) {
        let mut micro = poi.clone();
        micro.id = facility_id(DEMO, &format!("micro-{}", poi.id));
        micro.name = Names::new(
            Some(format!("{}微型应急物资储备点", poi.name.preferred(true))),
            Some(format!("{} micro-storage", poi.name.preferred(false))),
        )?;
        micro.source = Source { dataset: DEMO.into(), record: Some(format!("micro-{}", poi.id)), crs: Crs::Wgs84 };
        micro.status.status = LiveStatus::Open;
        micro.details = FacilityDetails::MicroStorage(site(poi.location, "community centre"));
        sites.push(micro);
    }
    for quarter in quarters {
        let has_one = sites
            .iter()
            .any(|s| s.admin.community.as_deref() == Some(quarter.name.as_str()));
        if has_one {
            continue;
        }
        let inside = |b: &Building| quarter.area.intersects(&b.centre.point());
        let Some(building) = pick(buildings, used, |b| {
            inside(b) && ["apartments", "residential"].contains(&b.class.as_str())
        })
        .or_else(|| pick(buildings, used, inside)) else {
            continue;
        };
        let zh = quarter
            .name_zh
            .clone()
            .unwrap_or_else(|| quarter.name.clone());
        sites.push(generated(
            &format!("micro-{}", quarter.name),
            Names::new(
                Some(format!("{zh}物业微型应急物资储备点")),
                Some(format!("{} property-office micro-storage", quarter.name)),
            )?,
            building,
            quarters,
            FacilityDetails::MicroStorage(site(building.centre, "property office")),
        ));
    }
    Ok(sites)
}

/// Stock by tier (district 2,000, sub-district 500, community 100 of every item; micro-storage 20
/// of the first-hour items), received on the demo date as one lot per item that expires after its
/// shelf life. Quotas: half the stocked amount is the minimum. One gap is left on purpose: the
/// first community depot received only 30 % of its water, so the demo shows a shortage.
fn stock(facilities: &[Facility], catalog: &Catalog) -> Result<(StockLedger, Vec<Quota>)> {
    let mut ledger = StockLedger::new();
    let mut quotas = Vec::new();
    let target = |f: &Facility, item: &str| -> Option<u64> {
        match (&f.details, f.kind()) {
            (FacilityDetails::Reserve(d), _) => Some(match d.tier {
                ReserveTier::District => 2_000,
                ReserveTier::Subdistrict => 500,
                ReserveTier::Community => 100,
            }),
            (_, FacilityKind::MicroStorage) => MICRO_ITEMS.contains(&item).then_some(20),
            _ => None,
        }
    };
    let first_community = facilities
        .iter()
        .filter(|f| {
            f.reserve()
                .is_some_and(|d| d.tier == ReserveTier::Community)
        })
        .map(|f| f.id)
        .min();
    let mut tiers_done = BTreeMap::new();
    for facility in facilities {
        for item in catalog.items() {
            let Some(amount) = target(facility, item.id.as_str()) else {
                continue;
            };
            let received =
                if Some(facility.id) == first_community && item.id.as_str() == "bottled_water" {
                    amount * 3 / 10
                } else {
                    amount
                };
            let expires = item
                .shelf_life_days
                .map(|days| demo_time().date_naive() + Days::new(u64::from(days)));
            ledger.record(Movement {
                facility: facility.id,
                item: item.id.clone(),
                kind: MovementKind::Receive {
                    lot: "DEMO-2026-01".into(),
                    quantity: received,
                    expires,
                },
                at: demo_time(),
                by: Some(DEMO.into()),
            })?;
            let tier = facility.reserve().map(|d| d.tier);
            let quota = Quota {
                facility: if tier.is_some() {
                    None
                } else {
                    Some(facility.id)
                },
                tier,
                item: item.id.clone(),
                minimum: amount / 2,
                target: amount,
            };
            let key = (tier, quota.facility, item.id.clone());
            if tiers_done.insert(key, ()).is_none() {
                quotas.push(quota);
            }
        }
    }
    Ok((ledger, quotas))
}
