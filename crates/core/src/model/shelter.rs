//! Emergency shelters (应急避难场所).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

crate::named_enum! {
    /// Function type after GB 51143 (防灾避难场所设计规范).
    pub enum ShelterType ("shelter type") {
        /// Emergency shelter (紧急避难场所): minutes to a day, near home.
        Emergency = "emergency" | "紧急" | "紧急避难场所",
        /// Fixed shelter, short-term (固定 短期).
        FixedShort = "fixed_short" | "短期固定" | "固定" | "固定避难场所",
        /// Fixed shelter, medium-term (固定 中期).
        FixedMedium = "fixed_medium" | "中期固定",
        /// Fixed shelter, long-term (固定 长期).
        FixedLong = "fixed_long" | "长期固定",
        /// Central shelter (中心避难场所) with command and medical functions.
        Central = "central" | "中心" | "中心避难场所",
    }
}

crate::named_enum! {
    /// Class after GB 21734-2008 by how long people can stay.
    pub enum ShelterClass ("shelter class") {
        /// Ⅰ: more than 30 days.
        I = "i" | "Ⅰ" | "1" | "Ⅰ类" | "一类",
        /// Ⅱ: 10 to 30 days.
        Ii = "ii" | "Ⅱ" | "2" | "Ⅱ类" | "二类",
        /// Ⅲ: up to 10 days.
        Iii = "iii" | "Ⅲ" | "3" | "Ⅲ类" | "三类",
    }
}

crate::named_enum! {
    /// Whether people shelter in the open or indoors.
    pub enum SpaceType ("space type") {
        /// An open site (场地型): park, square, pitch.
        OpenSite = "open_site" | "场地型" | "室外",
        /// Indoor premises (场所型): school, gymnasium, hall.
        Indoor = "indoor" | "场所型" | "室内",
    }
}

crate::named_enum! {
    /// A hazard a shelter can be suitable for, and the hazard a resident asks about.
    pub enum HazardType ("hazard") {
        /// 地震.
        Earthquake = "earthquake" | "地震",
        /// River or coastal flood (洪水).
        Flood = "flood" | "洪水" | "洪涝",
        /// Urban waterlogging (内涝).
        Waterlogging = "waterlogging" | "内涝",
        /// Typhoon and storm surge (台风).
        Typhoon = "typhoon" | "台风",
        /// Fire (火灾).
        Fire = "fire" | "火灾",
        /// Landslide and debris flow (地质灾害).
        Landslide = "landslide" | "滑坡" | "地质灾害",
        /// Hazardous-chemical release (危化品).
        Chemical = "chemical" | "危化品",
        /// Epidemic and other public-health events (公共卫生).
        PublicHealth = "public_health" | "公共卫生",
    }
}

crate::named_enum! {
    /// What a shelter offers.
    pub enum Amenity ("amenity") {
        /// Drinking water source.
        Water = "water" | "供水",
        /// Power supply.
        Power = "power" | "供电",
        /// Toilets.
        Toilets = "toilets" | "厕所",
        /// Medical point.
        Medical = "medical" | "医疗",
        /// Step-free access.
        Accessible = "accessible" | "wheelchair" | "无障碍",
        /// Pets allowed.
        Pets = "pets" | "宠物",
    }
}

crate::named_enum! {
    /// How much area one sheltered person needs, by standard.
    pub enum CapacityProfile ("capacity profile") {
        /// GB 21734-2008 §5.4: more than 1.5 m² of living area per person.
        Gb21734 = "gb21734" | "GB 21734" | "GB21734",
        /// Sphere handbook: at least 3.5 m² of covered living space per person.
        Sphere = "sphere",
    }
}

impl CapacityProfile {
    /// Square metres per person under this profile.
    pub fn m2_per_person(self) -> f64 {
        match self {
            CapacityProfile::Gb21734 => 1.5,
            CapacityProfile::Sphere => 3.5,
        }
    }
}

impl ShelterType {
    /// The usual service radius of this type, metres: 500 m (a 10-minute walk) for emergency
    /// shelters after GB 51143 practice; 1–3 km for fixed shelters, growing with the length of
    /// stay; 3 km for a central shelter.
    pub fn default_service_radius_m(self) -> f64 {
        match self {
            ShelterType::Emergency => 500.0,
            ShelterType::FixedShort => 1_000.0,
            ShelterType::FixedMedium => 2_000.0,
            ShelterType::FixedLong | ShelterType::Central => 3_000.0,
        }
    }
}

crate::named_enum! {
    /// What is known of a shelter's room for more people.
    pub enum Room ("room") {
        /// Places are left.
        Available = "available",
        /// Its capacity is not known: it may have room.
        Unknown = "unknown",
        /// Occupancy has reached capacity.
        None = "none",
    }
}

crate::named_enum! {
    /// What is known of a shelter's suitability for one hazard.
    pub enum Suitability ("suitability") {
        /// Stated suitable.
        Suitable = "suitable",
        /// The shelter states no suitability at all.
        Unknown = "unknown",
        /// It states others, not this one.
        Unsuitable = "unsuitable",
    }
}

/// A shelter's attributes beyond the common facility record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Shelter {
    /// GB 51143 function type.
    pub shelter_type: ShelterType,
    /// GB 21734 class, where given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<ShelterClass>,
    /// Open site or indoor.
    pub space: SpaceType,
    /// Effective (usable) area in square metres, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_area_m2: Option<f64>,
    /// The capacity the designation states, persons.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub design_capacity: Option<u32>,
    /// People sheltering now.
    #[serde(default)]
    pub occupancy: u32,
    /// Hazards the shelter is suitable for.
    #[serde(default)]
    pub suitable_for: BTreeSet<HazardType>,
    /// What it offers.
    #[serde(default)]
    pub amenities: BTreeSet<Amenity>,
    /// Service radius, metres.
    pub service_radius_m: f64,
    /// Communities assigned to it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub communities: Vec<String>,
}

