//! The Payouts endpoint group: list (by partner, status and period) and get
//! payouts, mark one paid or failed (failed hands its commissions back to
//! the next run), and start a payout run by hand.

mod deadline;
mod routes;
mod views;

use axum::Router;
use axum::routing::{get, post};
use ledger_http::openapi::BearerKey;
use ledger_store::Store;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    paths(
        routes::list_payouts, routes::get_payout, routes::mark_paid, routes::mark_failed,
        routes::run_payouts
    ),
    modifiers(&BearerKey),
    tags((name = "Payouts", description = "What each partner is paid per currency and month: created by the payout run from approved commissions, then marked paid or failed by a person."))
)]
struct ApiDoc;

/// This group's part of the OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// This group's routes, ready for `lambda_http::run` or an in-process test.
pub fn router(store: Store) -> Router {
    let routes = Router::new()
        .route("/2026-02-01/payouts.json", get(routes::list_payouts))
        .route("/2026-02-01/payouts/run.json", post(routes::run_payouts))
        .route("/2026-02-01/payouts/{payout}", get(routes::get_payout))
        .route(
            "/2026-02-01/payouts/{payout}/paid.json",
            post(routes::mark_paid),
        )
        .route(
            "/2026-02-01/payouts/{payout}/failed.json",
            post(routes::mark_failed),
        );
    ledger_http::finish_keyed(routes, &store).with_state(store)
}
