//! Plans carried out through the API, on the demo city: the officer's plan dispatched and
//! received adds up exactly with every step audited; a plan whose stock changed is refused and
//! writes nothing; a reserved plan holds its stock; concurrent dispatches of many plans from one
//! depot never take more than it holds.

use chrono::Utc;
use refuge_core::{FacilityId, ItemId};
use serde_json::{Value, json};

use super::writes::{Fixture, fixture, send};

/// Usable units of `item` at `id` today.
fn usable(f: &Fixture, id: u64, item: &str) -> u64 {
    f.state.ledger().usable(
        FacilityId::new(id).unwrap(),
        &ItemId::new(item).unwrap(),
        Utc::now().date_naive(),
    )
}

/// Usable units of `item` everywhere today.
fn everywhere(f: &Fixture, item: &str) -> u64 {
    let today = Utc::now().date_naive();
    let item = ItemId::new(item).unwrap();
    f.state
        .ledger()
        .holders(&item, today)
        .iter()
        .map(|(_, n)| n)
        .sum()
}

async fn post(f: &Fixture, path: &str, body: Value) -> (u16, Value) {
    let (status, _, answer) =
        send(&f.state, "POST", path, Some(&f.logistics), &[], Some(body)).await;
    (status.as_u16(), answer)
}

/// A resupply plan for `destination`, made and kept.
async fn plan(f: &Fixture, destination: Value, needs: Value) -> Value {
    let (status, plan) = post(
        f,
        "/api/v1/plans/resupply",
        json!({"destination": destination, "needs": needs}),
    )
    .await;
    assert_eq!(status, 201, "{plan}");
    assert_eq!(plan["state"], "proposed");
    plan
}

/// A shelter in a community with a community depot.
fn shelter(f: &Fixture) -> u64 {
    let snapshot = f.state.index.snapshot();
    snapshot
        .facilities()
        .filter(|s| s.shelter().is_some())
        .find(|s| {
            snapshot.facilities().any(|d| {
                d.reserve().map(|r| r.tier) == Some(refuge_core::ReserveTier::Community)
                    && d.admin().community.is_some()
                    && d.admin().community == s.admin().community
            })
        })
        .unwrap()
        .id
        .get()
}

fn dispatches(plan: &Value) -> Vec<Value> {
    plan["dispatches"].as_array().unwrap().clone()
}

