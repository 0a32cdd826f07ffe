//! The common facility record every kind shares (like Sahana Eden's `org_site`).

use serde::{Deserialize, Serialize};

use crate::{
    Crs, Designation, Error, FacilityId, HazardSource, LonLat, MicroStorageSite, Names, Poi,
    ReserveDepot, Result, Shelter, StatusReport,
};

crate::named_enum! {
    /// What a facility is.
    pub enum FacilityKind ("facility kind") {
        /// An emergency shelter.
        Shelter = "shelter" | "避难场所",
        /// A material reserve depot of any tier.
        Reserve = "reserve" | "储备库",
        /// A community micro-storage site.
        MicroStorage = "micro_storage" | "微型储备点",
        /// A hazard source.
        Hazard = "hazard" | "风险源",
        /// Another point of interest: hospital, fire station, AED, …
        Poi = "poi",
    }
}

impl FacilityKind {
    /// The name of the map layer that holds facilities of this kind, in tiles and in exports:
    /// `shelters`, `reserves`, `micro_storage`, `hazards`, `pois`.
    pub fn layer_name(self) -> &'static str {
        match self {
            FacilityKind::Shelter => "shelters",
            FacilityKind::Reserve => "reserves",
            FacilityKind::MicroStorage => "micro_storage",
            FacilityKind::Hazard => "hazards",
            FacilityKind::Poi => "pois",
        }
    }
}

/// The administrative areas a facility lies in: codes or names, as the source gives them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdminArea {
    /// District (区/县).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
    /// Sub-district or town (街道/镇).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street: Option<String>,
    /// Community (社区).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub community: Option<String>,
}

/// A person or desk to contact. Private: hidden from anonymous readers.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Contact {
    /// Name of the person or desk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Telephone number: digits, spaces, `+`, `-`, parentheses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

impl Contact {
    /// Checks the phone number's characters; `field` names the contact in the error.
    pub fn validate(&self, field: &'static str) -> Result<()> {
        if let Some(phone) = &self.phone {
            let digits = phone.chars().filter(char::is_ascii_digit).count();
            let well_formed = phone
                .chars()
                .all(|c| c.is_ascii_digit() || " +-()".contains(c));
            if !well_formed || !(3..=20).contains(&digits) {
                return Err(Error::field(
                    field,
                    format!("`{phone}` is not a telephone number"),
                ));
            }
        }
        Ok(())
    }
}

/// Where a record came from: the dataset, the record's id in it, and the CRS it was given in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Source {
    /// The dataset, e.g. a file name or `osm`.
    pub dataset: String,
    /// The record's own id in the dataset, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    /// The CRS positions were given in before conversion to WGS84.
    pub crs: Crs,
}

/// The attributes that depend on the kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[allow(clippy::large_enum_variant)]
pub enum FacilityDetails {
    /// A shelter.
    Shelter(Shelter),
    /// A reserve depot.
    Reserve(ReserveDepot),
    /// A micro-storage site.
    MicroStorage(MicroStorageSite),
    /// A hazard source.
    Hazard(HazardSource),
    /// A point of interest.
    Poi(Poi),
}

/// A facility: the common record and its kind's attributes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Facility {
    /// Stable id.
    pub id: FacilityId,
    /// The record's version: 1 when created, one more with every stored change. Writers send the
    /// version they read (`If-Match`) so that no change overwrites another unseen.
    #[serde(default = "first_version")]
    pub version: u64,
    /// Name in Chinese and/or English.
    pub name: Names,
    /// Street address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Its position in WGS84 (for a zone or footprint, a point inside it).
    pub location: LonLat,
    /// The building or site outline, WGS84.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub footprint: Option<geo::MultiPolygon>,
    /// Administrative areas.
    #[serde(default)]
    pub admin: AdminArea,
    /// Operating organisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    /// Contact. Private.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
    /// Planned, designated or decommissioned.
    pub designation: Designation,
    /// The live status and when it was reported.
    pub status: StatusReport,
    /// Provenance.
    pub source: Source,
    /// Kind-specific attributes; their tag is `kind`.
    #[serde(flatten)]
    pub details: FacilityDetails,
}

fn first_version() -> u64 {
    1
}

impl Facility {
    /// What kind of facility this is.
    pub fn kind(&self) -> crate::FacilityKind {
        match &self.details {
            FacilityDetails::Shelter(_) => FacilityKind::Shelter,
            FacilityDetails::Reserve(_) => FacilityKind::Reserve,
            FacilityDetails::MicroStorage(_) => FacilityKind::MicroStorage,
            FacilityDetails::Hazard(_) => FacilityKind::Hazard,
            FacilityDetails::Poi(_) => FacilityKind::Poi,
        }
    }

    /// The shelter attributes, if it is a shelter.
    pub fn shelter(&self) -> Option<&Shelter> {
        match &self.details {
            FacilityDetails::Shelter(shelter) => Some(shelter),
            _ => None,
        }
    }

    /// The depot attributes, if it is a reserve depot.
    pub fn reserve(&self) -> Option<&ReserveDepot> {
        match &self.details {
            FacilityDetails::Reserve(depot) => Some(depot),
            _ => None,
        }
    }

    /// The hazard attributes, if it is a hazard source.
    pub fn hazard(&self) -> Option<&HazardSource> {
        match &self.details {
            FacilityDetails::Hazard(hazard) => Some(hazard),
            _ => None,
        }
    }

    /// Whether it is in service and reported open (for a shelter: open, not full).
    pub fn is_open(&self) -> bool {
        self.designation != Designation::Decommissioned
            && self.status.status == crate::LiveStatus::Open
    }

    /// Checks every field, naming the first that is wrong.
    pub fn validate(&self) -> Result<()> {
        self.name.validate()?;
        if let Some(footprint) = &self.footprint {
            super::validate_geometry("footprint", &geo::Geometry::MultiPolygon(footprint.clone()))?;
        }
        if let Some(contact) = &self.contact {
            contact.validate("contact")?;
        }
        match &self.details {
            FacilityDetails::Shelter(shelter) => shelter.validate(),
            FacilityDetails::Reserve(depot) => {
                depot.validate()?;
                if depot.parent == Some(self.id) {
                    return Err(Error::field("parent", "a depot cannot resupply itself"));
                }
                Ok(())
            }
            FacilityDetails::MicroStorage(site) => site.validate(),
            FacilityDetails::Hazard(hazard) => hazard.validate(),
            FacilityDetails::Poi(_) => Ok(()),
        }
    }
}
