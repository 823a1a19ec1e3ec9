//! The Stripe events that move money for partners, read into payment facts,
//! in one code path for every API version from [`OLDEST_VERSION`] on.
//!
//! **One payment, one id.** A customer's payment is known by its payment
//! intent (by its charge, for a charge made without one). Every event about
//! the payment names it, on every version: `charge.succeeded`,
//! `payment_intent.succeeded`, and `invoice.paid` before `2025-03-31.basil`
//! (`invoice.payment_intent`). So whichever of them arrive, in any order and
//! however often, they name one sale. Since basil an invoice names no
//! payment, and `invoice_payment.paid` (which links them) names no
//! customer: each is one half of the invoice's news ([`InvoiceHalf`]), and
//! the sale is recorded under the payment's id once both halves are in.
//!
//! **Reversals** (`charge.refunded`, `refund.*`, `charge.dispute.funds_*`)
//! name the charge and the payment intent, so they find the sale on every
//! version. They also offer the invoice id an older partner-ledger recorded
//! subscription sales under.
//!
//! An event whose version is older than [`OLDEST_VERSION`], or whose object
//! is not shaped as expected, is [`PaymentEvent::Unsupported`]: it is
//! acknowledged and reported, never priced on a guess.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::amounts;
use super::objects::{
    Charge, Dispute, Invoice, InvoicePayment, PaymentIntent, Refund as RefundObject, Subscription,
};
use crate::money::Currency;

/// The oldest Stripe API version whose events partner-ledger reads.
pub const OLDEST_VERSION: &str = "2024-06-20";

/// A paid charge, payment intent or (older versions) invoice: the sale a
/// commission is earned on.
#[derive(Clone, Debug, PartialEq)]
pub struct Payment {
    /// The payment intent's id, or the charge's for a charge without one.
    pub payment_id: String,
    /// The payment's other ids the event names (its charge, its invoice): a
    /// sale recorded under one of them by an older partner-ledger is this one.
    pub other_ids: Vec<String>,
    pub customer: String,
    pub amount: Decimal,
    pub currency: Currency,
    pub paid_at: DateTime<Utc>,
}

impl Payment {
    /// Every id the sale may be recorded under, its own first.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.payment_id.as_str()).chain(self.other_ids.iter().map(String::as_str))
    }
}

/// Half of what a current-version invoice event tells: the sale needs both.
#[derive(Clone, Debug, PartialEq)]
pub enum InvoiceHalf {
    /// `invoice.paid`: who paid the invoice.
    Customer { customer: String },
    /// `invoice_payment.paid`: what paid it.
    Payment(LinkedPayment),
}

/// The payment an `invoice_payment.paid` links to its invoice.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinkedPayment {
    /// The payment intent's id, or the charge's for a charge without one.
    pub payment_id: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub currency: Currency,
    pub paid_at: DateTime<Utc>,
}

impl LinkedPayment {
    /// The sale this payment is, once the invoice has told its `customer`.
    pub fn by(&self, customer: &str) -> Payment {
        Payment {
            payment_id: self.payment_id.clone(),
            other_ids: Vec::new(),
            customer: customer.to_string(),
            amount: self.amount,
            currency: self.currency,
            paid_at: self.paid_at,
        }
    }
}

/// Money taken back from a payment: a refund or a dispute.
#[derive(Clone, Debug, PartialEq)]
pub struct Reversal {
    /// The ids the payment's sale may be recorded under, its own first.
    pub payment_ids: Vec<String>,
    /// The paying customer, when the event names them.
    pub customer: Option<String>,
    pub currency: Currency,
    /// When Stripe reported it (the event's creation).
    pub at: DateTime<Utc>,
    pub change: ReversalChange,
}

/// What a reversal event says happened.
#[derive(Clone, Debug, PartialEq)]
pub enum ReversalChange {
    /// The charge's `amount_refunded`: all of its refunds so far.
    RefundedTotal(Decimal),
    /// One refund, known by its id.
    Refund { id: String, amount: Decimal },
    /// A dispute took `amount` from the merchant.
    DisputeWithdrawn { id: String, amount: Decimal },
    /// A won dispute gave its amount back.
    DisputeReinstated { id: String },
}

/// Why an event is acknowledged without being acted on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unsupported {
    /// The event's API version is missing or older than [`OLDEST_VERSION`].
    Version(String),
    /// The event's object is not shaped as its type and version promise.
    Shape(String),
}

