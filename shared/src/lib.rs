//! partner-ledger's shared crate: the rules engine, the domain model, the
//! DynamoDB single-table store and the HTTP plumbing every function uses.
//!
//! Dependencies flow one way: `engine` ← `model` ← `store` ← `http`; `views`
//! holds the API shapes several endpoint groups share, and `earning` the
//! sale-to-commission flow every way of reporting a payment goes through;
//! `ecb` reads the European Central Bank's reference rates; `telemetry` and
//! `metrics` are the logs and the CloudWatch metrics every function writes.

#[cfg(test)]
pub(crate) mod captured_lines;
pub mod earning;
pub mod ecb;
pub mod engine;
pub mod http;
pub mod metrics;
pub mod model;
pub mod money;
pub mod payout_run;
pub mod store;
pub mod stripe;
pub mod telemetry;
pub mod validation;
pub mod views;
