//! What the index keeps of a facility: what queries, filters, lists, markers and tiles read, in
//! about a fifth of the memory of the whole record.
//!
//! A city's numerous facilities, shelters and points of interest, are kept brief: position, names,
//! designation, live status and, for a shelter, its type, capacity, occupancy, suitability,
//! amenities and service radius. The whole record (address, contact, source, footprint, …) stays
//! in the store, which is the truth, and is read from there for a detail or an edit. Reserve
//! depots, micro-storage sites and hazard sources are few and are read whole by logistics and by
//! hazard zones, so they are kept whole.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use super::{
    AdminArea, Amenity, Designation, Facility, FacilityDetails, FacilityKind, HazardSource,
    HazardType, LiveStatus, Names, PoiKind, ReserveDepot, Room, Shelter, ShelterClass, ShelterType,
    SpaceType, Suitability,
};
use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::{Error, FacilityId, LonLat, Result};

/// A facility as the index keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct FacilityBrief {
    /// Stable id.
    pub id: FacilityId,
    /// Its position in WGS84.
    pub location: LonLat,
    /// Planned, designated or decommissioned.
    pub designation: Designation,
    /// The live status.
    pub status: LiveStatus,
    name: PackedNames,
    /// `None` for none known; shared by the facilities of one area (see [`Self::share_admin`]).
    admin: Option<Arc<AdminArea>>,
    details: BriefDetails,
}

/// The kind's part of a brief.
#[derive(Debug, Clone, PartialEq)]
enum BriefDetails {
    Shelter(ShelterBrief),
    Poi(PoiKind),
    /// A kind that is kept whole.
    Whole(Arc<Facility>),
}

impl FacilityBrief {
    /// The brief of `facility`: only a kind kept whole is copied.
    pub fn of(facility: &Facility) -> Self {
        let details = brief_details(&facility.details)
            .unwrap_or_else(|| BriefDetails::Whole(Arc::new(facility.clone())));
        Self::of_parts(BriefCommon::of(facility), facility.admin.clone(), details)
    }

    /// The brief of `facility`, taking it: a kind kept whole is not copied.
    pub fn from_facility(facility: Facility) -> Self {
        match brief_details(&facility.details) {
            Some(details) => {
                let admin = facility.admin.clone();
                Self::of_parts(BriefCommon::of(&facility), admin, details)
            }
            None => {
                let whole = Arc::new(facility);
                let details = BriefDetails::Whole(Arc::clone(&whole));
                Self::of_parts(BriefCommon::of(&whole), whole.admin.clone(), details)
            }
        }
    }

    /// A brief of the common fields, the areas and the kind's part.
    fn of_parts(common: BriefCommon<'_>, admin: AdminArea, details: BriefDetails) -> Self {
        Self {
            id: common.id,
            location: common.location,
            designation: common.designation,
            status: common.status,
            name: PackedNames::of(common.name),
            admin: (admin != AdminArea::default()).then(|| Arc::new(admin)),
            details,
        }
    }

    /// What kind of facility it is.
    pub fn kind(&self) -> FacilityKind {
        match &self.details {
            BriefDetails::Shelter(_) => FacilityKind::Shelter,
            BriefDetails::Poi(_) => FacilityKind::Poi,
            BriefDetails::Whole(facility) => facility.kind(),
        }
    }

    /// Its names.
    pub fn name(&self) -> Names {
        self.name.names()
    }

    /// Whether either of its names contains `needle`, ignoring case (as [`Names::contains`],
    /// without copying the names).
    pub fn name_contains(&self, needle: &str) -> bool {
        let (zh, en) = self.name.parts();
        [zh, en]
            .into_iter()
            .flatten()
            .any(|name| super::names::contains_ignoring_case(name, needle))
    }