/// What an event means for partner-ledger.
#[derive(Clone, Debug, PartialEq)]
pub enum PaymentEvent {
    Paid(Payment),
    /// Half of a current-version invoice's news.
    Invoice {
        invoice: String,
        half: InvoiceHalf,
    },
    Reversed(Reversal),
    SubscriptionEnded {
        customer: String,
    },
    /// Anything else: acknowledged, nothing to do.
    Ignored,
    Unsupported(Unsupported),
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
    /// The API version the endpoint is pinned to, which shaped the object.
    #[serde(default)]
    pub api_version: Option<String>,
    pub data: Data,
}

#[derive(Debug, Deserialize)]
pub struct Data {
    pub object: serde_json::Value,
}

type Read<T> = Result<T, Unsupported>;

impl Envelope {
    /// What the event means.
    pub fn payment_event(&self) -> PaymentEvent {
        self.read().unwrap_or_else(PaymentEvent::Unsupported)
    }

    fn check_version(&self) -> Read<()> {
        let Some(version) = self.api_version.as_deref() else {
            return Err(Unsupported::Version(
                "the event names no API version".into(),
            ));
        };
        let oldest = NaiveDate::parse_from_str(OLDEST_VERSION, "%Y-%m-%d")
            .expect("OLDEST_VERSION is a date");
        match version
            .get(..10)
            .and_then(|date| NaiveDate::parse_from_str(date, "%Y-%m-%d").ok())
        {
            Some(date) if date >= oldest => Ok(()),
            Some(_) => Err(Unsupported::Version(format!(
                "API version {version} is older than {OLDEST_VERSION}: upgrade the endpoint's version in Stripe"
            ))),
            None => Err(Unsupported::Version(format!(
                "API version {version:?} is not a Stripe version"
            ))),
        }
    }

    /// The event's object, provided its version is one partner-ledger
    /// reads: every event acted on reads its object, so only those need a
    /// version.
    fn object<T: DeserializeOwned>(&self) -> Read<T> {
        self.check_version()?;
        T::deserialize(&self.data.object).map_err(|e| {
            Unsupported::Shape(format!("the {} object is not as expected: {e}", self.kind))
        })
    }

    fn currency(&self, code: &str) -> Read<Currency> {
        code.to_uppercase()
            .parse()
            .map_err(|_| Unsupported::Shape(format!("unknown currency {code:?}")))
    }

    fn amount(&self, currency: Currency, minor: i64) -> Read<Decimal> {
        amounts::major_units(currency, minor).map_err(|e| Unsupported::Shape(e.to_string()))
    }

