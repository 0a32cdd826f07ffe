//! What a database must do for the store: read and write rows inside one transaction. The store's
//! rules (versions, savepoints, audit entries, imports, activations, quotas) are written once,
//! over [`Tx`]; SQLite and PostgreSQL each say only how a row is read or written.

use refuge_core::planning::PopulationLayer;
use refuge_core::{Activation, Facility, FacilityId, Item, ItemId, KeptPlan, Movement};
use refuge_io::{BaseFeature, DataSource};

use crate::{Action, AuditEntry, Error, Result, Role, TokenInfo};

/// One transaction on a store's database: a write transaction, or a read-only one that sees one
/// consistent state throughout.
pub(crate) trait Tx {
    /// Runs statements that take no parameters and return no rows.
    fn batch(&mut self, sql: &str) -> Result<()>;

    /// Starts a savepoint: a part of the transaction that can be undone alone. (The same SQL
    /// in SQLite and PostgreSQL.)
    fn savepoint(&mut self) -> Result<()> {
        self.batch("SAVEPOINT one_write")
    }
    /// Keeps what was done since the savepoint.
    fn release(&mut self) -> Result<()> {
        self.batch("RELEASE SAVEPOINT one_write")
    }
    /// Undoes what was done since the savepoint.
    fn roll_back(&mut self) -> Result<()> {
        self.batch("ROLLBACK TO SAVEPOINT one_write; RELEASE SAVEPOINT one_write")
    }

    /// Whether the store holds a facility, a base-map feature or an import.
    fn holds_anything(&mut self) -> Result<bool>;
    /// The facility with this id.
    fn facility(&mut self, id: FacilityId) -> Result<Option<Facility>>;
    /// The stored version of the facility with this id.
    fn facility_version(&mut self, id: FacilityId) -> Result<Option<u64>>;
    /// The ids (at most two) of facilities whose source record is `record`.
    fn facilities_from_record(&mut self, record: &str) -> Result<Vec<FacilityId>>;
    /// Every facility, by id.
    fn facilities(&mut self) -> Result<Vec<Facility>>;
    /// Every facility, validated and kept brief (what the index holds).
    fn facility_briefs(&mut self) -> Result<Vec<refuge_core::FacilityBrief>>;
    /// Stores a new facility as it is, version included.
    fn insert_facility(&mut self, facility: &Facility) -> Result<()>;
    /// Replaces a stored facility with `facility`, version included.
    fn update_facility(&mut self, facility: &Facility) -> Result<()>;
    /// Deletes a facility.
    fn delete_facility(&mut self, id: FacilityId) -> Result<()>;

    /// Appends a stock movement; returns its sequence number.
    fn insert_movement(&mut self, movement: &Movement) -> Result<i64>;
    /// Every stock movement, oldest first.
    fn movements(&mut self) -> Result<Vec<Movement>>;

    /// The item catalogue, by item id.
    fn items(&mut self) -> Result<Vec<Item>>;
    /// Adds an item to the catalogue or replaces it.
    fn put_item(&mut self, item: &Item) -> Result<()>;
    /// Whether the catalogue has this item.
    fn item_known(&mut self, item: &ItemId) -> Result<bool>;

    /// Every base-map feature, in the order stored.
    fn base_features(&mut self) -> Result<Vec<BaseFeature>>;
    /// Adds a base-map feature or replaces the one of its layer and id.
    fn put_base_feature(&mut self, feature: &BaseFeature) -> Result<()>;
    /// Every imported source, in the order first imported.
    fn sources(&mut self) -> Result<Vec<DataSource>>;
    /// Records an import of `source` at `at`.
    fn put_source(&mut self, source: &DataSource, at: &str) -> Result<()>;

    /// A setting.
    fn meta(&mut self, key: &str) -> Result<Option<String>>;
    /// Sets a setting.
    fn put_meta(&mut self, key: &str, value: &str) -> Result<()>;

    /// Numbers a new activation started at `started_at`; [`Tx::save_activation`] fills it in.
    fn new_activation(&mut self, started_at: &str) -> Result<u64>;
    /// Stores an activation under its id, whether new or numbered already.
    fn save_activation(&mut self, activation: &Activation) -> Result<()>;
    /// The activation with this id.
    fn activation(&mut self, id: u64) -> Result<Option<Activation>>;
    /// Every activation (or only those in force), oldest first.
    fn activations(&mut self, in_force_only: bool) -> Result<Vec<Activation>>;

    /// Stores a token; its id when `token.id` is `None`. Returns the id.
    /// Keeps a plan; an id kept already is an error.
    fn insert_plan(&mut self, plan: &KeptPlan) -> Result<()>;
    /// The plan with this id.
    fn plan(&mut self, id: &str) -> Result<Option<KeptPlan>>;
    /// Every plan, oldest first.
    fn plans(&mut self) -> Result<Vec<KeptPlan>>;