impl Shelter {
    /// A shelter of `shelter_type` with `effective_area_m2` of usable space, empty, with the type's
    /// default service radius and no suitability flags yet.
    pub fn new(
        shelter_type: ShelterType,
        space: SpaceType,
        effective_area_m2: Option<f64>,
    ) -> Result<Self> {
        let shelter = Self {
            shelter_type,
            class: None,
            space,
            effective_area_m2,
            design_capacity: None,
            occupancy: 0,
            suitable_for: BTreeSet::new(),
            amenities: BTreeSet::new(),
            service_radius_m: shelter_type.default_service_radius_m(),
            communities: Vec::new(),
        };
        shelter.validate()?;
        Ok(shelter)
    }

    /// How many people the effective area holds under `profile`; `None` if the area is unknown.
    ///
    /// ```
    /// use refuge_core::{CapacityProfile, Shelter, ShelterType, SpaceType};
    /// let park = Shelter::new(ShelterType::Emergency, SpaceType::OpenSite, Some(3_000.0))?;
    /// assert_eq!(park.capacity_under(CapacityProfile::Gb21734), Some(2_000));
    /// assert_eq!(park.capacity_under(CapacityProfile::Sphere), Some(857));
    /// # Ok::<(), refuge_core::Error>(())
    /// ```
    pub fn capacity_under(&self, profile: CapacityProfile) -> Option<u32> {
        persons_in(self.effective_area_m2?, profile)
    }

    /// The capacity people plan with: the designated capacity if stated, else the GB 21734
    /// figure; `None` when neither capacity nor area is known.
    pub fn capacity(&self) -> Option<u32> {
        planned_capacity(self.design_capacity, self.effective_area_m2)
    }

    /// Places left: capacity minus occupancy, never negative; `None` if the capacity is unknown.
    pub fn available(&self) -> Option<u32> {
        places_left(self.capacity(), self.occupancy)
    }

    /// Whether it is suitable for `hazard`.
    pub fn suits(&self, hazard: HazardType) -> bool {
        self.suitable_for.contains(&hazard)
    }

    /// What is known of its suitability for `hazard`: a shelter whose list of suitable hazards is
    /// empty has not stated one, which is not the same as being unsuitable.
    pub fn suitability(&self, hazard: HazardType) -> Suitability {
        suitability_of(self.suits(hazard), self.suitable_for.is_empty())
    }

    /// Whether people can still come: places left, capacity unknown, or full.
    ///
    /// ```
    /// use refuge_core::{Room, Shelter, ShelterType, SpaceType};
    /// let mut school = Shelter::new(ShelterType::Emergency, SpaceType::Indoor, None)?;
    /// assert_eq!(school.room(), Room::Unknown);
    /// school.design_capacity = Some(10);
    /// school.occupancy = 10;
    /// assert_eq!(school.room(), Room::None);
    /// # Ok::<(), refuge_core::Error>(())
    /// ```
    pub fn room(&self) -> Room {
        room_for(self.available())
    }

    /// Checks each field, naming the first that is wrong.
    pub fn validate(&self) -> Result<()> {
        check_figures(self.effective_area_m2, self.service_radius_m)
    }
}

/// How many people `area_m2` holds under `profile`.
fn persons_in(area_m2: f64, profile: CapacityProfile) -> Option<u32> {
    let persons = (area_m2 / profile.m2_per_person()).floor();
    // Areas are validated finite and non-negative; saturate for absurdly large ones.
    Some(persons.min(f64::from(u32::MAX)) as u32)
}

/// The capacity people plan with: the designated one if stated, else the GB 21734 figure for the
/// area. One rule for a shelter and its brief.
pub(super) fn planned_capacity(design: Option<u32>, area_m2: Option<f64>) -> Option<u32> {
    design.or_else(|| persons_in(area_m2?, CapacityProfile::Gb21734))
}

/// Checks a shelter's area and service radius, naming the field that is wrong.
pub(super) fn check_figures(area_m2: Option<f64>, service_radius_m: f64) -> Result<()> {
    if let Some(area) = area_m2 {
        if !(area.is_finite() && area >= 0.0) {
            return Err(Error::field(
                "effective_area_m2",
                format!("{area} is not an area in m² (≥ 0)"),
            ));
        }
    }
    if !(service_radius_m.is_finite() && service_radius_m > 0.0) {
        return Err(Error::field(
            "service_radius_m",
            format!("{service_radius_m} is not a radius in metres (> 0)"),
        ));
    }
    Ok(())
}

/// Places left of `capacity` with `occupancy` people in, never negative; `None` if the capacity is
/// unknown. One rule for a shelter and its brief.
pub(super) fn places_left(capacity: Option<u32>, occupancy: u32) -> Option<u32> {
    Some(capacity?.saturating_sub(occupancy))
}

/// Whether people can still come, from the places left.
pub(super) fn room_for(available: Option<u32>) -> Room {
    match available {
        None => Room::Unknown,
        Some(0) => Room::None,
        Some(_) => Room::Available,
    }
}

/// Suitability for a hazard: stated, not stated at all, or others stated.
pub(super) fn suitability_of(suits: bool, states_none: bool) -> Suitability {
    if suits {
        Suitability::Suitable
    } else if states_none {
        Suitability::Unknown
    } else {
        Suitability::Unsuitable
    }
}
