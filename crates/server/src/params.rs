//! Query-string parameters, each parsed with an error that names it.

use std::collections::HashMap;
use std::str::FromStr;

use crate::error::ApiError;

/// The query string as name → value.
pub struct Params(HashMap<String, String>);

impl Params {
    /// The query's `pairs`, each name one of `allowed` and given once: a misspelt filter
    /// (`has_rom=true`) or a repeated one would otherwise be ignored without a word, and the answer
    /// would look right while it is not.
    pub fn new(pairs: Vec<(String, String)>, allowed: &[&str]) -> Result<Self, ApiError> {
        let mut map = HashMap::with_capacity(pairs.len());
        for (name, value) in pairs {
            if !allowed.contains(&name.as_str()) {
                let shown: String = name.chars().take(40).collect();
                return Err(ApiError::bad_request(
                    "bad_parameter",
                    format!(
                        "`{shown}` is not a parameter here; the parameters are {}",
                        allowed.join(", ")
                    ),
                ));
            }
            if map.contains_key(&name) {
                return Err(ApiError::bad_request(
                    "bad_parameter",
                    format!("`{name}` is given more than once"),
                ));
            }
            map.insert(name, value);
        }
        Ok(Self(map))
    }

    /// A parameter parsed as `T`, if present; an error names it and says what was expected.
    pub fn optional<T: FromStr>(
        &self,
        name: &'static str,
        expected: &str,
    ) -> Result<Option<T>, ApiError>
    where
        T::Err: std::fmt::Display,
    {
        let Some(text) = self.0.get(name) else {
            return Ok(None);
        };
        text.trim().parse::<T>().map(Some).map_err(|e| {
            ApiError::bad_request(
                "bad_parameter",
                format!("`{name}`: `{text}` is not {expected} ({e})"),
            )
        })
    }

    /// A required parameter.
    pub fn required<T: FromStr>(&self, name: &'static str, expected: &str) -> Result<T, ApiError>
    where
        T::Err: std::fmt::Display,
    {
        self.optional(name, expected)?.ok_or_else(|| {
            ApiError::bad_request(
                "missing_parameter",
                format!("`{name}` is required: {expected}"),
            )
        })
    }

    /// A finite number in a range.
    pub fn number_in(
        &self,
        name: &'static str,
        range: std::ops::RangeInclusive<f64>,
        required: bool,
    ) -> Result<Option<f64>, ApiError> {
        let expected = format!("a number from {} to {}", range.start(), range.end());
        let value = if required {
            Some(self.required::<f64>(name, &expected)?)
        } else {
            self.optional::<f64>(name, &expected)?
        };
        match value {
            Some(v) if !v.is_finite() || !range.contains(&v) => Err(ApiError::bad_request(
                "bad_parameter",
                format!("`{name}`: {v} is not {expected}"),
            )),
            other => Ok(other),
        }
    }

    /// A whole number in `range`, or `default` when absent.
    pub fn whole_in(
        &self,
        name: &'static str,
        range: std::ops::RangeInclusive<usize>,
        default: usize,
    ) -> Result<usize, ApiError> {
        let expected = format!("a whole number from {} to {}", range.start(), range.end());
        let value = self.optional::<usize>(name, &expected)?.unwrap_or(default);
        if !range.contains(&value) {
            return Err(ApiError::bad_request(
                "bad_parameter",
                format!("`{name}`: {value} is not {expected}"),
            ));
        }
        Ok(value)
    }

    /// A boolean flag: `true`, `false`, `1`, `0`.
    pub fn flag(&self, name: &'static str) -> Result<bool, ApiError> {
        match self.0.get(name).map(|v| v.trim()) {
            None | Some("false" | "0" | "no") => Ok(false),
            Some("true" | "1" | "yes" | "") => Ok(true),
            Some(other) => Err(ApiError::bad_request(
                "bad_parameter",
                format!("`{name}`: `{other}` is not true or false"),
            )),
        }
    }

    /// The raw text of a parameter.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}
