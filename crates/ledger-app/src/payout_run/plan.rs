//! What the payout run decides, as pure functions of what it read and of
//! when it runs (`now` is passed in; nothing here reads the store or the
//! clock): which pending commissions are due and in which chunks they are
//! approved, which approved ones are payable cash, how the payable
//! commissions group per partner and currency (each commission once), and
//! which groups are paid into which payout, of how much. [`super::pack`]
//! then packs the payments into transactions, and the phases write them.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use ledger_core::model::{Account, Commission, Id, Partner, Payout, PayoutSlot};
use ledger_core::money::Currency;
use ledger_store::commissions::Payable;

/// A partner and a currency: what one payout pays.
pub(super) type GroupKey = (Id, Currency);

/// A partner's payable commissions in one currency.
#[derive(Clone, Debug)]
pub(super) struct Group {
    pub key: GroupKey,
    pub commissions: Vec<Payable>,
}

/// Due commissions approved together, in one transaction.
#[derive(Debug)]
pub(super) struct ApprovalChunk<'a> {
    /// The commission just before the chunk's first one (`None`: the chunk
    /// starts the page): everything up to it was looked at before the
    /// chunk is written.
    pub after: Option<&'a Id>,
    pub commissions: Vec<&'a Commission>,
    /// The commission the chunk is written at: once it is, everything up
    /// to this one was looked at.
    pub through: &'a Id,
}

/// The due commissions of `pending` (a page of the pending partition, in
/// id order) in chunks of at most `max` (at least 1): those not flagged
/// whose holding period of `hold_days` is over at `now`.
pub(super) fn approvals(
    pending: &[Commission],
    hold_days: u32,
    now: DateTime<Utc>,
    max: usize,
) -> Vec<ApprovalChunk<'_>> {
    let mut chunks = Vec::new();
    let mut chunk = Vec::new();
    let mut after = None;
    for (index, commission) in pending.iter().enumerate() {
        if commission
            .review()
            .auto_approvable(commission.created_at, hold_days, now)
        {
            chunk.push(commission);
        }
        let last = index + 1 == pending.len();
        if chunk.len() == max || (last && !chunk.is_empty()) {
            chunks.push(ApprovalChunk {
                after,
                commissions: std::mem::take(&mut chunk),
                through: &commission.id,
            });
        }
        if chunk.is_empty() {
            after = Some(&commission.id);
        }
    }
    chunks
}

/// What of `approved` a payout pays: the cash. Other units (credits,
/// points, free months, discounts) are the merchant's to fulfil.
pub(super) fn payable<'a>(
    approved: impl IntoIterator<Item = &'a Commission>,
) -> impl Iterator<Item = Payable> {
    approved
        .into_iter()
        .filter(|c| c.unit.is_cash())
        .map(Payable::of)
}

/// The commissions `approved` by group, leaving out the groups up to
/// `after`, which a resumed run settled already.
pub(super) fn by_group(
    approved: Vec<Payable>,
    after: Option<&GroupKey>,
) -> BTreeMap<GroupKey, Vec<Payable>> {
    let mut groups: BTreeMap<GroupKey, Vec<Payable>> = BTreeMap::new();
    for commission in approved {
        let key = (commission.partner_id.clone(), commission.currency);
        if after.is_none_or(|after| &key > after) {
            groups.entry(key).or_default().push(commission);
        }
    }
    groups
}

/// The groups of `fresh` up to `through` (all of them once the walk is
/// `finished`), taken out of it.
pub(super) fn take_through(
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
pub(super) fn merge(walked: Vec<Group>, fresh: Vec<Group>) -> Vec<Group> {
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

/// What the run read for the groups it pays: the slot each group's
/// commissions go to this period, with the pending payout already in it
/// (if any), and the groups' partners.
#[derive(Debug, Default)]
pub(super) struct Payees {
    pub slots: HashMap<GroupKey, (PayoutSlot, Option<Payout>)>,
    pub partners: HashMap<Id, Partner>,
}

/// One payout the run opens or grows, and the commissions it puts in.
#[derive(Debug)]
pub(super) struct PayoutPlan<'a> {
    pub group: &'a GroupKey,
    /// The pending payout as read, or (when it `opens`) a new, empty one.
    pub payout: Payout,
    pub opens: bool,
    /// What the partner earned first, clawbacks last: a payout filled in
    /// several transactions never shows a negative amount on the way.
    pub commissions: Vec<&'a Payable>,
}

/// The payouts that pay a batch of groups.
#[derive(Debug)]
pub(super) struct Plan<'a> {
    /// In the groups' order.
    pub payouts: Vec<PayoutPlan<'a>>,
    /// Groups whose balance would leave `Decimal`'s range: left unpaid.
    pub beyond_range: Vec<&'a GroupKey>,
}

