//! Identifiers, validated once at the edge.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// A facility's stable numeric id. Kept below 2⁵³ so that it survives JavaScript numbers, which is
/// what a map page reads tile feature ids into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u64", into = "u64")]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema),
    schema(value_type = u64, minimum = 1, maximum = 9_007_199_254_740_991_u64)
)]
pub struct FacilityId(u64);

impl FacilityId {
    /// The largest id: 2⁵³ − 1, the largest integer a JavaScript number holds exactly.
    pub const MAX: u64 = (1 << 53) - 1;

    /// An id, or an error if it is zero or does not fit a JavaScript number.
    pub fn new(id: u64) -> Result<Self> {
        if id == 0 || id > Self::MAX {
            return Err(Error::field(
                "id",
                format!("{id} is not an id from 1 to 2^53-1"),
            ));
        }
        Ok(Self(id))
    }

    /// An id from any 64-bit number, such as a hash: cut to 53 bits, with zero mapped to one.
    pub fn from_bits(bits: u64) -> Self {
        Self((bits & Self::MAX).max(1))
    }

    /// The number.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl TryFrom<u64> for FacilityId {
    type Error = Error;
    fn try_from(id: u64) -> Result<Self> {
        Self::new(id)
    }
}

impl From<FacilityId> for u64 {
    fn from(id: FacilityId) -> Self {
        id.0
    }
}

impl std::fmt::Display for FacilityId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for FacilityId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let id = s
            .trim()
            .parse::<u64>()
            .map_err(|_| Error::field("id", format!("`{s}` is not a whole number")))?;
        Self::new(id)
    }
}

/// A catalogue item's id: short snake_case ASCII, such as `bottled_water`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema),
    schema(value_type = String, pattern = "^[a-z0-9_]{1,64}$", example = "bottled_water")
)]
pub struct ItemId(String);

impl ItemId {
    /// An item id, or an error if it is empty, longer than 64 bytes, or not lowercase ASCII
    /// letters, digits and underscores.
    pub fn new(id: impl Into<String>) -> Result<Self> {
        let id = id.into();
        let well_formed = !id.is_empty()
            && id.len() <= 64
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !well_formed {
            return Err(Error::field(
                "item",
                format!("`{id}` is not an item id (lowercase letters, digits and _)"),
            ));
        }
        Ok(Self(id))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ItemId {
    type Error = Error;
    fn try_from(id: String) -> Result<Self> {
        Self::new(id)
    }
}

impl From<ItemId> for String {
    fn from(id: ItemId) -> Self {
        id.0
    }
}

impl std::str::FromStr for ItemId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::new(s.trim())
    }
}

impl std::fmt::Display for ItemId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facility_ids_fit_javascript_numbers() {
        assert!(FacilityId::new(0).is_err());
        assert!(FacilityId::new(1 << 53).is_err());
        assert_eq!(FacilityId::new(42).unwrap().get(), 42);
        assert!(
            "abc"
                .parse::<FacilityId>()
                .unwrap_err()
                .to_string()
                .contains("abc")
        );
    }

    #[test]
    fn item_ids_are_snake_case() {
        assert!(ItemId::new("bottled_water").is_ok());
        assert!(ItemId::new("Bottled Water").is_err());
        assert!(ItemId::new("").is_err());
    }
}
