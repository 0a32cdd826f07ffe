//! Which facilities a hazard threatens: inside its zone or within its influence radius.

use geo::{BoundingRect, Closest, Distance, HaversineClosestPoint, Intersects};
use serde::Serialize;

use super::{Filter, SpatialIndex};
use crate::{Facility, FacilityDetails, FacilityId, GreatCircle, LonLat};

/// A facility exposed to a hazard.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Exposure {
    /// The hazard source.
    pub hazard: FacilityId,
    /// The exposed facility.
    pub facility: FacilityId,
    /// Metres from the hazard's zone (or point); 0 inside the zone.
    pub distance_m: f64,
}

impl SpatialIndex {
    /// The facilities matching `filter` inside `hazard`'s zone or within its influence radius of
    /// it, nearest first. Empty if `hazard` is not a hazard source.
    pub fn exposed_to(&self, hazard: &Facility, filter: &Filter) -> Vec<Exposure> {
        let FacilityDetails::Hazard(source) = &hazard.details else {
            return Vec::new();
        };
        let reach = source.influence_radius_m;
        let Some(zone) = &source.zone else {
            return self
                .within_radius(hazard.location, reach, filter)
                .into_iter()
                .filter(|hit| hit.facility.id != hazard.id)
                .map(|hit| Exposure {
                    hazard: hazard.id,
                    facility: hit.facility.id,
                    distance_m: hit.distance_m,
                })
                .collect();
        };
        // A circle around the zone's box centre that holds the zone and its influence band.
        let Some(rect) = zone.bounding_rect() else {
            return Vec::new();
        };
        let Ok(centre) = LonLat::new(rect.center().x, rect.center().y) else {
            return Vec::new();
        };
        let corners = [
            rect.min(),
            rect.max(),
            (rect.min().x, rect.max().y).into(),
            (rect.max().x, rect.min().y).into(),
        ];
        let zone_radius = corners
            .iter()
            .filter_map(|c| LonLat::new(c.x, c.y).ok())
            .map(|c| GreatCircle.distance_m(centre, c))
            .fold(0.0, f64::max);
        let mut exposures: Vec<Exposure> = self
            .within_radius(centre, zone_radius + reach, filter)
            .into_iter()
            .filter(|hit| hit.facility.id != hazard.id)
            .filter_map(|hit| {
                let point = hit.facility.location.point();
                let distance_m = if zone.intersects(&point) {
                    0.0
                } else {
                    match zone.haversine_closest_point(&point) {
                        Closest::Intersection(p) | Closest::SinglePoint(p) => {
                            geo::Haversine.distance(point, p)
                        }
                        Closest::Indeterminate => return None,
                    }
                };
                (distance_m <= reach).then_some(Exposure {
                    hazard: hazard.id,
                    facility: hit.facility.id,
                    distance_m,
                })
            })
            .collect();
        exposures.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m));
        exposures
    }

    /// Every hazard source in the index with the facilities matching `filter` it threatens.
    pub fn hazard_exposure(&self, filter: &Filter) -> Vec<Exposure> {
        self.facilities()
            .filter(|facility| facility.hazard().is_some())
            .flat_map(|hazard| self.exposed_to(hazard, filter))
            .collect()
    }
}
