//! Stripe webhooks: verifying a delivery's signature, and reading the
//! events partner-ledger acts on into payment facts.

pub mod events;
pub mod signature;

pub use events::{Payment, PaymentEvent, Refund};
pub use signature::{SignatureError, sign, verify};
