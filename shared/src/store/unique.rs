//! Unique-value items: one item per value that at most one object of an
//! account may hold (a partner's email and codes, a referral's Stripe
//! customer). Claiming one is a conditional Put in the owner's transaction,
//! so two concurrent creates with the same value cannot both succeed. The
//! item also answers "who holds this value?" with one GetItem.

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use serde::{Deserialize, Serialize};

use super::{Condition, Item, Key, Store, StoreError, UniqueValue, decode, encode};
use crate::model::Id;

const ENTITY: &str = "unique";

#[derive(Serialize, Deserialize)]
struct Claim {
    holder: Id,
}

/// Writes `value` for `owner`; the transaction fails if anyone holds it.
pub fn claim(
    store: &Store,
    account: &Id,
    value: UniqueValue,
    owner: &Id,
) -> Result<TransactWriteItem, StoreError> {
    let claim = Claim {
        holder: owner.clone(),
    };
    let item = encode(&Key::unique(account, value), ENTITY, &claim)?;
    store.put(item, Condition::absent())
}

/// Frees `value`, provided `owner` still holds it.
pub fn release(
    store: &Store,
    account: &Id,
    value: UniqueValue,
    owner: &Id,
) -> Result<TransactWriteItem, StoreError> {
    store.delete(
        &Key::unique(account, value),
        Condition::new("holder = :holder").value(":holder", AttributeValue::S(owner.to_string())),
    )
}

/// The id of the object holding the value read as `item`.
pub fn owner(item: Item) -> Result<Id, StoreError> {
    decode::<Claim>(item).map(|claim| claim.holder)
}
