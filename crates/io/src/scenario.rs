//! Stress-test scenarios as planners write them: JSON (the API's body, or a file) or TOML.
//!
//! ```toml
//! name = "Harbour flood"
//! hazard = "flood"
//! demand_multiplier = 1.5
//! out_of_service = [1202, 1203]
//! zones_file = "harbour-flood.geojson"   # or `zones`: a GeoJSON Feature or FeatureCollection
//! ```
//!
//! Zones are hazard features as a hazard upload takes them (`hazard_kind`, `risk`,
//! `influence_radius_m`); they stay drafts of the scenario and are never stored.

use refuge_core::planning::Scenario;
use refuge_core::{Crs, FacilityId, FacilityKind, HazardType};
use serde::Deserialize;
use serde_json::Value;

use crate::{ImportOptions, facility_from_feature};

/// A scenario as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// Its name.
    pub name: String,
    /// The hazard it plays out.
    pub hazard: HazardType,
    /// Draft zones: a GeoJSON Feature or FeatureCollection of hazards.
    #[serde(default)]
    pub zones: Option<Value>,
    /// Draft zones in a GeoJSON file beside the scenario (files only).
    #[serde(default)]
    pub zones_file: Option<std::path::PathBuf>,
    /// Facilities out of service, by id.
    #[serde(default)]
    pub out_of_service: Vec<u64>,
    /// How many times today's population needs a place (default 1).
    #[serde(default = "one")]
    pub demand_multiplier: f64,
}

fn one() -> f64 {
    1.0
}

impl ScenarioFile {
    /// The scenario, its zones (from `zones`, or `zones` read from `zones_file` by the caller)
    /// made into hazards; an error names the field and the feature.
    pub fn scenario(self, zones: Option<Value>) -> Result<Scenario, String> {
        let document = zones.or(self.zones);
        let features = match document {
            None => Vec::new(),
            Some(document) => match document.get("type").and_then(Value::as_str) {
                Some("FeatureCollection") => match document.get("features") {
                    Some(Value::Array(features)) => features.clone(),
                    _ => return Err("`zones`: a FeatureCollection needs a `features` array".into()),
                },
                Some("Feature") => vec![document],
                _ => return Err("`zones`: expected a GeoJSON Feature or FeatureCollection".into()),
            },
        };
        let options = ImportOptions::new(format!("scenario {}", self.name), Crs::Wgs84)
            .kind(FacilityKind::Hazard);
        let zones = features
            .into_iter()
            .enumerate()
            .map(|(n, feature)| {
                let zone = facility_from_feature(feature, &options, &format!("zone-{}", n + 1))
                    .map_err(|e| format!("`zones`: feature {}: {e}", n + 1))?;
                if zone.kind() != FacilityKind::Hazard {
                    return Err(format!(
                        "`zones`: feature {}: a {} is not a hazard",
                        n + 1,
                        zone.kind()
                    ));
                }
                Ok(zone)
            })
            .collect::<Result<Vec<_>, String>>()?;
        let out_of_service = self
            .out_of_service
            .iter()
            .map(|id| FacilityId::new(*id).map_err(|e| format!("`out_of_service`: {e}")))
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Scenario {
            name: self.name,
            hazard: self.hazard,
            zones,
            out_of_service,
            demand_multiplier: self.demand_multiplier,
        })
    }
}
