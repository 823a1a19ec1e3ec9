//! partner-ledger's core: what the product computes, with no AWS and no
//! HTTP framework in it, so its tests build in seconds.
//!
//! Dependencies flow one way: `money` and `validation` ← `engine` (the rules
//! engine) ← `model` (the domain's entities and their invariants); `views`
//! are the API's shapes several endpoint groups share; `stripe` reads and
//! verifies Stripe's events; `ecb` reads the European Central Bank's
//! reference rates; `webhooks` holds the rules of outgoing webhooks.

pub mod ecb;
pub mod engine;
pub mod model;
pub mod money;
pub mod stripe;
pub mod validation;
pub mod views;
pub mod webhooks;
