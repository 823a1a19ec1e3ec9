//! The Partners endpoint group: Partners (affiliates): list, get, create, update, approve, ban and unban.

use axum::Router;
use partner_ledger::http::openapi::BearerKey;
use partner_ledger::store::Store;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(modifiers(&BearerKey))]
struct ApiDoc;

/// This group's part of the OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// This group's routes, ready for `lambda_http::run` or an in-process test.
pub fn router(store: Store) -> Router {
    partner_ledger::http::finish(Router::new()).with_state(store)
}
