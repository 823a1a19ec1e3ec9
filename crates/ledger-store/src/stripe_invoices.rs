//! Stripe invoices on current API versions, until both halves of their
//! news are in. Since `2025-03-31.basil`, `invoice.paid` names the customer
//! but not the payment, and `invoice_payment.paid` names the payment but not
//! the customer. Each event writes its half to one item per invoice
//! (`STRIPE_INVOICE#<id>`), conditional on the item being as read. So
//! whichever arrives second, even at the same moment, sees both halves and
//! can record the sale; the payment's own claim keeps that to once.

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use serde::{Deserialize, Serialize};

use super::{Condition, Entity, Item, Key, Ref, Store, StoreError, decode, encode};
use ledger_core::model::Id;
use ledger_core::stripe::{InvoiceHalf, LinkedPayment, Payment};

const ENTITY: &str = "stripe_invoice";

/// What is known of one invoice so far.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InvoiceNews {
    /// Who paid it (from `invoice.paid`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
    /// What paid it (from `invoice_payment.paid`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<LinkedPayment>,
    /// Bumped by every write, which requires the version it read.
    pub version: u64,
}

impl Entity for InvoiceNews {
    const NAME: &'static str = "Stripe invoice";

    fn from_item(item: Item) -> Result<Self, StoreError> {
        decode(item)
    }
}

/// What is known of Stripe's `invoice` to `account`.
pub fn at(account: &Id, invoice: &str) -> Ref<InvoiceNews> {
    Ref::new(Key::stripe_invoice(account, invoice))
}

impl InvoiceNews {
    /// Adds what `half` tells.
    pub fn add(&mut self, half: &InvoiceHalf) {
        match half {
            InvoiceHalf::Customer { customer } => self.customer = Some(customer.clone()),
            InvoiceHalf::Payment(payment) => self.payment = Some(payment.clone()),
        }
    }

    /// The sale both halves make, once both are in.
    pub fn sale(&self) -> Option<Payment> {
        Some(self.payment.as_ref()?.by(self.customer.as_ref()?))
    }
}

/// Writes `after` for `invoice`, provided the item is still as `before` was read.
pub fn save(
    store: &Store,
    account: &Id,
    invoice: &str,
    before: Option<&InvoiceNews>,
    after: &InvoiceNews,
) -> Result<TransactWriteItem, StoreError> {
    let condition = match before {
        None => Condition::absent(),
        Some(before) => Condition::new("version = :version")
            .value(":version", AttributeValue::N(before.version.to_string())),
    };
    let item = encode(&Key::stripe_invoice(account, invoice), ENTITY, after)?;
    store.put(item, condition)
}
