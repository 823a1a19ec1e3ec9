//! Campaigns: what partners promote and on which terms. A campaign's
//! commission settings translate into engine rules (`recurring`,
//! `commission_limit`, `first_payment`); a campaign that sets no commission
//! leaves pricing to the partner's group.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::change::{replace, replace_optional};
use super::id::Id;
use crate::engine::{RuleSet, RuleSpec, RuleType};
use crate::validation::{self, FieldError};

const MAX_NAME: usize = 200;
const MAX_URL: usize = 2000;
const MAX_COUPON: usize = 200;
const MAX_TEXT: usize = 5000;
const MAX_COOKIE_DAYS: u32 = 3650;
/// The days a referral link's cookie lasts when a campaign does not say (or there is no campaign).
pub const DEFAULT_COOKIE_DAYS: u32 = 30;

/// How a commission is counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommissionType {
    /// A share of each charge, in percent (0 to 100).
    Percentage,
    /// A fixed amount per charge, in major units (0 or more).
    Fixed,
}

/// What stops a campaign paying for a customer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LimitType {
    /// Commissions for as long as the customer pays.
    #[default]
    None,
    /// Commissions during the customer's first `limit_amount` months.
    Months,
    /// Commissions on the customer's first `limit_amount` payments.
    Payments,
}

/// How partners bring customers in: referral links, promo codes or both.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CodeMode {
    #[default]
    Link,
    PromoCode,
    Both,
}

/// A different commission on the customer's first payment. Its type and
/// amount are kept while it is disabled, so it can be switched back on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FirstPaymentCommission {
    /// Whether the first payment is paid differently.
    pub enabled: bool,
    /// Given together with `amount`; both are required when enabled.
    #[serde(rename = "type", default)]
    pub kind: Option<CommissionType>,
    /// Percent (0 to 100) for `percentage`, major units (0 or more) for `fixed`.
    #[serde(default, with = "rust_decimal::serde::arbitrary_precision_option")]
    pub amount: Option<Decimal>,
}

/// A campaign's commission settings as the API and the store spell them:
/// flat and unchecked. [`CommissionTerms::check`] turns them into terms.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommissionSettings {
    pub commission_type: Option<CommissionType>,
    pub commission_amount: Option<Decimal>,
    pub limit_type: LimitType,
    pub limit_amount: Option<u32>,
    pub first_payment_commission: Option<FirstPaymentCommission>,
}

/// Commission settings that passed every check, with the engine rules they
/// translate into. The only way to build one is `check`, so a campaign's
/// terms always translate.
#[derive(Clone, Debug, PartialEq)]
pub struct CommissionTerms {
    settings: CommissionSettings,
    rules: Option<RuleSet>,
}

/// The names a commission's two halves go by in one place of the API.
struct PairNames {
    kind: &'static str,
    amount: &'static str,
}

const COMMISSION: PairNames = PairNames {
    kind: "commission_type",
    amount: "commission_amount",
};

const FIRST_PAYMENT: PairNames = PairNames {
    kind: "first_payment_commission.type",
    amount: "first_payment_commission.amount",
};

impl CommissionTerms {
    /// Checks the settings together and translates them. Field paths are the campaign's.
    pub fn check(settings: CommissionSettings) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        if let Some((kind, amount)) = paired(
            settings.commission_type,
            settings.commission_amount,
            &COMMISSION,
            false,
            &mut errors,
        ) {
            check_bounds(kind, amount, COMMISSION.amount, &mut errors);
        }
        check_limit(settings.limit_type, settings.limit_amount, &mut errors);
        if let Some(first) = settings.first_payment_commission
            && let Some((kind, amount)) = paired(
                first.kind,
                first.amount,
                &FIRST_PAYMENT,
                first.enabled,
                &mut errors,
            )
        {
            check_bounds(kind, amount, FIRST_PAYMENT.amount, &mut errors);
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        // The engine has the last word on what a rule may say. The checks above
        // mirror its bounds, so this only refuses settings if the two ever part
        // ways, and then nothing untranslatable is stored.
        let rules = translate(&settings)
            .map(RuleSet::parse)
            .transpose()
            .map_err(|engine| {
                let reasons: Vec<String> = engine.iter().map(ToString::to_string).collect();
                vec![FieldError::new(
                    "",
                    format!(
                        "commission settings translate into invalid rules: {}",
                        reasons.join("; ")
                    ),
                )]
            })?;
        Ok(Self { settings, rules })
    }

