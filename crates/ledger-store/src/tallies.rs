//! Tallies: the member counts of lists, each its own counter item. A write
//! that adds a member to a list (or moves one between filtered lists) adds to
//! the list's tallies in the same transaction, so a list's `count` is exact
//! and costs no extra request: it is read in the request's first BatchGetItem.

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};

use super::{Condition, Entity, Item, Key, Ref, Store, StoreError, Tally};
use ledger_core::model::Id;

/// How many members a tally counts: a missing tally item counts none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Members(pub u64);

impl Entity for Members {
    const NAME: &'static str = "tally";

    fn from_item(item: Item) -> Result<Self, StoreError> {
        count(Some(&item)).map(Members)
    }
}

impl Members {
    /// The count read as `read` (none when no member was ever added).
    pub fn of(read: Option<Members>) -> u64 {
        read.unwrap_or_default().0
    }
}

/// The tally item counting `tally`'s members.
pub fn of(account: &Id, tally: &Tally) -> Ref<Members> {
    Ref::new(Key::tally(account, tally))
}

/// Adds `delta` members to each of `tallies`.
pub fn add(
    store: &Store,
    account: &Id,
    tallies: &[Tally],
    delta: i64,
) -> Result<Vec<TransactWriteItem>, StoreError> {
    tallies
        .iter()
        .map(|tally| store.increment(&Key::tally(account, tally), delta))
        .collect()
}

/// The count a tally item holds; no item means no members yet.
pub fn count(item: Option<&Item>) -> Result<u64, StoreError> {
    let Some(value) = item.and_then(|item| item.get("n")) else {
        return Ok(0);
    };
    value
        .as_n()
        .ok()
        .and_then(|n| n.parse::<i64>().ok())
        .map(|n| n.max(0).unsigned_abs())
        .ok_or_else(|| StoreError::Corrupt(format!("tally holds {value:?}")))
}

/// Guards a write on `tally` being zero (e.g. deleting a group with no partners).
pub fn require_zero(
    store: &Store,
    account: &Id,
    tally: &Tally,
) -> Result<TransactWriteItem, StoreError> {
    store.check(
        &Key::tally(account, tally),
        Condition::new("attribute_not_exists(n) OR n = :zero")
            .value(":zero", AttributeValue::N("0".into())),
    )
}
