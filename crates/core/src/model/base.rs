//! Base-map features: roads, buildings, water, land use and boundaries.

use serde::{Deserialize, Serialize};

crate::named_enum! {
    /// A layer of the base map.
    pub enum BaseLayer ("base layer") {
        /// Streets and paths.
        Roads = "roads",
        /// Building outlines.
        Buildings = "buildings",
        /// Water areas, waterways and coastline.
        Water = "water",
        /// Land use, parks, pitches.
        Landuse = "landuse",
        /// Administrative boundaries.
        Boundaries = "boundaries",
    }
}

/// One base-map feature in WGS84.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaseFeature {
    /// Stable id (OpenStreetMap type and id for OSM data).
    pub id: u64,
    /// Its layer.
    pub layer: BaseLayer,
    /// Its class within the layer, e.g. `primary`, `park`, `coastline`, `10` for an admin level.
    pub class: String,
    /// Its name, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Its Chinese name, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_zh: Option<String>,
    /// Its geometry.
    pub geometry: geo::Geometry,
}
