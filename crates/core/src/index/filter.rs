//! What a query asks of a facility besides where it is.

use crate::{
    Amenity, Designation, FacilityBrief, FacilityKind, HazardType, ItemId, LiveStatus, ReserveTier,
};

/// Conditions on facilities. Empty by default: everything in service matches. Decommissioned
/// facilities never match unless asked for.
///
/// ```
/// use refuge_core::{FacilityKind, Filter, HazardType};
/// let resident = Filter::default()
///     .kind(FacilityKind::Shelter)
///     .has_room(true)
///     .hazard(HazardType::Flood);
/// # let _ = resident;
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    kind: Option<FacilityKind>,
    tier: Option<ReserveTier>,
    open_only: bool,
    has_room: bool,
    hazard: Option<HazardType>,
    item: Option<(ItemId, u64)>,
    amenities: Vec<Amenity>,
    include_decommissioned: bool,
}

impl Filter {
    /// Only this kind.
    #[must_use]
    pub fn kind(mut self, kind: FacilityKind) -> Self {
        self.kind = Some(kind);
        self
    }

    /// Only reserve depots of this tier.
    #[must_use]
    pub fn tier(mut self, tier: ReserveTier) -> Self {
        self.tier = Some(tier);
        self
    }

    /// Only facilities whose live status is `open`.
    #[must_use]
    pub fn open_only(mut self, yes: bool) -> Self {
        self.open_only = yes;
        self
    }

    /// Only shelters that are open and not known to be full: a shelter of unknown capacity
    /// counts (its room is unknown, see [`Shelter::room`](crate::Shelter::room)); only a shelter
    /// reported full, or whose occupancy reaches its capacity, has no room.
    #[must_use]
    pub fn has_room(mut self, yes: bool) -> Self {
        self.has_room = yes;
        self
    }

    /// Only shelters suitable for this hazard, or whose suitability is not stated (imported data
    /// is often thin; such a shelter is flagged, see [`Shelter::suitability`](crate::Shelter::suitability)).
    #[must_use]
    pub fn hazard(mut self, hazard: HazardType) -> Self {
        self.hazard = Some(hazard);
        self
    }

    /// The same filter without its hazard: what [`SpatialIndex::nearest_safe`] asks, judging the
    /// hazard itself.
    ///
    /// [`SpatialIndex::nearest_safe`]: crate::SpatialIndex::nearest_safe
    #[must_use]
    pub fn without_hazard(mut self) -> Self {
        self.hazard = None;
        self
    }

    /// Only facilities holding at least `min_quantity` usable units of `item`.
    #[must_use]
    pub fn item(mut self, item: ItemId, min_quantity: u64) -> Self {
        self.item = Some((item, min_quantity));
        self
    }

    /// Only shelters that offer `amenity` (with the others asked for), e.g. step-free access for
    /// a wheelchair.
    #[must_use]
    pub fn amenity(mut self, amenity: Amenity) -> Self {
        if !self.amenities.contains(&amenity) {
            self.amenities.push(amenity);
        }
        self
    }

    /// Decommissioned facilities match too.
    #[must_use]
    pub fn include_decommissioned(mut self, yes: bool) -> Self {
        self.include_decommissioned = yes;
        self
    }

    /// The one kind asked for, if any.
    pub(crate) fn only_kind(&self) -> Option<FacilityKind> {
        self.kind
    }

    /// Whether `facility` matches; `stock` answers how much usable stock of an item it holds.
    pub(crate) fn matches(&self, facility: &FacilityBrief, stock: impl Fn(&ItemId) -> u64) -> bool {
        if !self.include_decommissioned && facility.designation == Designation::Decommissioned {
            return false;
        }
        if self.kind.is_some_and(|kind| kind != facility.kind()) {
            return false;
        }
        if let Some(tier) = self.tier {
            if facility.reserve().is_none_or(|depot| depot.tier != tier) {
                return false;
            }
        }
        if self.open_only && facility.status != LiveStatus::Open {
            return false;
        }
        if self.has_room {
            let room = facility.status == LiveStatus::Open
                && facility
                    .shelter()
                    .is_some_and(|s| s.room() != crate::Room::None);
            if !room {
                return false;
            }
        }
        if let Some(hazard) = self.hazard {
            if facility
                .shelter()
                .is_none_or(|s| s.suitability(hazard) == crate::Suitability::Unsuitable)
            {
                return false;
            }
        }
        if !self.amenities.is_empty()
            && facility
                .shelter()
                .is_none_or(|s| !self.amenities.iter().all(|amenity| s.offers(*amenity)))
        {
            return false;
        }
        if let Some((item, min_quantity)) = &self.item {
            if stock(item) < (*min_quantity).max(1) {
                return false;
            }
        }
        true
    }
}
