//! Hazard sources (风险源) and their zones of influence.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

crate::named_enum! {
    /// What kind of hazard source.
    pub enum HazardKind ("hazard kind") {
        /// A site storing or using hazardous chemicals (危化品场所).
        HazardousChemicalSite = "hazardous_chemical_site" | "危化品场所",
        /// A fuel or gas station (加油站 / 加气站).
        GasStation = "gas_station" | "加油站" | "加气站",
        /// A chemical industrial park (化工园区).
        ChemicalPark = "chemical_park" | "化工园区",
        /// An urban waterlogging point (易涝点).
        WaterloggingPoint = "waterlogging_point" | "易涝点",
        /// A geological hazard point: landslide, rockfall, debris flow (地质灾害隐患点).
        GeologicalHazardPoint = "geological_hazard_point" | "地质灾害隐患点",
        /// A dam or reservoir (水库大坝).
        Dam = "dam" | "水库" | "大坝",
        /// A high-voltage line or substation (高压线).
        HighVoltage = "high_voltage" | "高压线" | "变电站",
        /// A port or harbour with fuel and cargo handling (港口).
        Port = "port" | "港口",
        /// A coastline exposed to storm surge and high waves (风暴潮岸线).
        CoastalSurge = "coastal_surge" | "风暴潮",
        /// An area a flood inundates (洪水淹没区).
        FloodZone = "flood_zone" | "洪水淹没区" | "淹没区" | "洪涝区",
        /// An area prone to landslides and debris flows (滑坡易发区).
        LandslideZone = "landslide_zone" | "滑坡易发区" | "地质灾害易发区",
        /// Ground that liquefies in an earthquake (砂土液化区).
        LiquefactionZone = "liquefaction_zone" | "砂土液化区" | "液化区",
        /// A band along an active fault (活动断层带).
        FaultZone = "fault_zone" | "活动断层带" | "断裂带",
        /// An area a storm surge inundates (风暴潮淹没区).
        StormSurgeZone = "storm_surge_zone" | "风暴潮淹没区",
        /// Anything else.
        Other = "other" | "其他",
    }
}

crate::named_enum! {
    /// Risk level; Chinese practice grades 1 (major) to 4 (low).
    pub enum RiskLevel ("risk level") {
        /// 重大 (grade 1).
        Major = "major" | "重大" | "1" | "一级",
        /// 较大 (grade 2).
        Large = "large" | "较大" | "2" | "二级",
        /// 一般 (grade 3).
        General = "general" | "一般" | "3" | "三级",
        /// 低 (grade 4).
        Low = "low" | "低" | "4" | "四级",
    }
}

impl HazardKind {
    /// The hazards this kind brings: those in which people must not be sent to it or near it.
    /// An area kind is the hazard itself (a flood zone floods). A source is a secondary danger:
    /// a chemical site or fuel station fails, burns and leaks in an earthquake; a dam or a
    /// geological hazard point fails in one; a waterlogging point floods in rain; a coast surges in
    /// a typhoon.
    pub fn brings(self) -> &'static [crate::HazardType] {
        use crate::HazardType as H;
        match self {
            HazardKind::HazardousChemicalSite | HazardKind::ChemicalPark => {
                &[H::Earthquake, H::Fire, H::Chemical, H::Flood]
            }
            HazardKind::GasStation => &[H::Earthquake, H::Fire, H::Chemical],
            HazardKind::WaterloggingPoint => &[H::Waterlogging, H::Flood, H::Typhoon],
            HazardKind::GeologicalHazardPoint => {
                &[H::Earthquake, H::Landslide, H::Flood, H::Typhoon]
            }
            HazardKind::Dam => &[H::Earthquake, H::Flood],
            HazardKind::HighVoltage => &[H::Earthquake, H::Typhoon, H::Fire],
            HazardKind::Port => &[H::Typhoon, H::Chemical, H::Fire],
            HazardKind::CoastalSurge => &[H::Typhoon, H::Flood],
            HazardKind::FloodZone => &[H::Flood, H::Waterlogging],
            HazardKind::LandslideZone => &[H::Landslide],
            HazardKind::LiquefactionZone | HazardKind::FaultZone => &[H::Earthquake],
            HazardKind::StormSurgeZone => &[H::Typhoon, H::Flood],
            HazardKind::Other => &[
                H::Earthquake,
                H::Flood,
                H::Waterlogging,
                H::Typhoon,
                H::Fire,
                H::Landslide,
                H::Chemical,
                H::PublicHealth,
            ],
        }
    }

    /// Whether a source of this kind threatens people sheltering from `hazard` (it brings it).
    pub fn threatens(self, hazard: crate::HazardType) -> bool {
        self.brings().contains(&hazard)
    }

    /// Whether it is a secondary fire source (flammable or explosive goods), which a shelter must
    /// keep at least [`FIRE_SOURCE_CLEARANCE_M`] from.
    pub fn is_fire_source(self) -> bool {
        matches!(
            self,
            HazardKind::HazardousChemicalSite | HazardKind::GasStation | HazardKind::ChemicalPark
        )
    }
}

