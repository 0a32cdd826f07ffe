//! The tilesets, their layers and fields, and the TileJSON that describes them.

use serde_json::{Value, json};

use crate::{Error, Result};

/// A tileset Refuge serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tileset {
    /// Shelters, depots, micro-storage, hazards and points of interest.
    Facilities,
    /// The base map from OpenStreetMap.
    Base,
    /// The population's coverage by the shelters in service, on H3 cells.
    Coverage,
}

/// One layer of a tileset: its name, zoom range and fields.
#[derive(Debug, Clone, Copy)]
pub struct LayerSpec {
    /// The source-layer name.
    pub id: &'static str,
    /// What it holds.
    pub description: &'static str,
    /// Lowest zoom with features.
    pub minzoom: u8,
    /// Highest zoom with features.
    pub maxzoom: u8,
    /// Field names and what they mean.
    pub fields: &'static [(&'static str, &'static str)],
}

/// Fields every facility layer carries: each facility's identity, names and status, and on an
/// aggregate (below zoom 13) what it holds.
macro_rules! facility_fields {
    ($($extra:expr),* $(,)?) => {
        &[
            ("id", "Number: stable facility id (also the feature id); absent on an aggregate"),
                    (
                "kind",
                "String: shelter, reserve, micro_storage, hazard or poi",
            ),
                    ("name_zh", "String: Chinese name"),
                    ("name_en", "String: English name"),
                    (
                "status",
                "String: standby, open, full, closed or damaged; on an aggregate, mixed when its members differ",
            ),
                    (
                "point_count",
                "Number: facilities aggregated into this point (low zoom)",
            ),
                    ("open_count", "Number: open facilities of an aggregate"),
            (
                "designation",
                "String: planned, designated or decommissioned; absent on an aggregate",
            ),
            $($extra,)*
        ]
    };
}

const FACILITY_FIELDS: &[(&str, &str)] = facility_fields![];

const SHELTER_FIELDS: &[(&str, &str)] = facility_fields![
    (
        "shelter_type",
        "String: emergency, fixed_short, fixed_medium, fixed_long or central",
    ),
    (
        "capacity",
        "Number: persons (design, else GB 21734 from area); on an aggregate, the sum of known ones",
    ),
    ("occupancy", "Number: persons sheltering now"),
    ("available", "Number: free places"),
    (
        "room",
        "String: available, unknown (capacity not known) or none",
    ),
    (
        "suitability_unknown",
        "Boolean: the shelter states no hazard it suits",
    ),
];

const RESERVE_FIELDS: &[(&str, &str)] =
    facility_fields![("tier", "String: district, subdistrict or community")];

const HAZARD_FIELDS: &[(&str, &str)] = facility_fields![
    ("hazard_kind", "String: gas_station, port, coastal_surge, …"),
    (
        "risk",
        "String: major, large, general or low; on an aggregate, the worst"
    ),
    ("grade", "Number: risk grade 1 (major) to 4 (low)"),
    ("influence_radius_m", "Number: metres"),
    (
        "zone",
        "Boolean: true for the zone or influence polygon, absent on the point",
    ),
];

const POI_FIELDS: &[(&str, &str)] = facility_fields![(
    "poi_kind",
    "String: hospital, clinic, fire_station, police, pharmacy, defibrillator, …",
)];

const BASE_FIELDS: &[(&str, &str)] = &[
    (
        "class",
        "String: the OpenStreetMap value (e.g. primary, park, coastline, 10 for an admin level)",
    ),
    ("name", "String: name"),
    ("name_zh", "String: Chinese name"),
];

const BOUNDARY_FIELDS: &[(&str, &str)] = &[
    (
        "class",
        "String: the admin level, or for imported boundaries their code (e.g. a GB/T 2260 code)",
    ),
    (
        "admin_level",
        "Number: OpenStreetMap admin level, 2 (country) to 11; absent when not known",
    ),
    ("name", "String: name"),
    ("name_zh", "String: Chinese name"),
];

const COVERAGE_FIELDS: &[(&str, &str)] = &[
    (
        "cell",
        "String: H3 cell index (also the feature id); coarser cells at lower zooms sum the populated cells they hold",
    ),
    ("people", "Number: residents"),
    (
        "distance_m",
        "Number: metres from its residents to the nearest shelter in service, a mean weighted by residents; absent when no shelter is in service",
    ),
    (
        "covered_share",
        "Number: share of its residents (0 to 1) within a shelter's service radius",
    ),
    (
        "unprovided",
        "Number: residents without a place when places are shared nearest first",
    ),
];

/// Below this zoom, facilities are aggregated by H3 cell.
pub const AGGREGATE_BELOW_ZOOM: u8 = 13;

