//! Resupply plans through the API, on the demo city: the officer's case, checked by hand against
//! the stock and the resupply chain, and every bad request named.

use serde_json::{Value, json};
use tower::ServiceExt;

use super::writes::{fixture, send};

/// The shelter in a community with a community depot, and that depot's chain upwards.
async fn shelter_and_chain(f: &super::writes::Fixture) -> (u64, Vec<u64>) {
    let snapshot = f.state.index.snapshot();
    let depots: Vec<&refuge_core::FacilityBrief> = snapshot
        .facilities()
        .filter(|d| d.reserve().is_some())
        .collect();
    let shelter = snapshot
        .facilities()
        .filter(|s| s.shelter().is_some())
        .find(|s| {
            depots.iter().any(|d| {
                d.reserve().map(|r| r.tier) == Some(refuge_core::ReserveTier::Community)
                    && d.admin().community.is_some()
                    && d.admin().community == s.admin().community
            })
        })
        .unwrap();
    let mut chain = vec![
        depots
            .iter()
            .find(|d| {
                d.reserve().map(|r| r.tier) == Some(refuge_core::ReserveTier::Community)
                    && d.admin().community == shelter.admin().community
            })
            .unwrap()
            .id,
    ];
    while let Some(parent) = snapshot
        .get(*chain.last().unwrap())
        .and_then(|d| d.reserve())
        .and_then(|r| r.parent)
    {
        chain.push(parent);
    }
    (shelter.id.get(), chain.iter().map(|id| id.get()).collect())
}

#[tokio::test]
async fn the_officers_case_follows_the_chain_and_splits_where_it_must() {
    let f = fixture();
    let (shelter, chain) = shelter_and_chain(&f).await;
    assert_eq!(chain.len(), 3, "community → sub-district → district");
    let body = json!({
        "destination": shelter,
        "needs": [
            {"item": "bottled_water", "quantity": 2000},
            {"item": "blanket", "quantity": 300}
        ]
    });
    let (status, _, plan) = send(
        &f.state,
        "POST",
        "/api/v1/plans/resupply",
        Some(&f.logistics),
        &[],
        Some(body),
    )
    .await;
    assert_eq!(status, 201, "{plan}");
    let stages: Vec<Value> = plan["stages"].as_array().unwrap().clone();
    let chain_in_plan: Vec<u64> = stages
        .iter()
        .filter(|s| s["stage"] == "chain")
        .map(|s| s["depot"].as_u64().unwrap())
        .collect();
    assert_eq!(chain_in_plan, chain);
    assert_eq!(stages.last().unwrap()["stage"], "nearest");

    let today = chrono::Utc::now().date_naive();
    let ledger = f.state.ledger().clone();
    for (item, need) in [("bottled_water", 2000u64), ("blanket", 300)] {
        let item_id = refuge_core::ItemId::new(item).unwrap();
        let legs: Vec<&Value> = plan["legs"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|leg| leg["item"] == item)
            .collect();
        let unmet = plan["unmet"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["item"] == item)
            .map_or(0, |n| n["quantity"].as_u64().unwrap());
        let planned: u64 = legs.iter().map(|l| l["quantity"].as_u64().unwrap()).sum();
        assert_eq!(
            planned + unmet,
            need,
            "{item}: every unit is planned or unmet"
        );
        // By hand: each chain depot gives all it has (up to what is left), in tier order.
        let mut left = need;
        for depot in &chain {
            let usable = ledger.usable(
                refuge_core::FacilityId::new(*depot).unwrap(),
                &item_id,
                today,
            );
            let expected = left.min(usable);
            let given: u64 = legs
                .iter()
                .filter(|l| l["source"] == *depot)
                .map(|l| l["quantity"].as_u64().unwrap())
                .sum();
            assert_eq!(given, expected, "{item} from chain depot {depot}");
            left -= expected;
        }
        // Then the others, nearest first, never more than they hold.
        let mut last = 0.0;
        for leg in legs
            .iter()
            .filter(|l| !chain.contains(&l["source"].as_u64().unwrap()))
        {
            let distance = leg["distance_m"].as_f64().unwrap();
            assert!(distance >= last, "nearest first");
            last = distance;
            let source = refuge_core::FacilityId::new(leg["source"].as_u64().unwrap()).unwrap();
            assert!(leg["quantity"].as_u64().unwrap() <= ledger.usable(source, &item_id, today));
        }
        assert!(
            legs.len() > 1,
            "{item}: the demo city has no single depot with {need}: the plan splits"
        );
    }
}

