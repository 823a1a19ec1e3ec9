//! Commissions: what a partner earns for one sale (or is granted by hand),
//! and its lifecycle. A commission is created `pending`, then approved or
//! denied (by a person, or approved by the payout run after the holding
//! period), and refunded when the sale is. Payment is a separate axis:
//! `payout_status` becomes `paid` when a payout takes it.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::commission_request::{
    BillingPeriod, CommissionKind, CommissionRequest, Earning, MAX_NOTE, RewardUnit,
};
use super::id::Id;
use super::pricing::{Priced, RuleSource};
use super::referral::{FraudCheck, Referral};
use crate::engine::AppliedRule;
use crate::money::Currency;

/// One commission, as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Commission {
    pub id: Id,
    pub commission_type: CommissionKind,
    pub status: CommissionStatus,
    pub payout_status: PayoutStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payout_id: Option<Id>,
    pub partner_id: Id,
    /// The campaign the commission was earned through, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign_id: Option<Id>,
    /// The paying customer; `None` for a custom commission.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referral_id: Option<Id>,
    pub currency: Currency,
    /// The payment, in major units; `None` for a custom commission.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    pub sale_amount: Option<Decimal>,
    /// What the customer paid, in `original_sale_currency`: the sale before
    /// it was converted into the account's base currency (equal to
    /// `sale_amount` when it was paid in it). `None` for a custom commission,
    /// and for sales recorded before currencies were converted.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    pub original_sale_amount: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_sale_currency: Option<Currency>,
    /// How many units of the original currency one unit of `currency` bought
    /// (as published, or derived from one publication's two quotes); set
    /// only when the sale was converted.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    pub fx_rate: Option<Decimal>,
    /// The publication `fx_rate` comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fx_rate_date: Option<NaiveDate>,
    /// What the partner earns, in major units (after refunds, for an unpaid sale).
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// What the commission earned before refunds reduced it; set by the first refund.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    pub earned_amount: Option<Decimal>,
    /// How much of the sale refunds have taken back so far, in major units
    /// of the sale's original currency (as are the reversal figures below).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    pub refunded_amount: Option<Decimal>,
    /// The largest cumulative refunded total reported (Stripe's `amount_refunded`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    pub refunded_by_total: Option<Decimal>,
    /// The refunds reported one by one, summed.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    pub refunded_by_parts: Option<Decimal>,
    /// What an open or lost dispute has taken from the sale, in major units.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    pub disputed_amount: Option<Decimal>,
    /// For a clawback: the paid commission it takes back from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clawback_of: Option<Id>,
    /// The percentage the rules paid; `None` unless the rules priced a percentage.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    pub rate: Option<Decimal>,
    #[serde(default)]
    pub applied_rules: Vec<AppliedRule>,
    /// Where the rules came from; `None` when the amount was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_source: Option<RuleSource>,
    /// The referral tier: 1 for the partner who referred the customer.
    pub tier: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stripe_payment_id: Option<String>,
    /// When the payment (or the grant) happened.
    pub occurred_at: DateTime<Utc>,
    pub unit: RewardUnit,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_period: Option<BillingPeriod>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal_note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_note: Option<String>,
    pub notify_promoter: bool,
    pub is_self_referral: bool,
    pub fraud_check: FraudCheck,
    /// The create request's fingerprint: tells a replay from another request.
    pub fingerprint: String,
    /// The partner (with the campaign) and the referral as the API showed
    /// them when the commission was earned, as JSON: a receipt that makes
    /// reading a commission one request.
    pub snapshot: String,
    pub created_at: DateTime<Utc>,
    pub status_updated_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Who earns a commission: the partner and, for a sale, the paying referral.
#[derive(Clone, Copy, Debug)]
pub struct Earner<'a> {
    pub partner_id: &'a Id,
    pub campaign_id: Option<&'a Id>,
    pub referral: Option<&'a Referral>,
}