/// The payouts that pay `groups` at `now`: each group whose commissions,
/// with what its pending payout already holds, come to more than zero and
/// at least the account's `min_payout` goes, whole, into that payout or a
/// new one for its slot. Smaller and negative balances, and groups whose
/// partner is gone, wait.
pub(super) fn payouts<'a>(
    account: &Account,
    groups: &'a [Group],
    payees: &Payees,
    now: DateTime<Utc>,
) -> Plan<'a> {
    let mut plan = Plan {
        payouts: Vec::new(),
        beyond_range: Vec::new(),
    };
    for group in groups {
        let Some((slot, pending)) = payees.slots.get(&group.key) else {
            continue;
        };
        let Some(total) = checked_total(pending.as_ref(), &group.commissions) else {
            plan.beyond_range.push(&group.key);
            continue;
        };
        let Some(partner) = payees.partners.get(&group.key.0) else {
            continue;
        };
        if group.commissions.is_empty() || total <= Decimal::ZERO || total < account.min_payout {
            continue;
        }
        let mut commissions: Vec<&Payable> = group.commissions.iter().collect();
        commissions.sort_by(|a, b| b.amount.cmp(&a.amount).then_with(|| a.id.cmp(&b.id)));
        let (payout, opens) = match pending {
            Some(pending) => (pending.clone(), false),
            None => (Payout::open(&account.id, slot, partner, now), true),
        };
        plan.payouts.push(PayoutPlan {
            group: &group.key,
            payout,
            opens,
            commissions,
        });
    }
    plan
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

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use proptest::prelude::*;
    use rust_decimal::Decimal;

    use super::*;
    use crate::payout_run::books::{self, Books};
    use ledger_core::model::RewardUnit;

    proptest! {
        /// SPEC §3.8 "Approve": exactly the unflagged commissions past
        /// their holding period are approved, each once and in walk order,
        /// at most `max` a transaction; and the positions the run may stop
        /// at never pass a commission that is due but not yet approved.
        #[test]
        fn approval_takes_every_due_commission_once_in_bounded_chunks(
            pending in books::pending(),
            hold_days in 0u32..40,
            max in 1usize..8,
        ) {
            let now = books::now();
            let chunks = approvals(&pending, hold_days, now, max);
            let due: Vec<&Id> = pending
                .iter()
                .filter(|c| !c.review().is_flagged() && c.created_at + chrono::Duration::days(i64::from(hold_days)) <= now)
                .map(|c| &c.id)
                .collect();
            let approved: Vec<&Id> = chunks.iter().flat_map(|c| &c.commissions).map(|c| &c.id).collect();
            prop_assert_eq!(&approved, &due);
            let position = |id: &Id| pending.iter().position(|c| &c.id == id).unwrap();
            let is_due = |c: &Commission| due.contains(&&c.id);
            let mut taken = 0;
            for (index, chunk) in chunks.iter().enumerate() {
                prop_assert!(!chunk.commissions.is_empty() && chunk.commissions.len() <= max);
                prop_assert!(chunk.commissions.len() == max || index + 1 == chunks.len());
                let first = position(&chunk.commissions[0].id);
                prop_assert_eq!(chunk.after.map(position), first.checked_sub(1));
                let through = position(chunk.through);
                if chunk.commissions.len() == max {
                    prop_assert_eq!(through, position(&chunk.commissions[max - 1].id));
                } else {
                    prop_assert_eq!(through, pending.len() - 1, "the last chunk is written at the page's end");
                }
                let before = pending[..first].iter().filter(|c| is_due(c)).count();
                prop_assert_eq!(before, taken, "stopping before the chunk leaves nothing due behind");
                taken += chunk.commissions.len();
                let through_due = pending[..=through].iter().filter(|c| is_due(c)).count();
                prop_assert_eq!(through_due, taken, "once written, everything due up to it is approved");
            }
        }

        /// Non-cash units never reach a payout: what is payable of the
        /// approved commissions is their cash ones, each with its partner,
        /// currency and amount.
        #[test]
        fn only_cash_is_payable(pending in books::pending()) {
            let payable: Vec<Payable> = payable(&pending).collect();
            let cash: Vec<&Commission> = pending.iter().filter(|c| c.unit == RewardUnit::Cash).collect();
            prop_assert_eq!(payable.len(), cash.len());
            for (payable, commission) in payable.iter().zip(cash) {
                prop_assert_eq!(payable, &Payable::of(commission));
            }
        }

        /// The walked and freshly approved commissions group per partner
        /// and currency in key order, each commission once, none of a group
        /// a resumed run settled already.
        #[test]
        fn grouping_keeps_each_commission_once_in_its_group(
            books in books::books(),
            resume_at in proptest::option::of(0usize..6),
        ) {
            let keys: Vec<GroupKey> = books.groups.iter().map(|g| g.key.clone()).collect();
            let after = resume_at.and_then(|i| keys.get(i)).cloned();
            let walked = books.groups.clone();
            let fresh: Vec<Payable> = books.groups.iter().flat_map(|g| g.commissions.iter().step_by(2).cloned()).collect();
            let mut fresh = by_group(fresh, after.as_ref());
            prop_assert!(fresh.keys().all(|key| after.as_ref().is_none_or(|after| key > after)));
            let merged = merge(walked, take_through(&mut fresh, None, true));
            prop_assert!(fresh.is_empty());
            prop_assert!(merged.windows(2).all(|w| w[0].key < w[1].key));
            let mut seen = HashSet::new();
            for group in &merged {
                for commission in &group.commissions {
                    prop_assert!(seen.insert(commission.id.clone()), "{} twice", commission.id);
                    prop_assert_eq!((&commission.partner_id, commission.currency), (&group.key.0, group.key.1));
                }
            }
            let every: HashSet<Id> = books.groups.iter().flat_map(|g| &g.commissions).map(|c| c.id.clone()).collect();
            prop_assert_eq!(seen, every);
        }

        /// SPEC §3.8 "Pay" and §4.3-4: a group is paid exactly when its
        /// balance (its pending payout's amount and its commissions,
        /// clawbacks netted) is positive and reaches `min_payout`, and its
        /// partner exists; it is then paid whole, into its own slot's
        /// payout, with the partner's and currency's one payout of the run.
        /// Money is conserved: each payout ends at what it held plus its
        /// commissions, and no commission is planned twice.
        #[test]
        fn groups_are_paid_whole_when_due_and_only_then(books in books::books()) {
            let now = books::now();
            let plan = payouts(&books.account, &books.groups, &books.payees, now);
            prop_assert!(plan.beyond_range.is_empty());
            let planned: HashMap<&GroupKey, &PayoutPlan> = plan.payouts.iter().map(|p| (p.group, p)).collect();
            prop_assert_eq!(planned.len(), plan.payouts.len(), "one payout per partner and currency");
            let mut paid = HashSet::new();
            for group in &books.groups {
                let (slot, pending) = &books.payees.slots[&group.key];
                let held = pending.as_ref().map_or(Decimal::ZERO, |p| p.amount);
                let balance = held + group.commissions.iter().map(|c| c.amount).sum::<Decimal>();
                let due = !group.commissions.is_empty()
                    && balance > Decimal::ZERO
                    && balance >= books.account.min_payout
                    && books.payees.partners.contains_key(&group.key.0);
                prop_assert_eq!(planned.contains_key(&group.key), due, "{:?}: {}", group.key, balance);
                let Some(payout) = planned.get(&group.key) else { continue };
                prop_assert_eq!(books::total(payout), balance);
                prop_assert!(books::total(payout) >= books.account.min_payout);
                prop_assert_eq!(&payout.payout.id, &slot.payout_id(&books.account.id));
                prop_assert_eq!(payout.opens, pending.is_none());
                prop_assert_eq!((&payout.payout.partner_id, payout.payout.currency), (&group.key.0, group.key.1));
                if payout.opens {
                    prop_assert_eq!((payout.payout.amount, payout.payout.payment_count), (Decimal::ZERO, 0));
                }
                let mut ids: Vec<&Id> = payout.commissions.iter().map(|c| &c.id).collect();
                let mut expected: Vec<&Id> = group.commissions.iter().map(|c| &c.id).collect();
                ids.sort();
                expected.sort();
                prop_assert_eq!(ids, expected, "the whole group");
                prop_assert!(payout.commissions.windows(2).all(|w| w[0].amount >= w[1].amount), "earned first, clawbacks last");
                for commission in &payout.commissions {
                    prop_assert!(paid.insert(commission.id.clone()), "{} planned twice", commission.id);
                }
            }
        }
    }

    #[test]
    fn a_balance_of_zero_is_not_paid_even_without_a_minimum() {
        let ten = Decimal::TEN;
        let books = Books::earned(&[&[ten, -ten]]);
        assert_eq!(books.account.min_payout, Decimal::ZERO);
        let plan = payouts(&books.account, &books.groups, &books.payees, books::now());
        assert!(plan.payouts.is_empty(), "{plan:?}");
        let books = Books::earned(&[&[ten, -ten, Decimal::new(1, 2)]]);
        let plan = payouts(&books.account, &books.groups, &books.payees, books::now());
        assert_eq!(plan.payouts.len(), 1, "a cent is paid without a minimum");
    }

    #[test]
    fn a_balance_beyond_the_decimal_range_is_left_unpaid() {
        let books = Books::earned(&[&[Decimal::MAX, Decimal::ONE]]);
        let plan = payouts(&books.account, &books.groups, &books.payees, books::now());
        assert!(plan.payouts.is_empty());
        assert_eq!(plan.beyond_range, [&books.groups[0].key]);
    }
}
