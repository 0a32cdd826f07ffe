//! Facilities as the API shows them: GeoJSON features whose properties are typed. The summary is
//! [`FacilitySummary`], made where the tiles make theirs; a detail adds the public record, the
//! stock held, and a private part that only token holders get. Nothing private can leak by a
//! renamed field: the public views list what they show, and the private part is its own type.

use refuge_core::{
    AdminArea, Catalog, Contact, Crs, Facility, FacilityBrief, FacilityDetails, FacilityId,
    FacilitySummary, HazardKind, ItemCategory, ItemId, LonLat, Poi, ReserveDepot, RiskLevel,
    Shelter, Source, SpatialIndex, StatusReport, Unit,
};
use serde::Serialize;
use utoipa::ToSchema;

/// The GeoJSON `type` of a feature.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub enum FeatureType {
    /// A feature.
    Feature,
}

/// The GeoJSON `type` of a collection.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub enum CollectionType {
    /// A feature collection.
    FeatureCollection,
}

/// The GeoJSON `type` of a point.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub enum PointType {
    /// A point.
    Point,
}

/// A GeoJSON point, in the CRS the request asked for.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Point {
    /// Always `Point`.
    #[serde(rename = "type")]
    pub kind: PointType,
    /// Longitude, latitude.
    pub coordinates: [f64; 2],
}

/// A facility as a GeoJSON feature: its id, its position, and properties of type `P`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Feature<P> {
    /// Always `Feature`.
    #[serde(rename = "type")]
    pub kind: FeatureType,
    /// The facility's id.
    pub id: u64,
    /// Its position.
    pub geometry: Point,
    /// What is shown of it.
    pub properties: P,
}

impl<P> Feature<P> {
    /// `facility` at its position in `crs`, showing `properties`.
    pub fn of(facility: &FacilityBrief, crs: Crs, properties: P) -> Self {
        Self::at(facility.id, facility.location, crs, properties)
    }

    /// The facility `id` at `location`, in `crs`, showing `properties`.
    pub fn at(id: FacilityId, location: LonLat, crs: Crs, properties: P) -> Self {
        Self {
            kind: FeatureType::Feature,
            id: id.get(),
            geometry: Point {
                kind: PointType::Point,
                coordinates: crs.from_wgs84(location),
            },
            properties,
        }
    }
}

/// The summary feature of a facility, for lists and markers.
pub fn summary(facility: &FacilityBrief, crs: Crs) -> Feature<FacilitySummary> {
    Feature::of(facility, crs, FacilitySummary::of(facility))
}

/// Everything public about a facility, the stock it holds, and the private part for staff.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FacilityDetail {
    /// The summary, as in lists and tiles.
    #[serde(flatten)]
    pub summary: FacilitySummary,
    /// The record's version, also its `ETag`: send it back in `If-Match` to change the record.
    pub version: u64,
    /// Street address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Administrative areas.
    pub admin: AdminArea,
    /// Operating organisation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    /// The last status report: the status, when, and (to staff only) by whom.
    pub report: StatusReport,
    /// Where the record came from.
    pub source: Source,
    /// The building or site outline as a GeoJSON geometry (WGS84 answers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub footprint: Option<geojson::Geometry>,
    /// The attributes of its kind.
    pub attributes: Attributes,
    /// Contact details: present for token holders only.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub private: Option<PrivatePart>,
    /// The stock it holds, by item.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stock: Vec<StockLine>,
    /// The lots on hand of each item, with their expiry, first expiring first (token holders
    /// only); reserved lots are not among them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lots: Vec<ItemLots>,
    /// Stock set aside here for plans (token holders only): on hand, usable by nothing else
    /// until the plan is dispatched or released.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reserved: Vec<refuge_core::Hold>,
    /// Shipments on the road from or to it (token holders only), oldest first: stock that has
    /// left the source and not yet reached the destination.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub in_transit: Vec<refuge_core::Transit>,
}

/// The lots of one item at a facility.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ItemLots {
    /// The catalogue item.
    pub item: ItemId,
    /// Its lots, first expiring first; expired lots too, until written off.
    pub lots: Vec<refuge_core::Lot>,
}

