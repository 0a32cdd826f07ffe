//! The PostgreSQL schema and its migrations, applied in order at connection under an advisory lock
//! (several servers may start at once); `refuge_schema` records how far a database is.

use postgres::Client;

use crate::{Error, Result};

/// Each migration, in order; the schema version of a database is how many have run.
const MIGRATIONS: &[&str] = &[
    // 1: everything the SQLite store holds at its version 4, the changes every server follows, and
    // one view per kind for QGIS and SQL.
    "CREATE EXTENSION IF NOT EXISTS postgis;
     CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL);
     CREATE TABLE facilities (
         id bigint PRIMARY KEY,
         version bigint NOT NULL,
         kind text NOT NULL,
         name text,
         status text NOT NULL,
         capacity integer,
         occupancy integer,
         source_record text,
         location geometry(Point, 4326) NOT NULL,
         geom geometry(Geometry, 4326) NOT NULL,
         body jsonb NOT NULL,
         updated_at timestamptz NOT NULL DEFAULT now()
     );
     CREATE INDEX facilities_location ON facilities USING gist (location);
     CREATE INDEX facilities_geom ON facilities USING gist (geom);
     CREATE INDEX facilities_by_kind ON facilities (kind);
     CREATE INDEX facilities_by_source_record ON facilities (source_record);
     CREATE TABLE movements (
         seq bigserial PRIMARY KEY,
         facility bigint NOT NULL,
         item text NOT NULL,
         body jsonb NOT NULL
     );
     CREATE INDEX movements_by_facility ON movements (facility, item);
     CREATE TABLE catalog (item text PRIMARY KEY, body jsonb NOT NULL);
     CREATE TABLE base_features (
         seq bigserial,
         id bigint NOT NULL,
         layer text NOT NULL,
         body jsonb NOT NULL,
         PRIMARY KEY (layer, id)
     );
     CREATE TABLE sources (
         seq bigserial,
         dataset text PRIMARY KEY,
         format text NOT NULL,
         attribution text NOT NULL,
         imported_at text NOT NULL
     );
     CREATE TABLE tokens (
         id bigserial PRIMARY KEY,
         name text NOT NULL,
         role text NOT NULL,
         hash bytea NOT NULL UNIQUE,
         created_at text NOT NULL,
         revoked_at text,
         expires_at text
     );
     CREATE TABLE audit (
         seq bigserial PRIMARY KEY,
         at text NOT NULL,
         actor text NOT NULL,
         role text NOT NULL,
         action text NOT NULL,
         target text NOT NULL,
         before text,
         after text
     );
     CREATE TABLE activations (
         id bigserial PRIMARY KEY,
         body jsonb NOT NULL,
         started_at text NOT NULL,
         ended_at text
     );
     CREATE TABLE changes (
         seq bigserial PRIMARY KEY,
         at timestamptz NOT NULL DEFAULT now(),
         what text NOT NULL,
         facility bigint,
         body jsonb
     );
     CREATE VIEW refuge_shelters AS
         SELECT id, name, body->'name'->>'en' AS name_en, status, capacity, occupancy,
                body->>'shelter_type' AS shelter_type, body->>'space' AS space,
                body->>'designation' AS designation, body->'admin'->>'district' AS district,
                version, updated_at, location::geometry(Point, 4326) AS geom
         FROM facilities WHERE kind = 'shelter';
     CREATE VIEW refuge_reserves AS
         SELECT id, name, body->'name'->>'en' AS name_en, status, body->>'tier' AS tier,
                (body->>'parent')::bigint AS parent, body->>'designation' AS designation,
                body->'admin'->>'district' AS district, version, updated_at,
                location::geometry(Point, 4326) AS geom
         FROM facilities WHERE kind = 'reserve';
     CREATE VIEW refuge_micro_storage AS
         SELECT id, name, body->'name'->>'en' AS name_en, status,
                body->>'designation' AS designation, body->'admin'->>'district' AS district,
                version, updated_at, location::geometry(Point, 4326) AS geom
         FROM facilities WHERE kind = 'micro_storage';
     CREATE VIEW refuge_hazards AS
         SELECT id, name, body->'name'->>'en' AS name_en, status,
                body->>'hazard_kind' AS hazard_kind, body->>'risk' AS risk,
                (body->>'influence_radius_m')::double precision AS influence_radius_m,
                version, updated_at, location::geometry(Point, 4326) AS geom
         FROM facilities WHERE kind = 'hazard';
     CREATE VIEW refuge_hazard_zones AS
         SELECT id, name, body->>'hazard_kind' AS hazard_kind, body->>'risk' AS risk,
                (body->>'influence_radius_m')::double precision AS influence_radius_m,
                version, updated_at,
                ST_Multi(ST_CollectionExtract(geom, 3))::geometry(MultiPolygon, 4326) AS geom
         FROM facilities
         WHERE kind = 'hazard' AND ST_Dimension(geom) = 2;",
    // 2: logistics plans kept for dispatch (what became of them is in the movements), as SQLite's
    // version 5.
    "CREATE TABLE plans (id text PRIMARY KEY, made_at text NOT NULL, body jsonb NOT NULL);",
    // 3: the population layer, as SQLite's version 6; each cell also as its hexagon for QGIS.
    "CREATE TABLE population (id integer PRIMARY KEY CHECK (id = 1), body jsonb NOT NULL);
     CREATE TABLE population_cells (
         cell bigint NOT NULL,
         people double precision NOT NULL,
         district integer
     );
     CREATE INDEX population_cells_by_cell ON population_cells (cell);",
    // 4: as SQLite's version 7: a number the population layer's every import raises.
    "ALTER TABLE population ADD COLUMN stamp bigint NOT NULL DEFAULT 0;",
    // 5: the population layer for QGIS: each cell's hexagon and the districts' outlines, and a
    // view of each (the store fills them for a layer imported before).
    "ALTER TABLE population_cells ADD COLUMN id bigserial PRIMARY KEY;
     ALTER TABLE population_cells ADD COLUMN geom geometry(Polygon, 4326);
     CREATE INDEX population_cells_geom ON population_cells USING GIST (geom);
     CREATE TABLE population_districts (
         id integer PRIMARY KEY,
         name text NOT NULL,
         code text NOT NULL,
         people double precision NOT NULL,
         placement text NOT NULL,
         geom geometry(MultiPolygon, 4326)
     );
     CREATE INDEX population_districts_geom ON population_districts USING GIST (geom);
     CREATE VIEW refuge_population AS
         SELECT c.id, lpad(to_hex(c.cell), 15, '0') AS h3, c.people, c.district,
                d.name AS district_name, c.geom
         FROM population_cells c LEFT JOIN population_districts d ON d.id = c.district
         WHERE c.geom IS NOT NULL;
     CREATE VIEW refuge_districts AS
         SELECT id, name, code, people, placement, geom FROM population_districts;",
];

