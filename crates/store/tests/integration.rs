//! The store on real files and a real PostgreSQL server: migrations, seed and load, versions,
//! refused writes, tokens, audit, backup and restore, copies between backends, the change log.
//! Each test that holds for every backend runs on each (see `refuge_store::testing`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::OnceLock;

use refuge_core::{
    Destination, FacilityDetails, ItemId, KeptPlan, Movement, MovementKind, Need, SpatialIndex,
    StockLedger, plan_resupply,
};
use refuge_io::demo::{City, demo_city, demo_time};
use refuge_store::testing::Scratch;
use refuge_store::{
    Actor, Change, Contents, Error, Role, SCHEMA_VERSION, Store, migrate_to_version, restore,
};

fn city() -> &'static City {
    static CITY: OnceLock<City> = OnceLock::new();
    CITY.get_or_init(|| demo_city().unwrap())
}

fn contents() -> Contents {
    let city = city();
    Contents {
        facilities: city.facilities.clone(),
        movements: city.ledger.movements().to_vec(),
        catalog: city.catalog.clone(),
        quotas: city.quotas.clone(),
        base: city.base.clone(),
        sources: vec![refuge_io::demo::source()],
        changes_through: 0,
    }
}

fn admin() -> Actor {
    Actor {
        name: "test admin".into(),
        role: Some(Role::Admin),
        token: None,
    }
}

#[test]
fn a_new_store_is_migrated_seeded_and_read_back_whole() {
    for scratch in Scratch::each() {
        let store = scratch.open();
        if scratch.backend() == "sqlite" {
            assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        }
        assert!(store.is_empty().unwrap());
        store.seed(&contents()).unwrap();
        assert!(!store.is_empty().unwrap());
        drop(store);
        let loaded = scratch.open().load_records().unwrap();
        assert_eq!(loaded.facilities.len(), city().facilities.len());
        let mut expected = city().facilities.clone();
        expected.sort_by_key(|f| f.id);
        assert_eq!(loaded.facilities, expected, "{}", scratch.backend());
        // What a server starts from: the brief of each record, as the index keeps it.
        let briefs: Vec<_> = expected
            .iter()
            .map(refuge_core::FacilityBrief::of)
            .collect();
        assert_eq!(scratch.open().load().unwrap().facilities, briefs);
        assert_eq!(loaded.movements, city().ledger.movements());
        assert_eq!(loaded.catalog, city().catalog);
        assert_eq!(loaded.quotas, city().quotas);
        assert_eq!(loaded.base, city().base, "{}", scratch.backend());
        assert_eq!(loaded.sources, vec![refuge_io::demo::source()]);
    }
}

#[test]
fn a_file_of_the_last_released_schema_is_upgraded_keeping_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    // Version 2: stores made by the first release.
    migrate_to_version(&path, 2).unwrap();
    let facility = &city().facilities[0];
    let base = &city().base[0];
    {
        // Write as the previous version would have: a facility row, a base feature stored twice
        // (that version did not stop it), no sources or activations tables yet.
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute(
            "INSERT INTO facilities (id, version, kind, body, updated_at) VALUES (?1, 1, ?2, ?3, 'then')",
            rusqlite::params![facility.id.get() as i64, facility.kind().as_str(), serde_json::to_string(facility).unwrap()],
        )
        .unwrap();
        for _ in 0..2 {
            conn.execute(
                "INSERT INTO base_features (id, layer, body) VALUES (?1, ?2, ?3)",
                rusqlite::params![
                    base.id as i64,
                    base.layer.as_str(),
                    serde_json::to_string(base).unwrap()
                ],
            )
            .unwrap();
        }
        assert!(
            conn.execute_batch("SELECT * FROM sources").is_err(),
            "no sources table before the upgrade"
        );
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    let loaded = store.load().unwrap();
    assert_eq!(loaded.facilities.len(), 1);
    assert_eq!(
        loaded.base.len(),
        1,
        "the twice-stored base feature is kept once"
    );
    // The OSM-derived facility's dataset becomes a source credited to OpenStreetMap, and the
    // base map is credited too.
    let credits: Vec<_> = loaded
        .sources
        .iter()
        .map(|s| s.attribution.as_str())
        .collect();
    assert!(
        credits.iter().any(|c| c.contains("OpenStreetMap")),
        "{credits:?}"
    );
    assert!(!store.is_empty().unwrap());
    assert!(store.activations().unwrap().is_empty());
    store
        .create_token("after upgrade", Role::Logistics, &admin())
        .unwrap();
}

#[test]
fn a_stale_version_conflicts_and_changes_nothing() {
    for scratch in Scratch::each() {
        let store = scratch.open();
        store.seed(&contents()).unwrap();
        a_stale_version_conflicts_on(&store);
    }
}

