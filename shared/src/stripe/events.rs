//! The Stripe events that move money for partners, read into payment facts.
//! Amounts arrive in integer minor units and leave as exact major units.
//!
//! A subscription payment raises both `invoice.paid` and `charge.succeeded`
//! (for the invoice's charge): the invoice is the sale, and a charge that
//! belongs to an invoice is skipped, so one payment is one commission. A
//! refund names the charge; it reverses the sale recorded under the charge's
//! invoice when it has one, else under the charge.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::money::Currency;

/// A paid invoice or charge: the sale a commission is earned on.
#[derive(Clone, Debug, PartialEq)]
pub struct Payment {
    /// The invoice id, or the charge id for a charge without an invoice.
    pub payment_id: String,
    pub customer: String,
    pub amount: Decimal,
    pub currency: Currency,
    pub paid_at: DateTime<Utc>,
}

/// A charge's refunds so far (Stripe's `amount_refunded` is cumulative).
#[derive(Clone, Debug, PartialEq)]
pub struct Refund {
    /// The id the refunded sale was recorded under (see the module doc).
    pub payment_id: String,
    pub customer: Option<String>,
    pub refunded_total: Decimal,
    pub currency: Currency,
    /// When Stripe reported it (the event's creation).
    pub refunded_at: DateTime<Utc>,
}

/// What an event means for partner-ledger.
#[derive(Clone, Debug, PartialEq)]
pub enum PaymentEvent {
    Paid(Payment),
    Refunded(Refund),
    SubscriptionEnded {
        customer: String,
    },
    /// Anything else: acknowledged, nothing to do.
    Ignored,
}

/// A webhook delivery's envelope.
#[derive(Debug, Deserialize)]
pub struct Envelope {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// When Stripe created the event (Unix seconds).
    #[serde(default)]
    pub created: i64,
    pub data: Data,
}

#[derive(Debug, Deserialize)]
pub struct Data {
    pub object: serde_json::Value,
}

#[derive(Deserialize)]
struct Invoice {
    id: String,
    customer: Option<String>,
    amount_paid: i64,
    currency: String,
    created: i64,
    status_transitions: Option<Transitions>,
}

#[derive(Deserialize)]
struct Transitions {
    paid_at: Option<i64>,
}

#[derive(Deserialize)]
struct Charge {
    id: String,
    customer: Option<String>,
    amount: i64,
    amount_refunded: i64,
    currency: String,
    created: i64,
    invoice: Option<String>,
}

#[derive(Deserialize)]
struct Subscription {
    customer: String,
}

/// Why an event could not be read.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error("the {kind} object is not as Stripe sends it: {reason}")]
    Shape { kind: String, reason: String },
}

impl Envelope {
    /// What the event means. Payments without a customer are ignored: no
    /// referral can match them.
    pub fn payment_event(&self) -> Result<PaymentEvent, EventError> {
        let object = || self.data.object.clone();
        let shape = |e: serde_json::Error| EventError::Shape {
            kind: self.kind.clone(),
            reason: e.to_string(),
        };
        let currency = |code: &str| {
            code.to_uppercase()
                .parse::<Currency>()
                .map_err(|_| EventError::Shape {
                    kind: self.kind.clone(),
                    reason: format!("unknown currency {code}"),
                })
        };
        Ok(match self.kind.as_str() {
            "invoice.paid" => {
                let invoice: Invoice = serde_json::from_value(object()).map_err(shape)?;
                let currency = currency(&invoice.currency)?;
                match invoice.customer {
                    Some(customer) if invoice.amount_paid > 0 => PaymentEvent::Paid(Payment {
                        payment_id: invoice.id,
                        customer,
                        amount: currency.from_minor_units(invoice.amount_paid),
                        currency,
                        paid_at: time(
                            invoice
                                .status_transitions
                                .and_then(|t| t.paid_at)
                                .unwrap_or(invoice.created),
                        ),
                    }),
                    _ => PaymentEvent::Ignored,
                }
            }
            "charge.succeeded" => {
                let charge: Charge = serde_json::from_value(object()).map_err(shape)?;
                let currency = currency(&charge.currency)?;
                match (charge.customer, charge.invoice) {
                    (Some(customer), None) if charge.amount > 0 => PaymentEvent::Paid(Payment {
                        payment_id: charge.id,
                        customer,
                        amount: currency.from_minor_units(charge.amount),
                        currency,
                        paid_at: time(charge.created),
                    }),
                    _ => PaymentEvent::Ignored,
                }
            }
            "charge.refunded" => {
                let charge: Charge = serde_json::from_value(object()).map_err(shape)?;
                let currency = currency(&charge.currency)?;
                PaymentEvent::Refunded(Refund {
                    payment_id: charge.invoice.unwrap_or(charge.id),
                    customer: charge.customer,
                    refunded_total: currency.from_minor_units(charge.amount_refunded),
                    currency,
                    refunded_at: time(self.created),
                })
            }
            "customer.subscription.deleted" => {
                let subscription: Subscription = serde_json::from_value(object()).map_err(shape)?;
                PaymentEvent::SubscriptionEnded {
                    customer: subscription.customer,
                }
            }
            _ => PaymentEvent::Ignored,
        })
    }
}