    /// Replaces the population layer.
    fn put_population(&mut self, layer: &PopulationLayer) -> Result<()>;
    /// The population layer, if one was imported.
    fn population(&mut self) -> Result<Option<PopulationLayer>>;

    /// The number the population layer's every import raises (0 without a layer).
    fn population_stamp(&mut self) -> Result<i64>;

    fn insert_token(&mut self, token: &TokenRow) -> Result<i64>;
    /// The live token with this hash at `now`: id, name, role and expiry.
    fn live_token(&mut self, hash: &[u8], now: &str) -> Result<Option<LiveToken>>;
    /// Every token, without hashes, by id.
    fn tokens(&mut self) -> Result<Vec<TokenInfo>>;
    /// Every token with its hash, by id: for copying a store.
    fn token_rows(&mut self) -> Result<Vec<TokenRow>>;
    /// Revokes a live token at `at`; whether there was one.
    fn revoke_token(&mut self, id: i64, at: &str) -> Result<bool>;

    /// The number of the last change in the store's change log (0 for a store that keeps none).
    fn latest_change(&mut self) -> Result<i64>;
    /// After rows were copied in with their own numbers: numbers given later come after them.
    fn renumber(&mut self) -> Result<()>;

    /// Appends a line to the audit log (numbered by the database when `line.seq` is 0).
    fn audit(&mut self, line: &AuditRow) -> Result<()>;
    /// The newest `limit` audit lines before `before`, newest first.
    fn audit_log(&mut self, limit: usize, before: Option<i64>) -> Result<Vec<AuditRow>>;
}

/// The population layer without its cells: what its `body` column holds.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct PopulationMeta {
    pub source: String,
    pub resolution: u8,
    pub districts: Vec<refuge_core::planning::DistrictPeople>,
    pub outlines: Vec<geo::MultiPolygon>,
}

impl PopulationMeta {
    pub(crate) fn of(layer: &PopulationLayer) -> Self {
        Self {
            source: layer.source.clone(),
            resolution: layer.resolution,
            districts: layer.districts.clone(),
            outlines: layer.outlines.clone(),
        }
    }

    pub(crate) fn with_cells(
        self,
        cells: Vec<refuge_core::planning::CellPeople>,
    ) -> PopulationLayer {
        PopulationLayer {
            source: self.source,
            resolution: self.resolution,
            districts: self.districts,
            outlines: self.outlines,
            cells,
        }
    }
}

/// An H3 cell as a database integer (an index's top bit is always clear), and back.
pub(crate) fn cell_number(cell: refuge_core::CellIndex) -> i64 {
    u64::from(cell) as i64
}

pub(crate) fn cell_from_number(number: i64) -> Result<refuge_core::CellIndex> {
    refuge_core::CellIndex::try_from(number as u64).map_err(|e| Error::Corrupt {
        what: "population cell".into(),
        message: format!("{number}: {e}"),
    })
}

/// A token as stored: its hash, never its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TokenRow {
    /// Its id; `None` for a new token.
    pub id: Option<i64>,
    pub name: String,
    pub role: String,
    pub hash: Vec<u8>,
    pub created_at: String,
    pub revoked_at: Option<String>,
    pub expires_at: Option<String>,
}

/// A live token as a check finds it.
#[derive(Debug, Clone)]
pub(crate) struct LiveToken {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub expires_at: Option<String>,
}

impl TryFrom<TokenRow> for TokenInfo {
    type Error = Error;

    fn try_from(row: TokenRow) -> Result<Self> {
        let id = row.id.unwrap_or_default();
        Ok(Self {
            id,
            name: row.name,
            role: role(id, &row.role)?,
            created_at: row.created_at,
            revoked_at: row.revoked_at,
            expires_at: row.expires_at,
        })
    }
}

/// A stored role name, read back.
pub(crate) fn role(token: i64, name: &str) -> Result<Role> {
    name.parse()
        .map_err(|e: refuge_core::Error| Error::Corrupt {
            what: format!("token {token}"),
            message: e.to_string(),
        })
}

/// A line of the audit log as stored: the records before and after as JSON text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AuditRow {
    /// Its place in the log; 0 for a new line.
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub role: String,
    pub action: String,
    pub target: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl AuditRow {
    /// The line as the API shows it. A record that is no longer valid JSON shows as none.
    pub(crate) fn entry(self) -> Result<AuditEntry> {
        let value = |text: Option<String>| text.and_then(|t| serde_json::from_str(&t).ok());
        Ok(AuditEntry {
            seq: self.seq,
            at: self.at,
            actor: self.actor,
            role: self.role,
            action: self.action.parse::<Action>().map_err(|e| Error::Corrupt {
                what: format!("audit line {}", self.seq),
                message: e.to_string(),
            })?,
            target: self.target,
            before: value(self.before),
            after: value(self.after),
        })
    }
}