impl Commission {
    /// A new pending commission for `request`. `priced` is how the rules
    /// priced a sale that gave no amount; `snapshot` the nested objects' JSON.
    pub fn earn(
        request: &CommissionRequest,
        earner: Earner<'_>,
        priced: Option<Priced>,
        snapshot: String,
        now: DateTime<Utc>,
    ) -> Self {
        let (original_sale_amount, original_sale_currency, conversion) =
            match (&request.earning, &request.converted_from) {
                (Earning::Sale { .. }, Some(paid)) => (
                    Some(paid.sale_amount),
                    Some(paid.conversion.from),
                    Some(paid.conversion),
                ),
                (Earning::Sale { sale_amount, .. }, None) => {
                    (Some(*sale_amount), Some(request.currency), None)
                }
                (Earning::Custom { .. }, _) => (None, None, None),
            };
        let (commission_type, sale_amount, given) = match &request.earning {
            Earning::Sale {
                sale_amount,
                commission,
                ..
            } => (CommissionKind::Sale, Some(*sale_amount), *commission),
            Earning::Custom { amount, .. } => (CommissionKind::Custom, None, Some(*amount)),
        };
        let (amount, rate, applied_rules, rule_source) = match priced {
            Some(p) => (p.amount, p.rate, p.applied_rules, Some(p.source)),
            None => (given.unwrap_or_default(), None, Vec::new(), None),
        };
        let review = earner.referral.map_or(
            Review {
                is_self_referral: false,
                fraud_check: FraudCheck::NoSuspicion,
            },
            |r| Review {
                is_self_referral: r.is_self_referral,
                fraud_check: r.fraud_check,
            },
        );
        Self {
            id: Id::generate(now),
            commission_type,
            status: CommissionStatus::Pending,
            payout_status: PayoutStatus::NotPaid,
            payout_id: None,
            partner_id: earner.partner_id.clone(),
            campaign_id: earner.campaign_id.cloned(),
            referral_id: earner.referral.map(|r| r.id.clone()),
            currency: request.currency,
            sale_amount,
            original_sale_amount,
            original_sale_currency,
            fx_rate: conversion.map(|c| c.rate),
            fx_rate_date: conversion.map(|c| c.date),
            amount,
            earned_amount: None,
            refunded_amount: None,
            refunded_by_total: None,
            refunded_by_parts: None,
            disputed_amount: None,
            clawback_of: None,
            rate,
            applied_rules,
            rule_source,
            tier: 1,
            event_id: request.event_id.clone(),
            stripe_payment_id: request.stripe_payment_id.clone(),
            occurred_at: request.occurred_at,
            unit: request.unit,
            billing_period: request.billing_period,
            plan_id: request.plan_id.clone(),
            internal_note: request.internal_note.clone(),
            external_note: None,
            notify_promoter: request.notify_promoter,
            is_self_referral: review.is_self_referral,
            fraud_check: review.fraud_check,
            fingerprint: request.fingerprint.clone(),
            snapshot,
            created_at: now,
            status_updated_at: now,
            updated_at: now,
        }
    }

    pub fn review(&self) -> Review {
        Review {
            is_self_referral: self.is_self_referral,
            fraud_check: self.fraud_check,
        }
    }

    /// Takes `decision`: `Ok(true)` when the status changed, `Ok(false)` when
    /// it already was the decision's outcome.
    pub fn decide(
        &mut self,
        decision: Decision,
        now: DateTime<Utc>,
    ) -> Result<bool, IllegalTransition> {
        let changes = decide(self.status, decision)?;
        if changes {
            self.status = decision.target();
            self.status_updated_at = now;
            self.updated_at = now;
        }
        Ok(changes)
    }

    /// Sets the notes given; a note not given is kept.
    pub fn annotate(&mut self, notes: Notes, now: DateTime<Utc>) {
        super::change::replace_optional(&mut self.internal_note, notes.internal_note);
        super::change::replace_optional(&mut self.external_note, notes.external_note);
        self.updated_at = now;
    }
}

/// The body of a notes update: `commission` in `{"commission": {...}}`.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Notes {
    /// Visible to the account's team only; at most 5000 characters.
    pub internal_note: Option<String>,
    /// Shown to the partner; at most 5000 characters.
    pub external_note: Option<String>,
}

impl Notes {
    /// Each note by its field name, given or not.
    fn fields(&self) -> [(&'static str, Option<&str>); 2] {
        [
            ("internal_note", self.internal_note.as_deref()),
            ("external_note", self.external_note.as_deref()),
        ]
    }

    pub fn check(&self) -> Result<(), Vec<crate::validation::FieldError>> {
        let mut errors = Vec::new();
        for (field, note) in self.fields() {
            crate::validation::max_chars(field, note, MAX_NOTE, &mut errors);
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// The field names of the notes this update gives.
    pub fn named(&self) -> Vec<&'static str> {
        self.fields()
            .into_iter()
            .filter_map(|(field, note)| note.map(|_| field))
            .collect()
    }
}

/// Where a commission stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommissionStatus {
    Pending,
    Approved,
    Denied,
    Refunded,
}

impl CommissionStatus {
    /// The name on the wire and in keys.
    pub fn as_str(self) -> &'static str {
        match self {
            CommissionStatus::Pending => "pending",
            CommissionStatus::Approved => "approved",
            CommissionStatus::Denied => "denied",
            CommissionStatus::Refunded => "refunded",
        }
    }
}

/// Whether a payout has taken the commission.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PayoutStatus {
    #[default]
    NotPaid,
    /// A payout paid it (cash).
    Paid,
    /// The merchant gave the reward (a unit other than cash).
    Fulfilled,
}

impl PayoutStatus {
    /// The name on the wire and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            PayoutStatus::NotPaid => "not_paid",
            PayoutStatus::Paid => "paid",
            PayoutStatus::Fulfilled => "fulfilled",
        }
    }
}

