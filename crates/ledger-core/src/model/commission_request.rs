//! What a commission create asks for. Two documented contracts arrive in the
//! same wrapper: PromoteKit's (`referral_id`, `revenue_amount`,
//! `commission_amount`, `referral_date`, `stripe_payment_id`) and
//! FirstPromoter's (`commission_type` sale|custom, `sale_amount`, `amount`,
//! `event_id`, `event_date`, `unit`, `billing_period`, ...). Both become one
//! checked [`CommissionRequest`]; a body's fingerprint tells a replay from a
//! different request under the same idempotency key.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::fx_rate::Conversion;
use super::id::Id;
use crate::money::Currency;
use crate::validation::{FieldError, is_key};

/// FirstPromoter's commission types (`commission_type` on the wire).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommissionKind {
    /// Earned on a customer's payment; priced by the rules unless an amount is given.
    #[default]
    Sale,
    /// Granted to a partner by hand, for a fixed amount.
    Custom,
    /// Takes back (a negative amount) what a paid commission earned on a
    /// refunded payment; created by the refund, never by a create.
    Clawback,
    /// Gives back (a positive amount) what a clawback took from a paid
    /// commission when the customer's dispute is won; created by the
    /// dispute's outcome, never by a create.
    Reinstatement,
}

/// What the reward is paid in (FirstPromoter's `unit`). Only cash is paid
/// out; the merchant fulfils the others.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RewardUnit {
    #[default]
    Cash,
    Credits,
    Points,
    FreeMonths,
    MonDiscount,
    DiscountPer,
}

impl RewardUnit {
    /// Every unit the merchant fulfils.
    pub const OTHER_THAN_CASH: [RewardUnit; 5] = [
        RewardUnit::Credits,
        RewardUnit::Points,
        RewardUnit::FreeMonths,
        RewardUnit::MonDiscount,
        RewardUnit::DiscountPer,
    ];

    /// The name on the wire and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            RewardUnit::Cash => "cash",
            RewardUnit::Credits => "credits",
            RewardUnit::Points => "points",
            RewardUnit::FreeMonths => "free_months",
            RewardUnit::MonDiscount => "mon_discount",
            RewardUnit::DiscountPer => "discount_per",
        }
    }

    /// Whether payouts pay it (in the account's base currency).
    pub fn is_cash(self) -> bool {
        self == RewardUnit::Cash
    }
}

/// The billing period of the payment behind a sale.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BillingPeriod {
    Monthly,
    Yearly,
    OneTime,
}

/// A date as FirstPromoter sends it (`2026-01-15`) or a full RFC 3339 time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum EventDate {
    Time(DateTime<Utc>),
    #[schema(value_type = String, format = Date)]
    Day(NaiveDate),
}

impl EventDate {
    /// The moment it stands for: a bare day is its start, in UTC.
    pub fn moment(self) -> DateTime<Utc> {
        match self {
            EventDate::Time(time) => time,
            EventDate::Day(day) => day
                .and_hms_opt(0, 0, 0)
                .map_or(DateTime::UNIX_EPOCH, |t| t.and_utc()),
        }
    }
}

/// The body of a create: `commission` in `{"commission": {...}}`. Fields of
/// both contracts; which are required depends on `commission_type`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommissionDraft {
    /// `sale` (default) or `custom`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commission_type: Option<CommissionKind>,
    /// The referred customer who paid (sale).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referral_id: Option<Id>,
    /// The partner granted a custom commission (FirstPromoter's
    /// `promoter_campaign_id` names the same: a partner belongs to one campaign).
    #[serde(
        default,
        alias = "promoter_campaign_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub partner_id: Option<Id>,
    /// The campaign a custom commission belongs to; defaults to the partner's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign_id: Option<Id>,
    /// The payment, in major units (FirstPromoter's name).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::arbitrary_precision_option"
    )]
    pub sale_amount: Option<Decimal>,
    /// The payment, in major units (PromoteKit's name for `sale_amount`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::arbitrary_precision_option"
    )]
    pub revenue_amount: Option<Decimal>,
    /// The commission, in major units (FirstPromoter's name); required for `custom`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::arbitrary_precision_option"
    )]
    pub amount: Option<Decimal>,
    /// The commission, in major units (PromoteKit's name for `amount`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::arbitrary_precision_option"
    )]
    pub commission_amount: Option<Decimal>,
    /// ISO 4217; defaults to the account's currency. A sale in another
    /// currency is converted into the account's at the reference rate of its
    /// date (409 `fx_rate_unavailable` without one); a custom commission
    /// must be in the account's currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
    /// The billing system's event id: a create with the same one is a replay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// The Stripe payment id: a create with the same one is a replay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stripe_payment_id: Option<String>,
    /// When the payment happened (FirstPromoter); defaults to now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_date: Option<EventDate>,
    /// When the payment happened (PromoteKit's name); defaults to now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referral_date: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<RewardUnit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_period: Option<BillingPeriod>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_id: Option<String>,
    /// Visible to the account's team only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal_note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_promoter: Option<bool>,
}

