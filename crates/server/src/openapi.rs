//! The OpenAPI document, generated: every route is registered through [`router`] with the
//! `#[utoipa::path]` that describes it, so the router and the document cannot differ. The page's
//! own files are added from [`crate::page::PAGE`], which also routes them.

use std::sync::OnceLock;

use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, HttpMethod, OpenApi, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi as _};
use utoipa_axum::router::OpenApiRouter;

use crate::error::ErrorBody;
use crate::page::PAGE;
use crate::routes;
use crate::state::AppState;

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Refuge API",
        description = "A city's emergency resources on one map: shelters, reserve depots, \
            micro-storage sites, hazard sources. Distances are great-circle metres (haversine, \
            R = 6,371,008.8 m). Every error is JSON `{\"error\": {\"code\", \"message\"}}`; a 4xx \
            names the parameter, field or row at fault. Writes need a bearer token whose role \
            the operation names (`refuge token create`).",
        license(name = "Apache-2.0"),
    ),
    components(schemas(ErrorBody))
)]
struct ApiDoc;

/// Every route of the server, each with its place in the document.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(routes::health::routes())
        .merge(routes::tiles::routes())
        .merge(routes::nearest::routes())
        .merge(routes::walk::routes())
        .merge(routes::facilities::routes())
        .merge(routes::writes::routes())
        .merge(routes::quotas::routes())
        .merge(routes::plans::routes())
        .merge(routes::stock::routes())
        .merge(routes::shipments::routes())
        .merge(routes::exposure::routes())
        .merge(routes::analysis::routes())
        .merge(routes::activations::routes())
        .merge(routes::imports::routes())
        .merge(routes::me::routes())
        .merge(routes::events::routes())
        .merge(routes::glyphs::routes())
        .merge(routes::web::routes())
}

/// The document as JSON, made once.
pub fn document() -> &'static str {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let (_, mut api) = router().split_for_parts();
        add_page_files(&mut api);
        // After the routes are in: a modifier of `ApiDoc` would see no paths yet.
        Conventions.modify(&mut api);
        api.to_pretty_json().unwrap_or_default()
    })
}

/// The page's files: each a `GET` that answers its media type (or 304 to a matching
/// `If-None-Match`).
fn add_page_files(api: &mut OpenApi) {
    for file in PAGE {
        let ok = ResponseBuilder::new()
            .description(format!("`{}` from the map page", file.file))
            .content(file.media_type, ContentBuilder::new().build())
            .build();
        let mut operation = Operation::new();
        operation.tags = Some(vec!["page".into()]);
        operation.summary = Some(format!("The map page: {}", file.file));
        operation
            .responses
            .responses
            .insert("200".into(), ok.into());
        operation.responses.responses.insert(
            "304".into(),
            ResponseBuilder::new()
                .description("Not modified (If-None-Match)")
                .build()
                .into(),
        );
        api.paths
            .paths
            .insert(file.url.into(), PathItem::new(HttpMethod::Get, operation));
    }
}

/// What holds for every operation, said once: the bearer scheme, and the errors any request can
/// meet (a bad parameter, a client over its budget, a busy store, a 5xx that names nothing;
/// 401 and 403 where a token is involved).
struct Conventions;

impl Modify for Conventions {
    fn modify(&self, api: &mut OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A token from `refuge token create --role …`"))
                    .build(),
            ),
        );
        for item in api.paths.paths.values_mut() {
            for (method, operation) in operations(item) {
                let secured = operation.security.is_some();
                let mut add = |status: &str, description: &str| {
                    operation
                        .responses
                        .responses
                        .entry(status.into())
                        .or_insert_with(|| error(description));
                };
                add(
                    "400",
                    "A parameter, header or body is wrong; the message names it",
                );
                add(
                    "429",
                    "Too many failed sign-ins or writes from this address (Retry-After)",
                );
                add(
                    "500",
                    "Something failed inside; the server log has the details",
                );
                add("503", "The store is busy (Retry-After)");
                if method == HttpMethod::Get {
                    add("408", "The answer took too long to make; try again");
                } else {
                    add("413", "The body is over the size limit");
                }
                if secured {
                    add(
                        "401",
                        "No token, or a token that is unknown, revoked or expired",
                    );
                    add("403", "The token's role may not do this");
                }
            }
        }
    }
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = (HttpMethod, &mut Operation)> {
    [
        (HttpMethod::Get, &mut item.get),
        (HttpMethod::Put, &mut item.put),
        (HttpMethod::Post, &mut item.post),
        (HttpMethod::Delete, &mut item.delete),
        (HttpMethod::Patch, &mut item.patch),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.as_mut().map(|o| (method, o)))
}

/// An error response with the error body.
fn error(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                    "ErrorBody",
                ))))
                .build(),
        )
        .build()
        .into()
}