    pub fn settings(&self) -> &CommissionSettings {
        &self.settings
    }
}

/// The two halves of a commission, or `None` with the missing half reported.
/// `required`: both must be given (an enabled first-payment commission).
fn paired(
    kind: Option<CommissionType>,
    amount: Option<Decimal>,
    names: &PairNames,
    required: bool,
    errors: &mut Vec<FieldError>,
) -> Option<(CommissionType, Decimal)> {
    let missing = |field: &str, other: &str| {
        let message = if required {
            "is required when enabled".to_string()
        } else {
            format!("is required together with {other}")
        };
        FieldError::new(field, message)
    };
    match (kind, amount) {
        (Some(kind), Some(amount)) => Some((kind, amount)),
        (None, None) if !required => None,
        (kind, amount) => {
            if kind.is_none() {
                errors.push(missing(names.kind, names.amount));
            }
            if amount.is_none() {
                errors.push(missing(names.amount, names.kind));
            }
            None
        }
    }
}

/// The engine's bounds: a percentage is 0 to 100, a fixed amount 0 to
/// [`crate::money::MAX_AMOUNT`].
fn check_bounds(kind: CommissionType, amount: Decimal, field: &str, errors: &mut Vec<FieldError>) {
    match kind {
        CommissionType::Percentage if !(Decimal::ZERO..=Decimal::ONE_HUNDRED).contains(&amount) => {
            errors.push(FieldError::new(
                field,
                "must be between 0 and 100 for a percentage",
            ))
        }
        CommissionType::Fixed if amount < Decimal::ZERO => {
            errors.push(FieldError::new(field, "must be 0 or more"))
        }
        CommissionType::Fixed => crate::validation::bounded(field, amount, errors),
        _ => {}
    }
}

fn check_limit(limit_type: LimitType, limit_amount: Option<u32>, errors: &mut Vec<FieldError>) {
    let problem = match (limit_type, limit_amount) {
        (LimitType::None, Some(_)) => Some("must be absent when limit_type is none"),
        (LimitType::Months | LimitType::Payments, None) => {
            Some("is required when limit_type is months or payments")
        }
        (_, Some(0)) => Some("must be at least 1"),
        _ => None,
    };
    if let Some(message) = problem {
        errors.push(FieldError::new("limit_amount", message));
    }
}

/// The engine rules checked settings stand for: the commission as the
/// `recurring` rule, then the limit, then the first-payment commission.
/// Without a commission there is nothing to price with: `None`.
fn translate(settings: &CommissionSettings) -> Option<Vec<RuleSpec>> {
    let (Some(kind), Some(amount)) = (settings.commission_type, settings.commission_amount) else {
        return None;
    };
    let mut rules = vec![paying(RuleType::Recurring, kind, amount)];
    match (settings.limit_type, settings.limit_amount) {
        (LimitType::Months, Some(months)) => rules.push(RuleSpec {
            max_months: Some(months),
            ..RuleSpec::of(RuleType::CommissionLimit)
        }),
        (LimitType::Payments, Some(payments)) => rules.push(RuleSpec {
            max_payments: Some(payments),
            ..RuleSpec::of(RuleType::CommissionLimit)
        }),
        _ => {}
    }
    if let Some(FirstPaymentCommission {
        enabled: true,
        kind: Some(kind),
        amount: Some(amount),
    }) = settings.first_payment_commission
    {
        rules.push(paying(RuleType::FirstPayment, kind, amount));
    }
    Some(rules)
}

