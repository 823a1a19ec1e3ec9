//! Stripe webhooks: verifying a delivery's signature, and reading the
//! events partner-ledger acts on into payment facts, with Stripe's own
//! currency exponents.

pub mod amounts;
pub mod events;
mod objects;
pub mod signature;

pub use events::{
    InvoiceHalf, LinkedPayment, Payment, PaymentEvent, Reversal, ReversalChange, Unsupported,
};
pub use signature::{SignatureError, sign, verify};