    fn read(&self) -> Read<PaymentEvent> {
        Ok(match self.kind.as_str() {
            "invoice.paid" | "invoice.payment_succeeded" => self.invoice_paid()?,
            "invoice_payment.paid" => self.invoice_payment_paid()?,
            "charge.succeeded" => {
                let charge: Charge = self.object()?;
                let currency = self.currency(&charge.currency)?;
                let amount = self.amount(currency, charge.amount)?;
                let (payment_id, other_ids) = match charge.payment_intent {
                    Some(intent) => (intent, vec![charge.id]),
                    None => (charge.id, vec![]),
                };
                paid(
                    Payment {
                        payment_id,
                        other_ids: with(other_ids, charge.invoice),
                        customer: String::new(),
                        amount,
                        currency,
                        paid_at: time(charge.created),
                    },
                    charge.customer,
                )
            }
            "payment_intent.succeeded" => {
                let intent: PaymentIntent = self.object()?;
                let currency = self.currency(&intent.currency)?;
                let amount = self.amount(currency, intent.amount_received)?;
                let other_ids = with(intent.latest_charge.into_iter().collect(), intent.invoice);
                paid(
                    Payment {
                        payment_id: intent.id,
                        other_ids,
                        customer: String::new(),
                        amount,
                        currency,
                        paid_at: time(intent.created),
                    },
                    intent.customer,
                )
            }
            "charge.refunded" => {
                let charge: Charge = self.object()?;
                let currency = self.currency(&charge.currency)?;
                let total = self.amount(currency, charge.amount_refunded)?;
                PaymentEvent::Reversed(Reversal {
                    payment_ids: payment_ids(
                        charge.payment_intent,
                        Some(charge.id),
                        charge.invoice,
                    ),
                    customer: charge.customer,
                    currency,
                    at: time(self.created),
                    change: ReversalChange::RefundedTotal(total),
                })
            }
            "refund.created" | "refund.updated" | "charge.refund.updated" => {
                let refund: RefundObject = self.object()?;
                let counts = matches!(
                    refund.status.as_deref(),
                    Some("succeeded" | "pending" | "requires_action")
                );
                if !counts || (refund.charge.is_none() && refund.payment_intent.is_none()) {
                    return Ok(PaymentEvent::Ignored);
                }
                let currency = self.currency(&refund.currency)?;
                let amount = self.amount(currency, refund.amount)?;
                PaymentEvent::Reversed(Reversal {
                    payment_ids: payment_ids(refund.payment_intent, refund.charge, None),
                    customer: None,
                    currency,
                    at: time(self.created),
                    change: ReversalChange::Refund {
                        id: refund.id,
                        amount,
                    },
                })
            }
            "charge.dispute.funds_withdrawn" | "charge.dispute.funds_reinstated" => {
                let dispute: Dispute = self.object()?;
                let currency = self.currency(&dispute.currency)?;
                let amount = self.amount(currency, dispute.amount)?;
                let change = if self.kind.ends_with("withdrawn") {
                    ReversalChange::DisputeWithdrawn {
                        id: dispute.id,
                        amount,
                    }
                } else {
                    ReversalChange::DisputeReinstated { id: dispute.id }
                };
                PaymentEvent::Reversed(Reversal {
                    payment_ids: payment_ids(dispute.payment_intent, Some(dispute.charge), None),
                    customer: None,
                    currency,
                    at: time(self.created),
                    change,
                })
            }
            "customer.subscription.deleted" => {
                let subscription: Subscription = self.object()?;
                PaymentEvent::SubscriptionEnded {
                    customer: subscription.customer,
                }
            }
            _ => PaymentEvent::Ignored,
        })
    }

    /// An invoice names its payment before `2025-03-31.basil` only.
    fn invoice_paid(&self) -> Read<PaymentEvent> {
        let invoice: Invoice = self.object()?;
        let currency = self.currency(&invoice.currency)?;
        let amount = self.amount(currency, invoice.amount_paid)?;
        let paid_at = invoice
            .status_transitions
            .and_then(|t| t.paid_at)
            .unwrap_or(invoice.created);
        let (payment_id, other_ids) = match (invoice.payment_intent, invoice.charge) {
            (Some(intent), charge) => (intent, with(vec![invoice.id], charge)),
            (None, Some(charge)) => (charge, vec![invoice.id]),
            (None, None) => {
                return Ok(match invoice.customer {
                    Some(customer) if amount > Decimal::ZERO => PaymentEvent::Invoice {
                        invoice: invoice.id,
                        half: InvoiceHalf::Customer { customer },
                    },
                    _ => PaymentEvent::Ignored,
                });
            }
        };
        Ok(paid(
            Payment {
                payment_id,
                other_ids,
                customer: String::new(),
                amount,
                currency,
                paid_at: time(paid_at),
            },
            invoice.customer,
        ))
    }
}

/// `invoice_payment.paid`: the payment half of an invoice's news.
impl Envelope {
    fn invoice_payment_paid(&self) -> Read<PaymentEvent> {
        let link: InvoicePayment = self.object()?;
        let Some(payment_id) = link.payment.payment_intent.or(link.payment.charge) else {
            // Paid out of band: no money moved through Stripe.
            return Ok(PaymentEvent::Ignored);
        };
        let currency = self.currency(&link.currency)?;
        let amount = self.amount(currency, link.amount_paid.unwrap_or_default())?;
        if amount <= Decimal::ZERO {
            return Ok(PaymentEvent::Ignored);
        }
        let paid_at = link
            .status_transitions
            .and_then(|t| t.paid_at)
            .unwrap_or(link.created);
        Ok(PaymentEvent::Invoice {
            invoice: link.invoice,
            half: InvoiceHalf::Payment(LinkedPayment {
                payment_id,
                amount,
                currency,
                paid_at: time(paid_at),
            }),
        })
    }
}

/// A sale of `payment` by `customer`; a payment without a customer, or of
/// nothing, earns nothing (no referral can match it).
fn paid(payment: Payment, customer: Option<String>) -> PaymentEvent {
    match customer {
        Some(customer) if payment.amount > Decimal::ZERO => PaymentEvent::Paid(Payment {
            customer,
            ..payment
        }),
        _ => PaymentEvent::Ignored,
    }
}

