//! API key items, addressed by account and key id (the token carries both).

use aws_sdk_dynamodb::types::TransactWriteItem;

use super::{Condition, Item, Key, Store, StoreError, decode, encode};
use crate::model::ApiKey;

const ENTITY: &str = "api_key";

pub fn from_item(item: Item) -> Result<ApiKey, StoreError> {
    decode(item)
}

pub fn insert(store: &Store, key: &ApiKey) -> Result<TransactWriteItem, StoreError> {
    let item = encode(&Key::api_key(&key.account_id, &key.id), ENTITY, key)?;
    store.put(item, Condition::absent())
}
