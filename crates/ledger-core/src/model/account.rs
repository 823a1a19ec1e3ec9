//! The account (tenant): its settings, the rules an update of them obeys, and
//! the pointers to its default partner group and default campaign.

use std::fmt;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::change::{nullable, replace};
use super::id::Id;
use super::portal_origin;
use super::scope::{Access, Resource, Scope};
use crate::money::Currency;
use crate::validation::{self, FieldError};

/// One tenant. Every stored key starts with its id.
#[derive(Clone, Serialize, Deserialize)]
pub struct Account {
    pub id: Id,
    pub name: String,
    pub currency: Currency,
    /// Days a commission waits before the payout run approves it.
    pub hold_days: u32,
    /// The smallest balance the payout run pays out.
    #[serde(with = "rust_decimal::serde::str")]
    pub min_payout: Decimal,
    /// The group new partners join. Holding it here, on one item, is what
    /// makes "at most one default group" true by construction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_group_id: Option<Id>,
    /// The campaign new partners join when they name none; one item again,
    /// so at most one campaign is the default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_campaign_id: Option<Id>,
    /// The signing secret (`whsec_...`) of the Stripe webhook endpoint that
    /// posts to this account. Write-only: no API ever returns it, and
    /// `Debug` shows only whether it is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stripe_webhook_secret: Option<String>,
    /// The origins whose pages may frame the partner portal page (its
    /// `frame-ancestors`); none, the default, means no page may.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub portal_allowed_origins: Vec<String>,
    /// Whether the portal hides earnings (for programs that reward credits
    /// rather than money).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub portal_hide_earnings: bool,
    pub created_at: DateTime<Utc>,
}

/// Logs and panics may print an account; its webhook secret stays out of them.
impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("currency", &self.currency)
            .field("hold_days", &self.hold_days)
            .field("min_payout", &self.min_payout)
            .field("default_group_id", &self.default_group_id)
            .field("default_campaign_id", &self.default_campaign_id)
            .field(
                "stripe_webhook_secret",
                &self.stripe_webhook_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("portal_allowed_origins", &self.portal_allowed_origins)
            .field("portal_hide_earnings", &self.portal_hide_earnings)
            .field("created_at", &self.created_at)
            .finish()
    }
}

/// The body of an account update. Every field is optional and a field given
/// replaces the setting; an omitted or null one keeps it, except
/// `stripe_webhook_secret`, which null removes.
#[derive(Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountChanges {
    #[schema(min_length = 1, max_length = 200, pattern = r"\S", example = "Acme")]
    pub name: Option<String>,
    /// The currency new commissions are counted in when a request names none.
    /// It must fit the minimum payout's decimals (or give `min_payout` too).
    pub currency: Option<Currency>,
    /// Days (0 to 365) a commission waits before the payout run approves it.
    #[schema(minimum = 0, maximum = 365)]
    pub hold_days: Option<u32>,
    /// The smallest balance the payout run pays out: 0 or more, in the
    /// account currency's minor units at most.
    #[serde(default, with = "rust_decimal::serde::arbitrary_precision_option")]
    #[schema(minimum = 0)]
    pub min_payout: Option<Decimal>,
    /// The signing secret of the Stripe webhook endpoint posting to
    /// `/2026-02-01/webhooks/stripe/{account id}.json`, as Stripe shows it.
    /// Write-only; null removes it, after which deliveries are refused.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, pattern = "^whsec_[A-Za-z0-9_]{1,249}$", example = "whsec_1a2b3c4d5e6f")]
    pub stripe_webhook_secret: Option<Option<String>>,
    /// The origins (`https://host[:port]` or `http://...`, no path, at most
    /// 10) whose pages may frame the partner portal page. The list replaces
    /// the previous one; an empty list lets no page frame it.
    #[schema(max_items = 10, example = json!(["https://partners.example.com"]))]
    pub portal_allowed_origins: Option<Vec<String>>,
    /// Hides earnings (amounts and the earnings chart) in the partner
    /// portal, for programs that reward credits.
    pub portal_hide_earnings: Option<bool>,
}

impl AccountChanges {
    /// The scope an update needs beyond `account:write`, if any. Whoever
    /// sets the Stripe webhook secret can sign deliveries and so record
    /// sales and refunds: setting or removing it needs `events:write` too,
    /// so that no key gains, through a setting, a power its scopes do not
    /// grant (SPEC §4.9).
    pub fn also_requires(&self) -> Option<Scope> {
        self.stripe_webhook_secret
            .is_some()
            .then(|| Scope::new(Resource::Events, Access::Write))
    }
}