/// The demo city's first shelter.
fn first_shelter() -> refuge_core::Facility {
    city()
        .facilities
        .iter()
        .find(|f| f.shelter().is_some())
        .unwrap()
        .clone()
}

/// On a store seeded with the demo city.
fn a_stale_version_conflicts_on(store: &Store) {
    let mut shelter = first_shelter();
    if let FacilityDetails::Shelter(s) = &mut shelter.details {
        s.occupancy = 10;
    }
    let updated = store
        .update_facility(&shelter, 1, refuge_store::Action::FacilityStatus, &admin())
        .unwrap();
    assert_eq!(updated.version, 2);
    let err = store
        .update_facility(&shelter, 1, refuge_store::Action::FacilityStatus, &admin())
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Conflict {
                expected: 1,
                current: 2,
                ..
            }
        ),
        "{err}"
    );
    let stored = store.facility(shelter.id).unwrap().unwrap();
    assert_eq!(stored.version, 2);
    let audit = store.audit_log(10, None).unwrap();
    assert_eq!(audit[0].action, refuge_store::Action::FacilityStatus);
    assert_eq!(audit[0].actor, "test admin");
    assert_eq!(audit[0].before.as_ref().unwrap()["version"], 1);
    assert_eq!(audit[0].after.as_ref().unwrap()["occupancy"], 10);
}

#[test]
fn the_audit_log_keeps_a_new_or_removed_record_whole_and_of_a_change_only_what_changed() {
    let fields = |side: &Option<serde_json::Value>| -> Vec<String> {
        let mut fields: Vec<String> = side
            .as_ref()
            .unwrap()
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        fields.sort();
        fields
    };
    for scratch in Scratch::each() {
        let store = scratch.open();
        let mut shelter = first_shelter();
        shelter.address = None;
        let made = store.create_facility(&shelter, &admin()).unwrap();
        if let FacilityDetails::Shelter(s) = &mut shelter.details {
            s.occupancy += 7;
        }
        shelter.address = Some("1 Test Road".into());
        let changed = store
            .update_facility(
                &shelter,
                made.version,
                refuge_store::Action::FacilityStatus,
                &admin(),
            )
            .unwrap();
        store
            .delete_facility(shelter.id, changed.version, &admin())
            .unwrap();

        let log = store.audit_log(3, None).unwrap();
        let [removed, change, creation] = &log[..] else {
            panic!("three lines: {log:?}")
        };
        assert_eq!(creation.before, None);
        assert_eq!(
            creation.after.as_ref().unwrap()["name"],
            serde_json::json!(shelter.name)
        );
        // The address was none before, so its field is on the side that has it.
        assert_eq!(fields(&change.before), ["occupancy", "version"]);
        assert_eq!(fields(&change.after), ["address", "occupancy", "version"]);
        let occupancy =
            |side: &Option<serde_json::Value>| side.as_ref().unwrap()["occupancy"].as_u64();
        assert_eq!(
            occupancy(&change.after),
            occupancy(&change.before).map(|o| o + 7)
        );
        assert_eq!(removed.after, None);
        assert_eq!(removed.before.as_ref().unwrap()["version"], 2);
        assert!(fields(&removed.before).contains(&"location".to_owned()));
    }
}

#[test]
fn a_refused_movement_is_not_written() {
    for scratch in Scratch::each() {
        let store = scratch.open();
        store.seed(&contents()).unwrap();
        a_refused_movement_is_not_written_on(&store);
    }
}

/// On a store seeded with the demo city.
fn a_refused_movement_is_not_written_on(store: &Store) {
    let mut ledger = StockLedger::replay(store.load().unwrap().movements).unwrap();
    let depot = city()
        .facilities
        .iter()
        .find(|f| f.reserve().is_some())
        .unwrap()
        .id;
    let water = ItemId::new("bottled_water").unwrap();
    let issue = |quantity| Movement {
        facility: depot,
        item: water.clone(),
        kind: MovementKind::Issue { quantity },
        at: demo_time(),
        by: Some("test".into()),
    };
    let before = store.load().unwrap().movements.len();
    let too_much = issue(1_000_000);
    let err = store
        .append_movement(&too_much, &admin(), || ledger.record(too_much.clone()))
        .unwrap_err();
    assert!(matches!(err, Error::Rejected(_)), "{err}");
    assert_eq!(
        store.load().unwrap().movements.len(),
        before,
        "nothing written"
    );
    let fine = issue(5);
    store
        .append_movement(&fine, &admin(), || ledger.record(fine.clone()))
        .unwrap();
    assert_eq!(store.load().unwrap().movements.len(), before + 1);
    assert_eq!(
        store.audit_log(1, None).unwrap()[0].action,
        refuge_store::Action::StockIssue
    );
}

