//! The account endpoint group: the account's settings (`GET`/`PUT
//! /account.json`), its API keys (create, list, delete) and the
//! deployment's reference exchange rates (`/fx_rates`). A key only ever
//! creates or deletes keys no more powerful than itself.

mod fx_rates;
mod keys;
mod settings;
mod views;

use axum::Router;
use ledger_http::{Routes, keyed};
use ledger_store::Store;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    tags(
        (name = "Account", description = "The account's settings: name, default currency, the payout run's hold and minimum, and the Stripe webhook signing secret (write-only)."),
        (name = "API Keys", description = "The account's API keys. A key's token is shown once, when it is created; only its SHA-256 hash is stored. A key can only create or delete keys whose every scope it holds."),
        (name = "FX Rates", description = "Reference exchange rates, shared by every account of the deployment: a sale in another currency than its account's is converted at the rate in force on its date. A scheduled function loads the European Central Bank's daily rates; operators can load or correct a day.")
    )
)]
struct ApiDoc;

/// This group's routes, each declared by its handler's `#[utoipa::path]`.
fn route_table() -> Routes<Store> {
    Routes::new(ApiDoc::openapi())
        .route(keyed!(settings::get_account))
        .route(keyed!(settings::update_account))
        .route(keyed!(keys::list_api_keys))
        .route(keyed!(keys::create_api_key))
        .route(keyed!(keys::delete_api_key))
        .route(keyed!(fx_rates::get_fx_rates))
        .route(keyed!(fx_rates::put_fx_rates))
}

/// This group's part of the OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    route_table().openapi()
}

/// This group's routes, ready for `lambda_http::run` or an in-process test.
pub fn router(store: Store) -> Router {
    ledger_http::finish_keyed(route_table().router(), &store).with_state(store)
}