/// Who a commission is for and how much it is, once the contract is checked.
#[derive(Clone, Debug, PartialEq)]
pub enum Earning {
    /// A customer's payment; `commission` is the amount given, if any,
    /// otherwise the rules price it.
    Sale {
        referral: Id,
        sale_amount: Decimal,
        commission: Option<Decimal>,
    },
    /// A fixed amount granted to a partner.
    Custom {
        partner: Id,
        campaign: Option<Id>,
        amount: Decimal,
    },
}

/// A sale paid in another currency than the account's: what was paid, and
/// the conversion that turned it into the request's amounts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConvertedSale {
    /// The payment, in `conversion.from`.
    pub sale_amount: Decimal,
    pub conversion: Conversion,
}

/// A checked create request.
#[derive(Clone, Debug, PartialEq)]
pub struct CommissionRequest {
    pub earning: Earning,
    /// The currency of the request's amounts: the account's base currency
    /// once [`CommissionRequest::in_base`] has converted a foreign sale.
    pub currency: Currency,
    /// Set by the conversion of a sale paid in another currency.
    pub converted_from: Option<ConvertedSale>,
    pub occurred_at: DateTime<Utc>,
    pub event_id: Option<String>,
    pub stripe_payment_id: Option<String>,
    pub unit: RewardUnit,
    pub billing_period: Option<BillingPeriod>,
    pub plan_id: Option<String>,
    pub internal_note: Option<String>,
    pub notify_promoter: bool,
    /// SHA-256 of the body as parsed: equal for a replay, different for
    /// another request under the same idempotency key.
    pub fingerprint: String,
}

pub(super) const MAX_NOTE: usize = 5000;

impl CommissionDraft {
    /// Checks the draft against its contract. `account_currency` fills in a
    /// missing currency; `now` a missing date. Field paths are relative to the draft.
    pub fn check(
        self,
        account_currency: Currency,
        now: DateTime<Utc>,
    ) -> Result<CommissionRequest, Vec<FieldError>> {
        let mut errors = Vec::new();
        let currency = self.currency.unwrap_or(account_currency);
        let fingerprint = hex::encode(Sha256::digest(
            serde_json::to_vec(&self).expect("a draft serializes"),
        ));
        let sale_amount = synonym(
            ("sale_amount", self.sale_amount),
            ("revenue_amount", self.revenue_amount),
            &mut errors,
        );
        let amount = synonym(
            ("amount", self.amount),
            ("commission_amount", self.commission_amount),
            &mut errors,
        );
        for (field, value) in [sale_amount, amount].into_iter().flatten() {
            crate::validation::amount(field, value, currency, &mut errors);
        }
        let (sale_amount, amount) = (sale_amount.map(|(_, v)| v), amount.map(|(_, v)| v));
        let occurred_at =
            synonym_date(self.event_date, self.referral_date, &mut errors).unwrap_or(now);
        for (field, key) in [
            ("event_id", &self.event_id),
            ("stripe_payment_id", &self.stripe_payment_id),
            ("plan_id", &self.plan_id),
        ] {
            crate::validation::key(field, key.as_deref(), &mut errors);
        }
        crate::validation::max_chars(
            "internal_note",
            self.internal_note.as_deref(),
            MAX_NOTE,
            &mut errors,
        );
        let kind = self.commission_type.unwrap_or_default();
        let earning = match kind {
            CommissionKind::Sale => {
                require(
                    "referral_id",
                    self.referral_id.is_some(),
                    "is required for a sale",
                    &mut errors,
                );
                require(
                    "sale_amount",
                    sale_amount.is_some(),
                    "is required for a sale",
                    &mut errors,
                );
                if self.partner_id.is_some() || self.campaign_id.is_some() {
                    let field = if self.partner_id.is_some() {
                        "partner_id"
                    } else {
                        "campaign_id"
                    };
                    errors.push(FieldError::new(field, "belongs to custom commissions; a sale's partner and campaign come from its referral"));
                }
                self.referral_id
                    .zip(sale_amount)
                    .map(|(referral, sale_amount)| Earning::Sale {
                        referral,
                        sale_amount,
                        commission: amount,
                    })
            }
            CommissionKind::Custom => {
                require(
                    "partner_id",
                    self.partner_id.is_some(),
                    "is required for a custom commission",
                    &mut errors,
                );
                require(
                    "amount",
                    amount.is_some(),
                    "is required for a custom commission",
                    &mut errors,
                );
                if currency != account_currency {
                    errors.push(FieldError::new(
                        "currency",
                        format!("must be the account's currency, {account_currency}: a custom commission is granted in it"),
                    ));
                }
                if self.referral_id.is_some() || sale_amount.is_some() {
                    let field = if self.referral_id.is_some() {
                        "referral_id"
                    } else {
                        "sale_amount"
                    };
                    errors.push(FieldError::new(
                        field,
                        "belongs to sales; a custom commission has no payment",
                    ));
                }
                self.partner_id
                    .zip(amount)
                    .map(|(partner, amount)| Earning::Custom {
                        partner,
                        campaign: self.campaign_id,
                        amount,
                    })
            }
            CommissionKind::Clawback | CommissionKind::Reinstatement => {
                errors.push(FieldError::new(
                    "commission_type",
                    "clawback and reinstatement commissions are created by refunds and disputes; create a sale or custom commission",
                ));
                None
            }
        };
        match earning {
            Some(earning) if errors.is_empty() => Ok(CommissionRequest {
                earning,
                currency,
                converted_from: None,
                occurred_at,
                event_id: self.event_id,
                stripe_payment_id: self.stripe_payment_id,
                unit: self.unit.unwrap_or_default(),
                billing_period: self.billing_period,
                plan_id: self.plan_id,
                internal_note: self.internal_note,
                notify_promoter: self.notify_promoter.unwrap_or(false),
                fingerprint,
            }),
            _ => Err(errors),
        }
    }
}

