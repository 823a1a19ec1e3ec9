//! partner-ledger's use cases: each operation reads what it needs from the
//! store, decides with the core's rules, and writes in one transaction. No
//! HTTP here: an operation answers a domain error, and only the HTTP layer
//! turns it into an API error.
//!
//! `earning` is the sale-to-commission flow every way of reporting a payment
//! goes through; `payout_run` approves and pays what is due. The others
//! each hold what a caller does to one kind of thing it manages: partner
//! groups, partners, campaigns, referrals, the account's settings, its API
//! keys, the deployment's reference exchange rates, payouts settled by hand;
//! and commissions, sales, refunds, Stripe invoices and subscriptions;
//! and the account's webhook endpoints, whose deliveries `webhook_dispatch`
//! sends and retries; and clicks on partners' links; and what a partner
//! reads in their portal.

pub mod account;
pub mod api_keys;
pub mod campaigns;
pub mod clicks;
pub mod commissions;
pub mod earning;
mod error;
pub mod events;
pub mod fx_rates;
pub mod invoices;
pub mod partner_groups;
pub mod partners;
pub mod payout_run;
pub mod payouts;
pub mod portal;
pub mod portal_sessions;
pub mod referrals;
pub mod refunds;
pub mod sales;
mod session;
pub mod subscriptions;
pub mod webhook_dispatch;
pub mod webhook_endpoints;

pub use error::{Denial, Error};
pub use session::{KeyedSession, Session, contended, read_account};
