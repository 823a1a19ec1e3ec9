//! Payouts as a person handles them: marking one paid (the money was sent)
//! or failed (sending it failed, so its commissions go back to the next
//! run), and starting the payout run by hand in the caller's account.

use std::time::{Duration, Instant};

use chrono::Utc;
use ledger_core::model::{EventType, Id, Payout, Settlement};
use ledger_core::views::payout::PayoutView;
use ledger_store::{Found, Store, payout_runs, payouts};

use crate::payout_run::{Budget, Deadline, PayoutRun, RunReport};
use crate::{Error, Session, contended, events};

/// The longest a run started by hand works, from the request's arrival: it
/// answers over API Gateway, whose integration timeout is 30 s.
const BY_HAND_MOST: Duration = Duration::from_secs(25);
/// Time a run started by hand keeps back for the write or read in flight
/// and the answer.
const BY_HAND_MARGIN: Duration = Duration::from_secs(3);

/// Marks payout `id` paid. Only a pending payout is settled; marking a paid
/// one paid again writes nothing.
pub async fn mark_paid(session: &impl Session, store: &Store, id: &Id) -> Result<Payout, Error> {
    let (_, payout) = settle(session, store, id, Settlement::Paid).await?;
    Ok(payout)
}

/// Marks payout `id` failed and hands its commissions back to the payable
/// ones. Only a pending payout is settled; marking a failed one failed
/// again hands back any commission an interrupted earlier call left.
pub async fn mark_failed(session: &impl Session, store: &Store, id: &Id) -> Result<Payout, Error> {
    let (account, payout) = settle(session, store, id, Settlement::Failed).await?;
    contended(|| async { Ok(payouts::release(store, &account, &payout, Utc::now()).await?) })
        .await?;
    Ok(payout)
}

/// Settles payout `id` as `outcome` (unless it already is), answering the
/// verified account's id and the payout.
async fn settle(
    session: &impl Session,
    store: &Store,
    id: &Id,
    outcome: Settlement,
) -> Result<(Id, Payout), Error> {
    contended(|| async {
        let (account, payout) = session
            .read(store, payouts::at(session.account_id(), id))
            .await?;
        let before = payout.found()?;
        let mut payout = before.clone();
        let changed = payout
            .settle(outcome, Utc::now())
            .map_err(|refused| Error::conflict("invalid_transition", refused.to_string()))?;
        if changed {
            let kind = match outcome {
                Settlement::Paid => EventType::PayoutPaid,
                Settlement::Failed => EventType::PayoutFailed,
            };
            let settled = events::of_changes(
                kind,
                &account.id,
                &session.actor(),
                payout.status_updated_at,
                &[(
                    Some(PayoutView::of(before.clone())),
                    PayoutView::of(payout.clone()),
                )],
            )?;
            let mut writes = vec![payouts::settle(store, &account.id, &before, &payout)?];
            writes.extend(ledger_store::events::writes(store, &account.id, &settled)?);
            store.transact(writes).await?;
        }
        Ok((account.id, payout))
    })
    .await
}

/// The budget of a run started by hand that `arrived` then: [`BY_HAND_MOST`]
/// from then, or the Lambda invocation's end (`invocation_left` from then)
/// if that is sooner, less [`BY_HAND_MARGIN`]. The run stops starting new
/// work then, reports `complete: false`, and the next run continues from
/// where it stopped.
pub fn by_hand_deadline(arrived: Instant, invocation_left: Option<Duration>) -> Deadline {
    Deadline::new(finish_by(arrived, invocation_left), BY_HAND_MARGIN)
}

/// When a run that starts `now` must be done: [`BY_HAND_MOST`] later, or
/// when the invocation ends (`invocation_left` from now) if that is sooner.
fn finish_by(now: Instant, invocation_left: Option<Duration>) -> Instant {
    let cap = now + BY_HAND_MOST;
    invocation_left.map_or(cap, |left| cap.min(now + left))
}

/// Runs the payout run in the caller's account now, from where an earlier
/// run stopped, until `budget` runs out. The position is read with the
/// caller's account, in the same request.
pub async fn run(
    session: &impl Session,
    store: &Store,
    budget: &dyn Budget,
) -> Result<RunReport, Error> {
    let (account, position) = session
        .read(store, payout_runs::at(session.account_id()))
        .await?;
    PayoutRun::new(Utc::now(), budget)
        .resume(store, &account, position)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_by_hand_ends_25_seconds_in_or_with_the_invocation_if_sooner() {
        let now = Instant::now();
        assert_eq!(finish_by(now, None), now + BY_HAND_MOST);
        assert_eq!(
            finish_by(now, Some(Duration::from_secs(900))),
            now + BY_HAND_MOST
        );
        assert_eq!(
            finish_by(now, Some(Duration::from_secs(10))),
            now + Duration::from_secs(10)
        );
    }
}