    /// The administrative areas it lies in.
    pub fn admin(&self) -> &AdminArea {
        static NONE: AdminArea = AdminArea {
            district: None,
            street: None,
            community: None,
        };
        self.admin.as_deref().unwrap_or(&NONE)
    }

    /// Shares its administrative areas with the facilities of the same areas seen before (in
    /// `seen`): a city's facilities lie in a few hundred communities.
    pub fn share_admin(&mut self, seen: &mut HashSet<Arc<AdminArea>>) {
        if let Some(admin) = &mut self.admin {
            match seen.get(admin) {
                Some(shared) => *admin = Arc::clone(shared),
                None => {
                    seen.insert(Arc::clone(admin));
                }
            }
        }
    }

    /// The shelter's figures, if it is a shelter.
    pub fn shelter(&self) -> Option<&ShelterBrief> {
        match &self.details {
            BriefDetails::Shelter(shelter) => Some(shelter),
            _ => None,
        }
    }

    /// A point of interest's kind, if it is one.
    pub fn poi_kind(&self) -> Option<PoiKind> {
        match &self.details {
            BriefDetails::Poi(kind) => Some(*kind),
            _ => None,
        }
    }

    /// The whole record, for the kinds kept whole (reserve depots, micro-storage sites, hazard
    /// sources); `None` for shelters and points of interest, whose records are in the store.
    pub fn whole(&self) -> Option<&Facility> {
        match &self.details {
            BriefDetails::Whole(facility) => Some(facility),
            _ => None,
        }
    }

    /// The depot attributes, if it is a reserve depot.
    pub fn reserve(&self) -> Option<&ReserveDepot> {
        self.whole().and_then(Facility::reserve)
    }

    /// The hazard attributes, if it is a hazard source.
    pub fn hazard(&self) -> Option<&HazardSource> {
        self.whole().and_then(Facility::hazard)
    }

    /// Whether it is in service and reported open (see [`Facility::is_open`]).
    pub fn is_open(&self) -> bool {
        self.designation != Designation::Decommissioned && self.status == LiveStatus::Open
    }

    /// The same facility with another live status: what a stress test closes.
    #[must_use]
    pub fn with_status(&self, status: LiveStatus) -> Self {
        let mut changed = self.clone();
        changed.status = status;
        if let BriefDetails::Whole(facility) = &mut changed.details {
            Arc::make_mut(facility).status.status = status;
        }
        changed
    }
}

/// The fields of a stored facility record that its brief reads, and nothing else: a store reading
/// a whole city at start-up skips the rest of each record (its source, address and contact, the
/// time of the last report, a footprint) instead of building it. The fields every record must
/// have are required here too, present if not parsed. Read with serde from the record as
/// [`Facility`] writes it; then [`FacilityBrief::from_fields`].
#[derive(Debug, Deserialize)]
pub struct BriefFields {
    id: FacilityId,
    name: Names,
    location: LonLat,
    #[serde(default)]
    admin: AdminArea,
    designation: Designation,
    status: ReportedStatus,
    kind: FacilityKind,
    #[serde(rename = "source")]
    _source: IgnoredAny,
    #[serde(default)]
    shelter_type: Option<ShelterType>,
    #[serde(default)]
    space: Option<SpaceType>,
    #[serde(default, rename = "class")]
    _class: Option<ShelterClass>,
    #[serde(default)]
    effective_area_m2: Option<f64>,
    #[serde(default)]
    design_capacity: Option<u32>,
    #[serde(default)]
    occupancy: u32,
    #[serde(default)]
    suitable_for: Vec<HazardType>,
    #[serde(default)]
    amenities: Vec<Amenity>,
    #[serde(default)]
    service_radius_m: Option<f64>,
    #[serde(default)]
    poi_kind: Option<PoiKind>,
}

/// The status report, of which a brief keeps the status only.
#[derive(Debug, Deserialize)]
struct ReportedStatus {
    status: LiveStatus,
    #[serde(rename = "reported_at")]
    _reported_at: IgnoredAny,
}

