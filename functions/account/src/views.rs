//! What the account routes accept and answer: the account inside
//! `{"account": {...}}` (its webhook secret reduced to whether it is set),
//! API keys inside `{"apiKey": {...}}` (the token only at creation), and
//! the reference rates inside `{"fxRates": {...}}`.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use ledger_core::model::{Account, AccountChanges, ApiKey, ApiKeyDraft, FxRates, FxRatesDraft, Id};
use ledger_core::money::Currency;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAccountRequest {
    pub account: AccountChanges,
}

/// `{"account": {...}}`, the answer to a get or an update.
#[derive(Serialize, ToSchema)]
pub struct AccountEnvelope {
    pub account: AccountView,
}

/// The account's settings. The webhook signing secret is write-only.
#[derive(Serialize, ToSchema)]
pub struct AccountView {
    /// Also the last segment of the account's Stripe webhook path.
    pub id: Id,
    pub name: String,
    pub currency: Currency,
    /// Days a commission waits before the payout run approves it.
    pub hold_days: u32,
    /// The smallest balance the payout run pays out.
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub min_payout: Decimal,
    /// Whether a Stripe webhook signing secret is set.
    pub stripe_webhook_secret_set: bool,
    /// The origins whose pages may frame the partner portal page; empty: none may.
    #[schema(example = json!(["https://partners.example.com"]))]
    pub portal_allowed_origins: Vec<String>,
    /// Whether the partner portal hides earnings (programs that reward credits).
    pub portal_hide_earnings: bool,
    pub created_at: DateTime<Utc>,
}

impl AccountEnvelope {
    pub fn of(account: Account) -> Self {
        Self {
            account: AccountView {
                stripe_webhook_secret_set: account.stripe_webhook_secret.is_some(),
                id: account.id,
                name: account.name,
                currency: account.currency,
                hold_days: account.hold_days,
                min_payout: account.min_payout,
                portal_allowed_origins: account.portal_allowed_origins,
                portal_hide_earnings: account.portal_hide_earnings,
                created_at: account.created_at,
            },
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKeyRequest {
    #[serde(rename = "apiKey")]
    pub api_key: ApiKeyDraft,
}

/// An API key as listed: never its token or its hash.
#[derive(Serialize, ToSchema)]
pub struct ApiKeyView {
    pub id: Id,
    pub name: String,
    #[schema(example = json!(["partners:read", "commissions:*"]))]
    pub scopes: Vec<String>,
    pub created_at: DateTime<Utc>,
}

impl ApiKeyView {
    pub fn of(key: ApiKey) -> Self {
        Self {
            id: key.id,
            name: key.name,
            scopes: key.scopes,
            created_at: key.created_at,
        }
    }
}

/// `{"apiKey": {...}}` with the token: the answer to a create, and the only
/// time the token is shown.
#[derive(Serialize, ToSchema)]
pub struct CreatedApiKeyEnvelope {
    #[serde(rename = "apiKey")]
    pub api_key: CreatedApiKey,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedApiKey {
    pub id: Id,
    pub name: String,
    pub scopes: Vec<String>,
    /// The bearer token: `Authorization: Bearer <key>`. Store it now; it is
    /// never shown again.
    #[schema(pattern = "^plk_[0-9a-f]{24}_[0-9a-f]{24}_[0-9a-f]{64}$")]
    pub key: String,
    pub created_at: DateTime<Utc>,
}

impl CreatedApiKeyEnvelope {
    pub fn of(key: ApiKey, token: String) -> Self {
        Self {
            api_key: CreatedApiKey {
                id: key.id,
                name: key.name,
                scopes: key.scopes,
                key: token,
                created_at: key.created_at,
            },
        }
    }
}

/// `{"apiKey": {..., "deleted": true}}`: the key that was deleted.
#[derive(Serialize, ToSchema)]
pub struct DeletedApiKeyEnvelope {
    #[serde(rename = "apiKey")]
    pub api_key: DeletedApiKey,
}

#[derive(Serialize, ToSchema)]
pub struct DeletedApiKey {
    pub id: Id,
    pub name: String,
    pub scopes: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub deleted: bool,
}

impl DeletedApiKeyEnvelope {
    pub fn of(key: ApiKey) -> Self {
        Self {
            api_key: DeletedApiKey {
                id: key.id,
                name: key.name,
                scopes: key.scopes,
                created_at: key.created_at,
                deleted: true,
            },
        }
    }
}

/// `{"fxRates": {...}}`, the body of a rates upload.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutFxRatesRequest {
    #[serde(rename = "fxRates")]
    pub fx_rates: FxRatesDraft,
}

/// Which day's rates to read.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FxRatesQuery {
    /// The day (YYYY-MM-DD) the rates must be in force on; today (UTC) when omitted.
    #[param(value_type = Option<String>, format = Date)]
    pub date: Option<NaiveDate>,
}

/// `{"fxRates": {...}}`, the answer to a get or an upload.
#[derive(Serialize, ToSchema)]
pub struct FxRatesEnvelope {
    #[serde(rename = "fxRates")]
    pub fx_rates: FxRatesView,
}

/// One day's reference rates.
#[derive(Serialize, ToSchema)]
pub struct FxRatesView {
    /// The day the rates were published for.
    #[schema(value_type = String, format = Date, example = "2026-11-20")]
    pub date: NaiveDate,
    /// The currency the rates quote against.
    pub base: Currency,
    /// How many units of each currency one unit of `base` buys, exact as published.
    #[schema(value_type = BTreeMap<String, f64>, example = json!({"USD": 1.0812, "JPY": 162.45}))]
    pub rates: BTreeMap<Currency, Quote>,
}

/// A rate, as an exact JSON number.
#[derive(Serialize)]
pub struct Quote(#[serde(with = "rust_decimal::serde::arbitrary_precision")] Decimal);

impl FxRatesEnvelope {
    pub fn of(rates: FxRates) -> Self {
        Self {
            fx_rates: FxRatesView {
                date: rates.date,
                base: rates.base,
                rates: rates
                    .rates
                    .into_iter()
                    .map(|(currency, quote)| (currency, Quote(quote)))
                    .collect(),
            },
        }
    }
}
