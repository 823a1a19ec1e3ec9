//! Operator tooling shared by the `partner-ledger-admin` command and the tests:
//! creating the table from `template.yaml` (the schema's single source),
//! bootstrapping an account with its first API key, setting the account's
//! Stripe webhook signing secret, and loading ECB reference rates.

pub mod schema;

use chrono::{NaiveDate, Utc};
use ledger_core::ecb;
use ledger_core::model::{Account, ApiKey, Id, ScopeGrant};
use ledger_core::money::Currency;
use ledger_store::{Store, StoreError, accounts, api_keys, fx_rates};

/// A freshly bootstrapped account and the only copy of its first key.
pub struct Bootstrap {
    pub account: Account,
    pub api_key: String,
}

/// Creates an account and a first key with `scopes`, straight in the table.
pub async fn bootstrap_account(
    store: &Store,
    name: &str,
    currency: Currency,
    scopes: &[String],
) -> Result<Bootstrap, String> {
    check_scopes(scopes)?;
    let now = Utc::now();
    let account = Account::new(name.to_string(), currency, now);
    let (key, api_key) = ApiKey::new(&account.id, "bootstrap".into(), scopes.to_vec(), now);
    accounts::create_with_key(store, &account, &key)
        .await
        .map_err(|e: StoreError| e.to_string())?;
    Ok(Bootstrap { account, api_key })
}

/// Adds a key with `scopes` to an existing account; returns the plaintext key.
pub async fn issue_key(
    store: &Store,
    account: &Id,
    name: &str,
    scopes: &[String],
) -> Result<String, String> {
    check_scopes(scopes)?;
    let (key, api_key) = ApiKey::new(account, name.to_string(), scopes.to_vec(), Utc::now());
    let write = api_keys::insert(store, &key).map_err(|e| e.to_string())?;
    store
        .transact(vec![write])
        .await
        .map_err(|e| e.to_string())?;
    Ok(api_key)
}

/// Sets the signing secret of `account`'s Stripe webhook endpoint (Stripe's
/// `whsec_...`), replacing any earlier one. The account must exist.
pub async fn set_stripe_secret(store: &Store, account: &Id, secret: &str) -> Result<(), String> {
    Account::check_stripe_webhook_secret(secret)
        .map_err(|message| format!("the secret {message}"))?;
    accounts::set_stripe_webhook_secret(store, account, secret)
        .await
        .map_err(|e| {
            if e.failed_condition(0) {
                format!("no account {account} in table {}", store.table())
            } else {
                e.to_string()
            }
        })
}

fn check_scopes(scopes: &[String]) -> Result<(), String> {
    match scopes.iter().find(|s| ScopeGrant::parse(s).is_err()) {
        Some(bad) => Err(format!("`{bad}` is not a scope")),
        None => Ok(()),
    }
}

/// Loads every day of the ECB reference-rate document `xml` (the ECB's own
/// format, read by `ecb::parse`); the days loaded, oldest first.
pub async fn load_fx_rates(store: &Store, xml: &str) -> Result<Vec<NaiveDate>, String> {
    let mut days = ecb::parse(xml).map_err(|e| e.to_string())?;
    days.sort_by_key(|rates| rates.date);
    for rates in &days {
        fx_rates::save(store, rates)
            .await
            .map_err(|e| format!("{}: {e}", rates.date))?;
    }
    Ok(days.into_iter().map(|rates| rates.date).collect())
}
