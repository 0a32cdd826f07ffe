//! Which facilities a hazard threatens: inside its zone, within its influence radius, or (a fire
//! source) nearer than the 30 m a shelter must keep from one; and the nearest shelters that are
//! safe in a hazard, with why each nearer one was passed over.

use std::collections::BTreeMap;
use std::sync::Arc;

use geo::{BoundingRect, Closest, Distance, HaversineClosestPoint, Intersects};
use serde::Serialize;

use super::{BBox, Filter, Hit, SpatialIndex};
use crate::{
    Designation, FIRE_SOURCE_CLEARANCE_M, Facility, FacilityBrief, FacilityDetails, FacilityId,
    FacilityKind, GreatCircle, HazardType, LiveStatus, LonLat, Suitability,
};

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
        let reach = if source.hazard_kind.is_fire_source() {
            source.influence_radius_m.max(FIRE_SOURCE_CLEARANCE_M)
        } else {
            source.influence_radius_m
        };
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

    /// The hazard sources in force (not closed, not decommissioned) that bring `hazard`, or
    /// all of them without one.
    pub fn hazards_in_force(&self, hazard: Option<HazardType>) -> Vec<&Facility> {
        self.within_bbox(BBox::world(), &Filter::default().kind(FacilityKind::Hazard))
            .into_iter()
            .filter_map(|source| source.whole())
            .filter(|source| in_force(source))
            .filter(|source| {
                source
                    .hazard()
                    .is_some_and(|h| hazard.is_none_or(|wanted| h.hazard_kind.threatens(wanted)))
            })
            .collect()
    }

    /// The zones of the hazard sources in force that bring `hazard`: what a walk in it goes
    /// around. None without a hazard.
    pub fn zones_in_force(&self, hazard: Option<HazardType>) -> Vec<geo::Geometry> {
        let Some(hazard) = hazard else {
            return Vec::new();
        };
        self.hazards_in_force(Some(hazard))
            .into_iter()
            .filter_map(|source| source.hazard()?.zone.clone())
            .collect()
    }

    /// Every facility matching `filter` that a hazard source in force bringing `hazard` (any,
    /// without one) threatens, hazard by hazard, each hazard's nearest first.
    pub fn exposures(&self, hazard: Option<HazardType>, filter: &Filter) -> Vec<Exposure> {
        self.hazards_in_force(hazard)
            .into_iter()
            .flat_map(|source| self.exposed_to(source, filter))
            .collect()
    }

    /// Every hazard source in force with the facilities matching `filter` it threatens.
    pub fn hazard_exposure(&self, filter: &Filter) -> Vec<Exposure> {
        self.exposures(None, filter)
    }

    /// The shelters exposed in `hazard`, each with its nearest exposure: made once for the
    /// facilities as they are, then shared by every query until a facility changes (stock
    /// movements change none).
    pub fn exposed_shelters(&self, hazard: HazardType) -> Arc<BTreeMap<FacilityId, Exposure>> {
        let mut cache = self
            .exposed
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if cache.version != self.places_version {
            *cache = ExposedCache {
                version: self.places_version,
                by_hazard: BTreeMap::new(),
            };
        }
        let made = cache.by_hazard.entry(hazard).or_insert_with(|| {
            let shelters = Filter::default().kind(FacilityKind::Shelter);
            let mut nearest: BTreeMap<FacilityId, Exposure> = BTreeMap::new();
            for exposure in self.exposures(Some(hazard), &shelters) {
                nearest
                    .entry(exposure.facility)
                    .and_modify(|kept| {
                        if exposure.distance_m < kept.distance_m {
                            *kept = exposure;
                        }
                    })
                    .or_insert(exposure);
            }
            Arc::new(nearest)
        });
        Arc::clone(made)
    }

    /// The `k` nearest facilities matching `filter` that are safe in `hazard`: a shelter that
    /// states itself unsuitable for it, or that a hazard source in force bringing it threatens,
    /// is passed over. Also the shelters passed over on the way (at most [`MAX_SKIPPED`]),
    /// nearest first, each with why: with `k` found, those nearer than the last one found.
    pub fn nearest_safe(
        &self,
        origin: LonLat,
        k: usize,
        filter: &Filter,
        hazard: HazardType,
    ) -> (Vec<Hit<'_>>, Vec<Skipped<'_>>) {
        let exposed = self.exposed_shelters(hazard);
        let others = filter.clone().without_hazard();
        let mut ask = k + 8;
        loop {
            let hits = self.nearest(origin, ask, &others);
            // Fewer than asked, or asked for everything: there is no more to find.
            let exhausted = hits.len() < ask || ask >= self.len();
            let mut kept = Vec::with_capacity(k);
            let mut skipped = Vec::new();
            for hit in hits {
                if kept.len() == k {
                    break;
                }
                // Only shelters are safe in a hazard, as `Filter::hazard` has it.
                let Some(shelter) = hit.facility.shelter() else {
                    continue;
                };
                let why = if shelter.suitability(hazard) == Suitability::Unsuitable {
                    Some(Skip::Unsuitable)
                } else {
                    exposed.get(&hit.facility.id).map(|e| Skip::Exposed {
                        hazard: e.hazard,
                        distance_m: e.distance_m,
                    })
                };
                match why {
                    Some(why) => {
                        if skipped.len() < MAX_SKIPPED {
                            skipped.push(Skipped {
                                facility: hit.facility,
                                distance_m: hit.distance_m,
                                why,
                            });
                        }
                    }
                    None => kept.push(hit),
                }
            }
            if kept.len() == k || exhausted {
                return (kept, skipped);
            }
            ask = ask.saturating_mul(4).min(self.len().max(k + 8));
        }
    }
}

/// The most passed-over facilities a [`SpatialIndex::nearest_safe`] answer lists.
pub const MAX_SKIPPED: usize = 20;

/// Whether a hazard source is in force: not closed (made safe) and not decommissioned.
fn in_force(source: &Facility) -> bool {
    source.status.status != LiveStatus::Closed && source.designation != Designation::Decommissioned
}

/// Why a nearer facility was passed over in a hazard.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Skip {
    /// It states itself unsuitable for the hazard.
    Unsuitable,
    /// A hazard source in force that brings the hazard threatens it.
    Exposed {
        /// The hazard source.
        hazard: FacilityId,
        /// Metres from its zone (or point); 0 inside the zone.
        distance_m: f64,
    },
}

/// A facility passed over in a hazard, and why.
#[derive(Debug, Clone, Copy)]
pub struct Skipped<'a> {
    /// The facility.
    pub facility: &'a FacilityBrief,
    /// Metres from the origin.
    pub distance_m: f64,
    /// Why.
    pub why: Skip,
}

/// The shelters exposed in each hazard at one places version.
#[derive(Debug, Default)]
pub(crate) struct ExposedCache {
    version: u64,
    by_hazard: BTreeMap<HazardType, Arc<BTreeMap<FacilityId, Exposure>>>,
}