#[tokio::test]
async fn a_place_can_be_the_destination() {
    let f = fixture();
    let (status, _, plan) = send(
        &f.state,
        "POST",
        "/api/v1/plans/resupply",
        Some(&f.logistics),
        &[],
        Some(json!({"destination": {"lon": 7.4246, "lat": 43.7384},
                    "needs": [{"item": "bottled_water", "quantity": 10}]})),
    )
    .await;
    assert_eq!(status, 201, "{plan}");
    assert!(plan.get("destination").is_none());
    assert_eq!(plan["legs"][0]["quantity"], 10);
    assert_eq!(plan["stages"][0]["tier"], "community");
}

#[tokio::test]
async fn bad_plan_requests_are_refused_by_name() {
    let f = fixture();
    let (shelter, _) = shelter_and_chain(&f).await;
    let need = |item: &str, quantity: i64| json!({"item": item, "quantity": quantity});
    for (body, names) in [
        (
            json!({"destination": shelter, "needs": [need("caviar", 5)]}),
            "not in the item catalogue",
        ),
        (
            json!({"destination": shelter, "needs": [need("blanket", 0)]}),
            "needs[0]",
        ),
        (
            json!({"destination": shelter, "needs": [need("blanket", -3)]}),
            "needs[0].quantity",
        ),
        (
            json!({"destination": shelter, "needs": [need("blanket", 2_000_000_000)]}),
            "needs[0]",
        ),
        (
            json!({"destination": shelter, "needs": [need("blanket", 1), need("blanket", 2)]}),
            "twice",
        ),
        (json!({"destination": shelter, "needs": []}), "at least one"),
        (
            json!({"destination": 424242, "needs": [need("blanket", 1)]}),
            "destination",
        ),
        (
            json!({"destination": {"lon": 200, "lat": 0}, "needs": [need("blanket", 1)]}),
            "destination",
        ),
        (
            json!({"destination": shelter, "needs": [need("blanket", 1)], "urgent": true}),
            "urgent",
        ),
    ] {
        let (status, _, answer) = send(
            &f.state,
            "POST",
            "/api/v1/plans/resupply",
            Some(&f.logistics),
            &[],
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, 400, "{body}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains(names), "{body}: {message}");
    }
    let body = json!({"destination": shelter, "needs": [need("blanket", 1)]});
    let (status, _, _) = send(
        &f.state,
        "POST",
        "/api/v1/plans/resupply",
        None,
        &[],
        Some(body.clone()),
    )
    .await;
    assert_eq!(status, 401);
    let (status, _, _) = send(
        &f.state,
        "POST",
        "/api/v1/plans/resupply",
        Some(&f.planner),
        &[],
        Some(body),
    )
    .await;
    assert_eq!(status, 403);
}

/// Three shelters asking for more blankets than the city holds: each gets the same share (to the
/// unit), the stock is used up, and no depot gives more than it has.
#[tokio::test]
async fn scarce_stock_is_shared_equally_across_shelters() {
    let f = fixture();
    let snapshot = f.state.index.snapshot();
    let shelters: Vec<u64> = snapshot
        .facilities()
        .filter(|s| s.shelter().is_some())
        .take(3)
        .map(|s| s.id.get())
        .collect();
    let today = chrono::Utc::now().date_naive();
    let blanket = refuge_core::ItemId::new("blanket").unwrap();
    let ledger = f.state.ledger().clone();
    let held: u64 = ledger
        .holders(&blanket, today)
        .iter()
        .filter(|(id, _)| {
            snapshot.get(*id).is_some_and(|f| {
                matches!(
                    f.kind(),
                    refuge_core::FacilityKind::Reserve | refuge_core::FacilityKind::MicroStorage
                )
            })
        })
        .map(|(_, n)| n)
        .sum();
    assert!(held > 0);
    let needs = [held, held * 2, held * 3];
    let body = json!({"destinations": shelters.iter().zip(needs).map(|(id, need)| {
        json!({"destination": id, "needs": [{"item": "blanket", "quantity": need}]})
    }).collect::<Vec<_>>()});
    let (status, _, allocation) = send(
        &f.state,
        "POST",
        "/api/v1/plans/allocation",
        Some(&f.logistics),
        &[],
        Some(body),
    )
    .await;
    assert_eq!(status, 201, "{allocation}");
    let coverage = allocation["coverage"].as_array().unwrap();
    let allocated: Vec<u64> = coverage
        .iter()
        .map(|c| c["allocated"].as_u64().unwrap())
        .collect();
    assert_eq!(
        allocated.iter().sum::<u64>(),
        held,
        "all the stock goes out"
    );
    // Needs 1 : 2 : 3 of six times the stock: each gets a sixth of its need, within the few
    // units that whole numbers leave over (those go where they travel least).
    for (got, need) in allocated.iter().zip(needs) {
        assert!(got.abs_diff(need / 6) <= 3, "{got} of {need}");
    }
    for (source, held) in ledger.holders(&blanket, today) {
        let given: u64 = allocation["shipments"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["source"] == source.get())
            .map(|s| s["quantity"].as_u64().unwrap())
            .sum();
        assert!(given <= held, "{source} gives {given} of {held}");
    }
    let (status, _, answer) = send(
        &f.state,
        "POST",
        "/api/v1/plans/allocation",
        Some(&f.logistics),
        &[],
        Some(json!({"destinations": [
            {"destination": shelters[0], "needs": [{"item": "blanket", "quantity": 1}]},
            {"destination": shelters[0], "needs": [{"item": "blanket", "quantity": 2}]}
        ]})),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("destinations[1].destination")
    );
}

/// A shelter with 200 people and 100 bottles of water: by the Sphere profile (3 L a person a day)
/// 55 L of 600 a day, 1,745 L short of three days, ordered in whole units of one water item; by
/// the catalogue (5 bottles a person a day) a tenth of a day, 2,900 bottles short; as JSON and as
/// CSV; an unknown profile is named.
#[tokio::test]
async fn days_of_supply_follow_occupancy_and_stock() {
    let f = fixture();
    let (shelter, _) = shelter_and_chain(&f).await;
    let (status, _, answer) = send(
        &f.state,
        "POST",
        &format!("/api/v1/facilities/{shelter}/status"),
        Some(&f.logistics),
        &[],
        Some(json!({"status": "open", "occupancy": 200})),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let (status, _, answer) = send(
        &f.state,
        "POST",
        "/api/v1/stock/movements",
        Some(&f.logistics),
        &[],
        Some(
            json!({"facility": shelter, "item": "bottled_water", "type": "receive",
                    "quantity": 100, "lot": "to the shelter"}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    let (status, _, report) = send(
        &f.state,
        "GET",
        "/api/v1/stock/supply?target_days=3",
        Some(&f.logistics),
        &[],
        None,
    )
    .await;
    assert_eq!(status, 200, "{report}");
    // Sphere: 3 L of drinking water a person a day, from bottles of 0.55 L (or tablets).
    assert_eq!(report["profile"]["name"], "sphere");
    let row = |report: &Value, need: &str| {
        report["shelters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["facility"] == shelter && s["need"] == need)
            .unwrap()
            .clone()
    };
    let water = row(&report, "drinking_water");
    assert_eq!(water["unit"], "L");
    assert_eq!(water["people"], 200);
    assert_eq!(water["daily_need"], 600.0);
    assert!((water["on_hand"].as_f64().unwrap() - 55.0).abs() < 1e-9);
    assert!((water["days"].as_f64().unwrap() - 55.0 / 600.0).abs() < 1e-9);
    let short = water["shortfall"].as_f64().unwrap();
    assert!((short - 1745.0).abs() < 1e-9, "{water}");
    let order = &water["order"];
    let per_unit = match order["item"].as_str().unwrap() {
        "bottled_water" => 0.55,
        "water_purification_tablet" => 1.0,
        other => panic!("water ordered as {other}"),
    };
    let units = order["quantity"].as_f64().unwrap();
    assert!(
        units * per_unit >= short && (units - 1.0) * per_unit < short,
        "{order}"
    );
    // Food energy: one need, whichever food item meets it; nothing at the shelter yet.
    let food = row(&report, "food_energy");
    assert_eq!(food["daily_need"], 420_000.0);
    assert_eq!(food["days"], 0.0);

    // The catalogue's rates, item by item: 5 bottles a person a day.
    let (status, _, report) = send(
        &f.state,
        "GET",
        "/api/v1/stock/supply?profile=catalogue",
        Some(&f.logistics),
        &[],
        None,
    )
    .await;
    assert_eq!(status, 200, "{report}");
    let water = row(&report, "bottled_water");
    assert_eq!(water["daily_need"], 1000.0);
    assert_eq!(water["on_hand"], 100.0);
    assert!((water["days"].as_f64().unwrap() - 0.1).abs() < 1e-9);
    assert_eq!(water["shortfall"], 2900.0);
    assert_eq!(
        water["order"],
        json!({"item": "bottled_water", "quantity": 2900})
    );
    assert!(!report["districts"].as_array().unwrap().is_empty());

    let csv = axum::body::to_bytes(
        refuge_server::app(f.state.clone())
            .oneshot(
                axum::http::Request::get("/api/v1/stock/supply?format=csv")
                    .header("authorization", format!("Bearer {}", f.logistics))
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap()
            .into_body(),
        1 << 20,
    )
    .await
    .unwrap();
    let csv = String::from_utf8(csv.to_vec()).unwrap();
    assert!(
        csv.starts_with(
            "facility,district,need,unit,people,daily_need,on_hand,days,shortfall,order_item,order_quantity"
        ),
        "{csv}"
    );
    assert!(csv.contains(&format!("{shelter},")));

    let (status, _, _) = send(&f.state, "GET", "/api/v1/stock/supply", None, &[], None).await;
    assert_eq!(status, 401);
    let (status, _, answer) = send(
        &f.state,
        "GET",
        "/api/v1/stock/supply?target_days=0",
        Some(&f.logistics),
        &[],
        None,
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("target_days")
    );
    let (status, _, answer) = send(
        &f.state,
        "GET",
        "/api/v1/stock/supply?profile=who",
        Some(&f.logistics),
        &[],
        None,
    )
    .await;
    assert_eq!(status, 400);
    let message = answer["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("`profile`") && message.contains("sphere"),
        "{message}"
    );
}

#[tokio::test]
async fn shortages_and_expiring_lots_are_listed() {
    let f = fixture();
    let get = |path: &'static str| send(&f.state, "GET", path, Some(&f.logistics), &[], None);
    let (status, _, all) = get("/api/v1/stock/shortages").await;
    assert_eq!(status, 200, "{all}");
    let all = all.as_array().unwrap().clone();
    assert!(!all.is_empty(), "the demo city has depots below quota");
    for line in &all {
        assert!(line["usable"].as_u64().unwrap() < line["minimum"].as_u64().unwrap());
    }
    let (_, _, district) = get("/api/v1/stock/shortages?tier=district").await;
    for line in district.as_array().unwrap() {
        assert_eq!(line["tier"], "district");
    }
    let (status, _, soon) = get("/api/v1/stock/expiring?within_days=3650").await;
    assert_eq!(status, 200);
    let soon = soon.as_array().unwrap();
    assert!(!soon.is_empty());
    let dates: Vec<&str> = soon
        .iter()
        .map(|l| l["expires"].as_str().unwrap())
        .collect();
    assert!(dates.windows(2).all(|w| w[0] <= w[1]), "soonest first");
    let (status, _, answer) = get("/api/v1/stock/expiring?within_days=5000").await;
    assert_eq!(status, 400, "{answer}");
    let (status, _, answer) = get("/api/v1/stock/shortages?tier=city").await;
    assert_eq!(status, 400, "{answer}");
}
