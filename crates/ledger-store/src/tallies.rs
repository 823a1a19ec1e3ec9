//! Tallies: the member counts of lists, each kept on counter items. A write
//! that adds a member to a list (or moves one between filtered lists) adds to
//! the list's tallies in the same transaction, so a list's `count` is exact
//! and costs no extra request: it is read in the request's first BatchGetItem.
//!
//! A busy tally is spread over several items ([`Tally::shards`]): a member
//! is added to and removed from the item of its own shard, and the count is
//! the sum of the items, so concurrent writers of different members meet on
//! one item only when their members share a shard.

use std::vec::IntoIter;

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};

use super::{Condition, Item, Key, Reads, Store, StoreError, Tally};
use ledger_core::model::Id;

/// How many members a tally counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Members(pub u64);

/// A tally to read: all of its items, summed into [`Members`].
pub struct Count {
    items: Vec<Key>,
}

impl Reads for Count {
    type Output = Members;

    fn keys(&self) -> Vec<&Key> {
        self.items.iter().collect()
    }

    fn decode(&self, items: &mut IntoIter<Option<Item>>) -> Result<Members, StoreError> {
        let mut total: i64 = 0;
        for _ in &self.items {
            let item = items.next().flatten();
            total = total.saturating_add(count(item.as_ref())?);
        }
        Ok(Members(total.max(0).unsigned_abs()))
    }
}

/// `tally`'s count, read from all of its items.
pub fn of(account: &Id, tally: &Tally) -> Count {
    Count {
        items: (0..tally.shards())
            .map(|shard| Key::tally(account, tally, shard))
            .collect(),
    }
}

/// Adds `delta` to each of `tallies` for `member`, on the item of the
/// member's shard.
pub fn add(
    store: &Store,
    account: &Id,
    tallies: &[Tally],
    member: &Id,
    delta: i64,
) -> Result<Vec<TransactWriteItem>, StoreError> {
    tallies
        .iter()
        .map(|tally| {
            let item = Key::tally(account, tally, tally.shard_of(member));
            store.increment(&item, delta)
        })
        .collect()
}

/// What one tally item holds; no item, or no count yet, is zero.
fn count(item: Option<&Item>) -> Result<i64, StoreError> {
    let Some(value) = item.and_then(|item| item.get("n")) else {
        return Ok(0);
    };
    value
        .as_n()
        .ok()
        .and_then(|n| n.parse::<i64>().ok())
        .ok_or_else(|| StoreError::Corrupt(format!("tally holds {value:?}")))
}

/// Guards a write on `tally` counting no member (e.g. deleting a group with
/// no partners): one check per item, as no item counts below zero.
pub fn require_zero(
    store: &Store,
    account: &Id,
    tally: &Tally,
) -> Result<Vec<TransactWriteItem>, StoreError> {
    (0..tally.shards())
        .map(|shard| {
            store.check(
                &Key::tally(account, tally, shard),
                Condition::new("attribute_not_exists(n) OR n = :zero")
                    .value(":zero", AttributeValue::N("0".into())),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account() -> Id {
        Id::parse("68f76721000000000000000a").unwrap()
    }

    fn item(n: &str) -> Option<Item> {
        Some(Item::from([("n".to_string(), AttributeValue::N(n.into()))]))
    }

    #[test]
    fn a_count_is_the_sum_of_the_tally_items_a_missing_one_counting_none() {
        let tally = Tally::commissions(None, None);
        let count = of(&account(), &tally);
        assert_eq!(count.keys().len(), usize::from(tally.shards()));
        let mut items = vec![None; usize::from(tally.shards())];
        items[0] = item("3");
        items[7] = item("4");
        let read = count.decode(&mut items.into_iter()).unwrap();
        assert_eq!(read, Members(7));
    }

    #[test]
    fn a_single_item_tally_reads_one_key_and_its_shard_is_that_item() {
        let tally = Tally::partners();
        assert_eq!(of(&account(), &tally).keys().len(), 1);
        let member = Id::parse("68f76721000000000000000b").unwrap();
        assert_eq!(tally.shard_of(&member), 0);
    }

    #[test]
    fn members_spread_over_every_shard_and_each_keeps_its_own() {
        let tally = Tally::commissions(None, None);
        let now = chrono::Utc::now();
        let members: Vec<Id> = (0..20_000).map(|_| Id::generate(now)).collect();
        let mut used = vec![0u32; usize::from(tally.shards())];
        for member in &members {
            used[usize::from(tally.shard_of(member))] += 1;
        }
        let expected = 20_000 / u32::from(tally.shards());
        assert!(
            used.iter().all(|&n| n > expected / 2 && n < expected * 2),
            "{used:?}"
        );
        // A stored count is only right while every build puts a member on the
        // same shard: FNV-1a of this id, modulo 96, is 4.
        let pinned = Id::parse("68f76721000000000000000b").unwrap();
        assert_eq!(tally.shard_of(&pinned), 4);
    }

    #[test]
    fn a_corrupt_tally_item_is_an_error_not_a_count() {
        let count = of(&account(), &Tally::partners());
        let mut items = vec![item("x")].into_iter();
        assert!(matches!(
            count.decode(&mut items),
            Err(StoreError::Corrupt(_))
        ));
    }
}
