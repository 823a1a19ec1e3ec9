//! The partner portal: the routes under `/portal/` a partner calls with a
//! portal session's token (minted by the merchant), each answering only
//! that partner's own data (API keys open none of them), none stored by a
//! cache (`Cache-Control: private, no-store`); and, public at the root, the
//! embeddable page that calls them (`/portal/{accountId}`), which sets its
//! own caching.

mod page;
mod routes;
mod views;

use axum::Router;
use axum::http::HeaderValue;
use axum::http::header::CACHE_CONTROL;
use axum::middleware::map_response;
use axum::response::Response;
use ledger_http::{Routes, keyless};
use ledger_store::Store;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    tags((name = "Portal", description = "What a partner sees of their own data, with a portal session's token."))
)]
struct ApiDoc;

/// This group's routes, each declared by its handler's `#[utoipa::path]`.
fn route_table() -> Routes<Store> {
    Routes::new(ApiDoc::openapi())
        .route(keyless!(routes::get_own_partner))
        .route(keyless!(routes::update_own_payout_email))
        .route(keyless!(routes::list_own_clicks))
        .route(keyless!(routes::list_own_referrals))
        .route(keyless!(routes::list_own_commissions))
        .route(keyless!(routes::list_own_payouts))
        .route(keyless!(routes::get_own_earnings))
        .unversioned(keyless!(page::unframed_portal_page))
        .unversioned(keyless!(page::portal_page))
        .unversioned(keyless!(page::portal_stylesheet))
        .unversioned(keyless!(page::portal_script))
}

/// This group's part of the OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    route_table().openapi()
}

/// This group's routes, ready for `lambda_http::run` or an in-process test.
pub fn router(store: Store) -> Router {
    ledger_http::finish(route_table().router())
        .layer(map_response(never_stored))
        .with_state(store)
}

/// A partner's data stays out of every shared and browser cache: every
/// answer but the page's, which says how it is cached itself.
async fn never_stored(mut response: Response) -> Response {
    response
        .headers_mut()
        .entry(CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("private, no-store"));
    response
}
