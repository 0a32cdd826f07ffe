//! OpenStreetMap PBF: base-map layers plus candidate facilities by the tag rules in [`rules`].

mod rings;
pub mod rules;

use std::collections::HashMap;
use std::io::Read;

use geo::orient::{Direction, Orient};
use geo::{GeodesicArea, Geometry, InteriorPoint, LineString, MultiPolygon, Polygon};
use osmpbf::{Element, ElementReader, RelMemberType};
use refuge_core::{
    AdminArea, Crs, Designation, Facility, FacilityDetails, FacilityId, HazardSource, LiveStatus,
    LonLat, Names, Poi, Shelter, Source, StatusReport,
};

use crate::mapping::ImportOptions;
use crate::report::{ImportReport, Location};
use crate::sink::{ImportSink, Outcome, Stated};
use crate::{Error, Import, Result};
use refuge_core::BaseFeature;
use rules::{Candidate, Tags};

type TagList = Vec<(String, String)>;
/// A relation's way members (id, role) and its tags.
type Relation = (i64, Vec<(i64, String)>, TagList);

/// Everything read from the file, before it is turned into features.
#[derive(Default)]
struct Raw {
    nodes: HashMap<i64, (f64, f64)>,
    tagged_nodes: Vec<(i64, TagList)>,
    ways: HashMap<i64, (Vec<i64>, TagList)>,
    relations: Vec<Relation>,
}

/// A tagged OpenStreetMap element with its geometry.
struct Element2 {
    at: Location,
    id: u64,
    tags: TagList,
    geometry: Geometry,
}

/// Reads an OpenStreetMap PBF extract: base-map features (roads, buildings, water, land use,
/// boundaries) and candidate facilities (hospitals, fire stations, police, pharmacies, AEDs, schools,
/// parks and pitches as shelter candidates, fuel stations, substations, ports and the coast as
/// hazard sources). Shelter candidates are `planned`, not designated: designating them is a
/// planner's decision (the demo city does it by the rules in `data/README.md`).
pub fn read_osm(input: impl Read + Send, options: &ImportOptions) -> Result<Import> {
    let mut import = Import::new(&options.dataset);
    import.report = stream_osm(input, options, &mut import)?;
    Ok(import)
}

/// Reads an OpenStreetMap PBF extract like [`read_osm`], handing each accepted facility and
/// base-map feature to `sink`. The extract's nodes and ways are held in memory while its
/// geometries are assembled.
pub fn stream_osm(
    input: impl Read + Send,
    options: &ImportOptions,
    sink: &mut dyn ImportSink,
) -> Result<ImportReport> {
    let raw = read_raw(input, &options.dataset)?;
    let mut report = ImportReport::new(&options.dataset);
    for element in elements(&raw, &mut report) {
        // Tagged nodes (crossings, bus stops, signals) are not base-map shapes.
        let shape = !matches!(element.at, Location::Node(_));
        let is_relation = matches!(element.at, Location::Relation(_));
        let layer = shape
            .then(|| rules::base_layer(&element.tags, is_relation))
            .flatten();
        if let Some((layer, class)) = layer {
            let feature = BaseFeature {
                id: element.id,
                layer,
                class,
                name: element.tags.tag("name").map(str::to_owned),
                name_zh: element.tags.tag("name:zh").map(str::to_owned),
                geometry: element.geometry.clone(),
            };
            if let Outcome::Refused(reason) = sink.base(feature)? {
                report.reject(element.at, reason);
            }
        }
        let Some(candidate) = rules::candidate(&element.tags) else {
            continue;
        };
        report.read_one();
        match facility(&element, candidate, options) {
            // An element has its OpenStreetMap id; tag rules state neither a live status nor a
            // designation.
            Ok(facility) => {
                let stated = Stated {
                    id: true,
                    ..Stated::default()
                };
                report.hand_over(element.at, facility, stated, sink)?;
            }
            Err(reason) => report.reject(element.at, reason),
        }
    }
    Ok(report)
}

fn read_raw(input: impl Read + Send, dataset: &str) -> Result<Raw> {
    let mut raw = Raw::default();
    let tags = |iter: &mut dyn Iterator<Item = (&str, &str)>| -> TagList {
        iter.map(|(k, v)| (k.to_owned(), v.to_owned())).collect()
    };
    ElementReader::new(input)
        .for_each(|element| match element {
            Element::Node(node) => {
                raw.nodes.insert(node.id(), (node.lon(), node.lat()));
                let list = tags(&mut node.tags());
                if !list.is_empty() {
                    raw.tagged_nodes.push((node.id(), list));
                }
            }
            Element::DenseNode(node) => {
                raw.nodes.insert(node.id(), (node.lon(), node.lat()));
                let list = tags(&mut node.tags());
                if !list.is_empty() {
                    raw.tagged_nodes.push((node.id(), list));
                }
            }
            Element::Way(way) => {
                raw.ways
                    .insert(way.id(), (way.refs().collect(), tags(&mut way.tags())));
            }
            Element::Relation(relation) => {
                let list = tags(&mut relation.tags());
                let kind = list.tag("type");
                if matches!(kind, Some("multipolygon" | "boundary")) {
                    let members = relation
                        .members()
                        .filter(|m| m.member_type == RelMemberType::Way)
                        .map(|m| (m.member_id, m.role().unwrap_or("outer").to_owned()))
                        .collect();
                    raw.relations.push((relation.id(), members, list));
                }
            }
        })
        .map_err(|e| Error::Pbf {
            dataset: dataset.to_owned(),
            message: e.to_string(),
        })?;
    if raw.nodes.is_empty() {
        return Err(Error::Pbf {
            dataset: dataset.to_owned(),
            message: "the file holds no nodes".into(),
        });
    }
    Ok(raw)
}

