//! The Webhook Endpoints group: where the account's events are delivered
//! (create, list, get, update, delete), the signing secret (shown at
//! creation and on rotation only), each endpoint's delivery log and a retry
//! by hand. The deliveries themselves are the webhook dispatcher's.

mod routes;
mod views;

use axum::Router;
use ledger_http::{Routes, keyed};
use ledger_store::Store;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    tags((name = "Webhook Endpoints", description = "Where the account's events are delivered, signed with the Standard Webhooks scheme (`webhook-id`, `webhook-timestamp`, `webhook-signature`). Deliveries are at least once (the event id is the `webhook-id`, an idempotency key) and retried with backoff for about a day, after which the endpoint is disabled."))
)]
struct ApiDoc;

/// This group's routes, each declared by its handler's `#[utoipa::path]`.
fn route_table() -> Routes<Store> {
    Routes::new(ApiDoc::openapi())
        .route(keyed!(routes::list_webhook_endpoints))
        .route(keyed!(routes::create_webhook_endpoint))
        .route(keyed!(routes::get_webhook_endpoint))
        .route(keyed!(routes::update_webhook_endpoint))
        .route(keyed!(routes::delete_webhook_endpoint))
        .route(keyed!(routes::rotate_webhook_secret))
        .route(keyed!(routes::list_webhook_deliveries))
        .route(keyed!(routes::retry_webhook_delivery))
}

/// This group's part of the OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    route_table().openapi()
}

/// This group's routes, ready for `lambda_http::run` or an in-process test.
pub fn router(store: Store) -> Router {
    ledger_http::finish_keyed(route_table().router(), &store).with_state(store)
}
