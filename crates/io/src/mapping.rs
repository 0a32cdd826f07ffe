//! The one converter from a record's named fields (a CSV row, a GeoJSON feature's properties) to
//! a [`Facility`]. Every tabular format goes through [`to_facility`].

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use refuge_core::{
    AdminArea, Contact, Crs, Designation, Facility, FacilityDetails, FacilityId, FacilityKind,
    HazardSource, LiveStatus, LonLat, MicroStorageSite, Names, Poi, PoiKind, ReserveDepot,
    ReserveMode, ReserveTier, RiskLevel, Shelter, ShelterType, Source, SpaceType, StatusReport,
};

use crate::report::stable_id;

refuge_core::named_enum! {
    /// A model field a record's column or property can be mapped to.
    pub enum Field ("field") {
        /// The record's id in its source.
        Id = "id",
        /// A name in whatever language: Chinese if it has CJK characters, else English.
        Name = "name",
        /// Chinese name.
        NameZh = "name_zh",
        /// English name.
        NameEn = "name_en",
        /// Street address.
        Address = "address",
        /// Facility kind.
        Kind = "kind",
        /// Designation.
        Designation = "designation",
        /// Live status.
        Status = "status",
        /// District.
        District = "district",
        /// Sub-district.
        Street = "street",
        /// Community.
        Community = "community",
        /// Operator.
        Operator = "operator",
        /// Contact phone.
        Phone = "phone",
        /// Shelter type.
        ShelterType = "shelter_type",
        /// Shelter class.
        ShelterClass = "class",
        /// Open site or indoor.
        Space = "space",
        /// Effective area, m².
        Area = "effective_area_m2",
        /// Design capacity, persons.
        Capacity = "capacity",
        /// Occupancy, persons.
        Occupancy = "occupancy",
        /// Hazards suited for, separated by `;` or `|`.
        SuitableFor = "suitable_for",
        /// What a shelter offers (water, power, toilets, medical, accessible, pets), separated by
        /// `;` or `|`.
        Amenities = "amenities",
        /// Step-free access for a wheelchair, as OpenStreetMap says it: `yes` adds the
        /// `accessible` amenity (`limited` and `no` do not).
        Wheelchair = "wheelchair",
        /// Service radius, m.
        ServiceRadius = "service_radius_m",
        /// Depot tier.
        Tier = "tier",
        /// The depot that resupplies a depot or a micro-storage site: the source id of a record
        /// of the same dataset, or `refuge:ID` for a facility already in the store.
        Parent = "parent",
        /// Reserve mode.
        ReserveMode = "reserve_mode",
        /// Depot volume, m³.
        Volume = "volume_m3",
        /// Hazard kind.
        HazardKind = "hazard_kind",
        /// Risk level.
        Risk = "risk",
        /// Influence radius, m.
        InfluenceRadius = "influence_radius_m",
        /// Point-of-interest kind.
        PoiKind = "poi_kind",
    }
}

impl Field {
    /// Other column names looked for, after the field's own name, when no mapping names one.
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Field::Id => &["source_id", "osm_id", "geonameid", "fid", "编号"],
            Field::Name => &["名称"],
            Field::NameZh => &["name:zh"],
            Field::NameEn => &["name:en"],
            Field::Address => &["addr", "地址"],
            Field::Capacity => &["design_capacity", "容纳人数"],
            Field::Area => &["area_m2", "area", "面积"],
            Field::Phone => &["contact", "电话"],
            Field::Parent => &["parent_id", "parent_depot", "上级储备库"],
            _ => &[],
        }
    }
}

/// Which column holds which field, where it is not the field's own name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mapping {
    columns: BTreeMap<Field, String>,
}

impl Mapping {
    /// Maps `field` to `column`.
    #[must_use]
    pub fn with(mut self, field: Field, column: impl Into<String>) -> Self {
        self.columns.insert(field, column.into());
        self
    }

    /// Parses `field=column`, as the CLI's `--map` takes it.
    pub fn parse_pair(pair: &str) -> refuge_core::Result<(Field, String)> {
        let (field, column) = pair.split_once('=').ok_or_else(|| {
            refuge_core::Error::field("map", format!("`{pair}` is not FIELD=COLUMN"))
        })?;
        Ok((field.parse()?, column.trim().to_owned()))
    }

    fn get<'r>(&self, record: &'r dyn Record, field: Field) -> Option<&'r str> {
        match self.columns.get(&field) {
            Some(column) => record.get(column),
            None => record
                .get(field.as_str())
                .or_else(|| field.aliases().iter().find_map(|column| record.get(column))),
        }
        .map(str::trim)
        .filter(|value| !value.is_empty())
    }
}

impl Mapping {
    /// Which live and planning fields `record` states.
    pub fn stated(&self, record: &dyn Record) -> crate::Stated {
        crate::Stated {
            id: self.get(record, Field::Id).is_some(),
            status: self.get(record, Field::Status).is_some(),
            designation: self.get(record, Field::Designation).is_some(),
        }
    }
}

