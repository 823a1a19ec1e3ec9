//! The Referrals endpoint group: list (by partner and subscription status),
//! get, create with attribution to a partner, and update.

mod routes;
mod views;

use axum::Router;
use ledger_http::{Routes, keyed};
use ledger_store::Store;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    tags((name = "Referrals", description = "Customers a partner referred, attributed by partner id, link code or promo code."))
)]
struct ApiDoc;

/// This group's routes, each declared by its handler's `#[utoipa::path]`.
fn route_table() -> Routes<Store> {
    Routes::new(ApiDoc::openapi())
        .route(keyed!(routes::list_referrals))
        .route(keyed!(routes::create_referral))
        .route(keyed!(routes::get_referral))
        .route(keyed!(routes::update_referral))
}

/// This group's part of the OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    route_table().openapi()
}

/// This group's routes, ready for `lambda_http::run` or an in-process test.
pub fn router(store: Store) -> Router {
    ledger_http::finish_keyed(route_table().router(), &store).with_state(store)
}
