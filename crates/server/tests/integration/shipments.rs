//! Goods on the road through the API: dispatched off the source at once, received (short, with a
//! reason) at the destination, or called back; the stock adds up exactly and every step is in the
//! audit log; concurrent dispatches never take more than the source holds.

use serde_json::{Value, json};

use super::writes::{fixture, send};

async fn stock(f: &super::writes::Fixture, id: u64, item: &str) -> u64 {
    let (_, _, facility) = send(
        &f.state,
        "GET",
        &format!("/api/v1/facilities/{id}"),
        None,
        &[],
        None,
    )
    .await;
    facility["properties"]["stock"]
        .as_array()
        .map(|lines| {
            lines
                .iter()
                .find(|line| line["item"] == item)
                .map_or(0, |line| line["quantity"].as_u64().unwrap())
        })
        .unwrap_or(0)
}

fn first(f: &super::writes::Fixture, kind: refuge_core::FacilityKind) -> u64 {
    f.state
        .index
        .snapshot()
        .facilities()
        .find(|x| {
            x.kind() == kind
                && f.state.ledger().usable(
                    x.id,
                    &refuge_core::ItemId::new("bottled_water").unwrap(),
                    chrono::Utc::now().date_naive(),
                ) > 60
        })
        .unwrap()
        .id
        .get()
}

#[tokio::test]
async fn a_shipment_leaves_at_once_and_arrives_short_with_a_reason() {
    let f = fixture();
    let depot = first(&f, refuge_core::FacilityKind::Reserve);
    let shelter = f
        .state
        .index
        .snapshot()
        .facilities()
        .find(|x| x.shelter().is_some())
        .unwrap()
        .id
        .get();
    let (depot_before, shelter_before) = (
        stock(&f, depot, "bottled_water").await,
        stock(&f, shelter, "bottled_water").await,
    );
    let post = |path: String, body: Value| {
        let f = &f;
        async move { send(&f.state, "POST", &path, Some(&f.logistics), &[], Some(body)).await }
    };
    let (status, _, sent) = post(
        "/api/v1/shipments".into(),
        json!({"from": depot, "to": shelter, "item": "bottled_water", "quantity": 50}),
    )
    .await;
    assert_eq!(status, 201, "{sent}");
    let id = sent["shipment"]["shipment"].as_str().unwrap().to_owned();
    assert_eq!(
        stock(&f, depot, "bottled_water").await,
        depot_before - 50,
        "off the source at once"
    );
    assert_eq!(
        stock(&f, shelter, "bottled_water").await,
        shelter_before,
        "not there yet"
    );
    let (_, _, road) = send(
        &f.state,
        "GET",
        &format!("/api/v1/shipments?facility={shelter}"),
        Some(&f.logistics),
        &[],
        None,
    )
    .await;
    assert_eq!(road.as_array().unwrap().len(), 1);

    // More than was sent, or short without a reason: refused, nothing changes.
    for body in [json!({"received": 51}), json!({"received": 48})] {
        let (status, _, answer) = post(format!("/api/v1/shipments/{id}/receive"), body).await;
        assert_eq!(status, 400, "{answer}");
    }
    let (status, _, answer) = post(
        format!("/api/v1/shipments/{id}/receive"),
        json!({"received": 48, "reason": "two bottles broken"}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        stock(&f, shelter, "bottled_water").await,
        shelter_before + 48
    );
    assert_eq!(stock(&f, depot, "bottled_water").await, depot_before - 50);
    let (status, _, _) = post(
        format!("/api/v1/shipments/{id}/receive"),
        json!({"received": 1}),
    )
    .await;
    assert_eq!(status, 404, "received once");

    // A shipment called back returns to the source.
    let (_, _, sent) = post(
        "/api/v1/shipments".into(),
        json!({"from": depot, "to": shelter, "item": "bottled_water", "quantity": 10}),
    )
    .await;
    let id = sent["shipment"]["shipment"].as_str().unwrap().to_owned();
    let (status, _, _) = post(format!("/api/v1/shipments/{id}/cancel"), json!(null)).await;
    assert_eq!(status, 200);
    assert_eq!(stock(&f, depot, "bottled_water").await, depot_before - 50);

    let (_, _, audit) = send(
        &f.state,
        "GET",
        "/api/v1/audit?limit=10",
        Some(&f.admin),
        &[],
        None,
    )
    .await;
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for action in ["stock.dispatch", "stock.arrive", "stock.cancel"] {
        assert!(actions.contains(&action), "{actions:?}");
    }
    let (status, _, answer) = post(
        "/api/v1/shipments".into(),
        json!({"from": depot, "to": depot, "item": "bottled_water", "quantity": 1}),
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    let (status, _, answer) = post(
        "/api/v1/shipments".into(),
        json!({"from": depot, "to": shelter, "item": "bottled_water", "quantity": 1_000_000}),
    )
    .await;
    assert_eq!(status, 409, "{answer}");
}

/// 16 clients dispatching from one depot at once: together they never take more than it holds.
#[test]
fn concurrent_dispatches_never_overdraw() {
    let f = fixture();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let depot = first(&f, refuge_core::FacilityKind::Reserve);
    let shelter = f
        .state
        .index
        .snapshot()
        .facilities()
        .find(|x| x.shelter().is_some())
        .unwrap()
        .id
        .get();
    let before = runtime.block_on(stock(&f, depot, "bottled_water"));
    let each = before / 10 + 1;
    let sent: u64 = std::thread::scope(|scope| {
        let clients: Vec<_> = (0..16)
            .map(|_| {
                let (f, runtime) = (&f, &runtime);
                scope.spawn(move || {
                    runtime.block_on(async {
                        let (status, _, answer) = send(
                            &f.state,
                            "POST",
                            "/api/v1/shipments",
                            Some(&f.logistics),
                            &[],
                            Some(json!({"from": depot, "to": shelter, "item": "bottled_water", "quantity": each})),
                        )
                        .await;
                        match status.as_u16() {
                            201 => each,
                            409 => 0,
                            _ => panic!("{status}: {answer}"),
                        }
                    })
                })
            })
            .collect();
        clients.into_iter().map(|c| c.join().unwrap()).sum()
    });
    assert!(sent <= before, "sent {sent} of {before}");
    assert!(sent > 0 && sent / each < 16, "some went, some were refused");
    assert_eq!(
        runtime.block_on(stock(&f, depot, "bottled_water")),
        before - sent
    );
}
