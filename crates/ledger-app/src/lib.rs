//! partner-ledger's use cases: each operation reads what it needs from the
//! store, decides with the core's rules, and writes in one transaction. No
//! HTTP here: an operation answers a domain error, and only the HTTP layer
//! turns it into an API error.
//!
//! `earning` is the sale-to-commission flow every way of reporting a payment
//! goes through; `payout_run` approves and pays what is due.

pub mod commissions;
pub mod earning;
mod error;
pub mod invoices;
pub mod partner_groups;
pub mod payout_run;
pub mod refunds;
pub mod sales;
mod session;
pub mod subscriptions;

pub use error::{Denial, Error};
pub use session::{Session, contended, read_account};
