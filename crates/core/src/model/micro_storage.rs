//! Community micro-storage sites (微型应急物资储备点).

use serde::{Deserialize, Serialize};

use crate::{Contact, FacilityId, Result};

/// A small community store of first-hour supplies, kept in a community room, property office or
/// similar, opened by a keyholder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MicroStorageSite {
    /// The community depot that resupplies it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_depot: Option<FacilityId>,
    /// Where it is kept, e.g. "community centre", "property office".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Who holds the key. Private: hidden from anonymous readers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyholder: Option<Contact>,
    /// When it can be opened, in OpenStreetMap `opening_hours` syntax where possible.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_hours: Option<String>,
}

impl MicroStorageSite {
    /// Checks each field, naming the first that is wrong.
    pub fn validate(&self) -> Result<()> {
        if let Some(keyholder) = &self.keyholder {
            keyholder.validate("keyholder")?;
        }
        Ok(())
    }
}