impl CommissionDraft {
    /// The idempotency keys (`event_id`, `stripe_payment_id`) worth looking
    /// up before the draft is checked: only well-formed ones, since `check`
    /// reports the others.
    pub fn idempotency_keys(&self) -> (Option<&str>, Option<&str>) {
        (
            self.event_id.as_deref().filter(|k| is_key(k)),
            self.stripe_payment_id.as_deref().filter(|k| is_key(k)),
        )
    }
}

impl CommissionRequest {
    /// Whether the request's amounts need converting into `base`.
    pub fn needs_conversion(&self, base: Currency) -> bool {
        self.currency != base
    }

    /// The sale in the base currency `conversion` leads to, its amounts
    /// (the sale, and the commission if given) each rounded once to the base
    /// currency's minor units. What was paid is kept in `converted_from`.
    /// A sale that converts to nothing, or past the largest amount, is refused.
    pub fn in_base(self, conversion: Conversion) -> Result<Self, Vec<FieldError>> {
        let Earning::Sale {
            referral,
            sale_amount,
            commission,
        } = self.earning
        else {
            return Ok(self);
        };
        let mut errors = Vec::new();
        let mut converted = |field: &str, amount: Decimal| {
            let value = conversion.convert(amount).unwrap_or(Decimal::MAX);
            if value <= Decimal::ZERO || !crate::money::in_bounds(value) {
                errors.push(FieldError::new(
                    field,
                    format!(
                        "is {value} {} at the {} rate of {}: it must come to more than 0 and at most {}",
                        conversion.to,
                        conversion.date,
                        conversion.rate,
                        crate::money::MAX_AMOUNT
                    ),
                ));
            }
            value
        };
        let base_sale = converted("sale_amount", sale_amount);
        let base_commission = commission.map(|amount| converted("amount", amount));
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self {
            earning: Earning::Sale {
                referral,
                sale_amount: base_sale,
                commission: base_commission,
            },
            currency: conversion.to,
            converted_from: Some(ConvertedSale {
                sale_amount,
                conversion,
            }),
            ..self
        })
    }
}