/// The schema version this build writes.
pub(crate) const LATEST: u32 = MIGRATIONS.len() as u32;

/// Any number, the same in every Refuge: the advisory lock held while migrating.
const MIGRATION_LOCK: i64 = 0x5265_6675_6765_4d31;

/// The database's schema version; 0 for a database Refuge never used.
pub(crate) fn version(client: &mut Client) -> Result<u32> {
    let exists: bool = client
        .query_one("SELECT to_regclass('refuge_schema') IS NOT NULL", &[])?
        .get(0);
    if !exists {
        return Ok(0);
    }
    let version: Option<i32> = client
        .query_opt("SELECT version FROM refuge_schema", &[])?
        .map(|row| row.get(0));
    Ok(version.map_or(0, |v| u32::try_from(v).unwrap_or(0)))
}

/// Refuses a database written by a newer Refuge, then applies the migrations after its version,
/// each in its own transaction, with the migration lock held.
pub(crate) fn migrate(client: &mut Client, shown: &str) -> Result<()> {
    client.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])?;
    let migrated = (|| -> Result<()> {
        let found = version(client)?;
        if found > LATEST {
            return Err(Error::TooNew {
                store: shown.to_owned(),
                found,
                known: LATEST,
            });
        }
        for (done, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            let mut tx = client.transaction()?;
            tx.batch_execute(sql)?;
            tx.batch_execute(
                "CREATE TABLE IF NOT EXISTS refuge_schema (version integer NOT NULL);
                 DELETE FROM refuge_schema;",
            )?;
            let version = i32::try_from(done + 1).unwrap_or(i32::MAX);
            tx.execute(
                "INSERT INTO refuge_schema (version) VALUES ($1)",
                &[&version],
            )?;
            tx.commit()?;
        }
        Ok(())
    })();
    client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])?;
    migrated
}
