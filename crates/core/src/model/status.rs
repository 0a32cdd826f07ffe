//! What a facility is meant to be (static designation) kept apart from what it is now (live status).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

crate::named_enum! {
    /// The planning state of a facility: static, changed by planners, not by incidents.
    pub enum Designation ("designation") {
        /// In a plan, not yet designated.
        Planned = "planned" | "规划",
        /// Officially designated and in service.
        Designated = "designated" | "已设立" | "在用",
        /// Withdrawn from service.
        Decommissioned = "decommissioned" | "撤销" | "停用",
    }
}

crate::named_enum! {
    /// The live state of a facility, as last reported.
    pub enum LiveStatus ("status") {
        /// Ready, not activated.
        Standby = "standby" | "待命",
        /// Open and receiving people or requests.
        Open = "open" | "开放",
        /// Open but at capacity.
        Full = "full" | "已满",
        /// Not operating.
        Closed = "closed" | "关闭",
        /// Damaged and unusable.
        Damaged = "damaged" | "损毁",
    }
}

/// A live status with the time it was reported and, where known, who reported it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusReport {
    /// The status.
    pub status: LiveStatus,
    /// When it was reported.
    pub reported_at: DateTime<Utc>,
    /// Who reported it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported_by: Option<String>,
}

impl StatusReport {
    /// A report of `status` at `reported_at` by nobody in particular.
    pub fn new(status: LiveStatus, reported_at: DateTime<Utc>) -> Self {
        Self {
            status,
            reported_at,
            reported_by: None,
        }
    }
}