/// A rule of `rule_type` paying `amount` the way `kind` says.
fn paying(rule_type: RuleType, kind: CommissionType, amount: Decimal) -> RuleSpec {
    match kind {
        CommissionType::Percentage => RuleSpec {
            percentage: Some(amount),
            ..RuleSpec::of(rule_type)
        },
        CommissionType::Fixed => RuleSpec {
            amount: Some(amount),
            ..RuleSpec::of(rule_type)
        },
    }
}

/// A campaign as the domain sees it. Whether it is the account's default is a
/// fact about the account (`Account::default_campaign_id`), not the campaign.
#[derive(Clone, Debug, PartialEq)]
pub struct Campaign {
    pub id: Id,
    pub name: String,
    pub website_url: Option<String>,
    pub terms: CommissionTerms,
    pub code_mode: CodeMode,
    pub reference_coupon: Option<String>,
    /// Days a referral link's cookie lasts.
    pub cookie_duration: u32,
    /// Whether partners joining the campaign wait for approval.
    pub approval_needed: bool,
    pub welcome_message: Option<String>,
    pub dashboard_text: Option<String>,
    pub details_text: Option<String>,
    pub hide_emails: bool,
    pub collect_details: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Optimistic-locking counter, bumped by every update.
    pub version: u64,
}

/// The body of a create: `campaign` in `{"campaign": {...}}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignDraft {
    /// Campaign display name.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub name: String,
    /// The promoted website, an `http://` or `https://` URL.
    #[schema(max_length = 2000, pattern = "^[Hh][Tt][Tt][Pp][Ss]?://.")]
    pub website_url: Option<String>,
    /// Given together with `commission_amount`. Without a commission the
    /// partner's group prices commissions.
    pub commission_type: Option<CommissionType>,
    /// Percent (0 to 100) for `percentage`, major units (0 or more) for `fixed`.
    #[serde(default, with = "rust_decimal::serde::arbitrary_precision_option")]
    pub commission_amount: Option<Decimal>,
    /// Make this the account's default campaign.
    #[serde(default)]
    pub is_default: bool,
    #[serde(default)]
    pub limit_type: LimitType,
    /// Months or payments; required when `limit_type` is `months` or
    /// `payments`, absent when it is `none`.
    #[schema(minimum = 1)]
    pub limit_amount: Option<u32>,
    #[serde(default)]
    pub code_mode: CodeMode,
    /// A coupon code the campaign refers to.
    #[schema(max_length = 200)]
    pub reference_coupon: Option<String>,
    /// Days a referral link's cookie lasts (1 to 3650).
    #[serde(default = "default_cookie_duration")]
    #[schema(minimum = 1, maximum = 3650, default = 30)]
    pub cookie_duration: u32,
    /// Whether partners joining the campaign wait for approval.
    #[serde(default)]
    pub approval_needed: bool,
    #[schema(max_length = 5000)]
    pub welcome_message: Option<String>,
    #[schema(max_length = 5000)]
    pub dashboard_text: Option<String>,
    #[schema(max_length = 5000)]
    pub details_text: Option<String>,
    #[serde(default)]
    pub hide_emails: bool,
    #[serde(default)]
    pub collect_details: bool,
    pub first_payment_commission: Option<FirstPaymentCommission>,
}

fn default_cookie_duration() -> u32 {
    DEFAULT_COOKIE_DAYS
}

/// The body of an update: every field optional; only the given ones change.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignChanges {
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub name: Option<String>,
    #[schema(max_length = 2000, pattern = "^[Hh][Tt][Tt][Pp][Ss]?://.")]
    pub website_url: Option<String>,
    /// Keeps the current `commission_amount` unless that is given too; a
    /// campaign without a commission needs both.
    pub commission_type: Option<CommissionType>,
    /// Keeps the current `commission_type` unless that is given too.
    #[serde(default, with = "rust_decimal::serde::arbitrary_precision_option")]
    pub commission_amount: Option<Decimal>,
    /// `true` makes this the account's default campaign; `false` on the
    /// default leaves the account without one.
    pub is_default: Option<bool>,
    /// Changing it to `none` drops `limit_amount`.
    pub limit_type: Option<LimitType>,
    #[schema(minimum = 1)]
    pub limit_amount: Option<u32>,
    pub code_mode: Option<CodeMode>,
    #[schema(max_length = 200)]
    pub reference_coupon: Option<String>,
    #[schema(minimum = 1, maximum = 3650)]
    pub cookie_duration: Option<u32>,
    pub approval_needed: Option<bool>,
    #[schema(max_length = 5000)]
    pub welcome_message: Option<String>,
    #[schema(max_length = 5000)]
    pub dashboard_text: Option<String>,
    #[schema(max_length = 5000)]
    pub details_text: Option<String>,
    pub hide_emails: Option<bool>,
    pub collect_details: Option<bool>,
    /// Replaces the first-payment commission as a whole.
    pub first_payment_commission: Option<FirstPaymentCommission>,
}