impl FacilityBrief {
    /// The brief of a shelter or a point of interest from the fields of its stored record, checked
    /// as the whole record's are (a footprint and a contact, not read, are not checked); `None`
    /// for a kind kept whole, which is read whole.
    pub fn from_fields(fields: BriefFields) -> Result<Option<Self>> {
        fields.name.validate()?;
        let details = match fields.kind {
            FacilityKind::Shelter => {
                let shelter_type = fields
                    .shelter_type
                    .ok_or_else(|| Error::field("shelter_type", "missing"))?;
                let service_radius_m = fields
                    .service_radius_m
                    .ok_or_else(|| Error::field("service_radius_m", "missing"))?;
                fields
                    .space
                    .ok_or_else(|| Error::field("space", "missing"))?;
                super::shelter::check_figures(fields.effective_area_m2, service_radius_m)?;
                BriefDetails::Shelter(ShelterBrief::new(
                    shelter_type,
                    super::shelter::planned_capacity(
                        fields.design_capacity,
                        fields.effective_area_m2,
                    ),
                    fields.occupancy,
                    Bits::of(HazardType::ALL, &fields.suitable_for),
                    Bits::of(Amenity::ALL, &fields.amenities),
                    service_radius_m,
                ))
            }
            FacilityKind::Poi => BriefDetails::Poi(
                fields
                    .poi_kind
                    .ok_or_else(|| Error::field("poi_kind", "missing"))?,
            ),
            FacilityKind::Reserve | FacilityKind::MicroStorage | FacilityKind::Hazard => {
                return Ok(None);
            }
        };
        let common = BriefCommon {
            id: fields.id,
            location: fields.location,
            designation: fields.designation,
            status: fields.status.status,
            name: &fields.name,
        };
        Ok(Some(Self::of_parts(common, fields.admin, details)))
    }
}

/// The fields every brief has, whichever way it is read.
struct BriefCommon<'a> {
    id: FacilityId,
    location: LonLat,
    designation: Designation,
    status: LiveStatus,
    name: &'a Names,
}

impl<'a> BriefCommon<'a> {
    fn of(facility: &'a Facility) -> Self {
        Self {
            id: facility.id,
            location: facility.location,
            designation: facility.designation,
            status: facility.status.status,
            name: &facility.name,
        }
    }
}

/// The brief of a kind's details, or `None` for a kind kept whole.
fn brief_details(details: &FacilityDetails) -> Option<BriefDetails> {
    match details {
        FacilityDetails::Shelter(shelter) => Some(BriefDetails::Shelter(ShelterBrief::of(shelter))),
        FacilityDetails::Poi(poi) => Some(BriefDetails::Poi(poi.poi_kind)),
        FacilityDetails::Reserve(_)
        | FacilityDetails::MicroStorage(_)
        | FacilityDetails::Hazard(_) => None,
    }
}

impl From<Facility> for FacilityBrief {
    fn from(facility: Facility) -> Self {
        Self::from_facility(facility)
    }
}

/// What the index keeps of a shelter: what filters, coverage and the map read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShelterBrief {
    /// Service radius, metres.
    pub service_radius_m: f64,
    /// The capacity, if `has_capacity` (not an `Option`: this way a brief is 8 bytes smaller).
    capacity: u32,
    /// People sheltering now.
    pub occupancy: u32,
    suitable_for: Bits,
    amenities: Bits,
    /// GB 51143 function type.
    pub shelter_type: ShelterType,
    has_capacity: bool,
}

impl ShelterBrief {
    /// The brief of `shelter`.
    pub fn of(shelter: &Shelter) -> Self {
        Self::new(
            shelter.shelter_type,
            shelter.capacity(),
            shelter.occupancy,
            Bits::of(HazardType::ALL, &shelter.suitable_for),
            Bits::of(Amenity::ALL, &shelter.amenities),
            shelter.service_radius_m,
        )
    }

