//! The domain model: facilities of every kind, the item catalogue and the stock ledger.

mod activation;
mod base;
mod brief;
mod catalog;
mod facility;
mod hazard;
mod id;
mod micro_storage;
mod names;
mod poi;
mod reserve;
mod shelter;
mod status;
mod stock;
mod summary;

pub use activation::Activation;
pub use base::{BaseFeature, BaseLayer};
pub use brief::{BriefFields, FacilityBrief, ShelterBrief};
pub use catalog::{Catalog, Item, ItemCategory, Unit};
pub use facility::{AdminArea, Contact, Facility, FacilityDetails, FacilityKind, Source};
pub use hazard::{
    FIRE_SOURCE_CLEARANCE_M, HazardKind, HazardSource, MAX_INFLUENCE_RADIUS_M, MAX_ZONE_VERTICES,
    RiskLevel, check_zone,
};
pub use id::{FacilityId, ItemId};
pub use micro_storage::MicroStorageSite;
pub use names::Names;
pub use poi::{Poi, PoiKind};
pub use reserve::{ReserveDepot, ReserveMode, ReserveTier};
pub use shelter::{
    Amenity, CapacityProfile, HazardType, Room, Shelter, ShelterClass, ShelterType, SpaceType,
    Suitability,
};
pub use status::{Designation, LiveStatus, StatusReport};
pub use stock::{
    Hold, LedgerMark, Lot, Movement, MovementKind, Progress, Quota, Shortage, StockLedger, Transit,
};
pub use summary::FacilitySummary;

use geo::CoordsIter;

use crate::{Error, LonLat, Result};

/// Checks that every coordinate of a geometry is a valid WGS84 position.
pub(crate) fn validate_geometry(field: &'static str, geometry: &geo::Geometry) -> Result<()> {
    for coord in geometry.coords_iter() {
        LonLat::new(coord.x, coord.y).map_err(|e| Error::field(field, e.to_string()))?;
    }
    Ok(())
}