fn time(unix: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(unix, 0).unwrap_or(DateTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;
    use serde_json::json;

    fn event(kind: &str, object: serde_json::Value) -> PaymentEvent {
        let envelope: Envelope = serde_json::from_value(
            json!({"id": "evt_1", "type": kind, "created": 1767225900, "data": {"object": object}}),
        )
        .unwrap();
        envelope.payment_event().unwrap()
    }

    #[test]
    fn a_paid_invoice_is_a_sale_in_major_units() {
        let paid = event(
            "invoice.paid",
            json!({"id": "in_1", "object": "invoice", "customer": "cus_1", "amount_paid": 29990,
                   "currency": "eur", "created": 1767225600,
                   "status_transitions": {"paid_at": 1767225700}}),
        );
        assert_eq!(
            paid,
            PaymentEvent::Paid(Payment {
                payment_id: "in_1".into(),
                customer: "cus_1".into(),
                amount: dec!(299.90),
                currency: Currency::EUR,
                paid_at: time(1767225700),
            })
        );
        let yen = event(
            "charge.succeeded",
            json!({"id": "ch_1", "customer": "cus_1", "amount": 5000, "amount_refunded": 0,
                   "currency": "jpy", "created": 1767225600, "invoice": null}),
        );
        assert!(matches!(yen, PaymentEvent::Paid(Payment { amount, .. }) if amount == dec!(5000)));
    }

    #[test]
    fn an_invoices_charge_is_not_a_second_sale() {
        let charge = event(
            "charge.succeeded",
            json!({"id": "ch_1", "customer": "cus_1", "amount": 29990, "amount_refunded": 0,
                   "currency": "eur", "created": 1767225600, "invoice": "in_1"}),
        );
        assert_eq!(charge, PaymentEvent::Ignored);
        let refund = event(
            "charge.refunded",
            json!({"id": "ch_1", "customer": "cus_1", "amount": 29990, "amount_refunded": 10000,
                   "currency": "eur", "created": 1767225600, "invoice": "in_1"}),
        );
        assert_eq!(
            refund,
            PaymentEvent::Refunded(Refund {
                payment_id: "in_1".into(),
                customer: Some("cus_1".into()),
                refunded_total: dec!(100.00),
                currency: Currency::EUR,
                refunded_at: time(1767225900),
            })
        );
    }

    #[test]
    fn other_events_and_customerless_payments_are_ignored() {
        assert_eq!(
            event("customer.created", json!({"id": "cus_1"})),
            PaymentEvent::Ignored
        );
        let guest = event(
            "charge.succeeded",
            json!({"id": "ch_2", "customer": null, "amount": 100, "amount_refunded": 0,
                   "currency": "usd", "created": 1767225600}),
        );
        assert_eq!(guest, PaymentEvent::Ignored);
        assert_eq!(
            event(
                "customer.subscription.deleted",
                json!({"id": "sub_1", "customer": "cus_1", "status": "canceled"})
            ),
            PaymentEvent::SubscriptionEnded {
                customer: "cus_1".into()
            }
        );
    }
}
