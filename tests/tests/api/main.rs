//! The integration tests: one test binary (linking the workspace and the AWS SDK once),
//! a module per endpoint group or concern. Test names are `module::test`, so
//! `cargo test -p integration-tests --test api -- payout_run::` runs one group.

mod access;
mod account;
mod bad_input;
mod campaigns;
mod clicks;
mod commissions;
mod currencies;
mod deployment;
mod events;
mod fx_rates_fetch;
mod hostile;
mod lambda_events;
mod metrics;
mod partner_groups;
mod partners;
mod payment_events;
mod payout_run;
mod payouts_api;
mod portal;
mod portal_page;
mod referrals;
mod webhook_deliveries;
mod webhook_endpoints;
