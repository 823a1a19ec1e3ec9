//! The Campaigns endpoint group: list, get, create and update campaigns with
//! PromoteKit's fields. A campaign's commission settings translate into
//! engine rules (`Campaign::rules` in `ledger-core`).

mod routes;
mod views;

use axum::Router;
use ledger_http::{Routes, keyed};
use ledger_store::Store;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    tags((name = "Campaigns", description = "What partners promote and the commission terms they earn on. A campaign that sets no commission leaves pricing to the partner's group."))
)]
struct ApiDoc;

/// This group's routes, each declared by its handler's `#[utoipa::path]`.
fn route_table() -> Routes<Store> {
    Routes::new(ApiDoc::openapi())
        .route(keyed!(routes::list_campaigns))
        .route(keyed!(routes::create_campaign))
        .route(keyed!(routes::get_campaign))
        .route(keyed!(routes::update_campaign))
}

/// This group's part of the OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    route_table().openapi()
}

/// This group's routes, ready for `lambda_http::run` or an in-process test.
pub fn router(store: Store) -> Router {
    ledger_http::finish_keyed(route_table().router(), &store).with_state(store)
}
