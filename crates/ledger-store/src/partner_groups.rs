//! Partner group items. Rules are stored as the JSON document the API
//! accepted: a rule set is validated and replaced as a whole, never queried by
//! field, and JSON keeps every decimal exact.

use aws_sdk_dynamodb::types::TransactWriteItem;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Collection, Condition, Entity, Item, Key, Ref, Store, StoreError, decode, encode};
use ledger_core::engine::{RuleSet, RuleSpec};
use ledger_core::model::{Id, PartnerGroup};

const ENTITY: &str = "partner_group";

#[derive(Serialize, Deserialize)]
struct GroupRecord {
    id: Id,
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    external_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tags: Option<String>,
    rules: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    version: u64,
}

fn to_item(account: &Id, group: &PartnerGroup) -> Result<Item, StoreError> {
    let rules = serde_json::to_string(group.rules.specs())
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let record = GroupRecord {
        id: group.id.clone(),
        name: group.name.clone(),
        description: group.description.clone(),
        external_id: group.external_id.clone(),
        tags: group.tags.clone(),
        rules,
        created_at: group.created_at,
        updated_at: group.updated_at,
        version: group.version,
    };
    encode(&Key::partner_group(account, &group.id), ENTITY, &record)
}

pub fn from_item(item: Item) -> Result<PartnerGroup, StoreError> {
    let record: GroupRecord = decode(item)?;
    let specs: Vec<RuleSpec> =
        serde_json::from_str(&record.rules).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let rules = RuleSet::parse(specs)
        .map_err(|e| StoreError::Corrupt(format!("stored rules no longer validate: {e:?}")))?;
    Ok(PartnerGroup {
        id: record.id,
        name: record.name,
        description: record.description,
        external_id: record.external_id,
        tags: record.tags,
        rules,
        created_at: record.created_at,
        updated_at: record.updated_at,
        version: record.version,
    })
}

impl Entity for PartnerGroup {
    const NAME: &'static str = "partner group";

    fn from_item(item: Item) -> Result<Self, StoreError> {
        from_item(item)
    }
}

/// The group `id` of `account`.
pub fn at(account: &Id, id: &Id) -> Ref<PartnerGroup> {
    Ref::new(Key::partner_group(account, id))
}

/// Every group of the account, oldest first (ids sort by creation time).
pub async fn list(store: &Store, account: &Id) -> Result<Vec<PartnerGroup>, StoreError> {
    store
        .query_all(&Collection::partner_groups(account))
        .await?
        .into_iter()
        .map(from_item)
        .collect()
}

pub fn insert(
    store: &Store,
    account: &Id,
    group: &PartnerGroup,
) -> Result<TransactWriteItem, StoreError> {
    store.put(to_item(account, group)?, Condition::absent())
}

/// Replaces the group, provided nobody changed it since `expected_version`.
pub fn replace(
    store: &Store,
    account: &Id,
    group: &PartnerGroup,
    expected_version: u64,
) -> Result<TransactWriteItem, StoreError> {
    store.put(
        to_item(account, group)?,
        Condition::at_version(expected_version),
    )
}

pub fn delete(
    store: &Store,
    account: &Id,
    group: &PartnerGroup,
) -> Result<TransactWriteItem, StoreError> {
    store.delete(
        &Key::partner_group(account, &group.id),
        Condition::at_version(group.version),
    )
}