#[tokio::test]
async fn the_officers_plan_is_dispatched_received_and_adds_up() {
    let f = fixture();
    let shelter = shelter(&f);
    let items = ["bottled_water", "blanket"];
    let plan = plan(
        &f,
        json!(shelter),
        json!([{"item": "bottled_water", "quantity": 2000}, {"item": "blanket", "quantity": 300}]),
    )
    .await;
    let id = plan["id"].as_str().unwrap().to_owned();
    let legs = dispatches(&plan);
    assert_eq!(
        legs.len(),
        plan["legs"].as_array().unwrap().len(),
        "one per leg"
    );
    let total_before: Vec<u64> = items.iter().map(|i| everywhere(&f, i)).collect();
    let shelter_before: Vec<u64> = items.iter().map(|i| usable(&f, shelter, i)).collect();
    let mut sources_before = std::collections::BTreeMap::new();
    for leg in &legs {
        let key = (
            leg["from"].as_u64().unwrap(),
            leg["item"].as_str().unwrap().to_owned(),
        );
        let held = usable(&f, key.0, &key.1);
        sources_before.entry(key).or_insert(held);
    }

    let (status, sent) = post(&f, &format!("/api/v1/plans/{id}/dispatch"), json!(null)).await;
    assert_eq!(status, 200, "{sent}");
    assert_eq!(sent["state"], "dispatched");
    assert!(dispatches(&sent).iter().all(|d| d["progress"] == "on_road"));
    for ((source, item), before) in &sources_before {
        let planned: u64 = legs
            .iter()
            .filter(|l| l["from"] == *source && l["item"] == item.as_str())
            .map(|l| l["quantity"].as_u64().unwrap())
            .sum();
        assert_eq!(
            usable(&f, *source, item),
            before - planned,
            "{item} off {source} at once"
        );
    }
    for (n, item) in items.iter().enumerate() {
        assert_eq!(
            usable(&f, shelter, item),
            shelter_before[n],
            "not there yet"
        );
    }
    let (status, again) = post(&f, &format!("/api/v1/plans/{id}/dispatch"), json!(null)).await;
    assert_eq!(
        (status, again["error"]["code"].as_str()),
        (409, Some("plan_state")),
        "{again}"
    );

    for leg in &legs {
        let shipment = leg["id"].as_str().unwrap();
        let received = leg["quantity"].as_u64().unwrap();
        let (status, answer) = post(
            &f,
            &format!("/api/v1/shipments/{shipment}/receive"),
            json!({"received": received}),
        )
        .await;
        assert_eq!(status, 200, "{answer}");
    }
    for (n, item) in items.iter().enumerate() {
        let planned: u64 = legs
            .iter()
            .filter(|l| l["item"] == *item)
            .map(|l| l["quantity"].as_u64().unwrap())
            .sum();
        assert_eq!(
            usable(&f, shelter, item),
            shelter_before[n] + planned,
            "{item} arrived"
        );
        assert_eq!(
            everywhere(&f, item),
            total_before[n],
            "no {item} lost or made"
        );
    }
    let (status, _, now) = send(
        &f.state,
        "GET",
        &format!("/api/v1/plans/{id}"),
        Some(&f.logistics),
        &[],
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(now["state"], "dispatched");
    assert!(dispatches(&now).iter().all(|d| d["progress"] == "arrived"));

    let (_, _, audit) = send(
        &f.state,
        "GET",
        "/api/v1/audit?limit=200",
        Some(&f.admin),
        &[],
        None,
    )
    .await;
    let entries = audit["entries"].as_array().unwrap();
    let count = |action: &str| entries.iter().filter(|e| e["action"] == action).count();
    assert_eq!(count("plan.make"), 1);
    assert_eq!(count("stock.dispatch"), legs.len());
    assert_eq!(count("stock.arrive"), legs.len());
}

/// A plan is dispatched only as it was made: when the lots its source would give now differ
/// (a lot expiring sooner arrived, or too little is left), it is a 409 that says to make a new
/// plan and writes nothing. A change that leaves its lots as they were does not stop it.
#[tokio::test]
async fn a_plan_whose_stock_changed_is_refused_and_writes_nothing() {
    let f = fixture();
    let shelter = shelter(&f);
    let needs = json!([{"item": "bottled_water", "quantity": 20}]);
    let movement = |source: u64, body: Value| {
        let mut body = body;
        body["facility"] = json!(source);
        body["item"] = json!("bottled_water");
        body
    };

    let sooner = plan(&f, json!(shelter), needs.clone()).await;
    let source = dispatches(&sooner)[0]["from"].as_u64().unwrap();
    let tomorrow = (Utc::now().date_naive() + chrono::Days::new(1)).to_string();
    let (status, answer) = post(
        &f,
        "/api/v1/stock/movements",
        movement(
            source,
            json!({"type": "receive", "quantity": 5, "lot": "early", "expires": tomorrow}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    let short = plan(&f, json!(shelter), needs.clone()).await;
    let rest = usable(&f, source, "bottled_water") - 10;
    let (status, answer) = post(
        &f,
        "/api/v1/stock/movements",
        movement(source, json!({"type": "issue", "quantity": rest})),
    )
    .await;
    assert_eq!(status, 201, "{answer}");

    for (what, stale) in [
        ("a sooner lot arrived", sooner),
        ("too little is left", short),
    ] {
        let movements = f.state.ledger().movements().len();
        let held = usable(&f, source, "bottled_water");
        let id = stale["id"].as_str().unwrap();
        let (status, answer) = post(&f, &format!("/api/v1/plans/{id}/dispatch"), json!(null)).await;
        assert_eq!(status, 409, "{what}: {answer}");
        assert_eq!(answer["error"]["code"], "stock_changed", "{what}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .unwrap()
                .contains("make a new plan"),
            "{answer}"
        );
        assert_eq!(
            f.state.ledger().movements().len(),
            movements,
            "{what}: nothing written"
        );
        assert_eq!(usable(&f, source, "bottled_water"), held);
        assert_eq!(f.state.ledger().in_transit().count(), 0);
    }

    let fresh = plan(
        &f,
        json!(shelter),
        json!([{"item": "bottled_water", "quantity": 5}]),
    )
    .await;
    let (status, answer) = post(
        &f,
        "/api/v1/stock/movements",
        movement(source, json!({"type": "issue", "quantity": 1})),
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    let id = fresh["id"].as_str().unwrap();
    let (status, answer) = post(&f, &format!("/api/v1/plans/{id}/dispatch"), json!(null)).await;
    assert_eq!(
        status, 200,
        "a change that leaves its lots as they were: {answer}"
    );
}

#[tokio::test]
async fn a_reserved_plan_holds_its_stock_until_dispatched_or_released() {
    let f = fixture();
    let shelter = shelter(&f);
    let planned = plan(
        &f,
        json!(shelter),
        json!([{"item": "bottled_water", "quantity": 30}]),
    )
    .await;
    let id = planned["id"].as_str().unwrap().to_owned();
    let leg = dispatches(&planned)[0].clone();
    let source = leg["from"].as_u64().unwrap();
    let quantity = leg["quantity"].as_u64().unwrap();
    let before = usable(&f, source, "bottled_water");

    let (status, reserved) = post(&f, &format!("/api/v1/plans/{id}/reserve"), json!(null)).await;
    assert_eq!(status, 200, "{reserved}");
    assert_eq!(reserved["state"], "reserved");
    assert_eq!(usable(&f, source, "bottled_water"), before - quantity);
    let detail = |token: Option<String>| {
        let f = &f;
        async move {
            let path = format!("/api/v1/facilities/{source}");
            send(&f.state, "GET", &path, token.as_deref(), &[], None)
                .await
                .2
        }
    };
    let staff = detail(Some(f.logistics.clone())).await;
    let holds = staff["properties"]["reserved"].as_array().unwrap();
    assert_eq!(holds.len(), 1, "{staff}");
    assert_eq!(holds[0]["hold"], leg["id"]);
    assert_eq!(holds[0]["lots"], leg["lots"], "the lots the plan saw");
    assert!(
        staff["properties"]["lots"].as_array().is_some(),
        "lots with expiry"
    );
    let public = detail(None).await;
    assert!(public["properties"].get("reserved").is_none(), "staff only");
    assert!(public["properties"].get("lots").is_none(), "staff only");
    let (status, answer) = post(
        &f,
        "/api/v1/stock/movements",
        json!({"facility": source, "item": "bottled_water", "type": "issue",
               "quantity": before - quantity + 1}),
    )
    .await;
    assert_eq!(status, 409, "reserved stock cannot be issued: {answer}");
    let (status, answer) = post(&f, &format!("/api/v1/plans/{id}/reserve"), json!(null)).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (409, Some("plan_state"))
    );

    let (status, released) = post(&f, &format!("/api/v1/plans/{id}/release"), json!(null)).await;
    assert_eq!(status, 200, "{released}");
    assert_eq!(released["state"], "released");
    assert_eq!(usable(&f, source, "bottled_water"), before);
    let (status, _) = post(&f, &format!("/api/v1/plans/{id}/dispatch"), json!(null)).await;
    assert_eq!(status, 409, "a released plan is not dispatched");

    // Reserved, then the rest of the source's stock moves: the reservation still goes out whole.
    let kept = plan(
        &f,
        json!(shelter),
        json!([{"item": "bottled_water", "quantity": 30}]),
    )
    .await;
    let id = kept["id"].as_str().unwrap();
    assert_eq!(
        post(&f, &format!("/api/v1/plans/{id}/reserve"), json!(null))
            .await
            .0,
        200
    );
    let source = dispatches(&kept)[0]["from"].as_u64().unwrap();
    let rest = usable(&f, source, "bottled_water");
    if rest > 0 {
        let (status, answer) = post(
            &f,
            "/api/v1/stock/movements",
            json!({"facility": source, "item": "bottled_water", "type": "issue", "quantity": rest}),
        )
        .await;
        assert_eq!(status, 201, "{answer}");
    }
    let (status, sent) = post(&f, &format!("/api/v1/plans/{id}/dispatch"), json!(null)).await;
    assert_eq!(status, 200, "{sent}");
    assert_eq!(sent["state"], "dispatched");
    let holds = f.state.ledger().holds().count();
    assert_eq!(holds, 0, "the reservation left with the shipment");
}

#[tokio::test]
async fn plans_that_cannot_be_carried_out_say_why() {
    let f = fixture();
    let place = plan(
        &f,
        json!({"lon": 7.4246, "lat": 43.7384}),
        json!([{"item": "bottled_water", "quantity": 10}]),
    )
    .await;
    let id = place["id"].as_str().unwrap();
    let (status, answer) = post(&f, &format!("/api/v1/plans/{id}/dispatch"), json!(null)).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (409, Some("plan_for_place")),
        "{answer}"
    );
    let (status, answer) = post(&f, &format!("/api/v1/plans/{id}/release"), json!(null)).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (409, Some("plan_state")),
        "{answer}"
    );
    let (status, answer) = post(&f, "/api/v1/plans/pl-nothing/dispatch", json!(null)).await;
    assert_eq!(status, 404, "{answer}");
    let (status, _, _) = send(
        &f.state,
        "POST",
        &format!("/api/v1/plans/{id}/dispatch"),
        None,
        &[],
        None,
    )
    .await;
    assert_eq!(status, 401, "a token is needed");
}

/// 16 plans drawing on one depot, made while it held everything, dispatched at once: together
/// they never take more than it holds, and each refused one writes nothing.
#[test]
fn concurrent_plan_dispatches_never_overdraw() {
    let f = fixture();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let shelter = shelter(&f);
    let first = runtime.block_on(plan(
        &f,
        json!(shelter),
        json!([{"item": "bottled_water", "quantity": 1}]),
    ));
    let depot = dispatches(&first)[0]["from"].as_u64().unwrap();
    let before = usable(&f, depot, "bottled_water");
    let each = before / 10 + 1;
    let plans: Vec<String> = (0..16)
        .map(|_| {
            let made = runtime.block_on(plan(
                &f,
                json!(shelter),
                json!([{"item": "bottled_water", "quantity": each}]),
            ));
            let legs = dispatches(&made);
            assert_eq!(legs.len(), 1, "all from the shelter's own depot");
            assert_eq!(legs[0]["from"].as_u64(), Some(depot));
            made["id"].as_str().unwrap().to_owned()
        })
        .collect();
    let movements = f.state.ledger().movements().len();
    let sent: u64 = std::thread::scope(|scope| {
        let clients: Vec<_> = plans
            .iter()
            .map(|id| {
                let (f, runtime) = (&f, &runtime);
                scope.spawn(move || {
                    runtime.block_on(async {
                        let path = format!("/api/v1/plans/{id}/dispatch");
                        match post(f, &path, json!(null)).await {
                            (200, _) => each,
                            (409, _) => 0,
                            (status, answer) => panic!("{status}: {answer}"),
                        }
                    })
                })
            })
            .collect();
        clients.into_iter().map(|c| c.join().unwrap()).sum()
    });
    assert!(sent <= before, "sent {sent} of {before}");
    assert!(sent > 0 && sent / each < 16, "some went, some were refused");
    assert_eq!(usable(&f, depot, "bottled_water"), before - sent);
    let booked = f.state.ledger().movements().len() - movements;
    assert_eq!(
        booked as u64,
        sent / each,
        "one movement per dispatched plan, none for the rest"
    );
}