/// An update that passed validation: the settings to write, and no others.
pub struct SettingsUpdate {
    pub name: Option<String>,
    pub currency: Option<Currency>,
    pub hold_days: Option<u32>,
    pub min_payout: Option<Decimal>,
    /// `Some(None)` removes the secret.
    pub stripe_webhook_secret: Option<Option<String>>,
    /// Normalised; `Some(vec![])` empties the list.
    pub portal_allowed_origins: Option<Vec<String>>,
    pub portal_hide_earnings: Option<bool>,
    /// The currency and minimum payout as read, when the update changes
    /// either: the two must fit together, so the write is conditional on
    /// the pair it was checked against.
    pub checked_against: Option<(Currency, Decimal)>,
}

impl SettingsUpdate {
    /// Whether the update changes nothing at all (an empty body).
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.currency.is_none()
            && self.hold_days.is_none()
            && self.min_payout.is_none()
            && self.stripe_webhook_secret.is_none()
            && self.portal_allowed_origins.is_none()
            && self.portal_hide_earnings.is_none()
    }
}

impl Account {
    pub const DEFAULT_HOLD_DAYS: u32 = 30;
    pub const MAX_HOLD_DAYS: u32 = 365;
    const MAX_NAME: usize = 200;
    const SECRET_PREFIX: &str = "whsec_";
    const MAX_SECRET: usize = 255;

    /// A new account with the documented defaults: EUR, 30 days' hold, 50 minimum payout.
    pub fn new(name: String, currency: Currency, now: DateTime<Utc>) -> Self {
        Self {
            id: Id::generate(now),
            name,
            currency,
            hold_days: Self::DEFAULT_HOLD_DAYS,
            min_payout: Decimal::from(50),
            default_group_id: None,
            default_campaign_id: None,
            stripe_webhook_secret: None,
            portal_allowed_origins: Vec::new(),
            portal_hide_earnings: false,
            created_at: now,
        }
    }

    pub fn is_default_group(&self, group: &Id) -> bool {
        self.default_group_id.as_ref() == Some(group)
    }

    pub fn is_default_campaign(&self, campaign: &Id) -> bool {
        self.default_campaign_id.as_ref() == Some(campaign)
    }

    /// The campaign a partner naming `chosen` is in: that one, else the
    /// account's default (none when the account has none either).
    pub fn campaign_for<'a>(&'a self, chosen: Option<&'a Id>) -> Option<&'a Id> {
        chosen.or(self.default_campaign_id.as_ref())
    }

    /// Checks a Stripe webhook signing secret: `whsec_` and then 1 to 249
    /// letters, digits or underscores, as Stripe shows it.
    pub fn check_stripe_webhook_secret(secret: &str) -> Result<(), String> {
        let well_formed = secret.len() <= Self::MAX_SECRET
            && secret
                .strip_prefix(Self::SECRET_PREFIX)
                .is_some_and(|rest| {
                    !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                });
        if well_formed {
            Ok(())
        } else {
            Err(format!(
                "must be the endpoint's signing secret as Stripe shows it: whsec_ and then letters, digits or underscores, {} characters at most",
                Self::MAX_SECRET
            ))
        }
    }

