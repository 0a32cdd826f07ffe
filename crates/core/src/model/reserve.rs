//! Material reserve depots (应急物资储备库) in three tiers.

use serde::{Deserialize, Serialize};

use crate::{Error, FacilityId, Result};

crate::named_enum! {
    /// The tier of a reserve depot in the district → street → community resupply chain.
    pub enum ReserveTier ("tier") {
        /// District (区级).
        District = "district" | "区级" | "区",
        /// Sub-district or town (街镇级).
        Subdistrict = "subdistrict" | "sub_district" | "街镇级" | "街道" | "街镇",
        /// Community (社区级).
        Community = "community" | "社区级" | "社区",
    }
}

crate::named_enum! {
    /// How a depot holds its reserve.
    pub enum ReserveMode ("reserve mode") {
        /// Goods in the depot (实物储备).
        Physical = "physical" | "实物",
        /// Goods a supplier is contracted to deliver (协议储备).
        Agreement = "agreement" | "协议",
        /// Production capacity that can be switched on (产能储备).
        ProductionCapacity = "production_capacity" | "产能",
    }
}

impl ReserveTier {
    /// The tier that resupplies this one, if any.
    pub fn parent(self) -> Option<ReserveTier> {
        match self {
            ReserveTier::District => None,
            ReserveTier::Subdistrict => Some(ReserveTier::District),
            ReserveTier::Community => Some(ReserveTier::Subdistrict),
        }
    }
}

/// A reserve depot's attributes beyond the common facility record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReserveDepot {
    /// Its tier.
    pub tier: ReserveTier,
    /// The depot that resupplies it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<FacilityId>,
    /// Storage volume, cubic metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_m3: Option<f64>,
    /// How it holds its reserve.
    pub mode: ReserveMode,
    /// For agreement and production-capacity reserves: hours until goods are available.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_time_hours: Option<f64>,
}

impl ReserveDepot {
    /// A physical depot of `tier` with no parent yet.
    pub fn physical(tier: ReserveTier) -> Self {
        Self {
            tier,
            parent: None,
            volume_m3: None,
            mode: ReserveMode::Physical,
            lead_time_hours: None,
        }
    }

    /// Checks each field, naming the first that is wrong.
    pub fn validate(&self) -> Result<()> {
        if let Some(volume) = self.volume_m3 {
            if !(volume.is_finite() && volume > 0.0) {
                return Err(Error::field(
                    "volume_m3",
                    format!("{volume} is not a volume in m³ (> 0)"),
                ));
            }
        }
        match (self.mode, self.lead_time_hours) {
            (ReserveMode::Physical, _) => {}
            (_, Some(hours)) if hours.is_finite() && hours >= 0.0 => {}
            (mode, Some(hours)) => {
                return Err(Error::field(
                    "lead_time_hours",
                    format!("{hours} is not a lead time in hours for a {mode} reserve"),
                ));
            }
            (mode, None) => {
                return Err(Error::field(
                    "lead_time_hours",
                    format!("a {mode} reserve needs a lead time in hours"),
                ));
            }
        }
        if self.tier == ReserveTier::District && self.parent.is_some() {
            return Err(Error::field(
                "parent",
                "a district depot is the top of the chain and has no parent depot",
            ));
        }
        Ok(())
    }
}
