//! The Partners endpoint group: list, get, create and update partners
//! (PromoteKit's affiliates), plus the approve, ban and unban actions.

mod routes;
mod views;

use axum::Router;
use axum::routing::{get, post};
use ledger_http::openapi::BearerKey;
use ledger_store::Store;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    paths(routes::list_partners, routes::get_partner, routes::create_partner, routes::update_partner, routes::approve_partner, routes::ban_partner, routes::unban_partner),
    modifiers(&BearerKey),
    tags((name = "Partners", description = "The people and companies who refer customers: their profile, links and promo codes, standing, and read-only statistics."))
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
            "/2026-02-01/partners.json",
            get(routes::list_partners).post(routes::create_partner),
        )
        .route(
            "/2026-02-01/partners/{partner}",
            get(routes::get_partner).put(routes::update_partner),
        )
        .route(
            "/2026-02-01/partners/{partner}/approve.json",
            post(routes::approve_partner),
        )
        .route(
            "/2026-02-01/partners/{partner}/ban.json",
            post(routes::ban_partner),
        )
        .route(
            "/2026-02-01/partners/{partner}/unban.json",
            post(routes::unban_partner),
        );
    ledger_http::finish_keyed(routes, &store).with_state(store)
}
