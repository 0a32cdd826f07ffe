//! The changes one server reads of what the others committed to a shared store, to apply to its
//! own index and ledger.

use refuge_core::{Facility, FacilityId, Movement};

/// A change another server committed.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// A facility created or replaced: its stored form, version included.
    Facility(Box<Facility>),
    /// A facility deleted.
    Removed(FacilityId),
    /// A stock movement booked.
    Movement(Movement),
    /// The base map or the credited sources changed (an import): read them again.
    Backdrop,
    /// The population layer was replaced: read it again.
    Population,
}

/// The changes after a point of the store's change log, in commit order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Changes {
    /// The last change read: the point to ask from next time.
    pub through: i64,
    /// Each change with its number.
    pub changes: Vec<(i64, Change)>,
    /// `false` when the log no longer holds every change after the point asked from (it was
    /// pruned): the reader must load the whole store again, as of `through`.
    pub complete: bool,
}
