//! The Campaigns endpoint group: list, get, create and update campaigns with
//! PromoteKit's fields. A campaign's commission settings translate into
//! engine rules (`Campaign::rules` in `ledger-core`).

mod routes;
mod views;

use axum::Router;
use axum::routing::get;
use ledger_http::openapi::BearerKey;
use ledger_store::Store;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    paths(routes::list_campaigns, routes::get_campaign, routes::create_campaign, routes::update_campaign),
    modifiers(&BearerKey),
    tags((name = "Campaigns", description = "What partners promote and the commission terms they earn on. A campaign that sets no commission leaves pricing to the partner's group."))
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
            "/2026-02-01/campaigns.json",
            get(routes::list_campaigns).post(routes::create_campaign),
        )
        .route(
            "/2026-02-01/campaigns/{campaign}",
            get(routes::get_campaign).put(routes::update_campaign),
        );
    ledger_http::finish_keyed(routes, &store).with_state(store)
}