/// What only staff see of a facility.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PrivatePart {
    /// The person or desk to contact.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
    /// Who holds the key of a micro-storage site.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keyholder: Option<Contact>,
}

/// The attributes of a facility's kind, as the public may see them.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(untagged)]
pub enum Attributes {
    /// A shelter's.
    Shelter(Shelter),
    /// A reserve depot's.
    Reserve(ReserveDepot),
    /// A micro-storage site's; its keyholder is in the private part.
    MicroStorage(MicroStorageAttributes),
    /// A hazard source's.
    Hazard(HazardAttributes),
    /// A point of interest's.
    Poi(Poi),
}

/// A micro-storage site's public attributes (no other field: that tells them from the other
/// kinds' in the document).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MicroStorageAttributes {
    /// The depot that resupplies it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_depot: Option<FacilityId>,
    /// The organisation hosting it (a residents' committee, a property office).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// When it can be opened.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open_hours: Option<String>,
}

/// A hazard source's attributes, its zone as a GeoJSON geometry.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HazardAttributes {
    /// Its kind.
    pub hazard_kind: HazardKind,
    /// Its zone, WGS84 (WGS84 answers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub zone: Option<geojson::Geometry>,
    /// Risk level.
    pub risk: RiskLevel,
    /// How far its influence reaches, metres.
    pub influence_radius_m: f64,
    /// People threatened, where assessed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threatened_population: Option<u32>,
    /// The unit responsible for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub responsible_unit: Option<String>,
}

/// One item held at a facility.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StockLine {
    /// The catalogue item.
    pub item: ItemId,
    /// Its Chinese name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_zh: Option<String>,
    /// Its English name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_en: Option<String>,
    /// The unit counted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<Unit>,
    /// Its category.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<ItemCategory>,
    /// How many are on hand.
    pub quantity: u64,
}

/// Who is asking: the public, or staff holding a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// No token: contacts, keyholders and reporters' names are left out.
    Public,
    /// Any valid token.
    Staff,
}

/// The detail feature of a facility, for `audience`, positions in `crs`. Geometries other than
/// the point (outline, zone) are WGS84 only, so they are left out of answers in another CRS.
pub fn detail(
    facility: &Facility,
    index: &SpatialIndex,
    catalog: &Catalog,
    crs: Crs,
    audience: Audience,
) -> Feature<FacilityDetail> {
    let staff = audience == Audience::Staff;
    let geometry =
        |g: Option<&geo::Geometry>| g.filter(|_| crs == Crs::Wgs84).map(geojson::Geometry::from);
    let mut keyholder = None;
    let attributes = match &facility.details {
        FacilityDetails::Shelter(shelter) => Attributes::Shelter(shelter.clone()),
        FacilityDetails::Reserve(depot) => Attributes::Reserve(depot.clone()),
        FacilityDetails::MicroStorage(site) => {
            keyholder.clone_from(&site.keyholder);
            Attributes::MicroStorage(MicroStorageAttributes {
                parent_depot: site.parent_depot,
                host: site.host.clone(),
                open_hours: site.open_hours.clone(),
            })
        }
        FacilityDetails::Hazard(hazard) => Attributes::Hazard(HazardAttributes {
            hazard_kind: hazard.hazard_kind,
            zone: geometry(hazard.zone.as_ref()),
            risk: hazard.risk,
            influence_radius_m: hazard.influence_radius_m,
            threatened_population: hazard.threatened_population,
            responsible_unit: hazard.responsible_unit.clone(),
        }),
        FacilityDetails::Poi(poi) => Attributes::Poi(*poi),
    };
    let mut report = facility.status.clone();
    if !staff {
        report.reported_by = None;
    }
    let stock = index
        .stock_at(facility.id)
        .map(|(item, quantity)| {
            let entry = catalog.get(item).ok();
            StockLine {
                item: item.clone(),
                name_zh: entry.and_then(|i| i.name.zh.clone()),
                name_en: entry.and_then(|i| i.name.en.clone()),
                unit: entry.map(|i| i.unit),
                category: entry.map(|i| i.category),
                quantity,
            }
        })
        .collect();
    let footprint = facility.footprint.clone().map(geo::Geometry::MultiPolygon);
    let properties = FacilityDetail {
        summary: FacilitySummary::of_facility(facility),
        version: facility.version,
        address: facility.address.clone(),
        admin: facility.admin.clone(),
        operator: facility.operator.clone(),
        report,
        source: facility.source.clone(),
        footprint: geometry(footprint.as_ref()),
        attributes,
        private: staff.then(|| PrivatePart {
            contact: facility.contact.clone(),
            keyholder,
        }),
        stock,
        lots: Vec::new(),
        reserved: Vec::new(),
        in_transit: Vec::new(),
    };
    Feature::at(facility.id, facility.location, crs, properties)
}

