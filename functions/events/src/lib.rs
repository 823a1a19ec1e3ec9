//! The activity log: the account's events (what changed, what it was
//! before and who changed it), listed newest first or got one by one.
//! The events are written by the changes themselves (ledger-store's outbox).

mod routes;
mod views;

use axum::Router;
use ledger_http::{Routes, keyed};
use ledger_store::Store;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    tags((name = "Events", description = "The activity log: every change to commissions, payouts, partners and referrals, with what it was before and what caused it (an API key, a Stripe event or the payout run)."))
)]
struct ApiDoc;

/// This group's routes, each declared by its handler's `#[utoipa::path]`.
fn route_table() -> Routes<Store> {
    Routes::new(ApiDoc::openapi())
        .route(keyed!(routes::list_events))
        .route(keyed!(routes::get_event))
}

/// This group's part of the OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    route_table().openapi()
}

/// This group's routes, ready for `lambda_http::run` or an in-process test.
pub fn router(store: Store) -> Router {
    ledger_http::finish_keyed(route_table().router(), &store).with_state(store)
}
