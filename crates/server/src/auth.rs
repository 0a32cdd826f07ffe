//! Who is calling: anonymous, or the holder of a bearer token with a role.

use axum::http::{HeaderMap, StatusCode, header};
use refuge_store::{Actor, Role};

use crate::error::ApiError;
use crate::state::AppState;

/// The caller's token, if the request carries a valid one; an invalid token is a 401.
pub fn caller(state: &AppState, headers: &HeaderMap) -> Result<Option<Actor>, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    // The scheme's name is case-insensitive (RFC 9110 §11.1).
    let secret = value
        .to_str()
        .ok()
        .and_then(|v| v.trim_start().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, secret)| secret.trim())
        .filter(|secret| !secret.is_empty())
        .ok_or_else(|| unauthorized("the Authorization header is not `Bearer <token>`"))?;
    let store = state.store()?;
    match store.authenticate(secret)? {
        Some(actor) => Ok(Some(actor)),
        None => Err(unauthorized("the token is not valid (unknown or revoked)")),
    }
}

/// The caller, who must hold a token that may act as `role` (admins may do anything).
pub fn require(state: &AppState, headers: &HeaderMap, role: Role) -> Result<Actor, ApiError> {
    let actor = caller(state, headers)?.ok_or_else(|| {
        unauthorized(&format!(
            "this needs a bearer token with the {role} role (refuge token create)"
        ))
    })?;
    if !actor.may(role) {
        return Err(ApiError::client(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!(
                "a {} token may not do this; it needs the {role} role",
                actor.role.map_or("system", |r| r.as_str())
            ),
        ));
    }
    Ok(actor)
}

fn unauthorized(message: &str) -> ApiError {
    ApiError::client(StatusCode::UNAUTHORIZED, "unauthorized", message)
}