#[test]
fn a_kept_plan_is_read_back_and_kept_once() {
    for scratch in Scratch::each() {
        let store = scratch.open();
        store.seed(&contents()).unwrap();
        a_kept_plan_is_read_back_on(&store);
    }
}

/// On a store seeded with the demo city: the demo officer's plan, kept and read back whole, with
/// its audit entry; the same id cannot be kept twice. Returns the plan.
fn a_kept_plan_is_read_back_on(store: &Store) -> KeptPlan {
    let city = city();
    let index = SpatialIndex::new(city.facilities.clone()).unwrap();
    let shelter = city
        .facilities
        .iter()
        .find(|f| f.shelter().is_some())
        .unwrap()
        .id;
    let needs = [Need {
        item: ItemId::new("bottled_water").unwrap(),
        quantity: 2000,
    }];
    let day = demo_time().date_naive();
    let plan = plan_resupply(
        &index,
        &city.ledger,
        Destination::Facility(shelter),
        &needs,
        day,
    )
    .unwrap();
    assert!(!plan.legs.is_empty(), "the demo city has water");
    let kept = KeptPlan::resupply("pl-test".into(), plan, "test admin".into());
    store.keep_plan(&kept, &admin()).unwrap();
    assert_eq!(store.plan("pl-test").unwrap().as_ref(), Some(&kept));
    assert_eq!(store.plan("pl-other").unwrap(), None);
    assert!(
        store.keep_plan(&kept, &admin()).is_err(),
        "an id is kept once"
    );
    let audit = &store.audit_log(1, None).unwrap()[0];
    assert_eq!(audit.action, refuge_store::Action::PlanMake);
    assert_eq!(audit.target, "plan pl-test");
    kept
}

#[test]
fn a_population_layer_is_kept_whole_and_replaced() {
    for scratch in Scratch::each() {
        let store = scratch.open();
        assert_eq!(store.population().unwrap(), None);
        let layer = a_population_layer_is_kept_on(&store);
        let (smaller, _) = refuge_core::planning::PopulationLayer::from_points(
            "again".into(),
            &[(refuge_core::LonLat::new(7.42, 43.73).unwrap(), 5.0)],
            &[],
            9,
        )
        .unwrap();
        store.set_population(&smaller, &admin()).unwrap();
        assert_eq!(
            store.population().unwrap(),
            Some(smaller),
            "replaced, not added to"
        );
        assert_ne!(layer.cells.len(), 1);
    }
}

/// A layer of 2,000 points in two districts, kept and read back equal, with its audit entry.
fn a_population_layer_is_kept_on(store: &Store) -> refuge_core::planning::PopulationLayer {
    use refuge_core::planning::{District, PopulationLayer};
    let square = |lon: f64, half: f64| {
        geo::MultiPolygon(vec![
            geo::Rect::new((lon - half, 43.70), (lon + half, 43.76)).to_polygon(),
        ])
    };
    let districts = [
        District {
            name: "west".into(),
            code: "1".into(),
            area: square(7.40, 0.01),
        },
        District {
            name: "east".into(),
            code: "2".into(),
            area: square(7.43, 0.02),
        },
    ];
    let points: Vec<_> = (0..2000)
        .map(|n| {
            let at = refuge_core::LonLat::new(
                7.39 + f64::from(n % 50) * 0.001,
                43.71 + f64::from(n / 50) * 0.001,
            );
            (at.unwrap(), f64::from(n % 7) + 0.5)
        })
        .collect();
    let (layer, _) =
        PopulationLayer::from_points("survey.csv".into(), &points, &districts, 10).unwrap();
    store.set_population(&layer, &admin()).unwrap();
    assert_eq!(store.population().unwrap().as_ref(), Some(&layer));
    let audit = &store.audit_log(1, None).unwrap()[0];
    assert_eq!(audit.action, refuge_store::Action::PopulationImport);
    assert_eq!(audit.after.as_ref().unwrap()["cells"], layer.cells.len());
    layer
}

#[test]
fn tokens_are_shown_once_and_stored_as_hashes() {
    for scratch in Scratch::each() {
        tokens_are_shown_once_on(&scratch);
    }
}