impl Tileset {
    /// Every tileset.
    pub const ALL: [Tileset; 3] = [Tileset::Facilities, Tileset::Base, Tileset::Coverage];

    /// Its name in URLs.
    pub fn name(self) -> &'static str {
        match self {
            Tileset::Facilities => "facilities",
            Tileset::Base => "base",
            Tileset::Coverage => "coverage",
        }
    }

    /// The tileset called `name`, or an error listing the tilesets.
    pub fn from_name(name: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|t| t.name() == name)
            .ok_or_else(|| Error::UnknownTileset {
                name: name.to_owned(),
                expected: Self::ALL.map(Tileset::name).join(", "),
            })
    }

    /// The highest zoom it serves; clients overzoom beyond.
    pub fn maxzoom(self) -> u8 {
        match self {
            Tileset::Facilities | Tileset::Base => 16,
            Tileset::Coverage => 14,
        }
    }

    /// Its layers.
    pub fn layers(self) -> &'static [LayerSpec] {
        const fn layer(
            id: &'static str,
            description: &'static str,
            minzoom: u8,
            fields: &'static [(&'static str, &'static str)],
        ) -> LayerSpec {
            LayerSpec {
                id,
                description,
                minzoom,
                maxzoom: 16,
                fields,
            }
        }
        const FACILITIES: &[LayerSpec] = &[
            layer("shelters", "Emergency shelters", 0, SHELTER_FIELDS),
            layer(
                "reserves",
                "Material reserve depots, three tiers",
                0,
                RESERVE_FIELDS,
            ),
            layer(
                "micro_storage",
                "Community micro-storage sites",
                0,
                FACILITY_FIELDS,
            ),
            layer(
                "hazards",
                "Hazard sources: points, zones and influence circles",
                0,
                HAZARD_FIELDS,
            ),
            layer(
                "pois",
                "Hospitals, fire stations, police, pharmacies, AEDs, …",
                0,
                POI_FIELDS,
            ),
        ];
        const BASE: &[LayerSpec] = &[
            layer("water", "Water areas, waterways, coastline", 0, BASE_FIELDS),
            layer("landuse", "Land use, parks, pitches", 10, BASE_FIELDS),
            layer(
                "roads",
                "Streets and paths; minor ones from zoom 13",
                5,
                BASE_FIELDS,
            ),
            layer("buildings", "Building outlines", 14, BASE_FIELDS),
            layer(
                "boundaries",
                "Administrative boundaries",
                8,
                BOUNDARY_FIELDS,
            ),
        ];
        const COVERAGE: &[LayerSpec] = &[LayerSpec {
            id: "cells",
            description: "Populated H3 cells: distance to the nearest shelter in service, share within a service radius, residents without a place",
            minzoom: 0,
            maxzoom: 14,
            fields: COVERAGE_FIELDS,
        }];
        match self {
            Tileset::Facilities => FACILITIES,
            Tileset::Base => BASE,
            Tileset::Coverage => COVERAGE,
        }
    }

    /// Its layers as TileJSON `vector_layers`: id, description, zooms and fields.
    pub fn vector_layers(self) -> Vec<Value> {
        self.layers()
            .iter()
            .map(|layer| {
                let fields: serde_json::Map<String, Value> = layer
                    .fields
                    .iter()
                    .map(|(name, meaning)| ((*name).to_owned(), json!(meaning)))
                    .collect();
                json!({
                    "id": layer.id,
                    "description": layer.description,
                    "minzoom": layer.minzoom,
                    "maxzoom": layer.maxzoom,
                    "fields": fields,
                })
            })
            .collect()
    }

    /// The TileJSON 3.0.0 document, with tile URLs under `base_url` carrying `version` so that no
    /// cache serves a tile of older data. `bounds` is west, south, east, north; `attribution`
    /// credits the sources of the data on the map.
    pub fn tilejson(
        self,
        base_url: &str,
        version: u64,
        bounds: [f64; 4],
        attribution: &str,
    ) -> Value {
        let vector_layers = self.vector_layers();
        let [west, south, east, north] = bounds;
        json!({
            "tilejson": "3.0.0",
            "name": self.name(),
            "version": "1.0.0",
            "scheme": "xyz",
            "tiles": [format!("{base_url}/tiles/{}/{{z}}/{{x}}/{{y}}.mvt?v={version}", self.name())],
            "minzoom": 0,
            "maxzoom": self.maxzoom(),
            "bounds": bounds,
            "center": [(west + east) / 2.0, (south + north) / 2.0, 14],
            "attribution": attribution,
            "vector_layers": vector_layers,
        })
    }
}
