//! The payout run (SPEC §3.8): approve the commissions whose holding period
//! is over, then roll each partner's payable balance, per currency, into the
//! period's payout.
//!
//! Exactly once without a lock: every write is conditional on what the run
//! read (a commission is paid only while approved, unpaid and of the amount
//! summed; a payout grows only from the amount and count it was read with),
//! and a payout's id is derived from its partner, currency and period. A run
//! killed after any write, or two runs at once, therefore converge on the
//! same payouts. The run reads partitions through indexes (the pending
//! commissions up to the holding period's end, the payable commissions
//! partner by partner), never the whole table, and stops starting new work
//! when its [`Budget`] runs out, leaving a position the next run resumes from.
//!
//! What the run decides is pure and tested on its own: `plan` (which
//! commissions are approved, which payouts of how much pay which groups)
//! and `pack` (how the payments fill transactions). The phases, `approve`
//! and `pay`, read, call those, and write.

mod approve;
#[cfg(test)]
mod books;
mod pack;
mod pay;
mod plan;

use std::time::{Duration, Instant, SystemTime};

use chrono::{DateTime, Utc};
use serde::Serialize;

use ledger_core::model::{Account, Actor, Id, Period};
use ledger_store::Store;
use ledger_store::payout_runs::{self, AccountFailure, Directory, RunPosition};

use crate::Error;

/// Tells the run whether it may start another piece of work.
pub trait Budget: Sync {
    fn exhausted(&self) -> bool;
}

/// A budget of wall-clock time: spent `margin` before `deadline`, so the
/// work in flight (one transaction or one read) ends in time.
#[derive(Clone, Copy, Debug)]
pub struct Deadline {
    stop_at: Instant,
}

impl Deadline {
    pub fn new(deadline: Instant, margin: Duration) -> Self {
        Self {
            stop_at: deadline.checked_sub(margin).unwrap_or(deadline),
        }
    }
}

impl Budget for Deadline {
    fn exhausted(&self) -> bool {
        Instant::now() >= self.stop_at
    }
}

/// How long a Lambda invocation ending at `end` has left. `None` for an end
/// already past, which is no real one: Lambda never hands over an expired
/// invocation, while `cargo lambda watch` (`make run`) announces a fixed
/// 600 000 ms after the epoch.
pub fn time_left(end: SystemTime) -> Option<Duration> {
    end.duration_since(SystemTime::now()).ok()
}

/// What a run did in one account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RunReport {
    pub account_id: Id,
    /// The period the payouts it opened pay for.
    pub period: Period,
    /// Commissions it approved.
    pub approved: u32,
    /// Payouts it opened or added commissions to.
    pub payouts: u32,
    /// Commissions it put into payouts.
    pub commissions_paid: u32,
    /// `false` when it stopped early; the next run continues where it stopped.
    pub complete: bool,
}

/// What a run over every account did: a report per account it ran in, and
/// the accounts it could not run in.
#[derive(Clone, Debug, Serialize)]
pub struct Sweep {
    pub runs: Vec<RunReport>,
    pub failures: Vec<AccountFailure>,
}

/// One payout run: when it runs, how long it may take, and how large its
/// transactions may grow.
#[derive(Clone)]
pub struct PayoutRun<'a> {
    /// What its changes' events name as their actor.
    id: Id,
    now: DateTime<Utc>,
    budget: &'a dyn Budget,
    transaction_items: usize,
}

impl<'a> PayoutRun<'a> {
    /// DynamoDB's limit on one transaction.
    pub const MAX_TRANSACTION_ITEMS: usize = ledger_store::MAX_TRANSACTION_ITEMS;
    /// The smallest transaction that still pays: a payout opened with one
    /// commission, the payout's two list tallies, and the two items of
    /// their events (the payout's creation, the commission's payment).
    pub const MIN_TRANSACTION_ITEMS: usize = 4 + pay::EVENT_ITEMS;

