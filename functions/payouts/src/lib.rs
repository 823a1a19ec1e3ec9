//! The Payouts endpoint group: list (by partner, status and period) and get
//! payouts, mark one paid or failed (failed hands its commissions back to
//! the next run), and start a payout run by hand.

mod deadline;
mod routes;
mod views;

use axum::Router;
use ledger_http::{Routes, keyed};
use ledger_store::Store;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    tags((name = "Payouts", description = "What each partner is paid per currency and month: created by the payout run from approved commissions, then marked paid or failed by a person."))
)]
struct ApiDoc;

/// This group's routes, each declared by its handler's `#[utoipa::path]`.
fn route_table() -> Routes<Store> {
    Routes::new(ApiDoc::openapi())
        .route(keyed!(routes::list_payouts))
        .route(keyed!(routes::run_payouts))
        .route(keyed!(routes::get_payout))
        .route(keyed!(routes::mark_paid))
        .route(keyed!(routes::mark_failed))
}

/// This group's part of the OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    route_table().openapi()
}

/// This group's routes, ready for `lambda_http::run` or an in-process test.
pub fn router(store: Store) -> Router {
    ledger_http::finish_keyed(route_table().router(), &store).with_state(store)
}
