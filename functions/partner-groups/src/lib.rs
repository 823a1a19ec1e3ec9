//! The Partner Groups endpoint group: list, get, create, update, delete and
//! simulate-rules, exactly as `shared/seeds/partner-groups-api.txt` documents.

mod routes;
mod views;

use axum::Router;
use axum::routing::{get, post};
use ledger_http::openapi::BearerKey;
use ledger_store::Store;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    paths(routes::list_groups, routes::get_group, routes::create_group, routes::update_group, routes::delete_group, routes::simulate_rules),
    modifiers(&BearerKey),
    tags((name = "Partner Groups", description = "Classification tiers for partners and the rules that price their commissions."))
)]
struct ApiDoc;

/// This group's part of the OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// This group's routes, ready for `lambda_http::run` or an in-process test.
pub fn router(store: Store) -> Router {
    let routes = Router::new()
        .route(
            "/2026-02-01/partners/groups.json",
            get(routes::list_groups).post(routes::create_group),
        )
        .route(
            "/2026-02-01/partners/groups/simulate-rules.json",
            post(routes::simulate_rules),
        )
        .route(
            "/2026-02-01/partners/groups/{group}",
            get(routes::get_group)
                .put(routes::update_group)
                .delete(routes::delete_group),
        );
    ledger_http::finish_keyed(routes, &store).with_state(store)
}
