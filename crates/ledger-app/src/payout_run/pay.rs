//! The run's second phase: per partner and currency, the approved unpaid
//! commissions (clawbacks netted) go into the period's payout when their
//! sum, with what the payout already holds, reaches the account's
//! `min_payout`. Smaller balances, and negative ones, wait for a later run.
//!
//! The payable commissions are read partner by partner from their index
//! partition, a batch of partners at a time; for each batch the phase reads
//! the payouts and partners, plans (`plan::payouts`), packs the plan into
//! transactions (`pack`) and writes them. Each transaction (at most 100
//! items, several partners' worth) opens or grows payouts and marks their
//! commissions paid together, so a payout always equals the sum of the
//! commissions it holds. A transaction that loses a race (a refund, a
//! person, another run) is planned again from a fresh read of its partners'
//! commissions.

use std::collections::{HashMap, HashSet};

use aws_sdk_dynamodb::types::TransactWriteItem;

use super::PayoutRun;
use super::pack::{self, Transaction, Write};
use super::plan::{self, Group, GroupKey, Payees, PayoutPlan};
use ledger_core::model::{
    Account, Commission, CommissionStatus, EventType, Id, PayoutSlot, PayoutState, PayoutStatus,
    Period,
};
use ledger_core::views::payout::PayoutView;
use ledger_store::commissions::{self, Payable};
use ledger_store::payout_runs::RunPosition;
use ledger_store::{Item, Key, Store, StoreError, Walk, partners, payouts, readable};

/// Partners settled together: their payouts and partners fill one BatchGetItem.
const BATCH: usize = 50;
/// Items each transaction keeps for its events: one for the payouts it
/// opens (`payout.created`), one for the commissions it pays
/// (`commission.paid`).
pub(super) const EVENT_ITEMS: usize = 2;
/// The most event text one transaction carries, within DynamoDB's 4 MB a
/// transaction.
const MAX_EVENT_TEXT: usize = 3_000_000;
/// Plans tried for a batch before what is left waits for the next run.
const ATTEMPTS: usize = 5;

/// What the pay phase did, and where it stopped if the budget ran out.
#[derive(Debug, Default)]
pub(super) struct Payment {
    /// The payouts it opened or added to.
    pub payouts: HashSet<Id>,
    pub commissions_paid: u32,
    pub stopped: bool,
    /// Every partner and currency up to here is settled.
    pub position: Option<RunPosition>,
}

impl Payment {
    fn settled_through(&mut self, (partner_id, currency): &GroupKey) {
        self.position = Some(RunPosition::Pay {
            partner_id: partner_id.clone(),
            currency: *currency,
        });
    }
}

pub(super) async fn pay_due(
    store: &Store,
    account: &Account,
    after: Option<GroupKey>,
    approved: Vec<Payable>,
    run: &PayoutRun<'_>,
) -> Result<Payment, StoreError> {
    let mut payment = Payment::default();
    if let Some(after) = &after {
        payment.settled_through(after);
    }
    // Just approved: the index may not show them yet (GSIs are eventually
    // consistent), so they join their groups from here.
    let mut fresh = plan::by_group(approved, after.as_ref());
    let walk = Walk::payable_commissions(&account.id, after.as_ref().map(|(p, c)| (p, c.code())));
    let mut open: Option<Group> = None;
    let mut start = None;
    loop {
        if run.budget.exhausted() {
            payment.stopped = true;
            return Ok(payment);
        }
        let page = store.walk(&walk, start).await?;
        let mut complete = Vec::new();
        for commission in page
            .items
            .into_iter()
            .filter_map(|item| readable(item, Payable::from_index_item))
        {
            let key = (commission.partner_id.clone(), commission.currency);
            match &mut open {
                Some(group) if group.key == key => group.commissions.push(commission),
                _ => {
                    complete.extend(open.replace(Group {
                        key,
                        commissions: vec![commission],
                    }));
                }
            }
        }
        start = page.next;
        let finished = start.is_none();
        if finished {
            complete.extend(open.take());
        }
        let through = if finished {
            None
        } else {
            complete.last().map(|g| g.key.clone())
        };
        let groups = plan::merge(
            complete,
            plan::take_through(&mut fresh, through.as_ref(), finished),
        );
        for batch in groups.chunks(BATCH) {
            settle(store, account, batch, run, &mut payment).await?;
            if payment.stopped {
                return Ok(payment);
            }
        }
        if finished {
            return Ok(payment);
        }
    }
}

