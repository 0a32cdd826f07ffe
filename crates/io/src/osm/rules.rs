//! The documented tag rules: which OpenStreetMap features become base-map features, and which
//! become candidate facilities. `data/README.md` lists them for people.

use refuge_core::{
    Amenity, HazardKind, HazardType, PoiKind, RiskLevel, ShelterClass, ShelterType, SpaceType,
};

use refuge_core::BaseLayer;

/// Looks a tag up.
pub(super) trait Tags {
    /// The value of `key`, if tagged.
    fn tag(&self, key: &str) -> Option<&str>;
}

impl Tags for Vec<(String, String)> {
    fn tag(&self, key: &str) -> Option<&str> {
        self.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

/// The base-map layer and class of a feature, if it belongs on the base map.
pub(super) fn base_layer(tags: &impl Tags, is_relation: bool) -> Option<(BaseLayer, String)> {
    if let Some(level) = tags
        .tag("admin_level")
        .filter(|_| is_relation && tags.tag("boundary") == Some("administrative"))
    {
        return Some((BaseLayer::Boundaries, level.to_owned()));
    }
    if let Some(highway) = tags.tag("highway") {
        return Some((BaseLayer::Roads, highway.to_owned()));
    }
    if let Some(building) = tags.tag("building") {
        return Some((BaseLayer::Buildings, building.to_owned()));
    }
    if let Some(natural) = tags
        .tag("natural")
        .filter(|n| ["water", "bay", "coastline", "strait"].contains(n))
    {
        return Some((BaseLayer::Water, natural.to_owned()));
    }
    if let Some(waterway) = tags.tag("waterway") {
        return Some((BaseLayer::Water, waterway.to_owned()));
    }
    if let Some(landuse) = tags.tag("landuse") {
        return Some((BaseLayer::Landuse, landuse.to_owned()));
    }
    if let Some(leisure) = tags.tag("leisure").filter(|l| {
        [
            "park",
            "garden",
            "pitch",
            "playground",
            "stadium",
            "sports_centre",
            "golf_course",
            "nature_reserve",
        ]
        .contains(l)
    }) {
        return Some((BaseLayer::Landuse, leisure.to_owned()));
    }
    if let Some(natural) = tags
        .tag("natural")
        .filter(|n| ["wood", "scrub", "grassland", "beach", "cliff", "bare_rock"].contains(n))
    {
        return Some((BaseLayer::Landuse, natural.to_owned()));
    }
    None
}

/// What a feature can be as a facility.
#[derive(Debug, Clone, PartialEq)]
pub enum Candidate {
    /// A point of interest.
    Poi(PoiKind),
    /// A place people can shelter.
    Shelter(ShelterSite),
    /// A hazard source.
    Hazard {
        /// Its kind.
        kind: HazardKind,
        /// Its risk level.
        risk: RiskLevel,
        /// How far its influence reaches, metres.
        influence_radius_m: f64,
    },
}

/// How a kind of open space or building is turned into a shelter.
#[derive(Debug, Clone, PartialEq)]
pub struct ShelterSite {
    /// The rule's name, e.g. `park`.
    pub rule: &'static str,
    /// Open site or indoor.
    pub space: SpaceType,
    /// The share of the mapped area that is usable.
    pub usable_share: f64,
    /// Below this mapped area (m²) the site shelters too few people to list.
    pub minimum_area_m2: f64,
    /// GB 21734 class for indoor shelters.
    pub class: Option<ShelterClass>,
    /// What it is suitable for.
    pub suitable_for: &'static [HazardType],
    /// What it offers.
    pub amenities: &'static [Amenity],
}

impl ShelterSite {
    /// GB 51143 type by usable area: 1 ha and more of open space (or any school) can take people
    /// for days (fixed, short-term); smaller open spaces are emergency shelters.
    pub fn shelter_type(&self, usable_area_m2: f64) -> ShelterType {
        if self.space == SpaceType::Indoor || usable_area_m2 >= 10_000.0 {
            ShelterType::FixedShort
        } else {
            ShelterType::Emergency
        }
    }
}

const OPEN_SITE_HAZARDS: &[HazardType] = &[HazardType::Earthquake, HazardType::Fire];
const INDOOR_HAZARDS: &[HazardType] = &[
    HazardType::Typhoon,
    HazardType::Flood,
    HazardType::Waterlogging,
    HazardType::PublicHealth,
];

/// The candidate a feature's tags make it, if any.
pub(super) fn candidate(tags: &impl Tags) -> Option<Candidate> {
    let amenity = tags.tag("amenity");
    let poi = |kind| Some(Candidate::Poi(kind));
    match amenity {
        Some("hospital") => return poi(PoiKind::Hospital),
        Some("clinic" | "doctors") => return poi(PoiKind::Clinic),
        Some("fire_station") => return poi(PoiKind::FireStation),
        Some("police") => return poi(PoiKind::Police),
        Some("pharmacy") => return poi(PoiKind::Pharmacy),
        Some("community_centre" | "social_centre") => return poi(PoiKind::CommunityCentre),
        Some("townhall") => return poi(PoiKind::Townhall),
        Some("school") => {
            return Some(Candidate::Shelter(ShelterSite {
                rule: "school",
                space: SpaceType::Indoor,
                usable_share: 0.5,
                minimum_area_m2: 500.0,
                class: Some(ShelterClass::Iii),
                suitable_for: INDOOR_HAZARDS,
                amenities: &[Amenity::Water, Amenity::Power, Amenity::Toilets],
            }));
        }
        Some("fuel") => {
            return Some(Candidate::Hazard {
                kind: HazardKind::GasStation,
                risk: RiskLevel::General,
                influence_radius_m: 50.0,
            });
        }
        _ => {}
    }
    match tags.tag("emergency") {
        Some("defibrillator") => return poi(PoiKind::Defibrillator),
        Some("fire_hydrant") => return poi(PoiKind::FireHydrant),
        _ => {}
    }
    match tags.tag("leisure") {
        Some(rule @ ("park" | "garden")) => {
            return Some(Candidate::Shelter(ShelterSite {
                rule: if rule == "park" { "park" } else { "garden" },
                space: SpaceType::OpenSite,
                usable_share: 0.6,
                minimum_area_m2: 1_000.0,
                class: None,
                suitable_for: OPEN_SITE_HAZARDS,
                amenities: &[],
            }));
        }
        Some("pitch" | "playground") => {
            return Some(Candidate::Shelter(ShelterSite {
                rule: "pitch",
                space: SpaceType::OpenSite,
                usable_share: 0.9,
                minimum_area_m2: 400.0,
                class: None,
                suitable_for: OPEN_SITE_HAZARDS,
                amenities: &[],
            }));
        }
        _ => {}
    }
    if tags.tag("power") == Some("substation") {
        return Some(Candidate::Hazard {
            kind: HazardKind::HighVoltage,
            risk: RiskLevel::Low,
            influence_radius_m: 30.0,
        });
    }
    let is_port = tags.tag("landuse") == Some("harbour")
        || tags.tag("industrial") == Some("port")
        || tags.tag("harbour").is_some_and(|h| h != "no");
    if is_port {
        return Some(Candidate::Hazard {
            kind: HazardKind::Port,
            risk: RiskLevel::Large,
            influence_radius_m: 200.0,
        });
    }
    if tags.tag("natural") == Some("coastline") {
        return Some(Candidate::Hazard {
            kind: HazardKind::CoastalSurge,
            risk: RiskLevel::General,
            influence_radius_m: 100.0,
        });
    }
    None
}
