//! Portal session items, addressed by account and session id (the token
//! carries the account and derives the id). Each holds its partner, the hash of its token and its
//! expiry, also as the table's `ttl`, so DynamoDB deletes it once expired.

use aws_sdk_dynamodb::types::TransactWriteItem;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::clicks::TTL_ATTRIBUTE;
use super::{Condition, Entity, Item, Key, Ref, Store, StoreError, decode, encode};
use ledger_core::model::{Id, PortalSession};

const ENTITY: &str = "portal_session";

#[derive(Serialize, Deserialize)]
struct PortalSessionRecord {
    id: Id,
    account_id: Id,
    partner_id: Id,
    secret_hash: String,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    /// The table's time-to-live attribute ([`TTL_ATTRIBUTE`]), epoch seconds.
    ttl: i64,
}

pub fn from_item(item: Item) -> Result<PortalSession, StoreError> {
    let record: PortalSessionRecord = decode(item)?;
    Ok(PortalSession {
        id: record.id,
        account_id: record.account_id,
        partner_id: record.partner_id,
        secret_hash: record.secret_hash,
        created_at: record.created_at,
        expires_at: record.expires_at,
    })
}

impl Entity for PortalSession {
    const NAME: &'static str = "portal session";

    fn from_item(item: Item) -> Result<Self, StoreError> {
        from_item(item)
    }
}

/// The session `id` of `account`.
pub fn at(account: &Id, id: &Id) -> Ref<PortalSession> {
    Ref::new(Key::portal_session(account, id))
}

pub fn insert(store: &Store, session: &PortalSession) -> Result<TransactWriteItem, StoreError> {
    debug_assert_eq!(TTL_ATTRIBUTE, "ttl");
    let record = PortalSessionRecord {
        id: session.id.clone(),
        account_id: session.account_id.clone(),
        partner_id: session.partner_id.clone(),
        secret_hash: session.secret_hash.clone(),
        created_at: session.created_at,
        expires_at: session.expires_at,
        ttl: session.expires_at.timestamp(),
    };
    let item = encode(
        &Key::portal_session(&session.account_id, &session.id),
        ENTITY,
        &record,
    )?;
    store.put(item, Condition::absent())
}
