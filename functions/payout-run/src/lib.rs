//! The scheduled payout run: an EventBridge schedule (daily by default, see
//! `template.yaml`) invokes it, and it runs the payout run in every account
//! until shortly before the invocation's deadline. What it could not finish
//! it leaves a position for, and the next invocation continues there.
//! `POST /2026-02-01/payouts/run.json` runs the same code for one account.
//! Each invocation's figures are one metrics record (`metrics::payout_run`);
//! the by-hand run is recorded as its HTTP request only.

use std::time::{Duration, Instant};

use chrono::Utc;

use lambda_http::{Context, Error};
use ledger_app::payout_run::{Deadline, PayoutRun, Sweep, time_left};
use ledger_store::Store;
use ledger_telemetry::metrics;

/// Time kept back from the deadline for the work in flight and the answer:
/// a tenth of the time left, at most this.
const MARGIN: Duration = Duration::from_secs(10);
/// Lambda's longest invocation: the budget when the invocation names no
/// real deadline (`make run`).
const LONGEST: Duration = Duration::from_secs(900);

/// What one invocation did, account by account: the runs, and the accounts
/// it could not run in (`PayoutRun::all` logs each; the others went on).
pub type Invocation = Sweep;

/// Runs the payout run in every account; the event itself (a scheduled
/// event, or anything `cargo lambda invoke` sends) carries nothing it needs.
pub async fn handle(store: &Store, context: &Context) -> Result<Invocation, Error> {
    let started = Instant::now();
    let left = time_left(context.deadline()).unwrap_or(LONGEST);
    let budget = Deadline::new(Instant::now() + left, MARGIN.min(left / 10));
    let sweep = PayoutRun::new(Utc::now(), &budget).all(store).await?;
    metrics::payout_run(&sweep, started.elapsed());
    for run in &sweep.runs {
        tracing::info!(
            account = %run.account_id,
            approved = run.approved,
            payouts = run.payouts,
            commissions_paid = run.commissions_paid,
            complete = run.complete,
            "payout run"
        );
    }
    Ok(sweep)
}
