//! The run's second phase: per partner and currency, the approved unpaid
//! commissions (clawbacks netted) go into the period's payout when their
//! sum, with what the payout already holds, reaches the account's
//! `min_payout`. Smaller balances, and negative ones, wait for a later run.
//!
//! The payable commissions are read partner by partner from their index
//! partition. Each transaction (at most 100 items, several partners' worth)
//! opens or grows payouts and marks their commissions paid together, so a
//! payout always equals the sum of the commissions it holds. A transaction
//! that loses a race (a refund, a person, another run) is planned again
//! from a fresh read of its partners' commissions.

use std::collections::{BTreeMap, HashMap, HashSet};

use aws_sdk_dynamodb::types::TransactWriteItem;
use rust_decimal::Decimal;

use super::PayoutRun;
use ledger_core::model::{
    Account, CommissionStatus, Id, Partner, Payout, PayoutSlot, PayoutState, PayoutStatus, Period,
};
use ledger_core::money::Currency;
use ledger_store::commissions::{self, Payable};
use ledger_store::payout_runs::RunPosition;
use ledger_store::{Item, Key, Store, StoreError, Tally, Walk, partners, payouts, readable};

/// Partners settled together: their payouts and partners fill one BatchGetItem.
const BATCH: usize = 50;
/// Plans tried for a batch before what is left waits for the next run.
const ATTEMPTS: usize = 5;

/// A partner's payable commissions in one currency.
type GroupKey = (Id, Currency);

