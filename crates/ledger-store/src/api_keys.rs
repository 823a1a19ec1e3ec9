//! API key items, addressed by account and key id (the token carries both).
//! An account's keys are one small collection (`KEY#<id>`), listed whole.

use aws_sdk_dynamodb::types::TransactWriteItem;

use super::{Collection, Condition, Entity, Item, Key, Ref, Store, StoreError, decode, encode};
use ledger_core::model::{ApiKey, Id};

const ENTITY: &str = "api_key";

pub fn from_item(item: Item) -> Result<ApiKey, StoreError> {
    decode(item)
}

impl Entity for ApiKey {
    const NAME: &'static str = "api key";

    fn from_item(item: Item) -> Result<Self, StoreError> {
        from_item(item)
    }
}

/// The key `id` of `account`.
pub fn at(account: &Id, id: &Id) -> Ref<ApiKey> {
    Ref::new(Key::api_key(account, id))
}

pub fn insert(store: &Store, key: &ApiKey) -> Result<TransactWriteItem, StoreError> {
    let item = encode(&Key::api_key(&key.account_id, &key.id), ENTITY, key)?;
    store.put(item, Condition::absent())
}

/// Every key of the account, oldest first (ids sort by creation time).
pub async fn list(store: &Store, account: &Id) -> Result<Vec<ApiKey>, StoreError> {
    store
        .query_all(&Collection::api_keys(account))
        .await?
        .into_iter()
        .map(from_item)
        .collect()
}

/// Deletes `key`, which must still exist: the next request presenting its
/// token reads no key item and is refused.
pub fn delete(store: &Store, key: &ApiKey) -> Result<TransactWriteItem, StoreError> {
    store.delete(
        &Key::api_key(&key.account_id, &key.id),
        Condition::present(),
    )
}

/// Guards a write on `key` still existing: a key deleted while its request
/// was under way creates or deletes nothing.
pub fn require_present(store: &Store, key: &ApiKey) -> Result<TransactWriteItem, StoreError> {
    store.check(
        &Key::api_key(&key.account_id, &key.id),
        Condition::present(),
    )
}
