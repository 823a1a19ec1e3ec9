//! The Commissions endpoint group: list (by partner, status, payout status,
//! referral and date), get, create under either seed contract (priced by the
//! rules when no amount is given), approve and deny one by one or in bulk,
//! mark a non-cash reward fulfilled, and the notes update.

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
        routes::list_commissions, routes::get_commission, routes::create_commission,
        routes::update_commission, routes::approve_commission, routes::deny_commission,
        routes::approve_commissions, routes::deny_commissions, routes::fulfil_commission
    ),
    modifiers(&BearerKey),
    tags((name = "Commissions", description = "What partners earn on their customers' payments: priced by the rules engine, approved or denied, exactly once per payment."))
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
            "/2026-02-01/commissions.json",
            get(routes::list_commissions).post(routes::create_commission),
        )
        .route(
            "/2026-02-01/commissions/approve.json",
            post(routes::approve_commissions),
        )
        .route(
            "/2026-02-01/commissions/deny.json",
            post(routes::deny_commissions),
        )
        .route(
            "/2026-02-01/commissions/{commission}",
            get(routes::get_commission).put(routes::update_commission),
        )
        .route(
            "/2026-02-01/commissions/{commission}/approve.json",
            post(routes::approve_commission),
        )
        .route(
            "/2026-02-01/commissions/{commission}/deny.json",
            post(routes::deny_commission),
        )
        .route(
            "/2026-02-01/commissions/{commission}/fulfil.json",
            post(routes::fulfil_commission),
        );
    ledger_http::finish_keyed(routes, &store).with_state(store)
}
