//! The store on real files: migrations, seed and load, versions, refused writes, tokens, audit,
//! backup and restore.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::OnceLock;

use refuge_core::{FacilityDetails, ItemId, Movement, MovementKind, StockLedger};
use refuge_io::demo::{City, demo_city, demo_time};
use refuge_store::{
    Actor, Contents, Error, Role, SCHEMA_VERSION, Store, migrate_to_version, restore,
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
fn a_new_file_is_migrated_seeded_and_read_back_whole() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("refuge.db")).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    assert!(store.is_empty().unwrap());
    store.seed(&contents()).unwrap();
    assert!(!store.is_empty().unwrap());
    drop(store);
    let loaded = Store::open(&dir.path().join("refuge.db"))
        .unwrap()
        .load()
        .unwrap();
    assert_eq!(loaded.facilities.len(), city().facilities.len());
    let mut expected = city().facilities.clone();
    expected.sort_by_key(|f| f.id);
    assert_eq!(loaded.facilities, expected);
    assert_eq!(loaded.movements, city().ledger.movements());
    assert_eq!(loaded.catalog, city().catalog);
    assert_eq!(loaded.quotas, city().quotas);
    assert_eq!(loaded.base.len(), city().base.len());
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
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("refuge.db")).unwrap();
    store.seed(&contents()).unwrap();
    let mut shelter = city()
        .facilities
        .iter()
        .find(|f| f.shelter().is_some())
        .unwrap()
        .clone();
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
    let stored = store
        .load()
        .unwrap()
        .facilities
        .into_iter()
        .find(|f| f.id == shelter.id)
        .unwrap();
    assert_eq!(stored.version, 2);
    let audit = store.audit_log(10, None).unwrap();
    assert_eq!(audit[0].action, refuge_store::Action::FacilityStatus);
    assert_eq!(audit[0].actor, "test admin");
    assert_eq!(audit[0].before.as_ref().unwrap()["version"], 1);
    assert_eq!(audit[0].after.as_ref().unwrap()["occupancy"], 10);
}

#[test]
fn a_refused_movement_is_not_written() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("refuge.db")).unwrap();
    store.seed(&contents()).unwrap();
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
fn tokens_are_shown_once_and_stored_as_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("refuge.db");
    let store = Store::open(&path).unwrap();
    let (id, secret) = store
        .create_token("duty officer", Role::Logistics, &Actor::system())
        .unwrap();
    assert!(secret.starts_with("rfg_") && secret.len() == 68);
    let actor = store.authenticate(&secret).unwrap().unwrap();
    assert_eq!((actor.role, actor.token), (Some(Role::Logistics), Some(id)));
    assert!(actor.may(Role::Logistics) && !actor.may(Role::Planner));
    assert!(store.authenticate("rfg_wrong").unwrap().is_none());
    // The new row is in the WAL until a checkpoint: read the store's files, and find its hash
    // there (so the search looks where the data is), but not the secret.
    let mut on_disk = std::fs::read(&path).unwrap();
    on_disk.extend(std::fs::read(dir.path().join("refuge.db-wal")).unwrap_or_default());
    let found = |needle: &[u8]| on_disk.windows(needle.len()).any(|w| w == needle);
    let digest = refuge_store::token_hash(&secret);
    assert!(found(&digest), "the token's hash is on disk");
    assert!(!found(secret.as_bytes()), "the secret is not");
    assert!(store.revoke_token(id, &Actor::system()).unwrap());
    assert!(store.authenticate(&secret).unwrap().is_none(), "revoked");
    assert!(store.tokens().unwrap()[0].revoked_at.is_some());
}

/// A checked token is remembered, so the next check needs no SQLite; revoking it through the
/// store forgets it at once, and a revocation by another process is seen within TOKEN_RECHECK.
#[test]
fn a_remembered_token_is_forgotten_when_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("refuge.db");
    let store = Store::open(&path).unwrap();
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

    // Revoked by another process (another store on the same file): the server stops
    // accepting the token once its check is older than TOKEN_RECHECK.
    let (second, secret) = store
        .create_token("night shift", Role::Logistics, &Actor::system())
        .unwrap();
    assert!(store.authenticate(&secret).unwrap().is_some());
    let other = Store::open(&path).unwrap();
    assert!(other.revoke_token(second, &Actor::system()).unwrap());
    std::thread::sleep(refuge_store::TOKEN_RECHECK + std::time::Duration::from_millis(100));
    assert!(store.known_token(&secret).is_none());
    assert!(store.authenticate(&secret).unwrap().is_none());
}

#[test]
fn an_expired_token_stops_working() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("refuge.db")).unwrap();
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
