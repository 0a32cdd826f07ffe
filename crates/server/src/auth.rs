//! Who is calling, as extractors: [`Caller`] for routes that anyone may call (a token shows
//! more), [`Authorized`] for routes that need a role. The token is checked against the store
//! off the async workers; a wrong token is a 401 before the handler runs.

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use refuge_store::{Actor, Role};

use crate::error::ApiError;
use crate::present::Audience;
use crate::state::AppState;

/// The caller of a route open to all: anonymous, or the holder of a valid token.
pub struct Caller(pub Option<Actor>);

impl Caller {
    /// Whom the answer is for.
    pub fn audience(&self) -> Audience {
        if self.0.is_some() {
            Audience::Staff
        } else {
            Audience::Public
        }
    }
}

impl Caller {
    /// The caller, who must hold a token of any role.
    pub fn require_any(self) -> Result<Actor, ApiError> {
        self.0
            .ok_or_else(|| unauthorized("this needs a bearer token (refuge token create)"))
    }

    /// The caller, who must hold a token that may act as `role` (admins may do anything).
    pub fn require(self, role: Role) -> Result<Actor, ApiError> {
        let actor = self.0.ok_or_else(|| {
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
                    actor.role.map_or("system", |r| r.as_str()),
                ),
            ));
        }
        Ok(actor)
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(secret) = bearer(&parts.headers)? else {
            return Ok(Self(None));
        };
        let store = state.shared_store()?;
        // A token checked lately needs no SQLite; otherwise the check runs off the async workers.
        let actor = match store.known_token(&secret) {
            Some(actor) => Some(actor),
            None => tokio::task::spawn_blocking(move || store.authenticate(&secret))
                .await
                .map_err(ApiError::internal)??,
        };
        match actor {
            Some(actor) => Ok(Self(Some(actor))),
            None => Err(unauthorized(
                "the token is not valid (unknown, revoked or expired)",
            )),
        }
    }
}

/// A role a route needs, as a type: `Authorized<Logistics>`.
pub trait Needs: Send + Sync {
    /// The role.
    const ROLE: Role;
}

/// Needs an admin token.
pub struct Admin;
/// Needs a logistics token (or admin).
pub struct Logistics;
/// Needs a planner token (or admin).
pub struct Planner;

impl Needs for Admin {
    const ROLE: Role = Role::Admin;
}
impl Needs for Logistics {
    const ROLE: Role = Role::Logistics;
}
impl Needs for Planner {
    const ROLE: Role = Role::Planner;
}

/// The caller, who holds a token that may act as `R`'s role (admins may do anything).
pub struct Authorized<R: Needs>(pub Actor, pub PhantomData<R>);

impl<R: Needs> FromRequestParts<AppState> for Authorized<R> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let actor = Caller::from_request_parts(parts, state)
            .await?
            .require(R::ROLE)?;
        Ok(Self(actor, PhantomData))
    }
}

/// The secret of an `Authorization: Bearer …` header, if there is one; any other shape is a 401.
fn bearer(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    // The scheme's name is case-insensitive (RFC 9110 §11.1).
    value
        .to_str()
        .ok()
        .and_then(|v| v.trim_start().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, secret)| secret.trim())
        .filter(|secret| !secret.is_empty())
        .map(|secret| Some(secret.to_owned()))
        .ok_or_else(|| unauthorized("the Authorization header is not `Bearer <token>`"))
}

fn unauthorized(message: &str) -> ApiError {
    ApiError::client(StatusCode::UNAUTHORIZED, "unauthorized", message)
}