/// A page of facilities.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FacilityPage {
    /// Always `FeatureCollection`.
    #[serde(rename = "type")]
    pub kind: CollectionType,
    /// The CRS of the positions.
    pub crs: Crs,
    /// The facilities of this page, by id.
    pub features: Vec<Feature<FacilitySummary>>,
    /// How many facilities match, on all pages.
    pub total: usize,
    /// The `offset` of the next page, if there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_offset: Option<usize>,
}

/// The nearest facilities, nearest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NearestResponse {
    /// Always `FeatureCollection`.
    #[serde(rename = "type")]
    pub kind: CollectionType,
    /// The CRS of the positions.
    pub crs: Crs,
    /// The facilities found, nearest first.
    pub features: Vec<Feature<NearestHit>>,
    /// How distances are measured.
    pub distance: &'static str,
    /// The point asked about, in the CRS asked.
    pub origin: [f64; 2],
    /// The data version the answer comes from.
    pub data_version: u64,
    /// With `hazard`: the shelters passed over on the way, nearest first, each with why (at most
    /// 20); with `k` found, those nearer than the last one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<Vec<SkippedShelter>>,
}

/// A nearer shelter passed over in a hazard, and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SkippedShelter {
    /// The shelter.
    pub id: FacilityId,
    /// Its names.
    pub name: refuge_core::Names,
    /// Its great-circle distance from the point, metres, to 0.1 m.
    pub distance_m: f64,
    /// `unsuitable` (it says it is unsuitable for the hazard) or `exposed` (a hazard source in
    /// force that brings the hazard threatens it).
    pub reason: &'static str,
    /// For `exposed`: the hazard source, its kind and names, and the shelter's metres from its
    /// zone or point (0 inside the zone).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hazard: Option<SkippedFor>,
}

/// The hazard source a shelter was passed over for.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SkippedFor {
    /// The hazard source.
    pub id: FacilityId,
    /// Its names.
    pub name: refuge_core::Names,
    /// Its kind.
    pub hazard_kind: refuge_core::HazardKind,
    /// The shelter's metres from its zone or point; 0 inside the zone.
    pub distance_m: f64,
}

impl SkippedShelter {
    /// How `skipped` reads in an answer, with the hazard source looked up in `index`.
    pub fn of(skipped: &refuge_core::Skipped<'_>, index: &refuge_core::SpatialIndex) -> Self {
        let (reason, hazard) = match skipped.why {
            refuge_core::Skip::Unsuitable => ("unsuitable", None),
            refuge_core::Skip::Exposed { hazard, distance_m } => {
                let source = index.get(hazard);
                let hazard = source.and_then(|f| {
                    Some(SkippedFor {
                        id: hazard,
                        name: f.name(),
                        hazard_kind: f.hazard()?.hazard_kind,
                        distance_m: (distance_m * 10.0).round() / 10.0,
                    })
                });
                ("exposed", hazard)
            }
        };
        Self {
            id: skipped.facility.id,
            name: skipped.facility.name(),
            distance_m: (skipped.distance_m * 10.0).round() / 10.0,
            reason,
            hazard,
        }
    }
}

/// A facility found near a point.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NearestHit {
    /// The facility's summary.
    #[serde(flatten)]
    pub summary: FacilitySummary,
    /// Its great-circle distance from the point, metres, to 0.1 m.
    pub distance_m: f64,
    /// With `by=walk`: metres on foot over the walkable ways, to 0.1 m; absent when no way
    /// leads there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub walk_m: Option<f64>,
    /// With `by=walk`: minutes on foot at 1.2 m/s.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub walk_minutes: Option<f64>,
}
