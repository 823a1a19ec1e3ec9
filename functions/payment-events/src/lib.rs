//! Payment events: signed Stripe webhooks and a billing-agnostic sale and
//! refund API turn customers' payments into commissions and refunds into
//! reversals, exactly once.

mod routes;
mod signed;
mod views;

use std::sync::Arc;

use axum::Router;
use ledger_http::{Routes, keyed, keyless};
use ledger_store::Store;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    tags((name = "Payment events", description = "Customers' payments and refunds, from Stripe's signed webhooks or any billing system: each becomes a commission or its reversal, exactly once."))
)]
struct ApiDoc;

/// This group's routes, each declared by its handler's `#[utoipa::path]`.
fn route_table() -> Routes<App> {
    Routes::new(ApiDoc::openapi())
        .route(keyless!(routes::stripe_webhook))
        .route(keyed!(routes::sale_event))
        .route(keyed!(routes::refund_event))
}

/// This group's part of the OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    route_table().openapi()
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
    ledger_http::finish_keyed(route_table().router(), &store).with_state(App {
        store,
        secrets: Arc::default(),
    })
}