fn with(mut ids: Vec<String>, id: Option<String>) -> Vec<String> {
    ids.extend(id);
    ids
}

/// The ids a reversed payment's sale may be recorded under, its own first.
fn payment_ids(
    intent: Option<String>,
    charge: Option<String>,
    invoice: Option<String>,
) -> Vec<String> {
    [intent, charge, invoice].into_iter().flatten().collect()
}

fn time(unix: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(unix, 0).unwrap_or(DateTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;
    use serde_json::{Value, json};

    const BASIL: &str = "2025-03-31.basil";
    const ACACIA: &str = "2025-02-24.acacia";

    fn event(version: Option<&str>, kind: &str, object: Value) -> PaymentEvent {
        let envelope: Envelope = serde_json::from_value(json!({
            "id": "evt_1", "type": kind, "created": 1767225900, "api_version": version,
            "data": {"object": object}
        }))
        .unwrap();
        envelope.payment_event()
    }

    fn charge(invoice: Option<&str>) -> Value {
        let mut charge = json!({"id": "ch_1", "object": "charge", "customer": "cus_1",
            "amount": 29990, "amount_refunded": 0, "currency": "eur", "created": 1767225600,
            "payment_intent": "pi_1"});
        if let Some(invoice) = invoice {
            charge["invoice"] = json!(invoice);
        }
        charge
    }

    fn payment_id(event: &PaymentEvent) -> &str {
        match event {
            PaymentEvent::Paid(payment) => &payment.payment_id,
            other => panic!("not a payment: {other:?}"),
        }
    }

    #[test]
    fn every_event_of_one_payment_names_its_payment_intent_on_every_version() {
        let old_invoice = json!({"id": "in_1", "customer": "cus_1", "amount_paid": 29990,
            "currency": "eur", "created": 1767225500, "status_transitions": {"paid_at": 1767225600},
            "charge": "ch_1", "payment_intent": "pi_1"});
        let intent = json!({"id": "pi_1", "customer": "cus_1", "amount_received": 29990,
            "currency": "eur", "created": 1767225590, "latest_charge": "ch_1"});
        for paid in [
            event(Some(ACACIA), "invoice.paid", old_invoice),
            event(Some(ACACIA), "charge.succeeded", charge(Some("in_1"))),
            event(Some(BASIL), "charge.succeeded", charge(None)),
            event(Some(BASIL), "payment_intent.succeeded", intent),
        ] {
            assert_eq!(payment_id(&paid), "pi_1");
        }
        let PaymentEvent::Paid(old) = event(Some(ACACIA), "charge.succeeded", charge(Some("in_1")))
        else {
            unreachable!()
        };
        assert_eq!(old.ids().collect::<Vec<_>>(), ["pi_1", "ch_1", "in_1"]);
        assert_eq!(old.amount, dec!(299.9));
    }

    #[test]
    fn a_current_invoice_and_its_invoice_payment_each_tell_half() {
        let invoice = json!({"id": "in_1", "customer": "cus_1", "amount_paid": 29990,
            "currency": "eur", "created": 1767225500, "status_transitions": {"paid_at": 1767225600}});
        assert_eq!(
            event(Some(BASIL), "invoice.paid", invoice),
            PaymentEvent::Invoice {
                invoice: "in_1".into(),
                half: InvoiceHalf::Customer {
                    customer: "cus_1".into()
                }
            }
        );
        let link = json!({"id": "inpay_1", "invoice": "in_1", "amount_paid": 29990,
            "currency": "eur", "created": 1767225590, "status": "paid",
            "payment": {"type": "payment_intent", "payment_intent": "pi_1"},
            "status_transitions": {"paid_at": 1767225600, "canceled_at": null}});
        assert_eq!(
            event(Some(BASIL), "invoice_payment.paid", link),
            PaymentEvent::Invoice {
                invoice: "in_1".into(),
                half: InvoiceHalf::Payment(LinkedPayment {
                    payment_id: "pi_1".into(),
                    amount: dec!(299.9),
                    currency: Currency::EUR,
                    paid_at: time(1767225600)
                })
            }
        );
    }

    #[test]
    fn a_charge_without_a_payment_intent_is_known_by_its_own_id() {
        let mut legacy = charge(None);
        legacy["payment_intent"] = Value::Null;
        assert_eq!(
            payment_id(&event(Some("2024-06-20"), "charge.succeeded", legacy)),
            "ch_1"
        );
    }

    #[test]
    fn refunds_and_disputes_offer_every_id_of_their_payment() {
        let mut refunded = charge(Some("in_1"));
        refunded["amount_refunded"] = json!(10000);
        let PaymentEvent::Reversed(reversal) = event(Some(ACACIA), "charge.refunded", refunded)
        else {
            panic!("a refund")
        };
        assert_eq!(reversal.payment_ids, ["pi_1", "ch_1", "in_1"]);
        assert_eq!(reversal.change, ReversalChange::RefundedTotal(dec!(100)));
        let refund = json!({"id": "re_1", "amount": 500, "currency": "eur", "status": "succeeded",
            "charge": "ch_1", "payment_intent": "pi_1"});
        let PaymentEvent::Reversed(one) = event(Some(BASIL), "refund.created", refund.clone())
        else {
            panic!("a refund")
        };
        assert_eq!(
            one.change,
            ReversalChange::Refund {
                id: "re_1".into(),
                amount: dec!(5)
            }
        );
        let mut failed = refund;
        failed["status"] = json!("failed");
        assert_eq!(
            event(Some(BASIL), "refund.updated", failed),
            PaymentEvent::Ignored
        );
        let dispute = json!({"id": "dp_1", "amount": 29990, "currency": "eur",
            "charge": "ch_1", "payment_intent": "pi_1", "status": "needs_response"});
        let PaymentEvent::Reversed(withdrawn) = event(
            Some(BASIL),
            "charge.dispute.funds_withdrawn",
            dispute.clone(),
        ) else {
            panic!("a dispute")
        };
        assert_eq!(withdrawn.payment_ids, ["pi_1", "ch_1"]);
        assert_eq!(
            withdrawn.change,
            ReversalChange::DisputeWithdrawn {
                id: "dp_1".into(),
                amount: dec!(299.9)
            }
        );
        let PaymentEvent::Reversed(won) =
            event(Some(BASIL), "charge.dispute.funds_reinstated", dispute)
        else {
            panic!("a dispute")
        };
        assert_eq!(
            won.change,
            ReversalChange::DisputeReinstated { id: "dp_1".into() }
        );
    }

    #[test]
    fn old_or_missing_versions_are_unsupported() {
        for version in [None, Some("2024-04-10"), Some("2020-08-27"), Some("acacia")] {
            assert!(
                matches!(
                    event(version, "charge.succeeded", charge(None)),
                    PaymentEvent::Unsupported(Unsupported::Version(_))
                ),
                "{version:?}"
            );
        }
        assert_eq!(
            event(None, "customer.created", json!({"id": "cus_1"})),
            PaymentEvent::Ignored,
            "an event not acted on needs no version"
        );
    }

    #[test]
    fn unknown_shapes_are_unsupported_not_guessed() {
        let mut no_amount = charge(None);
        no_amount.as_object_mut().unwrap().remove("amount");
        let mut odd_currency = charge(None);
        odd_currency["currency"] = json!("euro");
        let mut isk_fraction = charge(None);
        isk_fraction["currency"] = json!("isk");
        isk_fraction["amount"] = json!(10050);
        for object in [no_amount, odd_currency, isk_fraction] {
            assert!(
                matches!(
                    event(Some(BASIL), "charge.succeeded", object.clone()),
                    PaymentEvent::Unsupported(Unsupported::Shape(_))
                ),
                "{object}"
            );
        }
    }

    #[test]
    fn amounts_are_read_with_stripes_exponents() {
        let mut isk = charge(None);
        isk["currency"] = json!("isk");
        isk["amount"] = json!(10000);
        let PaymentEvent::Paid(payment) = event(Some(BASIL), "charge.succeeded", isk) else {
            panic!("a payment")
        };
        assert_eq!(
            (payment.amount, payment.currency.code()),
            (dec!(100), "ISK")
        );
    }

    #[test]
    fn guest_and_empty_payments_are_ignored() {
        let mut guest = charge(None);
        guest["customer"] = Value::Null;
        let mut nothing = charge(None);
        nothing["amount"] = json!(0);
        for object in [guest, nothing] {
            assert_eq!(
                event(Some(BASIL), "charge.succeeded", object),
                PaymentEvent::Ignored
            );
        }
    }
}
