//! Items ⇄ typed records through `serde_dynamo`, with the key stored beside the body.
//!
//! Amounts are stored as exact decimal strings (`rust_decimal::serde::str` on
//! the record's field): DynamoDB numbers would come back through `f64` in
//! `serde_dynamo`, and money never goes near a binary float.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Item, Key, StoreError};

#[derive(Serialize)]
struct Envelope<'a, T> {
    pk: &'a str,
    sk: &'a str,
    entity: &'static str,
    #[serde(flatten)]
    body: &'a T,
}

/// The item for `body` stored under `key`, tagged with its entity name.
pub fn encode<T: Serialize>(key: &Key, entity: &'static str, body: &T) -> Result<Item, StoreError> {
    serde_dynamo::to_item(Envelope {
        pk: &key.pk,
        sk: &key.sk,
        entity,
        body,
    })
    .map_err(|e| StoreError::Corrupt(format!("cannot encode {entity}: {e}")))
}

/// The typed record inside an item (key attributes are ignored).
pub fn decode<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// A time as records store it (RFC 3339), for updates that set one attribute.
pub fn timestamp(at: DateTime<Utc>) -> Result<AttributeValue, StoreError> {
    serde_dynamo::to_attribute_value(at).map_err(|e| StoreError::Corrupt(e.to_string()))
}
