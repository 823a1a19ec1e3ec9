//! The Partner Groups endpoint group: list, get, create, update, delete and
//! simulate-rules, exactly as `shared/seeds/partner-groups-api.txt` documents.

mod routes;
mod views;

use axum::Router;
use ledger_http::{Routes, keyed};
use ledger_store::Store;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(tags((name = "Partner Groups", description = "Classification tiers for partners and the rules that price their commissions.")))]
struct ApiDoc;

/// This group's routes, each declared by its handler's `#[utoipa::path]`.
fn route_table() -> Routes<Store> {
    Routes::new(ApiDoc::openapi())
        .route(keyed!(routes::list_groups))
        .route(keyed!(routes::create_group))
        .route(keyed!(routes::simulate_rules))
        .route(keyed!(routes::get_group))
        .route(keyed!(routes::update_group))
        .route(keyed!(routes::delete_group))
}

/// This group's part of the OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    route_table().openapi()
}

/// This group's routes, ready for `lambda_http::run` or an in-process test.
pub fn router(store: Store) -> Router {
    ledger_http::finish_keyed(route_table().router(), &store).with_state(store)
}