    /// Applies a partial update of the settings and returns what the store
    /// has to write. Nothing changes unless every given field is valid, and
    /// the currency and minimum payout that result must fit together.
    /// Field paths are relative to the changes.
    pub fn apply(&mut self, changes: AccountChanges) -> Result<SettingsUpdate, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = changes
            .name
            .as_deref()
            .map(|n| validation::name("name", n, Self::MAX_NAME, &mut errors));
        if changes.hold_days.is_some_and(|d| d > Self::MAX_HOLD_DAYS) {
            errors.push(FieldError::new(
                "hold_days",
                format!("must be between 0 and {}", Self::MAX_HOLD_DAYS),
            ));
        }
        let currency = changes.currency.unwrap_or(self.currency);
        match changes.min_payout {
            Some(min_payout) => validation::threshold("min_payout", min_payout, currency, &mut errors),
            None if !currency.fits(self.min_payout) => errors.push(FieldError::new(
                "currency",
                format!(
                    "allows {} decimals, fewer than the minimum payout {} has: give a min_payout that fits too",
                    currency.minor_units(),
                    self.min_payout
                ),
            )),
            None => {}
        }
        if let Some(Some(secret)) = &changes.stripe_webhook_secret
            && let Err(message) = Self::check_stripe_webhook_secret(secret)
        {
            errors.push(FieldError::new("stripe_webhook_secret", message));
        }
        let portal_allowed_origins = changes
            .portal_allowed_origins
            .as_deref()
            .map(|origins| portal_origin::check("portal_allowed_origins", origins, &mut errors));
        if !errors.is_empty() {
            return Err(errors);
        }
        let checked_against = (changes.currency.is_some() || changes.min_payout.is_some())
            .then_some((self.currency, self.min_payout));
        replace(&mut self.name, name.clone());
        replace(&mut self.currency, changes.currency);
        replace(&mut self.hold_days, changes.hold_days);
        replace(&mut self.min_payout, changes.min_payout);
        replace(
            &mut self.stripe_webhook_secret,
            changes.stripe_webhook_secret.clone(),
        );
        replace(
            &mut self.portal_allowed_origins,
            portal_allowed_origins.clone(),
        );
        replace(&mut self.portal_hide_earnings, changes.portal_hide_earnings);
        Ok(SettingsUpdate {
            name,
            currency: changes.currency,
            hold_days: changes.hold_days,
            min_payout: changes.min_payout,
            stripe_webhook_secret: changes.stripe_webhook_secret,
            portal_allowed_origins,
            portal_hide_earnings: changes.portal_hide_earnings,
            checked_against,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account() -> Account {
        Account::new("Acme".into(), Currency::EUR, Utc::now())
    }

    fn changes(json: &str) -> AccountChanges {
        serde_json::from_str(json).expect("valid changes")
    }

    fn refused(json: &str) -> Vec<String> {
        let mut account = account();
        let before = format!("{account:?}");
        let errors = match account.apply(changes(json)) {
            Ok(_) => panic!("{json} was accepted"),
            Err(errors) => errors.into_iter().map(|e| e.field).collect(),
        };
        assert_eq!(format!("{account:?}"), before, "{json} changed nothing");
        errors
    }

    #[test]
    fn debug_never_shows_the_webhook_secret() {
        let mut account = account();
        assert!(format!("{account:?}").contains("stripe_webhook_secret: None"));
        account.stripe_webhook_secret = Some("whsec_do_not_print_me".into());
        let printed = format!("{account:?}");
        assert!(!printed.contains("do_not_print_me"), "{printed}");
        assert!(printed.contains(r#"stripe_webhook_secret: Some("<redacted>")"#));
        assert!(
            printed.contains("Acme"),
            "the rest is still there: {printed}"
        );
    }

    #[test]
    fn an_update_changes_only_the_given_settings() {
        let mut account = account();
        account.stripe_webhook_secret = Some("whsec_old".into());
        let update = account
            .apply(changes(r#"{"name": " Acme GmbH ", "min_payout": 10.50}"#))
            .expect("valid");
        assert_eq!(account.name, "Acme GmbH");
        assert_eq!(account.min_payout.to_string(), "10.50");
        assert_eq!(
            (account.currency, account.hold_days),
            (Currency::EUR, Account::DEFAULT_HOLD_DAYS)
        );
        assert_eq!(account.stripe_webhook_secret.as_deref(), Some("whsec_old"));
        assert_eq!(update.name.as_deref(), Some("Acme GmbH"));
        assert!(update.currency.is_none() && update.stripe_webhook_secret.is_none());
        assert_eq!(
            update.checked_against,
            Some((Currency::EUR, Decimal::from(50)))
        );
    }

    #[test]
    fn null_removes_the_secret_and_leaves_everything_else() {
        let mut account = account();
        account.stripe_webhook_secret = Some("whsec_old".into());
        let update = account
            .apply(changes(
                r#"{"name": null, "hold_days": null, "stripe_webhook_secret": null}"#,
            ))
            .expect("valid");
        assert_eq!(account.stripe_webhook_secret, None);
        assert_eq!(account.name, "Acme");
        assert!(matches!(update.stripe_webhook_secret, Some(None)));
        assert!(update.checked_against.is_none());
        assert!(!update.is_empty());
        assert!(account.apply(changes("{}")).expect("valid").is_empty());
    }

    #[test]
    fn invalid_settings_name_their_field_and_change_nothing() {
        for (json, field) in [
            (r#"{"name": "  "}"#, "name"),
            (r#"{"hold_days": 366}"#, "hold_days"),
            (r#"{"min_payout": -1}"#, "min_payout"),
            (r#"{"min_payout": 10.505}"#, "min_payout"),
            (r#"{"currency": "JPY", "min_payout": 0.5}"#, "min_payout"),
            (
                r#"{"stripe_webhook_secret": "sk_live_123"}"#,
                "stripe_webhook_secret",
            ),
            (
                r#"{"stripe_webhook_secret": "whsec_"}"#,
                "stripe_webhook_secret",
            ),
            (
                r#"{"stripe_webhook_secret": "whsec_a b"}"#,
                "stripe_webhook_secret",
            ),
        ] {
            assert_eq!(refused(json), vec![field], "{json}");
        }
        let long = format!(
            r#"{{"stripe_webhook_secret": "whsec_{}"}}"#,
            "a".repeat(250)
        );
        assert_eq!(refused(&long), vec!["stripe_webhook_secret"]);
        assert_eq!(
            refused(r#"{"name": "", "hold_days": 400}"#),
            vec!["name", "hold_days"]
        );
        assert_eq!(
            refused(
                r#"{"portal_allowed_origins": ["https://a.example.com", "https://b.example.com/x"]}"#
            ),
            vec!["portal_allowed_origins[1]"]
        );
        assert_eq!(
            refused(r#"{"hold_days": 400, "portal_hide_earnings": true}"#),
            vec!["hold_days"]
        );
    }

    #[test]
    fn a_currency_must_fit_the_minimum_payout() {
        let mut account = account();
        account.min_payout = "50.5".parse().unwrap();
        let errors = account
            .clone()
            .apply(changes(r#"{"currency": "JPY"}"#))
            .err();
        assert_eq!(
            errors.map(|e| e.into_iter().map(|e| e.field).collect::<Vec<_>>()),
            Some(vec!["currency".to_string()])
        );
        let update = account
            .apply(changes(r#"{"currency": "JPY", "min_payout": 5000}"#))
            .expect("both given: they fit");
        assert_eq!(
            (account.currency.code(), account.min_payout),
            ("JPY", Decimal::from(5000))
        );
        assert_eq!(
            update.checked_against,
            Some((Currency::EUR, "50.5".parse().unwrap()))
        );
    }

    #[test]
    fn the_portal_settings_replace_and_empty() {
        let mut account = account();
        assert!(account.portal_allowed_origins.is_empty() && !account.portal_hide_earnings);
        let update = account
            .apply(changes(
                r#"{"portal_allowed_origins": ["HTTPS://Partners.Example.com"], "portal_hide_earnings": true}"#,
            ))
            .expect("valid");
        assert_eq!(
            account.portal_allowed_origins,
            ["https://partners.example.com"]
        );
        assert!(account.portal_hide_earnings && !update.is_empty());
        assert_eq!(
            update.portal_allowed_origins.as_deref(),
            Some(&["https://partners.example.com".to_string()][..])
        );
        let kept = account
            .apply(changes(r#"{"name": "Acme 2"}"#))
            .expect("valid");
        assert!(kept.portal_allowed_origins.is_none() && kept.portal_hide_earnings.is_none());
        assert_eq!(account.portal_allowed_origins.len(), 1);
        account
            .apply(changes(r#"{"portal_allowed_origins": []}"#))
            .expect("valid");
        assert!(account.portal_allowed_origins.is_empty());
    }

    #[test]
    fn zero_is_a_valid_minimum_and_hold() {
        let mut account = account();
        account
            .apply(changes(r#"{"min_payout": 0, "hold_days": 0}"#))
            .expect("valid");
        assert_eq!((account.min_payout, account.hold_days), (Decimal::ZERO, 0));
    }

    #[test]
    fn unknown_and_read_only_fields_are_refused() {
        for field in [
            "id",
            "created_at",
            "stripe_webhook_secret_set",
            "default_group_id",
        ] {
            let json = format!(r#"{{"{field}": "x"}}"#);
            assert!(
                serde_json::from_str::<AccountChanges>(&json).is_err(),
                "{field}"
            );
        }
    }
}
