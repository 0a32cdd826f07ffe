//! Other places that matter in an emergency: hospitals, fire stations, police, pharmacies, AEDs.

use serde::{Deserialize, Serialize};

crate::named_enum! {
    /// The kind of a point of interest.
    pub enum PoiKind ("point-of-interest kind") {
        /// Hospital (医院).
        Hospital = "hospital" | "医院",
        /// Clinic or doctors (诊所).
        Clinic = "clinic" | "诊所",
        /// Fire station (消防站).
        FireStation = "fire_station" | "消防站",
        /// Police (派出所).
        Police = "police" | "派出所" | "公安",
        /// Pharmacy (药店).
        Pharmacy = "pharmacy" | "药店",
        /// School (学校).
        School = "school" | "学校",
        /// Community centre (社区中心).
        CommunityCentre = "community_centre" | "社区中心",
        /// Automated external defibrillator (AED).
        Defibrillator = "defibrillator" | "aed" | "AED",
        /// Fire hydrant (消火栓).
        FireHydrant = "fire_hydrant" | "消火栓",
        /// Town hall or government office (政府).
        Townhall = "townhall" | "政府",
    }
}

/// A point of interest's attributes beyond the common facility record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Poi {
    /// Its kind.
    pub poi_kind: PoiKind,
}