fn tokens_are_shown_once_on(scratch: &Scratch) {
    let store = scratch.open();
    let (id, secret) = store
        .create_token("duty officer", Role::Logistics, &Actor::system())
        .unwrap();
    assert!(secret.starts_with("rfg_") && secret.len() == 68);
    let actor = store.authenticate(&secret).unwrap().unwrap();
    assert_eq!((actor.role, actor.token), (Some(Role::Logistics), Some(id)));
    assert!(actor.may(Role::Logistics) && !actor.may(Role::Planner));
    assert!(store.authenticate("rfg_wrong").unwrap().is_none());
    if scratch.backend() == "sqlite" {
        // The new row is in the WAL until a checkpoint: read the store's files, and find its
        // hash there (so the search looks where the data is), but not the secret.
        let path = std::path::Path::new(&scratch.location);
        let mut on_disk = std::fs::read(path).unwrap();
        on_disk.extend(std::fs::read(path.with_extension("db-wal")).unwrap_or_default());
        let found = |needle: &[u8]| on_disk.windows(needle.len()).any(|w| w == needle);
        let digest = refuge_store::token_hash(&secret);
        assert!(found(&digest), "the token's hash is on disk");
        assert!(!found(secret.as_bytes()), "the secret is not");
    } else {
        let mut client = postgres::Client::connect(&scratch.location, postgres::NoTls).unwrap();
        let rows = client.query("SELECT hash FROM tokens", &[]).unwrap();
        let hashes: Vec<Vec<u8>> = rows.iter().map(|row| row.get(0)).collect();
        assert_eq!(hashes, vec![refuge_store::token_hash(&secret)]);
        let dump: i64 = client
            .query_one(
                "SELECT count(*) FROM tokens WHERE position($1 in tokens::text) > 0",
                &[&secret],
            )
            .unwrap()
            .get(0);
        assert_eq!(dump, 0, "the secret is stored nowhere in the row");
    }
    assert!(store.revoke_token(id, &Actor::system()).unwrap());
    assert!(store.authenticate(&secret).unwrap().is_none(), "revoked");
    assert!(store.tokens().unwrap()[0].revoked_at.is_some());
}

/// A checked token is remembered, so the next check needs no SQLite; revoking it through the
/// store forgets it at once, and a revocation by another process is seen within TOKEN_RECHECK.
#[test]
fn a_remembered_token_is_forgotten_when_revoked() {
    for scratch in Scratch::each() {
        a_remembered_token_is_forgotten_on(&scratch);
    }
}

fn a_remembered_token_is_forgotten_on(scratch: &Scratch) {
    let store = scratch.open();
    let (first, secret) = store
        .create_token("duty officer", Role::Logistics, &Actor::system())
        .unwrap();
    assert!(store.known_token(&secret).is_none(), "not checked yet");
    assert!(store.authenticate(&secret).unwrap().is_some());
    assert_eq!(store.known_token(&secret).unwrap().token, Some(first));
    assert!(store.known_token("rfg_wrong").is_none());
    store.revoke_token(first, &Actor::system()).unwrap();
    assert!(store.known_token(&secret).is_none());
    assert!(store.authenticate(&secret).unwrap().is_none());

    // Revoked by another process (another store on the same data): the server stops
    // accepting the token once its check is older than TOKEN_RECHECK.
    let (second, secret) = store
        .create_token("night shift", Role::Logistics, &Actor::system())
        .unwrap();
    assert!(store.authenticate(&secret).unwrap().is_some());
    let other = scratch.open();
    assert!(other.revoke_token(second, &Actor::system()).unwrap());
    std::thread::sleep(refuge_store::TOKEN_RECHECK + std::time::Duration::from_millis(100));
    assert!(store.known_token(&secret).is_none());
    assert!(store.authenticate(&secret).unwrap().is_none());
}

#[test]
fn an_expired_token_stops_working() {
    for scratch in Scratch::each() {
        an_expired_token_stops_working_on(&scratch.open());
    }
}

fn an_expired_token_stops_working_on(store: &Store) {
    let past = chrono::Utc::now() - chrono::Duration::minutes(1);
    let future = chrono::Utc::now() + chrono::Duration::days(1);
    let (_, expired) = store
        .create_expiring_token("last shift", Role::Logistics, Some(past), &Actor::system())
        .unwrap();
    let (_, current) = store
        .create_expiring_token(
            "this shift",
            Role::Logistics,
            Some(future),
            &Actor::system(),
        )
        .unwrap();
    assert!(store.authenticate(&expired).unwrap().is_none());
    assert!(store.authenticate(&current).unwrap().is_some());
    assert!(store.tokens().unwrap()[0].expires_at.is_some());
}

