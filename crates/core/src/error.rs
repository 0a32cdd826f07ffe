//! The one error type of `refuge-core`.

use crate::model::{FacilityId, ItemId};

/// What went wrong, with enough context to tell the user what to fix.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A longitude that is not a finite number in -180..=180.
    #[error("longitude {0} is out of range: expected a number from -180 to 180")]
    Longitude(f64),
    /// A latitude that is not a finite number in -90..=90.
    #[error("latitude {0} is out of range: expected a number from -90 to 90")]
    Latitude(f64),
    /// A field of a record broke a rule; `field` names it as the user wrote it.
    #[error("{field}: {reason}")]
    Field {
        /// The field, e.g. `shelter.effective_area_m2`.
        field: &'static str,
        /// What is wrong with its value.
        reason: String,
    },
    /// A word that is not one of the names an enumeration accepts.
    #[error("unknown {what} `{value}`: expected one of {expected}")]
    UnknownName {
        /// What was being named, e.g. `facility kind`.
        what: &'static str,
        /// The word that was given.
        value: String,
        /// The accepted words, comma separated.
        expected: String,
    },
    /// A facility id that the index or ledger does not hold.
    #[error("no facility with id {0}")]
    UnknownFacility(FacilityId),
    /// An item id that the catalogue does not hold.
    #[error("no item `{0}` in the catalogue")]
    UnknownItem(ItemId),
    /// Two facilities with the same id.
    #[error("facility id {0} appears more than once")]
    DuplicateFacility(FacilityId),
    /// A stock movement that would take more than is usable.
    #[error(
        "cannot take {requested} of `{item}` from facility {facility}: only {usable} usable (unexpired) on hand"
    )]
    InsufficientStock {
        /// Where the stock was to come from.
        facility: FacilityId,
        /// What was asked for.
        item: ItemId,
        /// How much was asked for.
        requested: u64,
        /// How much unexpired stock is there.
        usable: u64,
    },
    /// A plan's stock is not what it was: the lots it would take now differ from those the plan
    /// was made with.
    #[error(
        "the usable stock of `{item}` at facility {facility} changed since the plan was made: make a new plan"
    )]
    StockChanged {
        /// The source.
        facility: FacilityId,
        /// The item.
        item: ItemId,
    },
    /// An H3 cell computation failed (a resolution or a position H3 rejects).
    #[error("H3: {0}")]
    H3(String),
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A rule broken by a field.
    pub fn field(field: &'static str, reason: impl Into<String>) -> Self {
        Self::Field {
            field,
            reason: reason.into(),
        }
    }

    /// The same error, naming the facility it was found in.
    #[must_use]
    pub fn in_facility(self, id: crate::FacilityId) -> Self {
        match self {
            Error::Field { field, reason } => Error::Field {
                field,
                reason: format!("{reason} (facility {id})"),
            },
            other => Error::field("facility", format!("facility {id}: {other}")),
        }
    }
}
