//! Names in Chinese and English.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// A name in Chinese, English or both; at least one is present and not blank.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Names {
    /// The Chinese name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zh: Option<String>,
    /// The English (or local-language) name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub en: Option<String>,
}

impl Names {
    /// Both names; blank ones are dropped. An error if neither is left.
    pub fn new(zh: Option<String>, en: Option<String>) -> Result<Self> {
        let keep = |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        let names = Self {
            zh: keep(zh),
            en: keep(en),
        };
        names.validate()?;
        Ok(names)
    }

    /// Checks that at least one name is present.
    pub fn validate(&self) -> Result<()> {
        let blank = |s: &Option<String>| s.as_deref().is_none_or(|s| s.trim().is_empty());
        if blank(&self.zh) && blank(&self.en) {
            return Err(Error::field(
                "name",
                "a Chinese or an English name is required",
            ));
        }
        Ok(())
    }

    /// The name in the preferred language, falling back to the other.
    pub fn preferred(&self, chinese: bool) -> &str {
        let (first, second) = if chinese {
            (&self.zh, &self.en)
        } else {
            (&self.en, &self.zh)
        };
        first.as_deref().or(second.as_deref()).unwrap_or_default()
    }

    /// Whether either name contains `needle`, ignoring case.
    pub fn contains(&self, needle: &str) -> bool {
        [&self.zh, &self.en]
            .into_iter()
            .flatten()
            .any(|name| contains_ignoring_case(name, needle))
    }
}

/// Whether `text` contains `needle`, ignoring case; without allocating when both are ASCII, as
/// a search through a city's names mostly is.
pub(crate) fn contains_ignoring_case(text: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    if text.is_ascii() && needle.is_ascii() {
        return text
            .as_bytes()
            .windows(needle.len())
            .any(|window| window.eq_ignore_ascii_case(needle.as_bytes()));
    }
    text.to_lowercase().contains(&needle.to_lowercase())
}
