//! The Commissions endpoint group: list (by partner, status, payout status,
//! referral and date), get, create under either seed contract (priced by the
//! rules when no amount is given), approve and deny one by one or in bulk,
//! mark a non-cash reward fulfilled, and the notes update.

mod routes;
mod views;

use axum::Router;
use ledger_http::{Routes, keyed};
use ledger_store::Store;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    tags((name = "Commissions", description = "What partners earn on their customers' payments: priced by the rules engine, approved or denied, exactly once per payment."))
)]
struct ApiDoc;

/// This group's routes, each declared by its handler's `#[utoipa::path]`.
fn route_table() -> Routes<Store> {
    Routes::new(ApiDoc::openapi())
        .route(keyed!(routes::list_commissions))
        .route(keyed!(routes::create_commission))
        .route(keyed!(routes::approve_commissions))
        .route(keyed!(routes::deny_commissions))
        .route(keyed!(routes::get_commission))
        .route(keyed!(routes::update_commission))
        .route(keyed!(routes::approve_commission))
        .route(keyed!(routes::deny_commission))
        .route(keyed!(routes::fulfil_commission))
}

/// This group's part of the OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    route_table().openapi()
}

/// This group's routes, ready for `lambda_http::run` or an in-process test.
pub fn router(store: Store) -> Router {
    ledger_http::finish_keyed(route_table().router(), &store).with_state(store)
}
