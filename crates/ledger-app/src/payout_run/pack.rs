//! Packing a plan's payouts into transactions of at most `max_items` items,
//! several partners' worth each: a payout's opening (or growth) travels
//! with the commissions it counts, so a payout always equals the sum of
//! what it holds, and a payout too large for one transaction is filled
//! over several, each growing it from the amount and count the one before
//! left. Pure, like the plan: the pay phase turns each [`Write`] into the
//! store's conditional write.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::plan::{GroupKey, PayoutPlan};
use ledger_core::model::{Id, Payout};
use ledger_store::commissions::Payable;
use ledger_store::{Tally, payouts};

/// One write of a transaction.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Write<'a> {
    /// Create the payout, holding its first commissions' sum and count.
    Open(Payout),
    /// Add `amount` and `count` commissions to the pending payout `before`,
    /// provided it still is what the plan started from.
    Extend {
        before: Payout,
        amount: Decimal,
        count: u32,
    },
    /// Put the commission into the payout.
    Pay { commission: &'a Payable, payout: Id },
}

/// One transaction.
#[derive(Debug, Default)]
pub(super) struct Transaction<'a> {
    pub writes: Vec<Write<'a>>,
    /// What the payouts it opens add to their list tallies: one write per
    /// tally, however many payouts it opens.
    pub tallies: BTreeMap<Tally, i64>,
    /// The groups it pays (some only in part).
    pub groups: Vec<GroupKey>,
    /// The groups whose last commissions it pays.
    pub completes: Vec<GroupKey>,
    pub payouts: Vec<Id>,
    pub commissions: u32,
}

impl Transaction<'_> {
    /// Its items, tallies included.
    pub fn items(&self) -> usize {
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
}