impl Campaign {
    /// Validates a draft into a new campaign. Field paths are relative to the draft.
    pub fn create(draft: CampaignDraft, now: DateTime<Utc>) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = validation::name("name", &draft.name, MAX_NAME, &mut errors);
        check_texts(
            &Texts {
                website_url: draft.website_url.as_deref(),
                reference_coupon: draft.reference_coupon.as_deref(),
                welcome_message: draft.welcome_message.as_deref(),
                dashboard_text: draft.dashboard_text.as_deref(),
                details_text: draft.details_text.as_deref(),
            },
            &mut errors,
        );
        check_cookie_duration(draft.cookie_duration, &mut errors);
        let terms = CommissionTerms::check(CommissionSettings {
            commission_type: draft.commission_type,
            commission_amount: draft.commission_amount,
            limit_type: draft.limit_type,
            limit_amount: draft.limit_amount,
            first_payment_commission: draft.first_payment_commission,
        })
        .map_err(|e| errors.extend(e));
        match terms {
            Ok(terms) if errors.is_empty() => Ok(Self {
                id: Id::generate(now),
                name,
                website_url: draft.website_url,
                terms,
                code_mode: draft.code_mode,
                reference_coupon: draft.reference_coupon,
                cookie_duration: draft.cookie_duration,
                approval_needed: draft.approval_needed,
                welcome_message: draft.welcome_message,
                dashboard_text: draft.dashboard_text,
                details_text: draft.details_text,
                hide_emails: draft.hide_emails,
                collect_details: draft.collect_details,
                created_at: now,
                updated_at: now,
                version: 0,
            }),
            _ => Err(errors),
        }
    }

    /// Applies a partial update. Nothing changes unless every given field is
    /// valid and the resulting commission settings hold together.
    pub fn apply(
        &mut self,
        changes: CampaignChanges,
        now: DateTime<Utc>,
    ) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = changes
            .name
            .as_deref()
            .map(|n| validation::name("name", n, MAX_NAME, &mut errors));
        check_texts(
            &Texts {
                website_url: changes.website_url.as_deref(),
                reference_coupon: changes.reference_coupon.as_deref(),
                welcome_message: changes.welcome_message.as_deref(),
                dashboard_text: changes.dashboard_text.as_deref(),
                details_text: changes.details_text.as_deref(),
            },
            &mut errors,
        );
        if let Some(days) = changes.cookie_duration {
            check_cookie_duration(days, &mut errors);
        }
        let terms =
            CommissionTerms::check(self.settings_after(&changes)).map_err(|e| errors.extend(e));
        let terms = match terms {
            Ok(terms) if errors.is_empty() => terms,
            _ => return Err(errors),
        };
        if let Some(name) = name {
            self.name = name;
        }
        self.terms = terms;
        replace_optional(&mut self.website_url, changes.website_url);
        replace_optional(&mut self.reference_coupon, changes.reference_coupon);
        replace_optional(&mut self.welcome_message, changes.welcome_message);
        replace_optional(&mut self.dashboard_text, changes.dashboard_text);
        replace_optional(&mut self.details_text, changes.details_text);
        replace(&mut self.approval_needed, changes.approval_needed);
        replace(&mut self.hide_emails, changes.hide_emails);
        replace(&mut self.collect_details, changes.collect_details);
        replace(&mut self.code_mode, changes.code_mode);
        replace(&mut self.cookie_duration, changes.cookie_duration);
        self.updated_at = now;
        self.version += 1;
        Ok(())
    }

    /// The engine rules that price this campaign's commissions, or `None`
    /// when it sets no commission and the partner's group prices them.
    pub fn rules(&self) -> Option<RuleSet> {
        self.terms.rules.clone()
    }

    /// The current commission settings with `changes` laid over them. Either
    /// half of a commission may change alone (`commission_amount` keeps the
    /// current type); `check` then judges the result as a whole.
    fn settings_after(&self, changes: &CampaignChanges) -> CommissionSettings {
        let mut settings = self.terms.settings.clone();
        if changes.commission_type.is_some() {
            settings.commission_type = changes.commission_type;
        }
        if changes.commission_amount.is_some() {
            settings.commission_amount = changes.commission_amount;
        }
        if let Some(limit_type) = changes.limit_type {
            settings.limit_type = limit_type;
            if limit_type == LimitType::None {
                settings.limit_amount = None;
            }
        }
        if changes.limit_amount.is_some() {
            settings.limit_amount = changes.limit_amount;
        }
        if changes.first_payment_commission.is_some() {
            settings.first_payment_commission = changes.first_payment_commission;
        }
        settings
    }
}