/// A record whose fields can be read by column name.
pub trait Record {
    /// The text in `column`, if the record has it.
    fn get(&self, column: &str) -> Option<&str>;
}

impl Record for BTreeMap<String, String> {
    fn get(&self, column: &str) -> Option<&str> {
        BTreeMap::get(self, column).map(String::as_str)
    }
}

/// What every record of one import shares.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The dataset's name, kept as each record's source.
    pub dataset: String,
    /// The CRS positions are given in.
    pub crs: Crs,
    /// The text encoding of the attributes (CSV; GeoJSON is UTF-8 by its standard).
    pub encoding: crate::TextEncoding,
    /// The kind of records without a `kind` field.
    pub kind: Option<FacilityKind>,
    /// Column names that differ from field names.
    pub mapping: Mapping,
    /// The time live statuses are reported at.
    pub reported_at: DateTime<Utc>,
}

impl ImportOptions {
    /// Options for `dataset` in `crs`, with default mapping, reported now.
    pub fn new(dataset: impl Into<String>, crs: Crs) -> Self {
        Self {
            dataset: dataset.into(),
            crs,
            encoding: crate::TextEncoding::Utf8,
            kind: None,
            mapping: Mapping::default(),
            reported_at: Utc::now(),
        }
    }

    /// Attributes are in this text encoding.
    #[must_use]
    pub fn encoding(mut self, encoding: crate::TextEncoding) -> Self {
        self.encoding = encoding;
        self
    }

    /// Records without a `kind` are of this kind.
    #[must_use]
    pub fn kind(mut self, kind: FacilityKind) -> Self {
        self.kind = Some(kind);
        self
    }

    /// Use this mapping.
    #[must_use]
    pub fn mapping(mut self, mapping: Mapping) -> Self {
        self.mapping = mapping;
        self
    }
}

/// The geometry a record came with, already in WGS84.
#[derive(Debug, Clone)]
pub struct Placement {
    /// The point the facility is indexed at.
    pub location: LonLat,
    /// A polygon outline, if the record had one.
    pub footprint: Option<geo::MultiPolygon>,
    /// A line or polygon the hazard covers, if the record had one.
    pub zone: Option<geo::Geometry>,
}

/// The facility a `parent` value names: `refuge:ID` for a facility in the store, else the source
/// id of a record of the same dataset.
fn parent_id(value: &str, dataset: &str) -> Result<FacilityId, String> {
    match value.strip_prefix("refuge:") {
        Some(id) => id
            .trim()
            .parse::<u64>()
            .map_err(|_| format!("`parent`: `{value}` is not refuge: and a facility id"))
            .and_then(|id| FacilityId::new(id).map_err(|e| format!("`parent`: {e}"))),
        None => Ok(stable_id(dataset, value)),
    }
}

/// Builds a facility from a record. `fallback_record_id` identifies the record when it has no id
/// field (e.g. its line number). The error says which field is wrong and why.
pub fn to_facility(
    record: &dyn Record,
    placement: Placement,
    options: &ImportOptions,
    fallback_record_id: &str,
) -> Result<Facility, String> {
    let map = &options.mapping;
    let text = |field| map.get(record, field);
    let record_id = text(Field::Id).map(str::to_owned);
    let id = stable_id(
        &options.dataset,
        record_id.as_deref().unwrap_or(fallback_record_id),
    );
    let kind = match text(Field::Kind) {
        Some(kind) => parsed::<FacilityKind>(Field::Kind, kind)?,
        None => options
            .kind
            .ok_or("no kind: give the kind of the records (--kind) or a `kind` column")?,
    };
    let details = details(kind, record, options, placement.zone)?;
    let name = names(
        record,
        map,
        kind,
        record_id.as_deref().unwrap_or(fallback_record_id),
    )?;
    let facility = Facility {
        id,
        version: 1,
        name,
        address: text(Field::Address).map(str::to_owned),
        location: placement.location,
        footprint: placement.footprint,
        admin: AdminArea {
            district: text(Field::District).map(str::to_owned),
            street: text(Field::Street).map(str::to_owned),
            community: text(Field::Community).map(str::to_owned),
        },
        operator: text(Field::Operator).map(str::to_owned),
        contact: text(Field::Phone).map(|phone| Contact {
            name: None,
            phone: Some(phone.to_owned()),
        }),
        designation: optional(Field::Designation, text(Field::Designation))?
            .unwrap_or(Designation::Designated),
        status: StatusReport::new(
            optional(Field::Status, text(Field::Status))?.unwrap_or(LiveStatus::Standby),
            options.reported_at,
        ),
        source: Source {
            dataset: options.dataset.clone(),
            record: record_id,
            crs: options.crs,
        },
        details,
    };
    facility.validate().map_err(|e| e.to_string())?;
    Ok(facility)
}