/// The transactions that pay `plan` at `now`, in its order, each of at
/// most `max_items` items (at least 4: a payout's opening, one commission
/// and the two tallies it adds to).
pub(super) fn transactions<'a>(
    plan: &[PayoutPlan<'a>],
    now: DateTime<Utc>,
    max_items: usize,
) -> Vec<Transaction<'a>> {
    let mut packed = Vec::new();
    let mut current = Transaction::default();
    for planned in plan {
        let mut payout = (!planned.opens).then(|| planned.payout.clone());
        let mut rest = planned.commissions.as_slice();
        while !rest.is_empty() {
            let opening = payout.is_none().then_some(&planned.payout);
            if current.items() + 1 + current.new_tallies(opening) + 1 > max_items {
                packed.push(std::mem::take(&mut current));
            }
            let room = max_items - current.items() - 1 - current.new_tallies(opening);
            let (chunk, remaining) = rest.split_at(room.min(rest.len()));
            rest = remaining;
            let amount: Decimal = chunk.iter().map(|c| c.amount).sum();
            let count = u32::try_from(chunk.len()).unwrap_or(u32::MAX);
            let filled = match payout.take() {
                Some(before) => {
                    let grown = Payout {
                        amount: before.amount + amount,
                        payment_count: before.payment_count + count,
                        updated_at: now,
                        ..before.clone()
                    };
                    current.writes.push(Write::Extend {
                        before,
                        amount,
                        count,
                    });
                    grown
                }
                None => {
                    let mut opened = planned.payout.clone();
                    opened.amount = amount;
                    opened.payment_count = count;
                    for tally in payouts::lists(&opened) {
                        *current.tallies.entry(tally).or_default() += 1;
                    }
                    current.writes.push(Write::Open(opened.clone()));
                    opened
                }
            };
            for commission in chunk {
                current.writes.push(Write::Pay {
                    commission,
                    payout: filled.id.clone(),
                });
            }
            current.groups.push(planned.group.clone());
            if rest.is_empty() {
                current.completes.push(planned.group.clone());
            }
            current.payouts.push(filled.id.clone());
            current.commissions += count;
            payout = Some(filled);
        }
    }
    if !current.writes.is_empty() {
        packed.push(current);
    }
    packed
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use proptest::prelude::*;

    use super::*;
    use crate::payout_run::PayoutRun;
    use crate::payout_run::books::{self, Books};
    use crate::payout_run::plan::payouts as plan_payouts;

    proptest! {
        /// Every transaction fits DynamoDB's limit (and `max_items`), and
        /// none is empty. Each payout's writes chain: it is opened once (or
        /// grown from what was read), and every later write grows it from
        /// exactly what the one before left, so the conditions hold in
        /// order. It ends holding its plan's total and count, never shows a
        /// negative amount on the way, and holds only its own partner's
        /// commissions in its currency, each once in the whole run; the
        /// run's payouts add what the commissions they pay add up to (money
        /// is conserved).
        #[test]
        fn transactions_fit_and_fill_each_payout_exactly(
            books in books::books(),
            max_items in PayoutRun::MIN_TRANSACTION_ITEMS..=PayoutRun::MAX_TRANSACTION_ITEMS,
        ) {
            let now = books::now();
            let plan = plan_payouts(&books.account, &books.groups, &books.payees, now);
            let packed = transactions(&plan.payouts, now, max_items);
            let planned: HashMap<&Id, &PayoutPlan> = plan.payouts.iter().map(|p| (&p.payout.id, p)).collect();
            let mut state: HashMap<Id, Payout> = HashMap::new();
            let mut paid = HashSet::new();
            let (mut added, mut commissions_paid) = (Decimal::ZERO, Decimal::ZERO);
            for transaction in &packed {
                prop_assert!(transaction.items() <= max_items, "{} items", transaction.items());
                prop_assert!(!transaction.writes.is_empty());
                let mut written = HashSet::new();
                let mut count = 0;
                for write in &transaction.writes {
                    match write {
                        Write::Open(payout) => {
                            let plan = planned[&payout.id];
                            prop_assert!(plan.opens && !state.contains_key(&payout.id), "opened once");
                            prop_assert!(payout.payment_count > 0, "opened with its first commissions");
                            added += payout.amount;
                            written.insert(&payout.id);
                            state.insert(payout.id.clone(), payout.clone());
                        }
                        Write::Extend { before, amount, count } => {
                            let plan = planned[&before.id];
                            let expected = state.get(&before.id).unwrap_or(&plan.payout);
                            prop_assert!(!plan.opens || state.contains_key(&before.id));
                            prop_assert!(*count > 0, "grown by commissions");
                            prop_assert_eq!((before.amount, before.payment_count), (expected.amount, expected.payment_count));
                            added += *amount;
                            written.insert(&before.id);
                            let grown = Payout { amount: before.amount + amount, payment_count: before.payment_count + count, ..before.clone() };
                            state.insert(before.id.clone(), grown);
                        }
                        Write::Pay { commission, payout } => {
                            let plan = planned[payout];
                            prop_assert!(written.contains(payout), "paid into a payout the transaction opens or grows");
                            prop_assert_eq!((&commission.partner_id, commission.currency), (&plan.payout.partner_id, plan.payout.currency));
                            prop_assert!(paid.insert(commission.id.clone()), "{} paid twice", commission.id);
                            commissions_paid += commission.amount;
                            count += 1;
                        }
                    }
                }
                prop_assert_eq!(transaction.commissions, count);
                for payout in written.iter().map(|id| &state[*id]) {
                    prop_assert!(payout.amount > Decimal::ZERO, "{} shows {}", payout.id, payout.amount);
                }
            }
            prop_assert_eq!(added, commissions_paid, "money is conserved");
            prop_assert_eq!(state.len(), plan.payouts.len());
            for plan in &plan.payouts {
                let payout = &state[&plan.payout.id];
                prop_assert_eq!(payout.amount, books::total(plan));
                prop_assert_eq!(payout.payment_count as usize, plan.payout.payment_count as usize + plan.commissions.len());
            }
            let planned_commissions: usize = plan.payouts.iter().map(|p| p.commissions.len()).sum();
            prop_assert_eq!(paid.len(), planned_commissions);
        }

        /// What each transaction reports is what it writes: the payouts it
        /// opens or grows and their groups, in order; the groups it pays
        /// the last commissions of (each group once in the run); the list
        /// tallies, once each, raised by the payouts it opens. And it was
        /// closed only when the next payout's write, with one commission
        /// and the tallies it would add, did not fit: transactions are full.
        #[test]
        fn transactions_report_what_they_write_and_are_full(
            books in books::books(),
            max_items in PayoutRun::MIN_TRANSACTION_ITEMS..=PayoutRun::MAX_TRANSACTION_ITEMS,
        ) {
            let now = books::now();
            let plan = plan_payouts(&books.account, &books.groups, &books.payees, now);
            let packed = transactions(&plan.payouts, now, max_items);
            let group_of: HashMap<&Id, &GroupKey> = plan.payouts.iter().map(|p| (&p.payout.id, p.group)).collect();
            let last_paid_in: HashMap<&GroupKey, usize> = packed
                .iter()
                .enumerate()
                .flat_map(|(index, t)| t.writes.iter().filter_map(move |w| match w {
                    Write::Pay { payout, .. } => Some((payout, index)),
                    _ => None,
                }))
                .map(|(payout, index)| (group_of[payout], index))
                .collect();
            let mut completed = Vec::new();
            for (index, transaction) in packed.iter().enumerate() {
                let mut payouts = Vec::new();
                let mut tallies = BTreeMap::new();
                for write in &transaction.writes {
                    match write {
                        Write::Open(payout) => {
                            payouts.push(payout.id.clone());
                            for tally in [Tally::payouts(None), Tally::payouts(Some(&payout.partner_id))] {
                                *tallies.entry(tally).or_insert(0) += 1;
                            }
                        }
                        Write::Extend { before, .. } => payouts.push(before.id.clone()),
                        Write::Pay { .. } => {}
                    }
                }
                let groups: Vec<GroupKey> = payouts.iter().map(|id| group_of[id].clone()).collect();
                prop_assert_eq!(&transaction.payouts, &payouts);
                prop_assert_eq!(&transaction.groups, &groups);
                prop_assert_eq!(&transaction.tallies, &tallies);
                for group in &transaction.completes {
                    prop_assert_eq!(last_paid_in[group], index, "{:?} completes where its last commission is paid", group);
                    completed.push(group.clone());
                }
                if let Some(next) = packed.get(index + 1) {
                    let needs = match &next.writes[0] {
                        Write::Open(payout) => 2 + [Tally::payouts(None), Tally::payouts(Some(&payout.partner_id))]
                            .iter()
                            .filter(|t| !transaction.tallies.contains_key(t))
                            .count(),
                        _ => 2,
                    };
                    prop_assert!(transaction.items() + needs > max_items, "{} items closed with room for {}", transaction.items(), needs);
                }
            }
            let planned: Vec<GroupKey> = plan.payouts.iter().map(|p| p.group.clone()).collect();
            prop_assert_eq!(completed, planned, "each group completes once, in the plan's order");
        }
    }

    /// Two new payouts of one commission each are seven items together:
    /// each opening, its commission and its partner's tally, and the
    /// account's tally once.
    #[test]
    fn new_payouts_share_a_transaction_and_the_accounts_tally() {
        let books = Books::earned(&[&[Decimal::TEN], &[Decimal::ONE]]);
        let plan = plan_payouts(&books.account, &books.groups, &books.payees, books::now());
        let packed = transactions(&plan.payouts, books::now(), 7);
        assert_eq!(packed.len(), 1);
        assert_eq!(packed[0].items(), 7);
        assert_eq!(packed[0].tallies[&Tally::payouts(None)], 2);
        assert_eq!(transactions(&plan.payouts, books::now(), 6).len(), 2);
    }
}