#[test]
fn backup_of_a_live_store_restores() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live.db");
    let store = Store::open(&live).unwrap();
    store.seed(&contents()).unwrap();
    let backup = dir.path().join("backup.db");
    store.backup(&backup).unwrap();
    let shelter = city()
        .facilities
        .iter()
        .find(|f| f.shelter().is_some())
        .unwrap();
    store.delete_facility(shelter.id, 1, &admin()).unwrap();
    drop(store);
    restore(&backup, &live).unwrap();
    let restored = Store::open(&live).unwrap();
    assert_eq!(restored.integrity_check().unwrap(), "ok");
    assert_eq!(
        restored.load().unwrap().facilities.len(),
        city().facilities.len(),
        "the deleted shelter is back"
    );
    let junk = dir.path().join("junk.db");
    std::fs::write(
        &junk,
        b"not a database at all, just text that is long enough to be a header",
    )
    .unwrap();
    assert!(restore(&junk, &live).is_err());
    assert_eq!(
        Store::open(&live).unwrap().load().unwrap().facilities.len(),
        city().facilities.len()
    );
}

/// A store copied to PostgreSQL and back equals the original: facilities at their versions, the
/// stock movements, activations, tokens (whose secrets go on working) and the whole audit log.
#[test]
fn a_store_copied_to_postgres_and_back_is_the_same() {
    let Some(shared) = Scratch::postgres() else {
        return;
    };
    let first = Scratch::sqlite();
    let store = first.open();
    store.seed(&contents()).unwrap();
    a_stale_version_conflicts_on(&store);
    a_refused_movement_is_not_written_on(&store);
    let plan = a_kept_plan_is_read_back_on(&store);
    let population = a_population_layer_is_kept_on(&store);
    let (_, secret) = store
        .create_token("duty officer", Role::Logistics, &admin())
        .unwrap();
    let copied = store.copy_into(&shared.open()).unwrap();
    assert_eq!(copied.facilities, city().facilities.len());
    assert!(copied.audit >= 4 && copied.tokens == 1, "{copied:?}");
    let back = Scratch::sqlite();
    shared.open().copy_into(&back.open()).unwrap();

    for (name, copy) in [("postgres", shared.open()), ("the copy back", back.open())] {
        let (original, copied) = (store.load_records().unwrap(), copy.load_records().unwrap());
        assert_eq!(copied.facilities, original.facilities, "{name}");
        assert_eq!(copied.movements, original.movements, "{name}");
        assert_eq!(copied.catalog, original.catalog, "{name}");
        assert_eq!(copied.quotas, original.quotas, "{name}");
        assert_eq!(copied.base, original.base, "{name}");
        assert_eq!(copied.sources, original.sources, "{name}");
        assert_eq!(
            copy.audit_log(1000, None).unwrap(),
            store.audit_log(1000, None).unwrap(),
            "{name}"
        );
        assert_eq!(copy.tokens().unwrap(), store.tokens().unwrap(), "{name}");
        assert_eq!(copy.activations().unwrap(), store.activations().unwrap());
        assert_eq!(copy.plan(&plan.id).unwrap().as_ref(), Some(&plan), "{name}");
        assert_eq!(
            copy.population().unwrap().as_ref(),
            Some(&population),
            "{name}"
        );
        assert!(copy.authenticate(&secret).unwrap().is_some(), "{name}");
        // Numbers given after the copy come after the copied ones.
        let (id, _) = copy.create_token("after", Role::Planner, &admin()).unwrap();
        assert_eq!(id, 2, "{name}");
        let last_copied = store.audit_log(1, None).unwrap()[0].seq;
        assert_eq!(copy.audit_log(1, None).unwrap()[0].seq, last_copied + 1);
    }
    let err = store.copy_into(&shared.open()).unwrap_err();
    assert!(err.to_string().contains("not empty"), "{err}");
}

/// Two servers on one PostgreSQL store: each change one commits is in the log, in commit order,
/// and a server that has not taken the other's changes cannot write until it has.
#[test]
fn servers_on_one_database_follow_each_others_changes() {
    let Some(shared) = Scratch::postgres() else {
        return;
    };
    let (a, b) = (shared.open(), shared.open());
    a.seed(&contents()).unwrap();
    let through = b.load().unwrap().changes_through;
    assert!(through > 0, "the seed is in the log");
    a.follow(a.load().unwrap().changes_through);
    b.follow(through);

    let mut shelter = first_shelter();
    if let FacilityDetails::Shelter(s) = &mut shelter.details {
        s.occupancy = 42;
    }
    let written = a
        .update_facility(&shelter, 1, refuge_store::Action::FacilityStatus, &admin())
        .unwrap();
    assert_eq!(a.followed(), through + 1, "a's own write moves it on");

    // b has not taken it: its write is refused with nothing written.
    let err = b
        .update_facility(&shelter, 2, refuge_store::Action::FacilityStatus, &admin())
        .unwrap_err();
    assert!(matches!(err, Error::Behind { .. }), "{err}");
    let changes = b.changes_since(b.followed(), 1000).unwrap();
    assert!(changes.complete);
    assert_eq!(
        changes.changes,
        vec![(through + 1, Change::Facility(Box::new(written)))]
    );
    b.follow(changes.through);
    let written = b
        .update_facility(&shelter, 2, refuge_store::Action::FacilityStatus, &admin())
        .unwrap();
    assert_eq!(written.version, 3);
    let removed = a.changes_since(a.followed(), 1000).unwrap();
    assert_eq!(removed.changes.len(), 1);

    // A notification wakes a waiting follower.
    let waiter = std::thread::spawn(move || b.wait_for_changes(std::time::Duration::from_secs(10)));
    std::thread::sleep(std::time::Duration::from_millis(300));
    a.follow(removed.through);
    a.delete_facility(shelter.id, 3, &admin()).unwrap();
    assert!(waiter.join().unwrap().unwrap(), "woken by the commit");
    let after = a.changes_since(removed.through - 1, 1000).unwrap();
    assert_eq!(after.changes.last().unwrap().1, Change::Removed(shelter.id));
}

