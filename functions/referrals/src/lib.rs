//! The Referrals endpoint group: list (by partner and subscription status),
//! get, create with attribution to a partner, and update.

mod routes;
mod views;

use axum::Router;
use axum::routing::get;
use ledger_http::openapi::BearerKey;
use ledger_store::Store;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    paths(routes::list_referrals, routes::get_referral, routes::create_referral, routes::update_referral),
    modifiers(&BearerKey),
    tags((name = "Referrals", description = "Customers a partner referred, attributed by partner id, link code or promo code."))
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
            "/2026-02-01/referrals.json",
            get(routes::list_referrals).post(routes::create_referral),
        )
        .route(
            "/2026-02-01/referrals/{referral}",
            get(routes::get_referral).put(routes::update_referral),
        );
    ledger_http::finish_keyed(routes, &store).with_state(store)
}
