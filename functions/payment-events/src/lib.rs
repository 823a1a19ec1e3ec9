//! Payment events: signed Stripe webhooks and a billing-agnostic sale and
//! refund API turn customers' payments into commissions and refunds into
//! reversals, exactly once.

mod routes;
mod signed;
mod views;

use std::sync::Arc;

use axum::Router;
use axum::routing::post;
use ledger_http::openapi::BearerKey;
use ledger_store::Store;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    paths(routes::stripe_webhook, routes::sale_event, routes::refund_event),
    modifiers(&BearerKey),
    tags((name = "Payment events", description = "Customers' payments and refunds, from Stripe's signed webhooks or any billing system: each becomes a commission or its reversal, exactly once."))
)]
struct ApiDoc;

/// This group's part of the OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// What the handlers share: the table, and the endpoint secrets a warm
/// container verified deliveries with.
#[derive(Clone)]
struct App {
    store: Store,
    secrets: Arc<signed::Secrets>,
}

/// This group's routes, ready for `lambda_http::run` or an in-process test.
pub fn router(store: Store) -> Router {
    let routes = Router::new()
        .route(
            "/2026-02-01/webhooks/stripe/{account}",
            post(routes::stripe_webhook),
        )
        .route("/2026-02-01/events/sale.json", post(routes::sale_event))
        .route("/2026-02-01/events/refund.json", post(routes::refund_event));
    ledger_http::finish_keyed(routes, &store).with_state(App {
        store,
        secrets: Arc::default(),
    })
}