/// A server in its turn catches up and writes while another server's write waits for the turn
/// to end: the waiting write commits after it, never before.
#[test]
fn a_server_in_its_turn_writes_while_the_others_wait() {
    let Some(shared) = Scratch::postgres() else {
        return;
    };
    let (a, b) = (shared.open(), shared.open());
    a.seed(&contents()).unwrap();
    let through = a.load().unwrap().changes_through;
    a.follow(through);
    b.follow(through);
    let shelter = |occupancy| {
        let mut shelter = first_shelter();
        if let FacilityDetails::Shelter(s) = &mut shelter.details {
            s.occupancy = occupancy;
        }
        shelter
    };
    b.update_facility(
        &shelter(1),
        1,
        refuge_store::Action::FacilityStatus,
        &admin(),
    )
    .unwrap();
    let (taken, turn_taken) = std::sync::mpsc::channel();
    let (go, may_go) = std::sync::mpsc::channel::<()>();
    let waiting = std::thread::scope(|scope| {
        let a = &a;
        let in_turn = scope.spawn(move || {
            a.in_turn(|| {
                taken.send(()).unwrap();
                // b's write is now waiting for this turn; let it wait a while.
                may_go.recv().unwrap();
                std::thread::sleep(std::time::Duration::from_millis(300));
                let behind = a.changes_since(a.followed(), 1000).unwrap();
                a.follow(behind.through);
                a.update_facility(
                    &shelter(2),
                    2,
                    refuge_store::Action::FacilityStatus,
                    &admin(),
                )
                .unwrap()
            })
            .unwrap()
        });
        turn_taken.recv().unwrap();
        let b_writes = scope.spawn(|| {
            b.follow(b.followed());
            // b is now behind a's write-to-be, or waits for it: either way not before it.
            b.update_facility(
                &shelter(3),
                2,
                refuge_store::Action::FacilityStatus,
                &admin(),
            )
        });
        go.send(()).unwrap();
        let written = in_turn.join().unwrap();
        (written, b_writes.join().unwrap())
    });
    let (written, b_answer) = waiting;
    assert_eq!(written.version, 3, "a wrote in its turn");
    // b waited for the turn, then found a's write: refused as behind, or as a stale version.
    assert!(
        matches!(
            b_answer,
            Err(Error::Behind { .. }) | Err(Error::Conflict { .. })
        ),
        "{b_answer:?}"
    );
}

#[test]
fn a_wrong_or_unreachable_database_is_named_without_its_password() {
    for url in [
        "postgres://refuge:hunter2@127.0.0.1:1/refuge",
        "postgres://refuge:hunter2@127.0.0.1:1/refuge?connect_timeout=bogus",
    ] {
        let err = Store::at(url).unwrap_err().to_string();
        assert!(!err.contains("hunter2"), "{err}");
        assert!(
            err.contains("127.0.0.1") || err.contains("connection string"),
            "{err}"
        );
    }
}

#[test]
fn a_database_of_a_newer_schema_is_refused() {
    let Some(shared) = Scratch::postgres() else {
        return;
    };
    drop(shared.open());
    let mut client = postgres::Client::connect(&shared.location, postgres::NoTls).unwrap();
    client
        .batch_execute("UPDATE refuge_schema SET version = 99")
        .unwrap();
    let err = Store::at(&shared.location).unwrap_err();
    assert!(matches!(err, Error::TooNew { found: 99, .. }), "{err}");
}

