//! Resupply plans: the chain first, then the nearest holders; checked against an exhaustive search
//! of every way to split the need on small random instances.

use chrono::{DateTime, NaiveDate, Utc};
use proptest::prelude::*;
use refuge_core::{
    Destination, Facility, FacilityDetails, FacilityId, GreatCircle, ItemId, MicroStorageSite,
    Movement, MovementKind, Need, ReserveDepot, ReserveTier, SpatialIndex, Stage, StockLedger,
    Transport, doc_support::shelter, plan_resupply,
};

fn id(n: u64) -> FacilityId {
    FacilityId::new(n).unwrap()
}

fn depot(n: u64, lon: f64, lat: f64, tier: ReserveTier, parent: Option<u64>) -> Facility {
    let mut facility = shelter(n, lon, lat);
    let mut depot = ReserveDepot::physical(tier);
    depot.parent = parent.map(id);
    facility.details = FacilityDetails::Reserve(depot);
    facility
}

fn site(n: u64, lon: f64, lat: f64) -> Facility {
    let mut facility = shelter(n, lon, lat);
    facility.details = FacilityDetails::MicroStorage(MicroStorageSite {
        parent_depot: None,
        host: None,
        keyholder: None,
        open_hours: None,
    });
    facility
}

fn water() -> ItemId {
    ItemId::new("bottled_water").unwrap()
}

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()
}

fn at() -> DateTime<Utc> {
    day().and_hms_opt(8, 0, 0).unwrap().and_utc()
}

fn receive(facility: u64, lot: &str, quantity: u64, expires: Option<NaiveDate>) -> Movement {
    Movement {
        facility: id(facility),
        item: water(),
        kind: MovementKind::Receive {
            lot: lot.into(),
            quantity,
            expires,
        },
        at: at() - chrono::Duration::days(30),
        by: None,
    }
}

/// A community depot (1) under a sub-district depot (2) under a district depot (3); two more
/// depots (4, 5) and a micro-storage site (6) outside the chain; a shelter (9) in community 1's
/// area. Stock as given, per source.
fn city(stock: &[(u64, u64, bool)], places: &[(f64, f64)]) -> (SpatialIndex, StockLedger) {
    let mut shelter_here = shelter(9, 7.42, 43.74);
    shelter_here.admin.community = Some("Here".into());
    let mut community = depot(1, places[0].0, places[0].1, ReserveTier::Community, Some(2));
    community.admin.community = Some("Here".into());
    let facilities = vec![
        shelter_here,
        community,
        depot(
            2,
            places[1].0,
            places[1].1,
            ReserveTier::Subdistrict,
            Some(3),
        ),
        depot(3, places[2].0, places[2].1, ReserveTier::District, None),
        depot(4, places[3].0, places[3].1, ReserveTier::Community, Some(2)),
        depot(
            5,
            places[4].0,
            places[4].1,
            ReserveTier::Subdistrict,
            Some(3),
        ),
        site(6, places[5].0, places[5].1),
    ];
    let mut ledger = StockLedger::new();
    for (n, (facility, quantity, expired)) in stock.iter().enumerate() {
        if *quantity > 0 {
            let expires = expired.then(|| day() - chrono::Duration::days(1));
            ledger
                .record(receive(*facility, &format!("lot {n}"), *quantity, expires))
                .unwrap();
        }
    }
    (SpatialIndex::new(facilities).unwrap(), ledger)
}

#[test]
fn the_chain_comes_first_then_the_nearest_and_the_rest_is_unmet() {
    let places = [
        (7.50, 43.80),   // the community depot, far
        (7.60, 43.90),   // its sub-district depot, farther
        (7.70, 44.00),   // the district depot, farthest
        (7.421, 43.741), // another community depot, next door
        (7.43, 43.75),
        (7.44, 43.76),
    ];
    let stock = [
        (1, 30, false),
        (1, 500, true), // expired: does not count
        (2, 20, false),
        (3, 10, false),
        (4, 25, false),
        (6, 7, false),
        (5, 3, false),
    ];
    let (index, ledger) = city(&stock, &places);
    let need = Need {
        item: water(),
        quantity: 100,
    };
    let plan = plan_resupply(
        &index,
        &ledger,
        Destination::Facility(id(9)),
        &[need],
        day(),
    )
    .unwrap();
    let legs: Vec<(u64, u64)> = plan
        .legs
        .iter()
        .map(|leg| (leg.source.get(), leg.quantity))
        .collect();
    // The chain, lowest tier first, even though depot 4 is next door; then nearest first.
    assert_eq!(
        legs,
        vec![(1, 30), (2, 20), (3, 10), (4, 25), (5, 3), (6, 7)]
    );
    assert_eq!(
        plan.unmet,
        vec![Need {
            item: water(),
            quantity: 5
        }]
    );
    assert_eq!(
        plan.stages,
        vec![
            Stage::Chain {
                depot: id(1),
                tier: ReserveTier::Community
            },
            Stage::Chain {
                depot: id(2),
                tier: ReserveTier::Subdistrict
            },
            Stage::Chain {
                depot: id(3),
                tier: ReserveTier::District
            },
            Stage::Nearest,
        ]
    );
    assert_eq!(plan.legs[0].lots.len(), 1, "the expired lot is not taken");
    assert_eq!(plan.legs[0].lots[0].lot, "lot 0");
}

