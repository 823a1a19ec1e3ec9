//! CloudWatch metrics, as records in the embedded metric format (EMF): one
//! JSON line on stdout per record, which CloudWatch Logs turns into metrics
//! in namespace `partner-ledger` under Lambda. `ledger_http` records each HTTP
//! request (its route, its DynamoDB requests, its latency); [`ledger`] the
//! commissions created, the Stripe webhooks' outcomes and each scheduled
//! payout run, which [`sink`] takes. Dimensions are low-cardinality only (route, method, source,
//! currency, outcome); account and partner ids ride along as properties.
//!
//! Written with `metrique` (awslabs) rather than `metrics_cloudwatch_embedded`
//! (a backend for the `metrics` facade). Measured on this workspace's 2-core
//! machine (cold build, `-j2`), `metrique` with only `emf` adds 33 crates to
//! each function and about 46 s of compile units (a third proc macros, a third
//! the `metrics-util` stack its writer pulls in whatever its features), where
//! `metrics_cloudwatch_embedded` without its Lambda feature adds 3 crates and
//! about 3 s. The weight buys the fit: `metrique`
//! writes one record per unit of work, each with its own dimensions and
//! properties, to a sink a test can swap for its own tokio runtime, while a
//! `metrics` backend aggregates into one global recorder and flushes it
//! whole, so two requests served at once (in tests, or with Lambda's
//! per-process concurrency) share one document and its properties. It is
//! also awslabs' own (33 releases of 0.1 so far), where the other crate has
//! one author.
//! Records are written inline ([`AttachGlobalEntrySinkExt::write_directly_to`]),
//! not from a background thread Lambda would freeze between invocations.

pub mod captured;
pub mod ledger;

use metrique::emf::Emf;
use metrique::writer::sink::global_entry_sink;
use metrique::writer::{AttachGlobalEntrySinkExt, BoxEntrySink, FormatExt};

pub use ledger::{
    CommissionSource, commission_created, payout_run, stripe_webhook, webhook_dispatch,
};

/// The CloudWatch namespace of every metric.
pub const NAMESPACE: &str = "partner-ledger";

global_entry_sink! {
    /// Where every record goes: stdout once [`init`] ran, nowhere before.
    LedgerMetrics
}

/// The EMF format every record is written in: namespace [`NAMESPACE`], and
/// no dimensions but those a record declares.
pub fn emf() -> Emf {
    Emf::builder(NAMESPACE.to_string(), vec![vec![]]).build()
}

/// Writes every record to stdout as it is closed. Called once per process,
/// by `telemetry::init`.
pub fn init() {
    LedgerMetrics::write_directly_to(emf().output_to_makewriter(|| std::io::stdout().lock()))
        .forget();
}

/// The sink records are appended to; a record made before [`init`] (or in a
/// test that installed no sink) is dropped.
pub fn sink() -> BoxEntrySink {
    LedgerMetrics::sink_or_discard()
}