/// One value under either of two names, with the name it came under; both
/// given must agree (the first name's value stands meanwhile, so only the
/// disagreement is reported).
fn synonym<'a>(
    first: (&'a str, Option<Decimal>),
    second: (&'a str, Option<Decimal>),
    errors: &mut Vec<FieldError>,
) -> Option<(&'a str, Decimal)> {
    if let (Some(a), Some(b)) = (first.1, second.1)
        && a != b
    {
        errors.push(FieldError::new(
            second.0,
            format!("must equal {} when both are given", first.0),
        ));
    }
    match first {
        (name, Some(value)) => Some((name, value)),
        _ => second.1.map(|value| (second.0, value)),
    }
}

fn synonym_date(
    event_date: Option<EventDate>,
    referral_date: Option<DateTime<Utc>>,
    errors: &mut Vec<FieldError>,
) -> Option<DateTime<Utc>> {
    let event_date = event_date.map(EventDate::moment);
    if let (Some(a), Some(b)) = (event_date, referral_date)
        && a != b
    {
        errors.push(FieldError::new(
            "referral_date",
            "must equal event_date when both are given",
        ));
    }
    event_date.or(referral_date)
}

fn require(field: &str, present: bool, message: &str, errors: &mut Vec<FieldError>) {
    if !present {
        errors.push(FieldError::new(field, message));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;
    use serde_json::json;

    const REFERRAL: &str = "68f76721000000000000000a";
    const PARTNER: &str = "68f76721000000000000000b";

    fn check(body: serde_json::Value) -> Result<CommissionRequest, Vec<FieldError>> {
        let draft: CommissionDraft = serde_json::from_value(body).expect("the draft parses");
        draft.check(Currency::EUR, Utc::now())
    }

    fn fields(body: serde_json::Value) -> Vec<String> {
        check(body)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn promotekits_contract_is_a_sale_with_a_given_commission() {
        let request = check(json!({
            "referral_id": REFERRAL, "revenue_amount": 299.9, "commission_amount": 59.98,
            "referral_date": "2026-01-15T10:00:00Z", "stripe_payment_id": "py_1"
        }))
        .unwrap();
        assert_eq!(
            request.earning,
            Earning::Sale {
                referral: Id::parse(REFERRAL).unwrap(),
                sale_amount: dec!(299.9),
                commission: Some(dec!(59.98))
            }
        );
        assert_eq!(
            request.occurred_at.to_rfc3339(),
            "2026-01-15T10:00:00+00:00"
        );
        assert_eq!(request.stripe_payment_id.as_deref(), Some("py_1"));
    }

    #[test]
    fn firstpromoters_sale_is_priced_and_its_custom_is_granted() {
        let sale = check(json!({
            "commission_type": "sale", "referral_id": REFERRAL, "sale_amount": 299.9,
            "event_id": "evt_1", "event_date": "2026-01-15", "unit": "cash",
            "billing_period": "monthly", "internal_note": "n", "notify_promoter": true
        }))
        .unwrap();
        assert!(matches!(
            sale.earning,
            Earning::Sale {
                commission: None,
                ..
            }
        ));
        assert_eq!(sale.occurred_at.to_rfc3339(), "2026-01-15T00:00:00+00:00");
        assert_eq!(
            (sale.billing_period, sale.notify_promoter),
            (Some(BillingPeriod::Monthly), true)
        );
        let custom = check(json!({"commission_type": "custom", "partner_id": PARTNER, "amount": 25, "unit": "credits"})).unwrap();
        assert_eq!(
            custom.earning,
            Earning::Custom {
                partner: Id::parse(PARTNER).unwrap(),
                campaign: None,
                amount: dec!(25)
            }
        );
        assert_eq!(custom.unit, RewardUnit::Credits);
        let named_as_firstpromoter = check(
            json!({"commission_type": "custom", "promoter_campaign_id": PARTNER, "amount": 25}),
        )
        .unwrap();
        assert_eq!(named_as_firstpromoter.earning, custom.earning);
    }

    #[test]
    fn each_contract_names_what_it_misses() {
        assert_eq!(fields(json!({"sale_amount": 10})), ["referral_id"]);
        assert_eq!(
            fields(json!({"commission_type": "custom", "amount": 10})),
            ["partner_id"]
        );
        assert_eq!(
            fields(json!({"commission_type": "custom", "partner_id": PARTNER})),
            ["amount"]
        );
        assert_eq!(
            fields(json!({"referral_id": REFERRAL, "sale_amount": 0})),
            ["sale_amount"]
        );
        assert_eq!(
            fields(json!({"referral_id": REFERRAL, "revenue_amount": -5})),
            ["revenue_amount"]
        );
        assert_eq!(
            fields(json!({"referral_id": REFERRAL, "sale_amount": 10, "commission_amount": 0})),
            ["commission_amount"]
        );
        assert_eq!(
            fields(json!({"referral_id": REFERRAL, "sale_amount": 10.005})),
            ["sale_amount"]
        );
        assert_eq!(
            fields(json!({"referral_id": REFERRAL, "sale_amount": 10, "revenue_amount": 11})),
            ["revenue_amount"]
        );
        assert_eq!(
            fields(json!({"referral_id": REFERRAL, "sale_amount": 10, "event_id": " "})),
            ["event_id"]
        );
        assert!(serde_json::from_value::<CommissionDraft>(json!({"unit": "bitcoin"})).is_err());
        assert!(serde_json::from_value::<CommissionDraft>(json!({"colour": 1})).is_err());
    }

    #[test]
    fn a_replay_has_the_same_fingerprint_and_a_changed_body_another() {
        let body = json!({"referral_id": REFERRAL, "sale_amount": 299.9, "event_id": "evt_1"});
        let first = check(body.clone()).unwrap();
        let again = check(body).unwrap();
        let changed =
            check(json!({"referral_id": REFERRAL, "sale_amount": 299.91, "event_id": "evt_1"}))
                .unwrap();
        assert_eq!(first.fingerprint, again.fingerprint);
        assert_ne!(first.fingerprint, changed.fingerprint);
    }
}
