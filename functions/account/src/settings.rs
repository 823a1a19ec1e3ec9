//! The account settings handlers: read them, or update the ones given.

use axum::Json;
use axum::extract::State;
use ledger_core::money::Currency;
use ledger_core::validation::under;
use ledger_http::openapi::{ReadErrors, WriteErrors};
use ledger_http::scopes::{AccountRead, AccountWrite};
use ledger_http::{ApiError, Caller, JsonBody, retry_contended};
use ledger_store::{Key, Store, Tally, accounts, tallies};

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
    let (account, []) = caller.read_items(&store, []).await?;
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
    let changes = request.account;
    let commissions = Tally::commissions(None, None);
    let account = retry_contended(|| async {
        let tally_key = Key::tally(caller.account_id(), &commissions);
        let (mut account, key, [recorded]) =
            caller.read_items_with_key(&store, [&tally_key]).await?;
        if let Some(scope) = changes.also_requires().filter(|s| !key.allows(*s)) {
            return Err(ApiError::Forbidden(scope));
        }
        let rebased = changes.currency.filter(|c| *c != account.currency);
        if rebased.is_some() && tallies::count(recorded.as_ref())? > 0 {
            return Err(currency_locked(account.currency));
        }
        let update = account
            .apply(changes.clone())
            .map_err(|e| ApiError::Validation(under(e, "account")))?;
        if let Some(write) = accounts::update_settings(&store, &account.id, &update)? {
            let mut writes = vec![write];
            if rebased.is_some() {
                writes.push(tallies::require_zero(&store, &account.id, &commissions)?);
            }
            store.transact(writes).await?;
        }
        Ok(account)
    })
    .await?;
    Ok(Json(AccountEnvelope::of(account)))
}

/// The base currency cannot change under commissions counted in it.
fn currency_locked(base: Currency) -> ApiError {
    ApiError::conflict(
        "currency_locked",
        format!(
            "the account has commissions in its base currency, {base}, so its currency can no longer change"
        ),
    )
}
