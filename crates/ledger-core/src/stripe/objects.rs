//! The Stripe objects partner-ledger reads, with only the fields it needs,
//! as every API version from `2024-06-20` on sends them. A field a newer
//! version removed is optional here: its absence is the newer shape.

use serde::Deserialize;

/// An invoice (`invoice.paid`). Before `2025-03-31.basil` it names its
/// payment (`charge`, `payment_intent`); since, an `invoice_payment` does.
#[derive(Deserialize)]
pub struct Invoice {
    pub id: String,
    pub customer: Option<String>,
    pub amount_paid: i64,
    pub currency: String,
    pub created: i64,
    pub status_transitions: Option<Transitions>,
    #[serde(default)]
    pub charge: Option<String>,
    #[serde(default)]
    pub payment_intent: Option<String>,
}

#[derive(Deserialize)]
pub struct Transitions {
    pub paid_at: Option<i64>,
}

/// The link between an invoice and one payment of it (`invoice_payment.paid`,
/// since `2025-03-31.basil`). It names no customer.
#[derive(Deserialize)]
pub struct InvoicePayment {
    pub invoice: String,
    pub amount_paid: Option<i64>,
    pub currency: String,
    pub created: i64,
    pub payment: PaymentRef,
    pub status_transitions: Option<Transitions>,
}

/// What paid an invoice: a payment intent, or a charge without one.
#[derive(Deserialize)]
pub struct PaymentRef {
    #[serde(default)]
    pub payment_intent: Option<String>,
    #[serde(default)]
    pub charge: Option<String>,
}

/// A charge (`charge.succeeded`, `charge.refunded`). Before
/// `2025-03-31.basil` it names its invoice.
#[derive(Deserialize)]
pub struct Charge {
    pub id: String,
    pub customer: Option<String>,
    pub amount: i64,
    pub amount_refunded: i64,
    pub currency: String,
    pub created: i64,
    #[serde(default)]
    pub payment_intent: Option<String>,
    #[serde(default)]
    pub invoice: Option<String>,
}

/// A payment intent (`payment_intent.succeeded`). Before
/// `2025-03-31.basil` it names its invoice.
#[derive(Deserialize)]
pub struct PaymentIntent {
    pub id: String,
    pub customer: Option<String>,
    pub amount_received: i64,
    pub currency: String,
    pub created: i64,
    #[serde(default)]
    pub latest_charge: Option<String>,
    #[serde(default)]
    pub invoice: Option<String>,
}

/// One refund (`refund.created`, `refund.updated`, `charge.refund.updated`).
#[derive(Deserialize)]
pub struct Refund {
    pub id: String,
    pub amount: i64,
    pub currency: String,
    pub status: Option<String>,
    #[serde(default)]
    pub charge: Option<String>,
    #[serde(default)]
    pub payment_intent: Option<String>,
}

/// A dispute (`charge.dispute.funds_withdrawn`, `…funds_reinstated`).
#[derive(Deserialize)]
pub struct Dispute {
    pub id: String,
    pub amount: i64,
    pub currency: String,
    pub charge: String,
    #[serde(default)]
    pub payment_intent: Option<String>,
}

/// A subscription (`customer.subscription.deleted`).
#[derive(Deserialize)]
pub struct Subscription {
    pub customer: String,
}