/// What QGIS and ogrinfo list: one layer per kind, with its geometry type and SRID, and the
/// features of that kind.
#[test]
fn each_kind_is_a_layer_with_its_geometry_type_for_qgis() {
    let Some(shared) = Scratch::postgres() else {
        return;
    };
    shared.open().seed(&contents()).unwrap();
    let mut client = postgres::Client::connect(&shared.location, postgres::NoTls).unwrap();
    let count = |kind: &str| {
        city()
            .facilities
            .iter()
            .filter(|f| f.kind().as_str() == kind)
            .count() as i64
    };
    for (view, kind) in [
        ("refuge_shelters", "shelter"),
        ("refuge_reserves", "reserve"),
        ("refuge_micro_storage", "micro_storage"),
        ("refuge_hazards", "hazard"),
    ] {
        let row = client
            .query_one(
                "SELECT type, srid FROM geometry_columns WHERE f_table_name = $1",
                &[&view],
            )
            .unwrap();
        assert_eq!(
            (row.get::<_, String>(0), row.get::<_, i32>(1)),
            ("POINT".into(), 4326),
            "{view}"
        );
        let rows: i64 = client
            .query_one(&format!("SELECT count(*) FROM {view}"), &[])
            .unwrap()
            .get(0);
        assert_eq!(rows, count(kind), "{view}");
        assert!(rows > 0, "the demo city has some of each: {view}");
    }
    let zones = client
        .query_one(
            "SELECT type, srid FROM geometry_columns WHERE f_table_name = 'refuge_hazard_zones'",
            &[],
        )
        .unwrap();
    assert_eq!(zones.get::<_, String>(0), "MULTIPOLYGON");
    let with_areas = city()
        .facilities
        .iter()
        .filter_map(|f| f.hazard())
        .filter(|h| {
            matches!(
                h.zone,
                Some(geo::Geometry::Polygon(_) | geo::Geometry::MultiPolygon(_))
            )
        })
        .count() as i64;
    let rows: i64 = client
        .query_one("SELECT count(*) FROM refuge_hazard_zones", &[])
        .unwrap()
        .get(0);
    assert_eq!(rows, with_areas);
    // What GDAL (and so QGIS) makes of them: each view a layer of its geometry type and count.
    let ogrinfo = std::process::Command::new("ogrinfo")
        .arg("--version")
        .output();
    if ogrinfo.is_err() {
        assert!(
            std::env::var("REFUGE_REQUIRE_POSTGRES").is_err(),
            "CI installs gdal-bin for ogrinfo"
        );
        eprintln!("SKIPPED: the ogrinfo half of this test (install gdal-bin)");
    } else {
        let config: postgres::Config = shared.location.parse().unwrap();
        let host = match &config.get_hosts()[0] {
            postgres::config::Host::Tcp(host) => host.clone(),
            postgres::config::Host::Unix(path) => path.display().to_string(),
        };
        let source = format!(
            "PG:host={host} port={} user={} dbname={}",
            config.get_ports()[0],
            config.get_user().unwrap(),
            config.get_dbname().unwrap()
        );
        for (view, geometry, expected) in [
            ("refuge_shelters", "Point", count("shelter")),
            ("refuge_reserves", "Point", count("reserve")),
            ("refuge_micro_storage", "Point", count("micro_storage")),
            ("refuge_hazards", "Point", count("hazard")),
            ("refuge_hazard_zones", "Multi Polygon", rows),
        ] {
            let output = std::process::Command::new("ogrinfo")
                .args(["-ro", "-so", &source, view])
                .output()
                .unwrap();
            let said = String::from_utf8_lossy(&output.stdout);
            assert!(
                said.contains(&format!("Geometry: {geometry}\n")),
                "{view}: {said}"
            );
            assert!(
                said.contains(&format!("Feature Count: {expected}\n")),
                "{view}: {said}"
            );
        }
    }
    // A shelter's position in the view is its position in Refuge.
    let shelter = city()
        .facilities
        .iter()
        .find(|f| f.shelter().is_some())
        .unwrap();
    let row = client
        .query_one(
            "SELECT ST_X(geom), ST_Y(geom), name FROM refuge_shelters WHERE id = $1",
            &[&(shelter.id.get() as i64)],
        )
        .unwrap();
    assert_eq!(row.get::<_, f64>(0), shelter.location.lon());
    assert_eq!(row.get::<_, f64>(1), shelter.location.lat());
    assert_eq!(
        row.get::<_, Option<String>>(2),
        shelter.name.zh.clone().or(shelter.name.en.clone())
    );
}

/// A server's last handle on its store may go on a thread that drives async tasks, as it stops:
/// closing the PostgreSQL connections there must not panic.
#[test]
fn a_postgres_store_can_be_dropped_inside_an_async_runtime() {
    let Some(shared) = Scratch::postgres() else {
        return;
    };
    let store = shared.open();
    store.seed(&contents()).unwrap();
    assert!(!store.load().unwrap().facilities.is_empty());
    let runtime = std::thread::spawn(move || {
        // What tokio's block_on does to the thread: a runtime context, where blocking on another
        // runtime panics.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(async move { drop(store) });
    });
    runtime.join().expect("dropped without a panic");
}

