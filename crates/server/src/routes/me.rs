//! `GET /api/v1/me`: whom a token belongs to and what it may do, so that the page shows each
//! member of staff the panels of their role.

use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(me))
}

/// A token's holder.
#[derive(Debug, Serialize, ToSchema)]
struct Me {
    /// The token's name, e.g. `duty officer 3`.
    name: String,
    /// Its role: logistics, planner or admin.
    role: String,
    /// The roles it may act as (an admin may act as any).
    acts_as: Vec<String>,
}

/// The holder of the bearer token: its name, its role and the roles it may act as.
#[utoipa::path(get, path = "/api/v1/me", tag = "staff",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The token's holder", body = Me),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody),
    ))]
async fn me(caller: Caller) -> Result<Json<Me>, ApiError> {
    let actor = caller.require_any()?;
    let role = actor.role.map_or("system", |r| r.as_str()).to_owned();
    let acts_as = refuge_store::Role::ALL
        .iter()
        .filter(|r| actor.may(**r))
        .map(|r| r.as_str().to_owned())
        .collect();
    Ok(Json(Me {
        name: actor.name,
        role,
        acts_as,
    }))
}