/// Tagged nodes, ways and multipolygon relations with their geometry. Ways whose nodes are missing
/// (cut off by the extract) are rejected in the report if they would have been used.
fn elements(raw: &Raw, report: &mut ImportReport) -> Vec<Element2> {
    let mut out = Vec::new();
    for (id, tags) in &raw.tagged_nodes {
        if let Some(&(lon, lat)) = raw.nodes.get(id) {
            out.push(Element2 {
                at: Location::Node(*id),
                id: osm_id(*id, 1),
                tags: tags.clone(),
                geometry: Geometry::Point((lon, lat).into()),
            });
        }
    }
    let mut way_ids: Vec<&i64> = raw.ways.keys().collect();
    way_ids.sort();
    for id in way_ids {
        let Some((refs, tags)) = raw.ways.get(id) else {
            continue;
        };
        if tags.is_empty() {
            continue;
        }
        let Some(line) = line_of(raw, refs) else {
            if rules::base_layer(tags, false).is_some() || rules::candidate(tags).is_some() {
                report.read_one();
                report.reject(
                    Location::Way(*id),
                    "some of its nodes are not in the extract",
                );
            }
            continue;
        };
        out.push(Element2 {
            at: Location::Way(*id),
            id: osm_id(*id, 2),
            tags: tags.clone(),
            geometry: if is_area(refs, tags) {
                Geometry::Polygon(Polygon::new(line, vec![]))
            } else {
                Geometry::LineString(line)
            },
        });
    }
    for (id, members, tags) in &raw.relations {
        match relation_area(raw, members) {
            Some(area) => out.push(Element2 {
                at: Location::Relation(*id),
                id: osm_id(*id, 3),
                tags: tags.clone(),
                geometry: Geometry::MultiPolygon(area),
            }),
            None if rules::base_layer(tags, true).is_some() || rules::candidate(tags).is_some() => {
                report.read_one();
                report.reject(
                    Location::Relation(*id),
                    "its rings do not close (members are missing from the extract)",
                );
            }
            None => {}
        }
    }
    out
}

/// OpenStreetMap ids of nodes, ways and relations overlap; Refuge ids keep them apart:
/// id × 4 + 1 (node), 2 (way), 3 (relation). Below 2⁵³ for any id OpenStreetMap will reach.
fn osm_id(id: i64, kind: u64) -> u64 {
    id.unsigned_abs() * 4 + kind
}

fn line_of(raw: &Raw, refs: &[i64]) -> Option<LineString> {
    refs.iter()
        .map(|r| {
            raw.nodes
                .get(r)
                .map(|&(lon, lat)| geo::Coord { x: lon, y: lat })
        })
        .collect::<Option<Vec<_>>>()
        .map(LineString::new)
        .filter(|line| line.0.len() >= 2)
}

fn is_area(refs: &[i64], tags: &TagList) -> bool {
    let closed = refs.len() >= 4 && refs.first() == refs.last();
    let linear = (tags.tag("highway").is_some() && tags.tag("area") != Some("yes"))
        || tags.tag("natural") == Some("coastline")
        || tags.tag("barrier").is_some()
        || tags.tag("power") == Some("line")
        || (tags.tag("waterway").is_some() && tags.tag("waterway") != Some("riverbank"));
    closed && !linear && tags.tag("area") != Some("no")
}

fn relation_area(raw: &Raw, members: &[(i64, String)]) -> Option<MultiPolygon> {
    let mut outers = Vec::new();
    let mut inners = Vec::new();
    for (way, role) in members {
        let (refs, _) = raw.ways.get(way)?;
        if role == "inner" {
            inners.push(refs.clone());
        } else {
            outers.push(refs.clone());
        }
    }
    let to_lines = |parts| -> Option<Vec<LineString>> {
        rings::close_rings(parts)?
            .iter()
            .map(|ring| line_of(raw, ring))
            .collect()
    };
    Some(rings::assemble(to_lines(outers)?, to_lines(inners)?))
}