/// The free-text fields a create or an update may carry.
struct Texts<'a> {
    website_url: Option<&'a str>,
    reference_coupon: Option<&'a str>,
    welcome_message: Option<&'a str>,
    dashboard_text: Option<&'a str>,
    details_text: Option<&'a str>,
}

fn check_texts(texts: &Texts, errors: &mut Vec<FieldError>) {
    if let Some(url) = texts.website_url {
        if url.chars().count() > MAX_URL {
            errors.push(too_long("website_url", MAX_URL));
        } else if !is_web_url(url) {
            errors.push(FieldError::new(
                "website_url",
                "must be an http:// or https:// URL",
            ));
        }
    }
    for (field, value, max) in [
        ("reference_coupon", texts.reference_coupon, MAX_COUPON),
        ("welcome_message", texts.welcome_message, MAX_TEXT),
        ("dashboard_text", texts.dashboard_text, MAX_TEXT),
        ("details_text", texts.details_text, MAX_TEXT),
    ] {
        if value.is_some_and(|v| v.chars().count() > max) {
            errors.push(too_long(field, max));
        }
    }
}

/// A scheme of `http://` or `https://` (any case) with something after it.
fn is_web_url(url: &str) -> bool {
    ["http://", "https://"].iter().any(|scheme| {
        url.len() > scheme.len()
            && url
                .get(..scheme.len())
                .is_some_and(|prefix| prefix.eq_ignore_ascii_case(scheme))
    })
}

fn check_cookie_duration(days: u32, errors: &mut Vec<FieldError>) {
    if !(1..=MAX_COOKIE_DAYS).contains(&days) {
        errors.push(FieldError::new(
            "cookie_duration",
            format!("must be between 1 and {MAX_COOKIE_DAYS} days"),
        ));
    }
}

