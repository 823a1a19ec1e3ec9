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

use super::{Condition, Entity, Item, Key, Ref, Store, StoreError, UniqueValue, decode, encode};
use ledger_core::model::{Id, Referral};

const ENTITY: &str = "unique";

/// Who holds a value, and for an idempotency key the fingerprint of the
/// request that claimed it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Claim {
    pub holder: Id,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    /// On a customer's claim: where the customer's sales go.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sale_route: Option<SaleRoute>,
}

impl Entity for Claim {
    const NAME: &'static str = "unique value";

    fn from_item(item: Item) -> Result<Self, StoreError> {
        read(item)
    }
}

/// The claim on `value` in `account`: who holds it, if anyone does.
pub fn at(account: &Id, value: UniqueValue) -> Ref<Claim> {
    Ref::new(Key::unique(account, value))
}

/// A referral's partner, campaign and (as last seen) partner group, copied
/// onto the claims that find the referral from a payment (its Stripe
/// customer, its email). A payment event then reads the referral together
/// with what prices the sale, instead of one after the other. The partner
/// and campaign of a referral never change; the group is a hint, checked
/// against the partner and refreshed by the sale that finds it stale.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SaleRoute {
    pub partner_id: Id,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign_id: Option<Id>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_group_id: Option<Id>,
}

impl SaleRoute {
    pub fn of(referral: &Referral) -> Self {
        Self {
            partner_id: referral.partner_id.clone(),
            campaign_id: referral.campaign_id.clone(),
            partner_group_id: referral.partner_group_id.clone(),
        }
    }
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
            sale_route: None,
        },
    )
}

/// Writes `value` (a Stripe customer, an email) for `referral`, with the
/// route its payments take; the transaction fails if anyone holds it.
pub fn claim_customer(
    store: &Store,
    account: &Id,
    value: UniqueValue,
    referral: &Referral,
) -> Result<TransactWriteItem, StoreError> {
    claim_as(
        store,
        account,
        value,
        &Claim {
            holder: referral.id.clone(),
            fingerprint: None,
            sale_route: Some(SaleRoute::of(referral)),
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