#[derive(Clone, Debug)]
struct Group {
    key: GroupKey,
    commissions: Vec<Payable>,
}

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
    let mut fresh: BTreeMap<GroupKey, Vec<Payable>> = BTreeMap::new();
    for commission in approved {
        let key = (commission.partner_id.clone(), commission.currency);
        if after.as_ref().is_none_or(|after| &key > after) {
            fresh.entry(key).or_default().push(commission);
        }
    }
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
        let groups = merge(
            complete,
            take_through(&mut fresh, through.as_ref(), finished),
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

/// The freshly approved groups up to `through` (all of them once the walk
/// is `finished`).
fn take_through(
    fresh: &mut BTreeMap<GroupKey, Vec<Payable>>,
    through: Option<&GroupKey>,
    finished: bool,
) -> Vec<Group> {
    let keys: Vec<GroupKey> = fresh
        .keys()
        .filter(|key| finished || through.is_some_and(|through| *key <= through))
        .cloned()
        .collect();
    keys.into_iter()
        .filter_map(|key| {
            let commissions = fresh.remove(&key)?;
            Some(Group { key, commissions })
        })
        .collect()
}

/// The walked groups and the freshly approved ones, in key order, each
/// commission once.
fn merge(walked: Vec<Group>, fresh: Vec<Group>) -> Vec<Group> {
    let mut merged: BTreeMap<GroupKey, (HashSet<Id>, Vec<Payable>)> = BTreeMap::new();
    for group in walked.into_iter().chain(fresh) {
        let (seen, commissions) = merged.entry(group.key).or_default();
        for commission in group.commissions {
            if seen.insert(commission.id.clone()) {
                commissions.push(commission);
            }
        }
    }
    merged
        .into_iter()
        .map(|(key, (_, commissions))| Group { key, commissions })
        .collect()
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
        let plan = plan(store, account, &left, run).await?;
        let mut lost = None;
        for transaction in plan {
            if run.budget.exhausted() {
                payment.stopped = true;
                return Ok(());
            }
            match store.transact(transaction.writes).await {
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

/// One planned transaction.
#[derive(Default)]
struct Transaction {
    writes: Vec<TransactWriteItem>,
    /// What the payouts it opens add to their list tallies: one write per
    /// tally, however many payouts it opens.
    tallies: BTreeMap<Tally, i64>,
    /// The groups it pays (some only in part).
    groups: Vec<GroupKey>,
    /// The groups whose last commissions it pays.
    completes: Vec<GroupKey>,
    payouts: Vec<Id>,
    commissions: u32,
}

impl Transaction {
    fn items(&self) -> usize {
        self.writes.len() + self.tallies.len()
    }

    /// The tallies that `opened` adds to and this transaction does not
    /// count yet.
    fn new_tallies(&self, opened: Option<&Payout>) -> usize {
        opened.map_or(0, |p| {
            payouts::lists(p)
                .iter()
                .filter(|t| !self.tallies.contains_key(t))
                .count()
        })
    }

    /// The writes, tallies included.
    fn finish(mut self, store: &Store, account: &Id) -> Result<Self, StoreError> {
        for (tally, delta) in std::mem::take(&mut self.tallies) {
            self.writes
                .push(store.increment(&Key::tally(account, &tally), delta)?);
        }
        Ok(self)
    }
}

/// The payout's amount plus `commissions`, checked: `None` when it, or
/// any partial sum of it (a payout filled over several transactions), could
/// leave `Decimal`'s range. Bounded inputs keep this far away; stored
/// values are checked all the same. Once it is `Some`, every partial sum
/// fits, since none exceeds the sum of the magnitudes.
fn checked_total(existing: Option<&Payout>, commissions: &[Payable]) -> Option<Decimal> {
    let start = existing.map_or(Decimal::ZERO, |p| p.amount);
    let amounts = || commissions.iter().map(|c| c.amount);
    amounts().try_fold(start.abs(), |sum, amount| sum.checked_add(amount.abs()))?;
    amounts().try_fold(start, Decimal::checked_add)
}

/// The transactions that pay `groups`, in key order.
async fn plan(
    store: &Store,
    account: &Account,
    groups: &[Group],
    run: &PayoutRun<'_>,
) -> Result<Vec<Transaction>, StoreError> {
    let (now, max_items) = (run.now, run.transaction_items);
    let period = Period::of(now);
    let (partners, payouts) = open_payouts(store, &account.id, groups, period).await?;
    let mut planned: Vec<Transaction> = Vec::new();
    let mut current = Transaction::default();
    for group in groups {
        let (slot, existing) = &payouts[&group.key];
        let Some(total) = checked_total(existing.as_ref(), &group.commissions) else {
            tracing::error!(account = %account.id, partner = %group.key.0, currency = %group.key.1,
                "payable balance beyond the decimal range: left unpaid");
            continue;
        };
        let Some(partner) = partners.get(&group.key.0) else {
            continue;
        };
        if group.commissions.is_empty() || total <= Decimal::ZERO || total < account.min_payout {
            continue;
        }
        // What the partner earned first, clawbacks last: a payout filled in
        // several transactions never shows less than it will hold.
        let mut commissions: Vec<&Payable> = group.commissions.iter().collect();
        commissions.sort_by(|a, b| b.amount.cmp(&a.amount).then_with(|| a.id.cmp(&b.id)));
        let mut payout = existing.clone();
        let mut rest = commissions.as_slice();
        while !rest.is_empty() {
            let opening = payout
                .is_none()
                .then(|| Payout::open(&account.id, slot, partner, now));
            if current.items() + 1 + current.new_tallies(opening.as_ref()) + 1 > max_items {
                planned.push(std::mem::take(&mut current).finish(store, &account.id)?);
            }
            let room = max_items - current.items() - 1 - current.new_tallies(opening.as_ref());
            let (chunk, remaining) = rest.split_at(room.min(rest.len()));
            rest = remaining;
            let amount: Decimal = chunk.iter().map(|c| c.amount).sum();
            let count = u32::try_from(chunk.len()).unwrap_or(u32::MAX);
            let filled = match (payout.take(), opening) {
                (Some(before), _) => {
                    current.writes.push(payouts::extend(
                        store,
                        &account.id,
                        &before,
                        amount,
                        count,
                        now,
                    )?);
                    Payout {
                        amount: before.amount + amount,
                        payment_count: before.payment_count + count,
                        updated_at: now,
                        ..before
                    }
                }
                (None, opening) => {
                    let mut opened = opening.expect("a payout is opened when none exists");
                    opened.amount = amount;
                    opened.payment_count = count;
                    current
                        .writes
                        .push(payouts::open(store, &account.id, &opened)?);
                    for tally in payouts::lists(&opened) {
                        *current.tallies.entry(tally).or_default() += 1;
                    }
                    opened
                }
            };
            for commission in chunk {
                current.writes.push(commissions::pay(
                    store,
                    &account.id,
                    commission,
                    &filled.id,
                    now,
                )?);
            }
            current.groups.push(group.key.clone());
            if rest.is_empty() {
                current.completes.push(group.key.clone());
            }
            current.payouts.push(filled.id.clone());
            current.commissions += count;
            payout = Some(filled);
        }
    }
    if !current.writes.is_empty() {
        planned.push(current.finish(store, &account.id)?);
    }
    Ok(planned)
}

/// For each group, the slot its commissions go to this period and the
/// pending payout already in it, if any; and the groups' partners.
async fn open_payouts(
    store: &Store,
    account: &Id,
    groups: &[Group],
    period: Period,
) -> Result<
    (
        HashMap<Id, Partner>,
        HashMap<GroupKey, (PayoutSlot, Option<Payout>)>,
    ),
    StoreError,
> {
    let mut partners = HashMap::new();
    let mut resolved = HashMap::new();
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
            if !partners.contains_key(&key.0) {
                keys.push(Key::partner(account, &key.0));
            }
        }
        let items = store.get_many(&keys.iter().collect::<Vec<_>>()).await?;
        let mut found: HashMap<Key, Option<Item>> = keys.into_iter().zip(items).collect();
        let mut next = Vec::new();
        for (key, slot) in unresolved {
            if let Some(Some(item)) = found.remove(&Key::partner(account, &key.0)) {
                partners.insert(key.0.clone(), partners::from_item(item)?);
            }
            let payout = found
                .remove(&Key::payout(account, &slot.payout_id(account)))
                .flatten()
                .map(payouts::from_item)
                .transpose()?;
            match payout {
                Some(p) if p.status != PayoutState::Pending => next.push((key, slot.next())),
                payout => {
                    resolved.insert(key, (slot, payout));
                }
            }
        }
        unresolved = next;
    }
    Ok((partners, resolved))
}
