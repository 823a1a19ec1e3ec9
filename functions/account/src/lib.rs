//! The account endpoint group: the account's settings (`GET`/`PUT
//! /account.json`), its API keys (create, list, delete) and the
//! deployment's reference exchange rates (`/fx_rates`). A key only ever
//! creates or deletes keys no more powerful than itself.

mod fx_rates;
mod keys;
mod settings;
mod views;

use axum::Router;
use axum::routing::{delete, get, put};
use ledger_http::openapi::BearerKey;
use ledger_store::Store;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    paths(settings::get_account, settings::update_account, keys::list_api_keys, keys::create_api_key, keys::delete_api_key,
        fx_rates::get_fx_rates, fx_rates::put_fx_rates),
    modifiers(&BearerKey),
    tags(
        (name = "Account", description = "The account's settings: name, default currency, the payout run's hold and minimum, and the Stripe webhook signing secret (write-only)."),
        (name = "API Keys", description = "The account's API keys. A key's token is shown once, when it is created; only its SHA-256 hash is stored. A key can only create or delete keys whose every scope it holds."),
        (name = "FX Rates", description = "Reference exchange rates, shared by every account of the deployment: a sale in another currency than its account's is converted at the rate in force on its date. A scheduled function loads the European Central Bank's daily rates; operators can load or correct a day.")
    )
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
            "/2026-02-01/account.json",
            get(settings::get_account).put(settings::update_account),
        )
        .route(
            "/2026-02-01/api_keys.json",
            get(keys::list_api_keys).post(keys::create_api_key),
        )
        .route("/2026-02-01/api_keys/{key}", delete(keys::delete_api_key))
        .route("/2026-02-01/fx_rates.json", get(fx_rates::get_fx_rates))
        .route("/2026-02-01/fx_rates/{date}", put(fx_rates::put_fx_rates));
    ledger_http::finish_keyed(routes, &store).with_state(store)
}
