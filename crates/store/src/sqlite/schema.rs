//! Schema migrations, applied in order at open; `PRAGMA user_version` records how far a file is.

use rusqlite::Connection;

use crate::Result;

/// Each migration, in order; the schema version of a file is how many have run.
const MIGRATIONS: &[&str] = &[
    // 1: facilities, stock movements, catalogue, base map, settings.
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
     CREATE TABLE facilities (
         id INTEGER PRIMARY KEY,
         version INTEGER NOT NULL,
         kind TEXT NOT NULL,
         body TEXT NOT NULL,
         updated_at TEXT NOT NULL
     );
     CREATE TABLE movements (
         seq INTEGER PRIMARY KEY AUTOINCREMENT,
         facility INTEGER NOT NULL,
         item TEXT NOT NULL,
         body TEXT NOT NULL
     );
     CREATE INDEX movements_by_facility ON movements (facility, item);
     CREATE TABLE catalog (item TEXT PRIMARY KEY, body TEXT NOT NULL);
     CREATE TABLE base_features (id INTEGER NOT NULL, layer TEXT NOT NULL, body TEXT NOT NULL);",
    // 2: who may write, and what everyone wrote.
    "CREATE TABLE tokens (
         id INTEGER PRIMARY KEY AUTOINCREMENT,
         name TEXT NOT NULL,
         role TEXT NOT NULL,
         hash BLOB NOT NULL UNIQUE,
         created_at TEXT NOT NULL,
         revoked_at TEXT
     );
     CREATE TABLE audit (
         seq INTEGER PRIMARY KEY AUTOINCREMENT,
         at TEXT NOT NULL,
         actor TEXT NOT NULL,
         role TEXT NOT NULL,
         action TEXT NOT NULL,
         target TEXT NOT NULL,
         before TEXT,
         after TEXT
     );",
    // 3: imports (where data came from, its credit), upserts by source id and base-feature id,
    // and emergency activations.
    "CREATE TABLE sources (
         dataset TEXT PRIMARY KEY,
         format TEXT NOT NULL,
         attribution TEXT NOT NULL,
         imported_at TEXT NOT NULL
     );
     INSERT INTO sources (dataset, format, attribution, imported_at)
         SELECT json_extract(body, '$.source.dataset'), 'unknown',
                CASE WHEN json_extract(body, '$.source.dataset') LIKE '%.pbf'
                     THEN '© OpenStreetMap contributors (ODbL)'
                     ELSE json_extract(body, '$.source.dataset') END,
                max(updated_at)
         FROM facilities WHERE json_extract(body, '$.source.dataset') IS NOT NULL
         GROUP BY json_extract(body, '$.source.dataset');
     INSERT OR IGNORE INTO sources (dataset, format, attribution, imported_at)
         SELECT 'base map', 'osm', '© OpenStreetMap contributors (ODbL)', datetime('now')
         WHERE EXISTS (SELECT 1 FROM base_features);
     ALTER TABLE facilities ADD COLUMN source_record TEXT;
     UPDATE facilities SET source_record = json_extract(body, '$.source.record');
     CREATE INDEX facilities_by_source_record ON facilities (source_record);
     DELETE FROM base_features WHERE rowid NOT IN
         (SELECT min(rowid) FROM base_features GROUP BY layer, id);
     CREATE UNIQUE INDEX base_features_by_id ON base_features (layer, id);
     CREATE TABLE activations (
         id INTEGER PRIMARY KEY AUTOINCREMENT,
         body TEXT NOT NULL,
         started_at TEXT NOT NULL,
         ended_at TEXT
     );",
    // 4: tokens that expire.
    "ALTER TABLE tokens ADD COLUMN expires_at TEXT;",
    // 5: logistics plans kept for dispatch (what became of them is in the movements).
    "CREATE TABLE plans (id TEXT PRIMARY KEY, made_at TEXT NOT NULL, body TEXT NOT NULL);",
    // 6: the population layer: its districts and source, and its people per H3 cell.
    "CREATE TABLE population (id INTEGER PRIMARY KEY CHECK (id = 1), body TEXT NOT NULL);
     CREATE TABLE population_cells (
         cell INTEGER NOT NULL,
         people REAL NOT NULL,
         district INTEGER
     );
     CREATE INDEX population_cells_by_cell ON population_cells (cell);",
    // 7: a number the population layer's every import raises, for servers to notice one.
    "ALTER TABLE population ADD COLUMN stamp INTEGER NOT NULL DEFAULT 0;",
];

/// The schema version this build writes.
pub const LATEST: u32 = MIGRATIONS.len() as u32;

/// The file's schema version.
pub fn version(conn: &Connection) -> Result<u32> {
    Ok(conn.query_row("PRAGMA user_version", [], |row| row.get(0))?)
}

/// Applies the migrations after the file's version up to `target`, each in its own transaction.
pub fn migrate_to(conn: &mut Connection, target: u32) -> Result<()> {
    let mut current = version(conn)?;
    while current < target.min(LATEST) {
        let Some(sql) = MIGRATIONS.get(current as usize) else {
            break;
        };
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", current + 1)?;
        tx.commit()?;
        current += 1;
    }
    Ok(())
}
