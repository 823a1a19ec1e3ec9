//! Unique-value items: one item per value that at most one object of an
//! account may hold (a partner's email and codes, a referral's Stripe
//! customer). Claiming one is a conditional Put in the owner's transaction,
//! so two concurrent creates with the same value cannot both succeed. The
//! item also answers "who holds this value?" with one GetItem. An
//! idempotency key (a billing event, a Stripe payment) also keeps the
//! fingerprint of the request that claimed it, to tell a replay from a
//! different request under the same key.

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use serde::{Deserialize, Serialize};

use super::{Condition, Item, Key, Store, StoreError, UniqueValue, decode, encode};
use crate::model::Id;

const ENTITY: &str = "unique";

/// Who holds a value, and for an idempotency key the fingerprint of the
/// request that claimed it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Claim {
    pub holder: Id,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
}

/// Writes `value` for `owner`; the transaction fails if anyone holds it.
pub fn claim(
    store: &Store,
    account: &Id,
    value: UniqueValue,
    owner: &Id,
) -> Result<TransactWriteItem, StoreError> {
    claim_as(
        store,
        account,
        value,
        &Claim {
            holder: owner.clone(),
            fingerprint: None,
        },
    )
}

/// Writes `value` for `claim.holder`, remembering the claiming request's
/// fingerprint; the transaction fails if anyone holds it.
pub fn claim_as(
    store: &Store,
    account: &Id,
    value: UniqueValue,
    claim: &Claim,
) -> Result<TransactWriteItem, StoreError> {
    let item = encode(&Key::unique(account, value), ENTITY, claim)?;
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
    read(item).map(|claim| claim.holder)
}

/// The claim read as `item`.
pub fn read(item: Item) -> Result<Claim, StoreError> {
    decode(item)
}
