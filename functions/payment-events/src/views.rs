//! What the payment-event routes accept and answer: a billing system's sale
//! and refund in `{"event": {...}}`, the receipt naming what the event did,
//! and Stripe's acknowledgement.

use ledger_app::refunds::ReportedRefund;
use ledger_app::sales::{NamedCustomer, ReportedSale};
use ledger_core::model::{BillingPeriod, CommissionDraft, EventDate, Id};
use ledger_core::money::Currency;
use ledger_core::validation::{self, FieldError};
use ledger_core::views::commission::CommissionView;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaleEventRequest {
    pub event: SaleEvent,
}

/// A customer's payment. Name the customer by exactly one of `referral_id`,
/// `stripe_customer_id` and `email`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaleEvent {
    /// The billing system's id for this payment: sending it again is a replay.
    #[schema(example = "sale_2026_0042")]
    pub event_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referral_id: Option<Id>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stripe_customer_id: Option<String>,
    /// The referred customer's email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The payment, in major units.
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    #[schema(value_type = f64, example = 299.9)]
    pub amount: Decimal,
    /// ISO 4217; defaults to the account's currency. A payment in another
    /// currency is converted into the account's at the reference rate of its date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
    /// When the payment happened; defaults to now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<EventDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_period: Option<BillingPeriod>,
}

impl SaleEvent {
    /// The sale as the use case takes it; a field error when it names its
    /// customer other than exactly once.
    pub fn report(&self) -> Result<ReportedSale<'_>, FieldError> {
        Ok(ReportedSale {
            event_id: &self.event_id,
            customer: self.customer()?,
            draft: self.draft(),
        })
    }

    /// The one way the sale names its customer.
    fn customer(&self) -> Result<NamedCustomer<'_>, FieldError> {
        let given = [
            self.referral_id.as_ref().map(NamedCustomer::Referral),
            self.stripe_customer_id
                .as_deref()
                .map(NamedCustomer::StripeCustomer),
            self.email.as_deref().map(NamedCustomer::Email),
        ];
        let count = given.iter().flatten().count();
        match given.into_iter().flatten().next() {
            Some(customer) if count == 1 => Ok(customer),
            _ => Err(FieldError::new(
                "referral_id",
                format!(
                    "give exactly one of referral_id, stripe_customer_id and email ({count} given)"
                ),
            )),
        }
    }

    /// The commission create this sale stands for, on the payment of the
    /// customer's referral (which the use case fills in). Its check names
    /// the fields as a commission does; [`renamed`] maps them back to this
    /// event's names.
    fn draft(&self) -> CommissionDraft {
        CommissionDraft {
            sale_amount: Some(self.amount),
            currency: self.currency,
            event_id: Some(self.event_id.clone()),
            event_date: self.date,
            plan_id: self.plan_id.clone(),
            billing_period: self.billing_period,
            ..CommissionDraft::default()
        }
    }
}

/// A commission-create field error named as the sale event names the field.
pub fn renamed(mut error: FieldError) -> FieldError {
    error.field = match error.field.as_str() {
        "sale_amount" => "amount".into(),
        "event_date" => "date".into(),
        other => other.into(),
    };
    error
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundEventRequest {
    pub event: RefundEvent,
}

/// Money given back on a sale reported by a sale event.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundEvent {
    /// The billing system's id for this refund: sending it again is a replay.
    #[schema(example = "refund_2026_0007")]
    pub event_id: String,
    /// The `event_id` of the sale refunded.
    #[schema(example = "sale_2026_0042")]
    pub sale_event_id: String,
    /// How much of the sale this refund gives back, in major units.
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    #[schema(value_type = f64, example = 100)]
    pub amount: Decimal,
    /// ISO 4217; must be the currency the sale was paid in when given. The
    /// amount is in it too, whatever the account's currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
    /// When the refund happened; defaults to now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<EventDate>,
}

impl RefundEvent {
    /// Field errors that need no stored state (the amount's decimals need
    /// the sale's currency); empty when there are none.
    pub fn check(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        validation::key("event_id", Some(&self.event_id), &mut errors);
        validation::key("sale_event_id", Some(&self.sale_event_id), &mut errors);
        if self.amount <= Decimal::ZERO {
            errors.push(FieldError::new("amount", "must be greater than 0"));
        }
        validation::bounded("amount", self.amount, &mut errors);
        errors
    }

    /// The refund as the use case takes it.
    pub fn report(&self) -> ReportedRefund<'_> {
        ReportedRefund {
            event_id: &self.event_id,
            sale_event_id: &self.sale_event_id,
            amount: self.amount,
            currency: self.currency,
            at: self.date.map(EventDate::moment),
            fingerprint: self.fingerprint(),
        }
    }

    /// Tells a replay of this refund from a different one under its event id.
    fn fingerprint(&self) -> String {
        let canonical = serde_json::to_vec(self).expect("a refund event serializes");
        hex::encode(Sha256::digest(canonical))
    }
}

/// `{"event": {...}}`: what a sale or refund event did.
#[derive(Serialize, ToSchema)]
pub struct EventReceipt {
    pub event: EventResult,
}

#[derive(Serialize, ToSchema)]
pub struct EventResult {
    pub event_id: String,
    pub outcome: Outcome,
    /// The commission the event created or changed (for a refund of a paid
    /// commission, the clawback); null when it touched none.
    #[schema(required = true)]
    pub commission: Option<CommissionView>,
}

/// What a payment event did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A sale commission was created, or a refund reversed one.
    Recorded,
    /// The event was recorded before; nothing changed.
    Replayed,
    /// The customer was not referred: there is nothing to earn on.
    NotReferred,
    /// The referral's partner may not earn (banned, not approved).
    PartnerRefused,
    /// The refund gives back nothing the commission still had.
    NothingToReverse,
    /// An event type partner-ledger does not act on.
    Ignored,
    /// Half of a current-version invoice's news (its customer, or its
    /// payment) was noted; the sale is recorded when the other half comes,
    /// unless the payment's own event records it first.
    Linked,
    /// A Stripe event of an API version older than partner-ledger reads:
    /// acknowledged, logged with its id, and not acted on.
    UnsupportedVersion,
    /// A Stripe event whose object is not shaped as its type and version
    /// promise: acknowledged, logged with its id, and not acted on.
    UnsupportedShape,
}

/// Stripe's acknowledgement: any 2xx stops redelivery.
#[derive(Serialize, ToSchema)]
pub struct WebhookReceipt {
    pub received: bool,
    pub outcome: Outcome,
}