fn too_long(field: &str, max: usize) -> FieldError {
    FieldError::new(field, format!("must be at most {max} characters"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Context;
    use crate::money::Currency;
    use chrono::TimeZone;
    use rust_decimal_macros::dec;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 2, 1, 12, 0, 0).unwrap()
    }

    /// A draft from JSON text, so decimals are read exactly as the API reads them.
    fn draft(fields: &str) -> CampaignDraft {
        let json = if fields.is_empty() {
            r#"{"name": "Launch"}"#.to_string()
        } else {
            format!(r#"{{"name": "Launch", {fields}}}"#)
        };
        serde_json::from_str(&json).expect("test drafts are valid JSON")
    }

    fn changes(json: &str) -> CampaignChanges {
        serde_json::from_str(json).expect("test changes are valid JSON")
    }

    fn campaign(fields: &str) -> Campaign {
        Campaign::create(draft(fields), now()).expect("test campaigns are valid")
    }

    fn specs(json: &str) -> Vec<RuleSpec> {
        serde_json::from_str(json).expect("expected rules are valid JSON")
    }

    fn fields_of(errors: Vec<FieldError>) -> Vec<String> {
        errors.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn commission_settings_translate_into_engine_rules() {
        #[rustfmt::skip]
        let cases = [
            ("percentage", r#""commission_type": "percentage", "commission_amount": 20"#,
             r#"[{"type": "recurring", "percentage": 20}]"#),
            ("fixed, exact decimal", r#""commission_type": "fixed", "commission_amount": 12.5"#,
             r#"[{"type": "recurring", "amount": 12.5}]"#),
            ("limit in months", r#""commission_type": "percentage", "commission_amount": 20, "limit_type": "months", "limit_amount": 12"#,
             r#"[{"type": "recurring", "percentage": 20}, {"type": "commission_limit", "max_months": 12}]"#),
            ("limit in payments", r#""commission_type": "fixed", "commission_amount": 5, "limit_type": "payments", "limit_amount": 3"#,
             r#"[{"type": "recurring", "amount": 5}, {"type": "commission_limit", "max_payments": 3}]"#),
            ("limit none", r#""commission_type": "percentage", "commission_amount": 20, "limit_type": "none""#,
             r#"[{"type": "recurring", "percentage": 20}]"#),
            ("first payment as a percentage", r#""commission_type": "percentage", "commission_amount": 20, "first_payment_commission": {"enabled": true, "type": "percentage", "amount": 50}"#,
             r#"[{"type": "recurring", "percentage": 20}, {"type": "first_payment", "percentage": 50}]"#),
            ("first payment as a fixed amount", r#""commission_type": "percentage", "commission_amount": 20, "first_payment_commission": {"enabled": true, "type": "fixed", "amount": 25.50}"#,
             r#"[{"type": "recurring", "percentage": 20}, {"type": "first_payment", "amount": 25.50}]"#),
            ("disabled first payment", r#""commission_type": "percentage", "commission_amount": 20, "first_payment_commission": {"enabled": false, "type": "fixed", "amount": 25}"#,
             r#"[{"type": "recurring", "percentage": 20}]"#),
            ("everything", r#""commission_type": "fixed", "commission_amount": 9.99, "limit_type": "months", "limit_amount": 6, "first_payment_commission": {"enabled": true, "type": "percentage", "amount": 100}"#,
             r#"[{"type": "recurring", "amount": 9.99}, {"type": "commission_limit", "max_months": 6}, {"type": "first_payment", "percentage": 100}]"#),
        ];
        for (name, fields, expected) in cases {
            let rules = campaign(fields).rules().unwrap_or_else(|| panic!("{name}"));
            assert_eq!(rules.specs(), specs(expected).as_slice(), "{name}");
        }
    }

    #[test]
    fn without_a_commission_the_group_prices() {
        for fields in [
            "",
            r#""limit_type": "months", "limit_amount": 12"#,
            r#""first_payment_commission": {"enabled": true, "type": "percentage", "amount": 50}"#,
        ] {
            assert_eq!(campaign(fields).rules(), None, "{fields}");
        }
    }

    #[test]
    fn translated_rules_price_charges() {
        let twenty_for_a_year = campaign(
            r#""commission_type": "percentage", "commission_amount": 20, "limit_type": "months", "limit_amount": 12, "first_payment_commission": {"enabled": true, "type": "percentage", "amount": 50}"#,
        )
        .rules()
        .expect("a commission is set");
        let charge = |customer_months, payment_number| Context {
            charge_amount: dec!(100),
            customer_months,
            partner_ltv: Decimal::ZERO,
            qualified_customers: 0,
            first_paid_customer_bootstrap: false,
            payment_number: Some(payment_number),
            currency: Currency::EUR,
        };
        let cases = [
            (
                "first payment beats the recurring rate",
                0,
                1,
                dec!(50),
                false,
            ),
            ("month 3 pays the recurring rate", 3, 4, dec!(20), false),
            ("month 11 still pays", 11, 12, dec!(20), false),
            ("month 12 stops, however few payments", 12, 2, dec!(0), true),
        ];
        for (name, months, payment, fee, limited) in cases {
            let result = twenty_for_a_year.evaluate(&charge(months, payment));
            assert_eq!(
                (result.final_fee, result.limit_reached),
                (fee, limited),
                "{name}"
            );
        }
        let three_payments = campaign(
            r#""commission_type": "fixed", "commission_amount": 12.5, "limit_type": "payments", "limit_amount": 3"#,
        )
        .rules()
        .expect("a commission is set");
        assert_eq!(three_payments.evaluate(&charge(2, 3)).final_fee, dec!(12.5));
        assert!(three_payments.evaluate(&charge(3, 4)).limit_reached);
    }

    #[test]
    fn a_draft_takes_the_documented_defaults() {
        let c = campaign("");
        assert_eq!(c.name, "Launch");
        assert_eq!(c.terms.settings(), &CommissionSettings::default());
        assert_eq!(c.code_mode, CodeMode::Link);
        assert_eq!(c.cookie_duration, 30);
        assert!(!c.approval_needed && !c.hide_emails && !c.collect_details);
        assert_eq!((c.created_at, c.updated_at, c.version), (now(), now(), 0));
    }

    #[test]
    fn invalid_drafts_name_each_field() {
        #[rustfmt::skip]
        let cases: [(&str, &[&str]); 16] = [
            (r#""commission_type": "percentage", "commission_amount": 101"#, &["commission_amount"]),
            (r#""commission_type": "percentage", "commission_amount": -0.01"#, &["commission_amount"]),
            (r#""commission_type": "fixed", "commission_amount": -1"#, &["commission_amount"]),
            (r#""commission_type": "fixed""#, &["commission_amount"]),
            (r#""commission_amount": 10"#, &["commission_type"]),
            (r#""limit_type": "months""#, &["limit_amount"]),
            (r#""limit_type": "payments", "limit_amount": 0"#, &["limit_amount"]),
            (r#""limit_amount": 3"#, &["limit_amount"]),
            (r#""limit_type": "none", "limit_amount": 3"#, &["limit_amount"]),
            (r#""cookie_duration": 0"#, &["cookie_duration"]),
            (r#""cookie_duration": 3651"#, &["cookie_duration"]),
            (r#""website_url": "ftp://example.com""#, &["website_url"]),
            (r#""website_url": "https://""#, &["website_url"]),
            (r#""first_payment_commission": {"enabled": true}"#, &["first_payment_commission.type", "first_payment_commission.amount"]),
            (r#""first_payment_commission": {"enabled": false, "type": "fixed"}"#, &["first_payment_commission.amount"]),
            (r#""first_payment_commission": {"enabled": true, "type": "percentage", "amount": 150}"#, &["first_payment_commission.amount"]),
        ];
        for (fields, expected) in cases {
            let errors = Campaign::create(draft(fields), now()).expect_err(fields);
            assert_eq!(fields_of(errors), expected.to_vec(), "{fields}");
        }
        let blank = serde_json::from_str(r#"{"name": "   ", "details_text": "x"}"#).unwrap();
        assert_eq!(
            fields_of(Campaign::create(blank, now()).unwrap_err()),
            ["name"]
        );
        let long = format!(r#""welcome_message": "{}""#, "x".repeat(MAX_TEXT + 1));
        assert_eq!(
            fields_of(Campaign::create(draft(&long), now()).unwrap_err()),
            ["welcome_message"]
        );
    }

    #[test]
    fn boundaries_are_accepted() {
        for fields in [
            r#""commission_type": "percentage", "commission_amount": 0"#,
            r#""commission_type": "percentage", "commission_amount": 100"#,
            r#""commission_type": "fixed", "commission_amount": 0"#,
            r#""limit_type": "payments", "limit_amount": 1"#,
            r#""cookie_duration": 1"#,
            r#""cookie_duration": 3650"#,
            r#""website_url": "HTTPS://example.com""#,
            r#""first_payment_commission": {"enabled": false}"#,
        ] {
            assert!(Campaign::create(draft(fields), now()).is_ok(), "{fields}");
        }
    }

    #[test]
    fn an_update_changes_only_what_it_names() {
        let mut c = campaign(
            r#""website_url": "https://example.com", "commission_type": "percentage", "commission_amount": 20, "limit_type": "months", "limit_amount": 12, "approval_needed": true"#,
        );
        let before = c.clone();
        let later = now() + chrono::Duration::hours(1);
        c.apply(
            changes(r#"{"name": " Renamed ", "cookie_duration": 60}"#),
            later,
        )
        .unwrap();
        assert_eq!(c.name, "Renamed");
        assert_eq!(c.cookie_duration, 60);
        assert_eq!((c.updated_at, c.version), (later, 1));
        assert_eq!(c.website_url, before.website_url);
        assert_eq!(c.terms, before.terms);
        assert!(c.approval_needed);

        c.apply(
            changes(r#"{"commission_type": "fixed", "commission_amount": 7.25}"#),
            later,
        )
        .unwrap();
        assert_eq!(
            c.rules().unwrap().specs(),
            specs(
                r#"[{"type": "recurring", "amount": 7.25}, {"type": "commission_limit", "max_months": 12}]"#
            )
        );
    }

    #[test]
    fn an_update_moves_the_limit_consistently() {
        let mut c = campaign(
            r#""commission_type": "percentage", "commission_amount": 20, "limit_type": "months", "limit_amount": 12"#,
        );
        c.apply(changes(r#"{"limit_type": "payments"}"#), now())
            .unwrap();
        let settings = c.terms.settings();
        assert_eq!(
            (settings.limit_type, settings.limit_amount),
            (LimitType::Payments, Some(12))
        );
        c.apply(changes(r#"{"limit_type": "none"}"#), now())
            .unwrap();
        let settings = c.terms.settings();
        assert_eq!(
            (settings.limit_type, settings.limit_amount),
            (LimitType::None, None)
        );
        let errors = c
            .apply(changes(r#"{"limit_amount": 6}"#), now())
            .unwrap_err();
        assert_eq!(fields_of(errors), ["limit_amount"]);
    }

    #[test]
    fn a_rejected_update_changes_nothing() {
        let mut c = campaign(r#""commission_type": "percentage", "commission_amount": 20"#);
        let before = c.clone();
        for (json, expected) in [
            (
                r#"{"name": "ok", "commission_amount": 100.01}"#,
                "commission_amount",
            ),
            (
                r#"{"name": "ok", "commission_type": "percentage", "commission_amount": -1}"#,
                "commission_amount",
            ),
            (r#"{"name": "", "cookie_duration": 60}"#, "name"),
            (
                r#"{"cookie_duration": 0, "hide_emails": true}"#,
                "cookie_duration",
            ),
            (
                r#"{"website_url": "example.com", "hide_emails": true}"#,
                "website_url",
            ),
            (
                r#"{"first_payment_commission": {"enabled": true, "type": "fixed"}}"#,
                "first_payment_commission.amount",
            ),
        ] {
            let errors = c.apply(changes(json), now()).unwrap_err();
            assert_eq!(fields_of(errors), [expected], "{json}");
            assert_eq!(c, before, "{json}");
        }
    }

    #[test]
    fn either_half_of_a_commission_changes_alone_once_one_is_set() {
        let mut c = campaign(r#""commission_type": "percentage", "commission_amount": 20"#);
        c.apply(changes(r#"{"commission_amount": 22.5}"#), now())
            .unwrap();
        assert_eq!(
            c.rules().unwrap().specs(),
            specs(r#"[{"type": "recurring", "percentage": 22.5}]"#)
        );
        c.apply(changes(r#"{"commission_type": "fixed"}"#), now())
            .unwrap();
        assert_eq!(
            c.rules().unwrap().specs(),
            specs(r#"[{"type": "recurring", "amount": 22.5}]"#)
        );

        let mut unpriced = campaign("");
        let errors = unpriced
            .apply(changes(r#"{"commission_amount": 10}"#), now())
            .unwrap_err();
        assert_eq!(fields_of(errors), ["commission_type"]);
        assert_eq!(unpriced.rules(), None);
    }
}