    fn new(
        shelter_type: ShelterType,
        capacity: Option<u32>,
        occupancy: u32,
        suitable_for: Bits,
        amenities: Bits,
        service_radius_m: f64,
    ) -> Self {
        Self {
            service_radius_m,
            capacity: capacity.unwrap_or(0),
            occupancy,
            suitable_for,
            amenities,
            shelter_type,
            has_capacity: capacity.is_some(),
        }
    }

    /// The capacity people plan with (see [`Shelter::capacity`]).
    pub fn capacity(&self) -> Option<u32> {
        self.has_capacity.then_some(self.capacity)
    }

    /// Places left (see [`Shelter::available`]).
    pub fn available(&self) -> Option<u32> {
        super::shelter::places_left(self.capacity(), self.occupancy)
    }

    /// Whether people can still come (see [`Shelter::room`]).
    pub fn room(&self) -> Room {
        super::shelter::room_for(self.available())
    }

    /// The hazards it states it suits.
    pub fn suitable_for(&self) -> BTreeSet<HazardType> {
        self.suitable_for.items(HazardType::ALL).collect()
    }

    /// Whether it states it suits `hazard`.
    pub fn suits(&self, hazard: HazardType) -> bool {
        self.suitable_for.has(HazardType::ALL, hazard)
    }

    /// What is known of its suitability for `hazard` (see [`Shelter::suitability`]).
    pub fn suitability(&self, hazard: HazardType) -> Suitability {
        super::shelter::suitability_of(self.suits(hazard), self.suitable_for.is_empty())
    }

    /// Whether it offers `amenity`.
    pub fn offers(&self, amenity: Amenity) -> bool {
        self.amenities.has(Amenity::ALL, amenity)
    }
}

/// A set of a kind's variants as bits, by their place in the kind's `ALL` (at most 16).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Bits(u16);

const _: () = assert!(HazardType::ALL.len() <= 16 && Amenity::ALL.len() <= 16);

impl Bits {
    fn of<'a, T: PartialEq + 'a>(all: &[T], items: impl IntoIterator<Item = &'a T>) -> Self {
        Self(items.into_iter().fold(0, |bits, item| {
            bits | all
                .iter()
                .position(|known| known == item)
                .map_or(0, |at| 1 << at)
        }))
    }

    fn has<T: PartialEq>(self, all: &[T], item: T) -> bool {
        all.iter()
            .position(|known| *known == item)
            .is_some_and(|at| self.0 & (1 << at) != 0)
    }

    fn is_empty(self) -> bool {
        self.0 == 0
    }

    fn items<T: Copy>(self, all: &[T]) -> impl Iterator<Item = T> + '_ {
        all.iter()
            .enumerate()
            .filter(move |(at, _)| self.0 & (1 << at) != 0)
            .map(|(_, item)| *item)
    }
}

/// Both names in one allocation: the Chinese name, then the English one.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PackedNames {
    text: Box<str>,
    /// Where the English name begins in `text`; `u32::MAX` without a Chinese name.
    zh_end: u32,
    has_en: bool,
}

impl PackedNames {
    fn of(names: &Names) -> Self {
        let zh = names.zh.as_deref();
        let en = names.en.as_deref();
        let text = [zh.unwrap_or_default(), en.unwrap_or_default()].concat();
        Self {
            zh_end: zh.map_or(u32::MAX, |zh| u32::try_from(zh.len()).unwrap_or(u32::MAX)),
            has_en: en.is_some(),
            text: text.into_boxed_str(),
        }
    }

    fn names(&self) -> Names {
        let (zh, en) = self.parts();
        Names {
            zh: zh.map(str::to_owned),
            en: en.map(str::to_owned),
        }
    }