/// Settles `batch`: plans its transactions, runs them in order, and plans
/// again from fresh reads what a lost race left.
async fn settle(
    store: &Store,
    account: &Account,
    batch: &[Group],
    run: &PayoutRun<'_>,
    payment: &mut Payment,
) -> Result<(), StoreError> {
    let mut left = batch.to_vec();
    for _ in 0..ATTEMPTS {
        let payees = payees(store, &account.id, &left, Period::of(run.now)).await?;
        let plan = plan::payouts(account, &left, &payees, run.now);
        for (partner, currency) in &plan.beyond_range {
            tracing::error!(account = %account.id, %partner, %currency,
                "payable balance beyond the decimal range: left unpaid");
        }
        let read = paid_as_read(store, &account.id, &plan.payouts).await?;
        let (transactions, writes) = packed(store, &account.id, &plan.payouts, &read, run)?;
        let mut lost = None;
        for (transaction, writes) in transactions.into_iter().zip(writes) {
            if run.budget.exhausted() {
                payment.stopped = true;
                return Ok(());
            }
            match store.transact(writes).await {
                Ok(()) => {
                    payment.payouts.extend(transaction.payouts);
                    payment.commissions_paid += transaction.commissions;
                    if let Some(key) = transaction.completes.last() {
                        payment.settled_through(key);
                    }
                }
                Err(e) if e.is_contention() => {
                    lost = Some(transaction.groups);
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        let Some(groups) = lost else {
            if let Some(last) = batch.last() {
                payment.settled_through(&last.key);
            }
            return Ok(());
        };
        let retry: HashSet<GroupKey> = groups.into_iter().collect();
        let first = left
            .iter()
            .position(|g| retry.contains(&g.key))
            .unwrap_or(0);
        left = refresh(store, &account.id, left.split_off(first)).await?;
    }
    tracing::warn!(
        partners = left.len(),
        "payable commissions left after repeated conflicts; the next run pays them"
    );
    if let Some(last) = batch.last() {
        payment.settled_through(&last.key);
    }
    Ok(())
}

/// Re-reads the commissions of `groups` (strongly consistent) and keeps
/// those still payable, with their current amounts.
async fn refresh(
    store: &Store,
    account: &Id,
    groups: Vec<Group>,
) -> Result<Vec<Group>, StoreError> {
    let keys: Vec<Key> = groups
        .iter()
        .flat_map(|g| &g.commissions)
        .map(|c| Key::commission(account, &c.id))
        .collect();
    let mut payable: HashMap<GroupKey, Vec<Payable>> = HashMap::new();
    for item in store.get_many(&keys.iter().collect::<Vec<_>>()).await? {
        let Some(commission) = item.and_then(|item| readable(item, commissions::from_item)) else {
            continue;
        };
        if commission.status == CommissionStatus::Approved
            && commission.payout_status == PayoutStatus::NotPaid
        {
            let key = (commission.partner_id.clone(), commission.currency);
            payable
                .entry(key)
                .or_default()
                .push(Payable::of(&commission));
        }
    }
    Ok(groups
        .into_iter()
        .map(|g| Group {
            commissions: payable.remove(&g.key).unwrap_or_default(),
            key: g.key,
        })
        .collect())
}

/// The commissions `plan` pays, as they are now (strongly consistent): what
/// their `commission.paid` events show, and what each payment's condition
/// holds them to.
async fn paid_as_read(
    store: &Store,
    account: &Id,
    plan: &[PayoutPlan<'_>],
) -> Result<HashMap<Id, Commission>, StoreError> {
    let keys: Vec<Key> = plan
        .iter()
        .flat_map(|p| &p.commissions)
        .map(|c| Key::commission(account, &c.id))
        .collect();
    let mut read = HashMap::with_capacity(keys.len());
    for item in store.get_many(&keys.iter().collect::<Vec<_>>()).await? {
        if let Some(commission) = item.and_then(|item| readable(item, commissions::from_item)) {
            read.insert(commission.id.clone(), commission);
        }
    }
    Ok(read)
}

/// `plan` packed into transactions with their writes: as many commissions
/// a transaction as DynamoDB's limits take with the events they make
/// (packed again, smaller, while one's events outgrow them).
fn packed<'a>(
    store: &Store,
    account: &Id,
    plan: &'a [PayoutPlan<'a>],
    read: &HashMap<Id, Commission>,
    run: &PayoutRun<'_>,
) -> Result<(Vec<Transaction<'a>>, Vec<Vec<TransactWriteItem>>), StoreError> {
    let mut most = run.transaction_items - EVENT_ITEMS;
    loop {
        let transactions = pack::transactions(plan, run.now, most);
        let mut all = Vec::with_capacity(transactions.len());
        let mut fit = true;
        for transaction in &transactions {
            let (writes, text) = writes(store, account, transaction, read, run)?;
            fit &= writes.len() <= run.transaction_items && text <= MAX_EVENT_TEXT;
            all.push(writes);
        }
        if fit || most <= PayoutRun::MIN_TRANSACTION_ITEMS - EVENT_ITEMS {
            return Ok((transactions, all));
        }
        most = (most / 2).max(PayoutRun::MIN_TRANSACTION_ITEMS - EVENT_ITEMS);
    }
}

/// The store's conditional writes of `transaction`, its tallies and then
/// its events last; and the length of its events' text.
fn writes(
    store: &Store,
    account: &Id,
    transaction: &Transaction<'_>,
    read: &HashMap<Id, Commission>,
    run: &PayoutRun<'_>,
) -> Result<(Vec<TransactWriteItem>, usize), StoreError> {
    let now = run.now;
    let mut writes = Vec::with_capacity(transaction.items() + EVENT_ITEMS);
    let (mut opened, mut paid) = (Vec::new(), Vec::new());
    for write in &transaction.writes {
        writes.push(match write {
            Write::Open(payout) => {
                opened.push((None, PayoutView::of(payout.clone())));
                payouts::open(store, account, payout)?
            }
            Write::Extend {
                before,
                amount,
                count,
            } => payouts::extend(store, account, before, *amount, *count, now)?,
            Write::Pay { commission, payout } => {
                let before = read.get(&commission.id).ok_or_else(|| {
                    StoreError::Corrupt(format!("payable commission {} not found", commission.id))
                })?;
                let mut after = before.clone();
                after.payout_status = PayoutStatus::Paid;
                after.payout_id = Some(payout.clone());
                after.updated_at = now;
                let write = commissions::pay(store, account, commission, before, payout, now)?;
                paid.push((before, after));
                write
            }
        });
    }
    // The payouts lists' tallies are single items, so a transaction's
    // payouts add to each in one write.
    for (tally, delta) in &transaction.tallies {
        writes.push(store.increment(&Key::tally(account, tally, 0), *delta)?);
    }
    let story = |e: crate::Error| StoreError::Corrupt(e.to_string());
    let actor = run.actor();
    let mut events =
        crate::events::of_changes(EventType::PayoutCreated, account, &actor, now, &opened)
            .map_err(story)?;
    let paid: Vec<_> = paid.iter().map(|(b, a)| (Some(*b), a)).collect();
    events.extend(
        crate::events::of_commissions(EventType::CommissionPaid, account, &actor, now, &paid)
            .map_err(story)?,
    );
    let text = events.iter().map(|e| e.canonical().len()).sum();
    writes.extend(ledger_store::events::writes(store, account, &events)?);
    Ok((writes, text))
}

/// For each group, the slot its commissions go to this period and the
/// pending payout already in it, if any; and the groups' partners. One
/// BatchGetItem, and one more for the groups whose payout of the period
/// was settled already (and so on, attempt by attempt).
async fn payees(
    store: &Store,
    account: &Id,
    groups: &[Group],
    period: Period,
) -> Result<Payees, StoreError> {
    let mut payees = Payees::default();
    let mut unresolved: Vec<(GroupKey, PayoutSlot)> = groups
        .iter()
        .map(|g| {
            let slot = PayoutSlot {
                partner_id: g.key.0.clone(),
                currency: g.key.1,
                period,
                attempt: 0,
            };
            (g.key.clone(), slot)
        })
        .collect();
    while !unresolved.is_empty() {
        let mut keys = Vec::new();
        for (key, slot) in &unresolved {
            keys.push(Key::payout(account, &slot.payout_id(account)));
            if !payees.partners.contains_key(&key.0) {
                keys.push(Key::partner(account, &key.0));
            }
        }
        let items = store.get_many(&keys.iter().collect::<Vec<_>>()).await?;
        let mut found: HashMap<Key, Option<Item>> = keys.into_iter().zip(items).collect();
        let mut next = Vec::new();
        for (key, slot) in unresolved {
            if let Some(Some(item)) = found.remove(&Key::partner(account, &key.0)) {
                payees
                    .partners
                    .insert(key.0.clone(), partners::from_item(item)?);
            }
            let payout = found
                .remove(&Key::payout(account, &slot.payout_id(account)))
                .flatten()
                .map(payouts::from_item)
                .transpose()?;
            match payout {
                Some(p) if p.status != PayoutState::Pending => next.push((key, slot.next())),
                payout => {
                    payees.slots.insert(key, (slot, payout));
                }
            }
        }
        unresolved = next;
    }
    Ok(payees)
}
