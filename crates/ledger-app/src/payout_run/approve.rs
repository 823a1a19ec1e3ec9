//! The run's first phase: approve the pending commissions whose holding
//! period is over. Flagged ones (self-referral, fraud suspicion) wait for a
//! person. Ids sort by creation time, so "created before the holding
//! period's end" is a key range of the pending partition; what is approved
//! leaves the partition, so a later run re-reads only the flagged ones.

use chrono::Duration;

use super::{PayoutRun, plan};
use ledger_core::model::{Account, Commission, Decision, EventType, Id};
use ledger_store::commissions::{self, Payable};
use ledger_store::payout_runs::RunPosition;
use ledger_store::{Store, StoreError, Walk, events, readable};

/// Transactions tried per chunk before its commissions are left for the
/// next run (each attempt drops the commissions someone else decided).
const ATTEMPTS: usize = 5;

/// How the approval phase ended.
pub(super) enum Approval {
    /// Everything due is approved.
    Done(Approved),
    /// The budget ran out.
    Stopped(Stop),
}

/// What the phase approved: how many commissions, and those of them that
/// are cash (the others wait for the merchant to fulfil them).
#[derive(Default)]
pub(super) struct Approved {
    pub count: u32,
    pub payable: Vec<Payable>,
}

impl Approved {
    fn add(&mut self, commissions: Vec<&Commission>) {
        self.count = self
            .count
            .saturating_add(u32::try_from(commissions.len()).unwrap_or(u32::MAX));
        self.payable.extend(plan::payable(commissions));
    }
}

pub(super) struct Stop {
    /// `None` when it stopped before looking at anything.
    pub at: Option<RunPosition>,
    pub approved: u32,
}

pub(super) async fn approve_due(
    store: &Store,
    account: &Account,
    after: Option<Id>,
    run: &PayoutRun<'_>,
) -> Result<Approval, StoreError> {
    let now = run.now;
    let hold_ends = now - Duration::days(i64::from(account.hold_days));
    let walk = Walk::pending_commissions(&account.id, after.as_ref(), hold_ends);
    let mut examined = after;
    let mut approved = Approved::default();
    let mut start = None;
    loop {
        if run.budget.exhausted() {
            return Ok(stopped(examined, &approved));
        }
        let page = store.walk(&walk, start).await?;
        let pending = page
            .items
            .into_iter()
            .filter_map(|item| readable(item, commissions::from_item))
            .collect::<Vec<Commission>>();
        // `examined` only passes a commission once everything before it is
        // approved or left alone on purpose.
        // Each transaction keeps an item for its approvals' events.
        let most = run.transaction_items - 1;
        for chunk in plan::approvals(&pending, account.hold_days, now, most) {
            if run.budget.exhausted() {
                return Ok(stopped(chunk.after.cloned().or(examined), &approved));
            }
            approved.add(approve_chunk(store, &account.id, &chunk.commissions, run).await?);
            examined = Some(chunk.through.clone());
        }
        if let Some(last) = pending.last() {
            examined = Some(last.id.clone());
        }
        start = page.next;
        if start.is_none() {
            return Ok(Approval::Done(approved));
        }
    }
}

fn stopped(examined: Option<Id>, approved: &Approved) -> Approval {
    Approval::Stopped(Stop {
        at: examined.map(|after| RunPosition::Approve { after }),
        approved: approved.count,
    })
}

/// Approves `chunk` in one transaction with their events; a commission
/// someone changed (decided, refunded, annotated) since the index showed it
/// fails its condition and is dropped before retrying.
async fn approve_chunk<'a>(
    store: &Store,
    account: &Id,
    chunk: &[&'a Commission],
    run: &PayoutRun<'_>,
) -> Result<Vec<&'a Commission>, StoreError> {
    let now = run.now;
    let approval = |c: &Commission| {
        let mut approved = c.clone();
        approved.decide(Decision::Approve, now).map(|_| approved)
    };
    let actor = run.actor();
    let written = store
        .transact_holding_recorded(
            chunk,
            ATTEMPTS,
            |c| match approval(c) {
                Ok(approved) => commissions::decided(store, account, c, &approved),
                Err(refused) => Err(StoreError::Corrupt(refused.to_string())),
            },
            |left| {
                let after = left
                    .iter()
                    .map(|c| approval(c).map_err(|e| StoreError::Corrupt(e.to_string())))
                    .collect::<Result<Vec<_>, _>>()?;
                let changes: Vec<_> = left.iter().map(|c| Some(**c)).zip(&after).collect();
                let approved = crate::events::of_commissions(
                    EventType::CommissionApproved,
                    account,
                    &actor,
                    now,
                    &changes,
                )
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                events::writes(store, account, &approved)
            },
        )
        .await;
    match written {
        Ok(approved) => Ok(approved.into_iter().copied().collect()),
        Err(e) if e.is_contention() => {
            tracing::warn!(
                commissions = chunk.len(),
                "commissions left pending after repeated conflicts; the next run approves them"
            );
            Ok(Vec::new())
        }
        Err(e) => Err(e),
    }
}