fn details(
    kind: FacilityKind,
    record: &dyn Record,
    options: &ImportOptions,
    zone: Option<geo::Geometry>,
) -> Result<FacilityDetails, String> {
    let map = &options.mapping;
    let text = |field| map.get(record, field);
    let parent = || {
        text(Field::Parent)
            .map(|parent| parent_id(parent, &options.dataset))
            .transpose()
    };
    let number = |field| optional::<f64>(field, text(field));
    let whole = |field| optional::<u32>(field, text(field));
    Ok(match kind {
        FacilityKind::Shelter => {
            let shelter_type = optional(Field::ShelterType, text(Field::ShelterType))?
                .unwrap_or(ShelterType::Emergency);
            let space = optional(Field::Space, text(Field::Space))?.unwrap_or(SpaceType::OpenSite);
            let mut shelter = Shelter::new(shelter_type, space, number(Field::Area)?)
                .map_err(|e| e.to_string())?;
            shelter.class = optional(Field::ShelterClass, text(Field::ShelterClass))?;
            shelter.design_capacity = whole(Field::Capacity)?;
            shelter.occupancy = whole(Field::Occupancy)?.unwrap_or(0);
            if let Some(radius) = number(Field::ServiceRadius)? {
                shelter.service_radius_m = radius;
            }
            if let Some(list) = text(Field::SuitableFor) {
                for hazard in list
                    .split([';', '|', '、'])
                    .filter(|h| !h.trim().is_empty())
                {
                    shelter
                        .suitable_for
                        .insert(parsed(Field::SuitableFor, hazard)?);
                }
            }
            if let Some(list) = text(Field::Amenities) {
                for amenity in list
                    .split([';', '|', '、'])
                    .filter(|a| !a.trim().is_empty())
                {
                    shelter.amenities.insert(parsed(Field::Amenities, amenity)?);
                }
            }
            if text(Field::Wheelchair).is_some_and(|w| w.eq_ignore_ascii_case("yes") || w == "是")
            {
                shelter.amenities.insert(refuge_core::Amenity::Accessible);
            }
            FacilityDetails::Shelter(shelter)
        }
        FacilityKind::Reserve => {
            let tier = text(Field::Tier).ok_or("a reserve depot needs a `tier`")?;
            let mut depot = ReserveDepot::physical(parsed::<ReserveTier>(Field::Tier, tier)?);
            depot.mode = optional(Field::ReserveMode, text(Field::ReserveMode))?
                .unwrap_or(ReserveMode::Physical);
            depot.volume_m3 = number(Field::Volume)?;
            depot.parent = parent()?;
            FacilityDetails::Reserve(depot)
        }
        FacilityKind::MicroStorage => FacilityDetails::MicroStorage(MicroStorageSite {
            parent_depot: parent()?,
            host: None,
            keyholder: None,
            open_hours: None,
        }),
        FacilityKind::Hazard => {
            let hazard_kind = text(Field::HazardKind).ok_or("a hazard needs a `hazard_kind`")?;
            let mut hazard = HazardSource::new(
                parsed(Field::HazardKind, hazard_kind)?,
                optional(Field::Risk, text(Field::Risk))?.unwrap_or(RiskLevel::General),
                number(Field::InfluenceRadius)?.unwrap_or(0.0),
            )
            .map_err(|e| e.to_string())?;
            if let Some(zone) = &zone {
                refuge_core::check_zone(zone).map_err(|e| e.to_string())?;
            }
            hazard.zone = zone;
            FacilityDetails::Hazard(hazard)
        }
        FacilityKind::Poi => {
            let poi_kind = text(Field::PoiKind).ok_or("a point of interest needs a `poi_kind`")?;
            FacilityDetails::Poi(Poi {
                poi_kind: parsed::<PoiKind>(Field::PoiKind, poi_kind)?,
            })
        }
    })
}

/// The record's names; a record without any is named after its kind and source id.
fn names(
    record: &dyn Record,
    map: &Mapping,
    kind: FacilityKind,
    record_id: &str,
) -> Result<Names, String> {
    let mut zh = map.get(record, Field::NameZh).map(str::to_owned);
    let mut en = map.get(record, Field::NameEn).map(str::to_owned);
    if let Some(name) = map.get(record, Field::Name) {
        let slot = if name.chars().any(is_cjk) {
            &mut zh
        } else {
            &mut en
        };
        slot.get_or_insert_with(|| name.to_owned());
    }
    if zh.is_none() && en.is_none() {
        en = Some(format!("{} {record_id}", kind.as_str().replace('_', " ")));
    }
    Names::new(zh, en).map_err(|e| e.to_string())
}

/// Whether `c` is a CJK ideograph.
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}' | '\u{f900}'..='\u{faff}')
}

fn parsed<T: FromStr>(field: Field, text: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    text.trim()
        .parse()
        .map_err(|e| format!("`{field}`: `{text}` is not valid: {e}"))
}

fn optional<T: FromStr>(field: Field, text: Option<&str>) -> Result<Option<T>, String>
where
    T::Err: std::fmt::Display,
{
    text.map(|text| parsed(field, text)).transpose()
}

/// The id a facility gets from a dataset and its record id (re-exported for callers that build
/// facilities by rule rather than from records).
pub fn facility_id(dataset: &str, record: &str) -> FacilityId {
    stable_id(dataset, record)
}