/// The area of a polygonal geometry in m² on the WGS84 ellipsoid; 0 for points and lines.
/// Rings are oriented first: on the ellipsoid a clockwise ring encloses the rest of the Earth.
pub fn area_m2(geometry: &Geometry) -> f64 {
    match geometry {
        Geometry::Polygon(p) => p.orient(Direction::Default).geodesic_area_unsigned(),
        Geometry::MultiPolygon(p) => p.orient(Direction::Default).geodesic_area_unsigned(),
        _ => 0.0,
    }
}

fn facility(
    element: &Element2,
    candidate: Candidate,
    options: &ImportOptions,
) -> Result<Facility, String> {
    let location = element
        .geometry
        .interior_point()
        .ok_or("empty geometry")
        .and_then(|p| LonLat::try_from(p).map_err(|_| "no valid position"))?;
    let footprint = match &element.geometry {
        Geometry::Polygon(p) => Some(MultiPolygon(vec![p.clone()])),
        Geometry::MultiPolygon(p) => Some(p.clone()),
        _ => None,
    };
    let area = area_m2(&element.geometry);
    let tag = |key| element.tags.tag(key).map(str::to_owned);
    let (details, designation, rule) = match candidate {
        Candidate::Poi(kind) => (
            FacilityDetails::Poi(Poi { poi_kind: kind }),
            Designation::Designated,
            kind.as_str(),
        ),
        Candidate::Shelter(site) => {
            if footprint.is_none() {
                return Err(format!(
                    "a {} mapped as a point has no area to shelter people",
                    site.rule
                ));
            }
            if area < site.minimum_area_m2 {
                return Err(format!(
                    "a {} of {area:.0} m² is below the {:.0} m² a shelter needs",
                    site.rule, site.minimum_area_m2
                ));
            }
            let usable = (area * site.usable_share).round();
            let mut shelter = Shelter::new(site.shelter_type(usable), site.space, Some(usable))
                .map_err(|e| e.to_string())?;
            shelter.class = site.class;
            shelter
                .suitable_for
                .extend(site.suitable_for.iter().copied());
            shelter.amenities.extend(site.amenities.iter().copied());
            // OpenStreetMap's wheelchair=yes: step-free access.
            if element.tags.tag("wheelchair") == Some("yes") {
                shelter.amenities.insert(refuge_core::Amenity::Accessible);
            }
            (
                FacilityDetails::Shelter(shelter),
                Designation::Planned,
                site.rule,
            )
        }
        Candidate::Hazard {
            kind,
            risk,
            influence_radius_m,
        } => {
            let mut hazard =
                HazardSource::new(kind, risk, influence_radius_m).map_err(|e| e.to_string())?;
            if !matches!(element.geometry, Geometry::Point(_)) {
                hazard.zone = Some(element.geometry.clone());
            }
            (
                FacilityDetails::Hazard(hazard),
                Designation::Designated,
                kind.as_str(),
            )
        }
    };
    // An unnamed place is named after what it is and where it is in OpenStreetMap.
    let what = rule.replace('_', " ");
    let mut what_chars = what.chars();
    let title: String = what_chars
        .next()
        .map(|c| c.to_uppercase().chain(what_chars).collect())
        .unwrap_or_default();
    let fallback = format!("{title} (OSM {})", element.at);
    let names = Names::new(
        tag("name:zh"),
        tag("name:en").or_else(|| tag("name")).or(Some(fallback)),
    )
    .map_err(|e| e.to_string())?;
    let facility = Facility {
        id: FacilityId::new(element.id).map_err(|e| e.to_string())?,
        version: 1,
        name: names,
        address: address(&element.tags),
        location,
        footprint,
        admin: AdminArea::default(),
        operator: tag("operator"),
        contact: None,
        designation,
        status: StatusReport::new(LiveStatus::Standby, options.reported_at),
        source: Source {
            dataset: options.dataset.clone(),
            record: Some(element.at.to_string()),
            crs: Crs::Wgs84,
        },
        details,
    };
    facility.validate().map_err(|e| e.to_string())?;
    Ok(facility)
}

fn address(tags: &TagList) -> Option<String> {
    let street = tags.tag("addr:street")?;
    Some(match tags.tag("addr:housenumber") {
        Some(number) => format!("{number} {street}"),
        None => street.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use geo::polygon;

    use super::*;

    #[test]
    fn area_does_not_depend_on_ring_direction() {
        // A 0.001° square at Monaco: about 111 m × 80 m.
        let ccw = polygon![(x: 7.420, y: 43.730), (x: 7.421, y: 43.730), (x: 7.421, y: 43.731), (x: 7.420, y: 43.731)];
        let cw = polygon![(x: 7.420, y: 43.730), (x: 7.420, y: 43.731), (x: 7.421, y: 43.731), (x: 7.421, y: 43.730)];
        let (a, b) = (area_m2(&ccw.into()), area_m2(&cw.into()));
        assert!((a - 8_944.0).abs() < 50.0, "{a}");
        assert!((a - b).abs() < 1e-6, "{a} vs {b}");
    }
}
