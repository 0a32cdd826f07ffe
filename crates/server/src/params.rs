//! Query strings as types: each route's parameters are a struct (`deny_unknown_fields`), so a
//! misspelt filter (`has_rom=true`) or a repeated one is refused rather than ignored, and an
//! error names the parameter at fault.

use std::fmt::Display;
use std::ops::RangeInclusive;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// The query string as `T`; a 400 naming the parameter when it is not.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        // No parameter has a long name: say so without quoting a huge one back whole.
        let long = form_urlencoded::parse(query.as_bytes()).find(|(name, _)| name.len() > 64);
        if let Some((name, _)) = long {
            let shown: String = name.chars().take(40).collect();
            return Err(ApiError::bad_request(
                "bad_parameter",
                format!(
                    "`{shown}…` ({} characters) is not a parameter here",
                    name.chars().count()
                ),
            ));
        }
        let pairs = form_urlencoded::parse(query.as_bytes());
        serde_path_to_error::deserialize(serde_urlencoded::Deserializer::new(pairs))
            .map(Query)
            .map_err(|error| {
                let path = error.path().to_string();
                let cause = error.into_inner();
                let message = if path == "." {
                    cause.to_string()
                } else {
                    format!("`{path}`: {cause}")
                };
                ApiError::bad_request("bad_parameter", message)
            })
    }
}

/// `value` of the parameter `name` if it lies in `range` (which NaN never does).
pub fn within<T: PartialOrd + Display + Copy>(
    name: &str,
    value: T,
    range: RangeInclusive<T>,
) -> Result<T, ApiError> {
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(ApiError::bad_request(
            "bad_parameter",
            format!(
                "`{name}`: {value} is not from {} to {}",
                range.start(),
                range.end()
            ),
        ))
    }
}

/// The `crs` parameter of an answer in longitude and latitude: WGS84 unless given; a projection
/// is refused (answers are GeoJSON, in degrees).
pub fn lon_lat_crs(crs: Option<refuge_core::Crs>) -> Result<refuge_core::Crs, ApiError> {
    match crs {
        None => Ok(refuge_core::Crs::Wgs84),
        Some(crs) if crs.is_projected() => Err(ApiError::bad_request(
            "bad_parameter",
            format!(
                "`crs`: {crs} is a projection; positions here are longitude and latitude: \
                 wgs84, cgcs2000, gcj02 or bd09"
            ),
        )),
        Some(crs) => Ok(crs),
    }
}

/// A yes-or-no parameter: `true`, `false`, `1`, `0`, `yes`, `no`; given with no value, yes.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(try_from = "String")]
pub struct Flag(pub bool);

impl TryFrom<String> for Flag {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        match text.trim() {
            "false" | "0" | "no" => Ok(Flag(false)),
            "true" | "1" | "yes" | "" => Ok(Flag(true)),
            other => Err(format!("`{other}` is not true or false")),
        }
    }
}

/// Whether an optional flag is given and yes.
pub fn flag(value: Option<Flag>) -> bool {
    value.is_some_and(|f| f.0)
}