/// The least distance from a shelter to a secondary fire source, metres (the shelter design
/// codes' figure; see DESIGN.md's reference numbers).
pub const FIRE_SOURCE_CLEARANCE_M: f64 = 30.0;

impl RiskLevel {
    /// The grade, 1 (major, worst) to 4 (low).
    pub fn grade(self) -> u8 {
        match self {
            RiskLevel::Major => 1,
            RiskLevel::Large => 2,
            RiskLevel::General => 3,
            RiskLevel::Low => 4,
        }
    }
}

/// A hazard source's attributes beyond the common facility record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HazardSource {
    /// Its kind.
    pub hazard_kind: HazardKind,
    /// Its zone: a line (a coast, a power line) or polygon (a port, a chemical park). Without one,
    /// the hazard is the facility's point.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub zone: Option<geo::Geometry>,
    /// Risk level.
    pub risk: RiskLevel,
    /// How far from the zone (or point) its influence reaches, metres.
    pub influence_radius_m: f64,
    /// People threatened, where assessed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threatened_population: Option<u32>,
    /// The unit responsible for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responsible_unit: Option<String>,
}

/// The farthest a hazard's influence reaches, metres: a dam break or a chemical plume reaches tens
/// of kilometres; more is a mistake in the data.
pub const MAX_INFLUENCE_RADIUS_M: f64 = 100_000.0;

/// The most vertices a hazard zone from outside may have: ample for a chemical park or a coast,
/// and a bound on the work its influence buffer costs.
pub const MAX_ZONE_VERTICES: usize = 10_000;

/// Checks a hazard zone that arrives from outside (an upload, an import): at most
/// [`MAX_ZONE_VERTICES`] vertices, and polygons valid (closed, not self-intersecting rings), since
/// buffering an invalid polygon can take minutes. The error says what is wrong and where.
pub fn check_zone(zone: &geo::Geometry) -> Result<()> {
    use geo::{CoordsIter, Validation};
    let vertices = zone.coords_count();
    if vertices > MAX_ZONE_VERTICES {
        return Err(Error::field(
            "zone",
            format!(
                "{vertices} vertices is more than {MAX_ZONE_VERTICES}; simplify the zone first"
            ),
        ));
    }
    let invalid = match zone {
        geo::Geometry::Polygon(polygon) => polygon.check_validation().err().map(|e| e.to_string()),
        geo::Geometry::MultiPolygon(areas) => areas.check_validation().err().map(|e| e.to_string()),
        _ => None,
    };
    match invalid {
        Some(why) => Err(Error::field(
            "zone",
            format!("not a valid polygon ({why}); fix the ring, e.g. with ST_MakeValid or QGIS"),
        )),
        None => Ok(()),
    }
}

impl HazardSource {
    /// A point hazard of `kind` and `risk` reaching `influence_radius_m`.
    pub fn new(hazard_kind: HazardKind, risk: RiskLevel, influence_radius_m: f64) -> Result<Self> {
        let hazard = Self {
            hazard_kind,
            zone: None,
            risk,
            influence_radius_m,
            threatened_population: None,
            responsible_unit: None,
        };
        hazard.validate()?;
        Ok(hazard)
    }

    /// Checks each field, naming the first that is wrong.
    pub fn validate(&self) -> Result<()> {
        if !(self.influence_radius_m.is_finite()
            && (0.0..=MAX_INFLUENCE_RADIUS_M).contains(&self.influence_radius_m))
        {
            return Err(Error::field(
                "influence_radius_m",
                format!(
                    "{} is not a radius in metres from 0 to {MAX_INFLUENCE_RADIUS_M}",
                    self.influence_radius_m
                ),
            ));
        }
        if let Some(zone) = &self.zone {
            super::validate_geometry("zone", zone)?;
        }
        Ok(())
    }
}
