//! The account settings handlers: read them, or update the ones given.

use axum::Json;
use axum::extract::State;
use ledger_app::Session;
use ledger_http::openapi::{ReadErrors, WriteErrors};
use ledger_http::scopes::{AccountRead, AccountWrite};
use ledger_http::{ApiError, Caller, JsonBody};
use ledger_store::Store;

use crate::views::{AccountEnvelope, UpdateAccountRequest};

const TAG: &str = "Account";

/// Get Account.
///
/// The account the key belongs to. The Stripe webhook signing secret is never
/// shown, only whether one is set.
#[utoipa::path(get, path = "/account.json", tag = TAG,
    responses((status = 200, description = "The account's settings.", body = AccountEnvelope), ReadErrors))]
pub async fn get_account(
    State(store): State<Store>,
    caller: Caller<AccountRead>,
) -> Result<Json<AccountEnvelope>, ApiError> {
    let (account, ()) = caller.read(&store, ()).await?;
    Ok(Json(AccountEnvelope::of(account)))
}

/// Update Account.
///
/// Partial: only the given settings change, and an empty `account` changes
/// nothing. Null keeps a setting, except `stripe_webhook_secret`, which null
/// removes. `id`, `created_at` and `stripe_webhook_secret_set` are read-only
/// (422). `currency` is the account's base currency: it can change only while
/// the account has no commissions (409 `currency_locked` after), and it must
/// allow the minimum payout's decimals, or come with a `min_payout` that fits
/// it. Setting or removing `stripe_webhook_secret` also needs the
/// `events:write` scope: the secret signs sales and refunds.
#[utoipa::path(put, path = "/account.json", tag = TAG, request_body = UpdateAccountRequest,
    responses((status = 200, description = "Account updated.", body = AccountEnvelope), WriteErrors))]
pub async fn update_account(
    State(store): State<Store>,
    caller: Caller<AccountWrite>,
    JsonBody(request): JsonBody<UpdateAccountRequest>,
) -> Result<Json<AccountEnvelope>, ApiError> {
    let account = ledger_app::account::update(&caller, &store, request.account)
        .await
        .map_err(ApiError::under("account"))?;
    Ok(Json(AccountEnvelope::of(account)))
}
