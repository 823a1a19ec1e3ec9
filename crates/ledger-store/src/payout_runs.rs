//! Where an unfinished payout run stopped, one item per account
//! (`PAYOUT_RUN`), and the directory of accounts the scheduled run walks.
//!
//! The position is a hint, never a lock: everything a run does is
//! conditional and converges when redone, so a stale or lost position only
//! costs reading a stretch again.

use serde::{Deserialize, Serialize};

use super::{Entity, Item, Key, Ref, Store, StoreError, Walk, accounts, decode, encode};
use ledger_core::model::{Account, Id};
use ledger_core::money::Currency;

const ENTITY: &str = "payout_run";

/// How far a run got before it had to stop.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum RunPosition {
    /// Approving: every pending commission up to this one was looked at.
    Approve { after: Id },
    /// Paying: every partner and currency up to this one was settled.
    Pay { partner_id: Id, currency: Currency },
}

impl Entity for RunPosition {
    const NAME: &'static str = "payout run position";

    fn from_item(item: Item) -> Result<Self, StoreError> {
        decode(item)
    }
}

/// Where the unfinished run of `account` stopped: nothing when the last
/// run finished (or none ran yet).
pub fn at(account: &Id) -> Ref<RunPosition> {
    Ref::new(Key::payout_run(account))
}

/// The position an earlier run left in `account`, if it stopped early.
pub async fn position(store: &Store, account: &Id) -> Result<Option<RunPosition>, StoreError> {
    store.read(&at(account)).await
}

/// Leaves `position` for the next run.
pub async fn save(store: &Store, account: &Id, position: &RunPosition) -> Result<(), StoreError> {
    let item = encode(&Key::payout_run(account), ENTITY, position)?;
    store
        .client()
        .put_item()
        .table_name(store.table())
        .set_item(Some(item))
        .send()
        .await
        .map_err(StoreError::dynamo)?;
    Ok(())
}

/// Forgets the position: the next run starts from the beginning.
pub async fn clear(store: &Store, account: &Id) -> Result<(), StoreError> {
    store
        .client()
        .delete_item()
        .table_name(store.table())
        .set_key(Some(Key::payout_run(account).item_key()))
        .send()
        .await
        .map_err(StoreError::dynamo)?;
    Ok(())
}

/// An account the scheduled run could not work in, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AccountFailure {
    /// The account's id, or the item's key when its item is unreadable.
    pub account: String,
    pub error: String,
}

/// The accounts the scheduled run walks, each with the position its last
/// run left, if any, and the directory entries it cannot read: one tenant's
/// unreadable item stops no other tenant's run.
pub struct Directory {
    pub accounts: Vec<(Account, Option<RunPosition>)>,
    pub unreadable: Vec<AccountFailure>,
}

/// Every account of the directory. An unreadable position is a hint lost:
/// that account's run starts from the beginning.
pub async fn directory(store: &Store) -> Result<Directory, StoreError> {
    let walk = Walk::accounts();
    let mut accounts: Vec<Account> = Vec::new();
    let mut unreadable = Vec::new();
    let mut start = None;
    loop {
        let page = store.walk(&walk, start).await?;
        for item in page.items {
            let key = Key::of_item(&item).map(|k| k.pk).unwrap_or_default();
            match accounts::from_item(item) {
                Ok(account) => accounts.push(account),
                Err(error) => unreadable.push(AccountFailure {
                    account: key,
                    error: error.to_string(),
                }),
            }
        }
        start = page.next;
        if start.is_none() {
            break;
        }
    }
    let keys: Vec<Key> = accounts.iter().map(|a| Key::payout_run(&a.id)).collect();
    let found = store.get_many(&keys.iter().collect::<Vec<_>>()).await?;
    let accounts = accounts
        .into_iter()
        .zip(found)
        .map(|(account, item)| {
            let position = item.and_then(|item| {
                RunPosition::from_item(item)
                    .inspect_err(|error| {
                        tracing::warn!(account = %account.id, %error, "unreadable payout run position: starting over");
                    })
                    .ok()
            });
            (account, position)
        })
        .collect();
    Ok(Directory {
        accounts,
        unreadable,
    })
}