    /// The Chinese name and the English one, as kept.
    fn parts(&self) -> (Option<&str>, Option<&str>) {
        let split = if self.zh_end == u32::MAX {
            0
        } else {
            self.zh_end as usize
        };
        let (zh, en) = self
            .text
            .split_at_checked(split)
            .unwrap_or(("", &self.text));
        (
            (self.zh_end != u32::MAX).then_some(zh),
            self.has_en.then_some(en),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::doc_support::shelter;

    #[test]
    fn a_brief_keeps_what_a_summary_shows() {
        let mut facility = shelter(7, 116.4, 39.9);
        facility.name = Names::new(Some("朝阳公园".into()), Some("Chaoyang Park".into())).unwrap();
        facility.admin.district = Some("朝阳区".into());
        if let FacilityDetails::Shelter(s) = &mut facility.details {
            s.occupancy = 300;
            s.suitable_for.insert(HazardType::Flood);
            s.amenities.insert(Amenity::Water);
        }
        let brief = FacilityBrief::of(&facility);
        assert_eq!(brief.name(), facility.name);
        assert_eq!(brief.admin(), &facility.admin);
        assert_eq!(brief.kind(), FacilityKind::Shelter);
        let kept = brief.shelter().unwrap();
        let whole = facility.shelter().unwrap();
        assert_eq!(kept.capacity(), whole.capacity());
        assert_eq!(kept.room(), whole.room());
        assert_eq!(kept.suitable_for(), whole.suitable_for);
        assert_eq!(kept.suitability(HazardType::Fire), Suitability::Unsuitable);
        assert!(kept.offers(Amenity::Water) && !kept.offers(Amenity::Pets));
        assert!(brief.whole().is_none());
    }

    #[test]
    fn a_name_search_ignores_case_in_either_name_and_never_spans_both() {
        let mut facility = shelter(7, 116.4, 39.9);
        facility.name = Names::new(Some("朝阳公园".into()), Some("Chaoyang Park".into())).unwrap();
        let brief = FacilityBrief::of(&facility);
        for (needle, found) in [
            ("park", true),
            ("CHAOYANG", true),
            ("阳公", true),
            ("", true),
            ("园Chao", false),
            ("parks", false),
        ] {
            assert_eq!(brief.name_contains(needle), found, "{needle}");
            assert_eq!(facility.name.contains(needle), found, "{needle}");
        }
        facility.name = Names::new(None, Some("ÉCOLE Ümit".into())).unwrap();
        assert!(FacilityBrief::of(&facility).name_contains("école ü"));
    }

    /// Facilities of one area share its names: a city has a few hundred communities.
    #[test]
    fn the_facilities_of_an_area_share_it() {
        let mut a = shelter(1, 116.4, 39.9);
        let mut b = shelter(2, 116.41, 39.91);
        for facility in [&mut a, &mut b] {
            facility.admin.district = Some("东城区".into());
            facility.admin.community = Some("东华门社区".into());
        }
        let index = crate::SpatialIndex::new(vec![a.clone(), b]).unwrap();
        let (first, second) = (
            index.get(a.id).unwrap(),
            index.get(FacilityId::new(2).unwrap()).unwrap(),
        );
        assert_eq!(first.admin(), &a.admin);
        assert!(std::ptr::eq(first.admin(), second.admin()));
    }

    /// The budget of a facility at 10M in 2 GB is 200 bytes, with the tree and the names.
    #[test]
    fn a_brief_stays_small() {
        assert!(
            size_of::<FacilityBrief>() <= 88,
            "{}",
            size_of::<FacilityBrief>()
        );
    }

    #[test]
    fn names_survive_packing_whichever_are_present() {
        for (zh, en) in [
            (Some("避难所"), None),
            (None, Some("Shelter")),
            (Some("避难所"), Some("Shelter")),
        ] {
            let names = Names::new(zh.map(str::to_owned), en.map(str::to_owned)).unwrap();
            assert_eq!(PackedNames::of(&names).names(), names);
        }
    }
}
