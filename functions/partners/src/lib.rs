//! The Partners endpoint group: list, get, create and update partners
//! (PromoteKit's affiliates), plus the approve, ban and unban actions, and
//! a partner's clicks per day, and minting a partner's portal session.

mod routes;
mod views;

use axum::Router;
use ledger_http::{Routes, keyed};
use ledger_store::Store;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    tags((name = "Partners", description = "The people and companies who refer customers: their profile, links and promo codes, standing, and read-only statistics."))
)]
struct ApiDoc;

/// This group's routes, each declared by its handler's `#[utoipa::path]`.
fn route_table() -> Routes<Store> {
    Routes::new(ApiDoc::openapi())
        .route(keyed!(routes::list_partners))
        .route(keyed!(routes::create_partner))
        .route(keyed!(routes::get_partner))
        .route(keyed!(routes::update_partner))
        .route(keyed!(routes::approve_partner))
        .route(keyed!(routes::ban_partner))
        .route(keyed!(routes::unban_partner))
        .route(keyed!(routes::list_partner_clicks))
        .route(keyed!(routes::create_portal_session))
}

/// This group's part of the OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    route_table().openapi()
}

/// This group's routes, ready for `lambda_http::run` or an in-process test.
pub fn router(store: Store) -> Router {
    ledger_http::finish_keyed(route_table().router(), &store).with_state(store)
}
