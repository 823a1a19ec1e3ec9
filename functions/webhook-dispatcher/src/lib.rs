//! The webhook dispatcher: delivers each outbox event to the account's
//! endpoints that take its type, signed (Standard Webhooks), and retries
//! what failed. In AWS, one function with two triggers: the table's DynamoDB
//! stream, filtered to outbox inserts and to items holding a staged event
//! (which it releases), and an EventBridge schedule that sweeps due retries
//! every minute. Locally ([`local`]), the same [`Dispatcher`] polls the
//! emulator's stream and sweeps twice a second.
//!
//! The retry schedule lives in the table (each pending delivery's `due_at`,
//! in a sparse index per account) rather than in SQS with delays: SQS holds
//! a message at most 15 minutes, so a day of backoff would mean re-queueing,
//! and local runs would need a queue emulator; a swept schedule in the table
//! is one code path in both worlds, exactly once by conditional writes.

pub mod courier;
pub mod local;
pub mod stream;

use chrono::Utc;
use ledger_app::events::release_all;
use ledger_app::webhook_dispatch::{Courier, Dispatcher, Report};
use serde_json::Value;

/// Handles one invocation: a batch of stream records, or the schedule's
/// sweep. Fails when an account's deliveries could not be recorded, so that
/// the event source mapping retries the batch (what was recorded is skipped
/// the second time) and sends it to the dead-letter queue in the end.
pub async fn handle<C: Courier>(
    dispatcher: &Dispatcher<C>,
    event: Value,
) -> Result<(), lambda_http::Error> {
    let (report, trigger) = match &event["Records"] {
        Value::Array(_) => (on_records(dispatcher, &event["Records"]).await, "stream"),
        _ => (dispatcher.sweep(Utc::now()).await, "sweep"),
    };
    record(&report, trigger);
    if report.failures.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} account(s) failed: {:?}",
            report.failures.len(),
            report.failures
        )
        .into())
    }
}

/// What one batch of stream records comes to: each outbox event delivered,
/// and each staged event released (its event item then comes down the
/// stream as an insert, and is delivered from there).
pub async fn on_records<C: Courier>(dispatcher: &Dispatcher<C>, records: &Value) -> Report {
    let mut report = dispatcher.dispatch(&stream::events(records)).await;
    let stages = stream::stages(records);
    for (stage, error) in release_all(&dispatcher.store, &stages).await {
        report
            .failures
            .push((stage.event.account_id.clone(), error.to_string()));
    }
    report
}

/// Logs and counts what one dispatch or sweep did; one that did nothing
/// (most sweeps) writes no record.
pub fn record(report: &Report, trigger: &str) {
    if *report == Report::default() {
        return;
    }
    for (account, error) in &report.failures {
        tracing::error!(%account, %error, trigger, "webhook deliveries failed in an account");
    }
    ledger_telemetry::metrics::webhook_dispatch(report, trigger);
}