#[test]
fn a_need_the_chain_covers_stays_in_the_chain() {
    let places = [
        (7.5, 43.8),
        (7.6, 43.9),
        (7.7, 44.0),
        (7.421, 43.741),
        (7.43, 43.75),
        (7.44, 43.76),
    ];
    let (index, ledger) = city(
        &[(1, 40, false), (2, 100, false), (4, 1_000, false)],
        &places,
    );
    let needs = [Need {
        item: water(),
        quantity: 90,
    }];
    let plan = plan_resupply(&index, &ledger, Destination::Facility(id(9)), &needs, day()).unwrap();
    let legs: Vec<(u64, u64)> = plan
        .legs
        .iter()
        .map(|l| (l.source.get(), l.quantity))
        .collect();
    assert_eq!(legs, vec![(1, 40), (2, 50)]);
    assert!(plan.unmet.is_empty());
}

/// The best split by brute force: every way to take from each source (usable units, metres
/// away, chain tier if any), ranked by the stated objective: as much as possible from each chain
/// tier in order, then as much in all as possible, then the fewest unit-kilometres. Returns what
/// the best takes from each tier, what it leaves unmet and its unit-kilometres.
fn exhaustive(sources: &[(u64, f64, Option<usize>)], need: u64) -> (Vec<u64>, u64, f64) {
    let mut best: Option<((Vec<u64>, u64), f64)> = None;
    let mut taken = vec![0u64; sources.len()];
    loop {
        let total: u64 = taken.iter().sum();
        if total <= need {
            let mut by_tier = vec![0u64; 3];
            let mut unit_km = 0.0;
            for ((_, metres, tier), quantity) in sources.iter().zip(&taken) {
                if let Some(tier) = tier {
                    by_tier[*tier] += quantity;
                }
                unit_km += *quantity as f64 * metres / 1_000.0;
            }
            let key = (by_tier, total);
            let better = best.as_ref().is_none_or(|(best_key, best_km)| {
                key > *best_key || (key == *best_key && unit_km < best_km - 1e-9)
            });
            if better {
                best = Some((key, unit_km));
            }
        }
        // The next combination, as an odometer.
        let mut i = 0;
        loop {
            if i == taken.len() {
                let ((by_tier, total), unit_km) = best.unwrap();
                return (by_tier, need - total, unit_km);
            }
            if taken[i] < sources[i].0 {
                taken[i] += 1;
                break;
            }
            taken[i] = 0;
            i += 1;
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn the_plan_is_the_best_split(
        stock in proptest::collection::vec((0u64..5, any::<bool>()), 6),
        places in proptest::collection::vec((7.30f64..7.60, 43.70f64..43.90), 6),
        need in 1u64..25,
    ) {
        let stock: Vec<(u64, u64, bool)> = stock
            .iter()
            .enumerate()
            .map(|(n, (quantity, expired))| (n as u64 + 1, *quantity, *expired && n % 2 == 0))
            .collect();
        let (index, ledger) = city(&stock, &places);
        let plan = plan_resupply(
            &index,
            &ledger,
            Destination::Facility(id(9)),
            &[Need { item: water(), quantity: need }],
            day(),
        )
        .unwrap();
        let destination = index.get(id(9)).unwrap().location;
        let sources: Vec<(u64, f64, Option<usize>)> = (1..=6)
            .map(|n| {
                let usable = ledger.usable(id(n), &water(), day());
                let metres = GreatCircle.distance_m(index.get(id(n)).unwrap().location, destination);
                let tier = (n <= 3).then(|| n as usize - 1);
                (usable, metres, tier)
            })
            .collect();
        let (tiers, unmet, unit_km) = exhaustive(&sources, need);
        let mut planned_tiers = vec![0u64; 3];
        for leg in &plan.legs {
            if leg.source.get() <= 3 {
                planned_tiers[leg.source.get() as usize - 1] += leg.quantity;
            }
            prop_assert!(leg.quantity <= ledger.usable(leg.source, &water(), day()));
            prop_assert_eq!(leg.lots.iter().map(|l| l.quantity).sum::<u64>(), leg.quantity);
        }
        let planned_unmet = plan.unmet.first().map_or(0, |n| n.quantity);
        prop_assert_eq!(planned_tiers, tiers);
        prop_assert_eq!(planned_unmet, unmet);
        prop_assert!((plan.unit_km - unit_km).abs() < 1e-6, "{} vs {}", plan.unit_km, unit_km);
    }
}

/// The best allocation by brute force, by the stated objective: the smallest share of need met
/// as large as possible, then as many units as possible, then the fewest unit-kilometres.
/// Returns that share (as units, need), the units and the unit-kilometres.
fn best_allocation(transport: &Transport) -> ((u64, u64), u64, f64) {
    let (sources, destinations) = (transport.stock.len(), transport.needs.len());
    let cells = sources * destinations;
    let cap = |cell: usize| {
        transport.stock[cell / destinations].min(transport.needs[cell % destinations])
    };
    let mut x = vec![0u64; cells];
    let mut best: Option<((u64, u64), u64, f64)> = None;
    loop {
        let fits = (0..sources).all(|s| {
            (0..destinations)
                .map(|d| x[s * destinations + d])
                .sum::<u64>()
                <= transport.stock[s]
        }) && (0..destinations).all(|d| {
            (0..sources).map(|s| x[s * destinations + d]).sum::<u64>() <= transport.needs[d]
        });
        if fits {
            let got = |d: usize| (0..sources).map(|s| x[s * destinations + d]).sum::<u64>();
            let share = (0..destinations)
                .filter(|&d| transport.needs[d] > 0)
                .map(|d| (got(d), transport.needs[d]))
                .min_by(|a, b| {
                    (u128::from(a.0) * u128::from(b.1)).cmp(&(u128::from(b.0) * u128::from(a.1)))
                })
                .unwrap_or((1, 1));
            let total: u64 = x.iter().sum();
            let km: f64 = (0..cells)
                .map(|c| {
                    x[c] as f64 * transport.metres[c / destinations][c % destinations] / 1_000.0
                })
                .sum();
            let better = best
                .as_ref()
                .is_none_or(|(best_share, best_total, best_km)| {
                    let shares = (u128::from(share.0) * u128::from(best_share.1))
                        .cmp(&(u128::from(best_share.0) * u128::from(share.1)));
                    shares.is_gt()
                        || (shares.is_eq()
                            && (total > *best_total
                                || (total == *best_total && km < best_km - 1e-9)))
                });
            if better {
                best = Some((share, total, km));
            }
        }
        let mut i = 0;
        loop {
            if i == cells {
                return best.unwrap();
            }
            if x[i] < cap(i) {
                x[i] += 1;
                break;
            }
            x[i] = 0;
            i += 1;
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(150))]

    /// The linear program's allocation is as good as the best of every possible one.
    #[test]
    fn the_allocation_is_the_best_by_brute_force(
        stock in proptest::collection::vec(0u64..5, 1..=2),
        needs in proptest::collection::vec(1u64..5, 1..=3),
        metres in proptest::collection::vec(100.0f64..50_000.0, 6),
    ) {
        let transport = Transport {
            metres: (0..stock.len())
                .map(|s| (0..needs.len()).map(|d| metres[s * 3 + d]).collect())
                .collect(),
            stock,
            needs,
        };
        let units = transport.solve().unwrap();
        let got = |d: usize| units.iter().map(|row| row[d]).sum::<u64>();
        for (s, row) in units.iter().enumerate() {
            prop_assert!(row.iter().sum::<u64>() <= transport.stock[s]);
        }
        for d in 0..transport.needs.len() {
            prop_assert!(got(d) <= transport.needs[d]);
        }
        let share = (0..transport.needs.len())
            .map(|d| (got(d), transport.needs[d]))
            .min_by(|a, b| (u128::from(a.0) * u128::from(b.1)).cmp(&(u128::from(b.0) * u128::from(a.1))))
            .unwrap();
        let total: u64 = units.iter().flatten().sum();
        let km: f64 = units
            .iter()
            .enumerate()
            .flat_map(|(s, row)| row.iter().enumerate().map(move |(d, q)| (s, d, *q)))
            .map(|(s, d, q)| q as f64 * transport.metres[s][d] / 1_000.0)
            .sum();
        let (best_share, best_total, best_km) = best_allocation(&transport);
        prop_assert_eq!(u128::from(share.0) * u128::from(best_share.1), u128::from(best_share.0) * u128::from(share.1), "smallest share");
        prop_assert_eq!(total, best_total);
        prop_assert!((km - best_km).abs() < 1e-6, "{} vs {}", km, best_km);
    }
}

/// A catalogue item with a per-person rate and what one unit gives.
fn food_or_water(
    id: &str,
    unit: refuge_core::Unit,
    rate: f64,
    water_l: Option<f64>,
    kcal: Option<f64>,
) -> refuge_core::Item {
    refuge_core::Item {
        id: ItemId::new(id).unwrap(),
        code: None,
        category: refuge_core::ItemCategory::BasicLiving,
        name: refuge_core::Names::new(None, Some(id.into())).unwrap(),
        unit,
        shelf_life_days: None,
        per_person_per_day: Some(rate),
        water_l,
        kcal,
    }
}

/// By the Sphere profile the food items stand in for each other: 10 kg of rice and 100 biscuits
/// are 92,000 kcal, 0.44 of a day for 100 people at 2,100 kcal; the catalogue profile counts each
/// item against its own rate. The shortfall is ordered in the first item enough is held of.
#[test]
fn food_items_stand_in_for_each_other_by_the_sphere_profile() {
    use refuge_core::{NeedsProfile, Unit, days_of_supply};
    let mut catalog = refuge_core::Catalog::default();
    for item in [
        food_or_water("bottled_water", Unit::Bottle, 5.0, Some(0.55), None),
        food_or_water("rice", Unit::Kg, 0.4, None, Some(3600.0)),
        food_or_water("compressed_biscuit", Unit::Pack, 4.0, None, Some(560.0)),
    ] {
        catalog.insert(item).unwrap();
    }
    let mut here = shelter(9, 7.42, 43.74);
    if let FacilityDetails::Shelter(s) = &mut here.details {
        s.occupancy = 100;
    }
    let index = SpatialIndex::new(vec![
        here,
        depot(1, 7.43, 43.74, ReserveTier::District, None),
    ])
    .unwrap();
    let stock = |facility: u64, item: &str, quantity: u64| Movement {
        item: ItemId::new(item).unwrap(),
        ..receive(facility, "L1", quantity, None)
    };
    let ledger = StockLedger::replay([
        stock(9, "rice", 10),
        stock(9, "compressed_biscuit", 100),
        stock(1, "rice", 10),
        stock(1, "compressed_biscuit", 5_000),
    ])
    .unwrap();

    let sphere = NeedsProfile::sphere(&catalog);
    let (rows, districts) = days_of_supply(&index, &ledger, &sphere, 3.0, None, day());
    let food = rows.iter().find(|r| r.need == "food_energy").unwrap();
    assert_eq!(food.daily_need, 210_000.0);
    assert_eq!(food.on_hand, 92_000.0);
    assert!((food.days - 92.0 / 210.0).abs() < 1e-12);
    assert_eq!(food.shortfall, 630_000.0 - 92_000.0);
    // The depots hold 36,000 kcal of rice (not enough) and 2.8M of biscuits: biscuits it is.
    let order = food.order.as_ref().unwrap();
    assert_eq!(order.item.as_str(), "compressed_biscuit");
    assert_eq!(order.quantity, (538_000.0_f64 / 560.0).ceil() as u64);
    assert_eq!(districts.len(), 2, "one district total per need");

    let catalogue = NeedsProfile::catalogue(&catalog);
    let (rows, _) = days_of_supply(&index, &ledger, &catalogue, 3.0, None, day());
    let rice = rows.iter().find(|r| r.need == "rice").unwrap();
    assert_eq!((rice.daily_need, rice.on_hand), (40.0, 10.0));
    assert_eq!(rows.len(), 3, "item by item");
}