/// What QGIS shows of the population: each cell as its hexagon with its people and district, and
/// each district as its outline, kept whenever a layer is imported, and filled in for a layer a
/// store held before it kept them.
#[test]
fn the_population_and_its_districts_are_layers_for_qgis() {
    use geo::Centroid;
    let Some(shared) = Scratch::postgres() else {
        return;
    };
    // A store from before the hexagons were kept (schema 4), holding a layer: made by undoing
    // migration 5 under a layer.
    let layer = a_population_layer_is_kept_on(&shared.open());
    let mut client = postgres::Client::connect(&shared.location, postgres::NoTls).unwrap();
    client
        .batch_execute(
            "DROP VIEW refuge_population; DROP VIEW refuge_districts;
             DROP TABLE population_districts;
             ALTER TABLE population_cells DROP COLUMN geom, DROP COLUMN id;
             UPDATE refuge_schema SET version = 4;",
        )
        .unwrap();
    drop(shared.open());
    let version: i32 = client
        .query_one("SELECT version FROM refuge_schema", &[])
        .unwrap()
        .get(0);
    assert!(version >= 5, "opening the store brought it up to date");
    for (view, geometry) in [
        ("refuge_population", "POLYGON"),
        ("refuge_districts", "MULTIPOLYGON"),
    ] {
        let row = client
            .query_one(
                "SELECT type, srid FROM geometry_columns WHERE f_table_name = $1",
                &[&view],
            )
            .unwrap();
        assert_eq!(
            (row.get::<_, String>(0), row.get::<_, i32>(1)),
            (geometry.into(), 4326),
            "{view}"
        );
    }
    let (cells, people): (i64, f64) = {
        let row = client
            .query_one("SELECT count(*), sum(people) FROM refuge_population", &[])
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert_eq!(
        cells,
        layer.cells.len() as i64,
        "every cell, filled in on opening"
    );
    let total: f64 = layer.cells.iter().map(|c| c.people).sum();
    assert!((people - total).abs() < 1e-6 * total, "{people} vs {total}");
    // Each hexagon is its cell's: named by its H3 index, around its centre, of its area.
    for cell in layer.cells.iter().step_by(37) {
        let hexagon = geo::Polygon::new(geo::LineString::from(cell.cell.boundary()), vec![]);
        let centre = hexagon.centroid().unwrap();
        let row = client
            .query_one(
                "SELECT bool_and(ST_Contains(geom, ST_SetSRID(ST_MakePoint($2, $3), 4326))),
                        min(ST_Area(geom::geography)), max(district_name)
                 FROM refuge_population WHERE h3 = $1",
                &[&cell.cell.to_string(), &centre.x(), &centre.y()],
            )
            .unwrap();
        assert_eq!(row.get::<_, Option<bool>>(0), Some(true), "{}", cell.cell);
        let area: f64 = row.get(1);
        let expected = cell.cell.area_m2();
        assert!(
            (area - expected).abs() < 0.01 * expected,
            "{area} m² vs {expected} m²"
        );
        let district = cell
            .district
            .map(|d| layer.districts[d as usize].name.clone());
        assert_eq!(row.get::<_, Option<String>>(2), district);
    }
    let districts: Vec<(String, f64, bool)> = client
        .query(
            "SELECT name, people, ST_Contains(geom, ST_SetSRID(ST_MakePoint(7.43, 43.73), 4326))
             FROM refuge_districts ORDER BY id",
            &[],
        )
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get(2)))
        .collect();
    let names: Vec<&str> = districts.iter().map(|(name, _, _)| name.as_str()).collect();
    assert_eq!(names, ["west", "east"]);
    assert_eq!(
        districts.iter().map(|d| d.2).collect::<Vec<_>>(),
        [false, true],
        "7.43, 43.73 lies in the east"
    );
    for ((_, people, _), district) in districts.iter().zip(&layer.districts) {
        assert!((people - district.population).abs() < 1e-6);
    }
    // A new import replaces both, whole.
    let (smaller, _) = refuge_core::planning::PopulationLayer::from_points(
        "again".into(),
        &[(refuge_core::LonLat::new(7.42, 43.73).unwrap(), 5.0)],
        &[],
        9,
    )
    .unwrap();
    shared.open().set_population(&smaller, &admin()).unwrap();
    let row = client
        .query_one(
            "SELECT (SELECT count(*) FROM refuge_population), (SELECT count(*) FROM refuge_districts)",
            &[],
        )
        .unwrap();
    assert_eq!((row.get::<_, i64>(0), row.get::<_, i64>(1)), (1, 0));
}