    pub fn new(now: DateTime<Utc>, budget: &'a dyn Budget) -> Self {
        Self {
            id: Id::generate(now),
            now,
            budget,
            transaction_items: Self::MAX_TRANSACTION_ITEMS,
        }
    }

    /// What the run's changes are recorded as caused by.
    pub fn actor(&self) -> Actor {
        Actor::PayoutRun {
            id: self.id.clone(),
        }
    }

    /// Caps each transaction at `items` (6 to 100): tests use small ones
    /// to put many transactions, and so many points to fail at, into a
    /// small ledger.
    pub fn transaction_items(mut self, items: usize) -> Self {
        self.transaction_items =
            items.clamp(Self::MIN_TRANSACTION_ITEMS, Self::MAX_TRANSACTION_ITEMS);
        self
    }

    /// Runs in `account`, from where an earlier run stopped, if one did.
    pub async fn account(&self, store: &Store, account: &Account) -> Result<RunReport, Error> {
        let position = payout_runs::position(store, &account.id).await?;
        self.resume(store, account, position).await
    }

    /// Runs in every account, those an earlier run left unfinished first,
    /// until the budget runs out. Each account is its own unit of failure
    /// (SPEC §4.8): an error in one is logged with its id and listed, and
    /// the run goes on with the next.
    pub async fn all(&self, store: &Store) -> Result<Sweep, Error> {
        let Directory {
            mut accounts,
            unreadable: mut failures,
        } = payout_runs::directory(store).await?;
        accounts.sort_by_key(|(account, position)| (position.is_none(), account.id.clone()));
        let mut runs = Vec::with_capacity(accounts.len());
        for (account, position) in accounts {
            if self.budget.exhausted() {
                break;
            }
            match self.resume(store, &account, position).await {
                Ok(report) => runs.push(report),
                Err(error) => failures.push(AccountFailure {
                    account: account.id.to_string(),
                    error: error.to_string(),
                }),
            }
        }
        for failure in &failures {
            tracing::error!(account = %failure.account, error = %failure.error, "payout run failed in an account");
        }
        Ok(Sweep { runs, failures })
    }

    /// Runs in `account` from `position`, where the last run there stopped
    /// (`None`: it finished, or none ran yet).
    pub(crate) async fn resume(
        &self,
        store: &Store,
        account: &Account,
        position: Option<RunPosition>,
    ) -> Result<RunReport, Error> {
        let mut report = RunReport {
            account_id: account.id.clone(),
            period: Period::of(self.now),
            approved: 0,
            payouts: 0,
            commissions_paid: 0,
            complete: false,
        };
        let resumed = position.is_some();
        let (approve_after, pay_after) = match position {
            None => (None, None),
            Some(RunPosition::Approve { after }) => (Some(after), None),
            Some(RunPosition::Pay {
                partner_id,
                currency,
            }) => (None, Some((partner_id, currency))),
        };
        let mut approved = Vec::new();
        if pay_after.is_none() {
            match approve::approve_due(store, account, approve_after, self).await? {
                approve::Approval::Done(done) => {
                    report.approved = done.count;
                    approved = done.payable;
                }
                approve::Approval::Stopped(stop) => {
                    report.approved = stop.approved;
                    if let Some(position) = &stop.at {
                        payout_runs::save(store, &account.id, position).await?;
                    }
                    return Ok(report);
                }
            }
        }
        let payment = pay::pay_due(store, account, pay_after, approved, self).await?;
        report.payouts = u32::try_from(payment.payouts.len()).unwrap_or(u32::MAX);
        report.commissions_paid = payment.commissions_paid;
        if payment.stopped {
            if let Some(position) = &payment.position {
                payout_runs::save(store, &account.id, position).await?;
            }
        } else {
            report.complete = true;
            if resumed {
                payout_runs::clear(store, &account.id).await?;
            }
        }
        Ok(report)
    }
}