/// Why a commission cannot be marked fulfilled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NotFulfillable {
    #[error("is paid in cash, by a payout: only other units are fulfilled by hand")]
    Cash,
    #[error("must be approved first")]
    NotApproved,
}

impl Commission {
    /// Marks a non-cash reward given: `Ok(false)` when it already was.
    pub fn fulfil(&mut self, now: DateTime<Utc>) -> Result<bool, NotFulfillable> {
        if self.unit.is_cash() {
            return Err(NotFulfillable::Cash);
        }
        if self.payout_status == PayoutStatus::Fulfilled {
            return Ok(false);
        }
        if self.status != CommissionStatus::Approved {
            return Err(NotFulfillable::NotApproved);
        }
        self.payout_status = PayoutStatus::Fulfilled;
        self.updated_at = now;
        Ok(true)
    }
}

/// A decision a person (or the payout run) takes on a commission.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Deny,
}

impl Decision {
    pub fn target(self) -> CommissionStatus {
        match self {
            Decision::Approve => CommissionStatus::Approved,
            Decision::Deny => CommissionStatus::Denied,
        }
    }
}

/// A decision the commission's status does not allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a {from} commission cannot be {verb}", from = self.from.as_str(), verb = self.verb())]
pub struct IllegalTransition {
    pub from: CommissionStatus,
    pub decision: Decision,
}

impl IllegalTransition {
    fn verb(&self) -> &'static str {
        match self.decision {
            Decision::Approve => "approved",
            Decision::Deny => "denied",
        }
    }
}

/// What a decision does to a commission in `from`: `Ok(true)` changes it,
/// `Ok(false)` finds it already decided that way (a no-op), `Err` refuses.
/// Only pending commissions are decided; a decision is final.
pub fn decide(from: CommissionStatus, decision: Decision) -> Result<bool, IllegalTransition> {
    match from {
        CommissionStatus::Pending => Ok(true),
        status if status == decision.target() => Ok(false),
        _ => Err(IllegalTransition { from, decision }),
    }
}

/// The review facts that keep a commission from being approved automatically.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Review {
    pub is_self_referral: bool,
    pub fraud_check: FraudCheck,
}

impl Review {
    /// Flagged commissions wait for a person: the payout run never approves them.
    pub fn is_flagged(&self) -> bool {
        self.is_self_referral || self.fraud_check != FraudCheck::NoSuspicion
    }

    /// Whether the payout run may approve a pending commission created at
    /// `created_at`, given the account's holding period.
    pub fn auto_approvable(
        &self,
        created_at: DateTime<Utc>,
        hold_days: u32,
        now: DateTime<Utc>,
    ) -> bool {
        !self.is_flagged() && created_at + chrono::Duration::days(i64::from(hold_days)) <= now
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CommissionStatus::*;
    use chrono::TimeZone;

    #[test]
    fn only_pending_commissions_are_decided_and_decisions_are_final() {
        for (from, decision, outcome) in [
            (Pending, Decision::Approve, Ok(true)),
            (Pending, Decision::Deny, Ok(true)),
            (Approved, Decision::Approve, Ok(false)),
            (Denied, Decision::Deny, Ok(false)),
            (
                Approved,
                Decision::Deny,
                Err(IllegalTransition {
                    from: Approved,
                    decision: Decision::Deny,
                }),
            ),
            (
                Denied,
                Decision::Approve,
                Err(IllegalTransition {
                    from: Denied,
                    decision: Decision::Approve,
                }),
            ),
            (
                Refunded,
                Decision::Approve,
                Err(IllegalTransition {
                    from: Refunded,
                    decision: Decision::Approve,
                }),
            ),
            (
                Refunded,
                Decision::Deny,
                Err(IllegalTransition {
                    from: Refunded,
                    decision: Decision::Deny,
                }),
            ),
        ] {
            assert_eq!(decide(from, decision), outcome, "{from:?} {decision:?}");
        }
        let refused = decide(Denied, Decision::Approve).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "a denied commission cannot be approved"
        );
    }

    #[test]
    fn flagged_commissions_are_never_approved_automatically() {
        let created = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let clean = Review {
            is_self_referral: false,
            fraud_check: FraudCheck::NoSuspicion,
        };
        assert!(!clean.auto_approvable(created, 30, created + chrono::Duration::days(29)));
        assert!(clean.auto_approvable(created, 30, created + chrono::Duration::days(30)));
        for flagged in [
            Review {
                is_self_referral: true,
                fraud_check: FraudCheck::SamePromoterEmail,
            },
            Review {
                is_self_referral: false,
                fraud_check: FraudCheck::SameIpSuspicion,
            },
        ] {
            assert!(flagged.is_flagged());
            assert!(!flagged.auto_approvable(created, 30, created + chrono::Duration::days(400)));
        }
    }
}
