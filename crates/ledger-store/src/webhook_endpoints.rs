//! Webhook endpoint items: one per endpoint (`WEBHOOK_ENDPOINT#<id>`), the
//! account's endpoints one small collection, listed whole (the dispatcher
//! reads them all for each event). The signing secret is stored as its
//! `whsec_` text: deliveries need the key itself, not a hash of it.

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{
    Collection, Condition, Entity, Item, Key, Ref, Store, StoreError, Tally, decode, encode,
    tallies, timestamp,
};
use ledger_core::model::Id;
use ledger_core::webhooks::{EventPatterns, SigningSecret, WebhookEndpoint};

const ENTITY: &str = "webhook_endpoint";

#[derive(Serialize, Deserialize)]
struct EndpointRecord {
    id: Id,
    url: String,
    events: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    disabled_reason: Option<String>,
    secret: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    version: u64,
}

fn to_item(account: &Id, endpoint: &WebhookEndpoint) -> Result<Item, StoreError> {
    let record = EndpointRecord {
        id: endpoint.id.clone(),
        url: endpoint.url.clone(),
        events: endpoint.events.as_slice().to_vec(),
        description: endpoint.description.clone(),
        enabled: endpoint.enabled,
        disabled_reason: endpoint.disabled_reason.clone(),
        secret: endpoint.secret.reveal(),
        created_at: endpoint.created_at,
        updated_at: endpoint.updated_at,
        version: endpoint.version,
    };
    encode(
        &Key::webhook_endpoint(account, &endpoint.id),
        ENTITY,
        &record,
    )
}

pub fn from_item(item: Item) -> Result<WebhookEndpoint, StoreError> {
    let record: EndpointRecord = decode(item)?;
    let secret = SigningSecret::parse(&record.secret)
        .ok_or_else(|| StoreError::Corrupt("webhook endpoint secret is unreadable".into()))?;
    Ok(WebhookEndpoint {
        id: record.id,
        url: record.url,
        events: EventPatterns::stored(record.events),
        description: record.description,
        enabled: record.enabled,
        disabled_reason: record.disabled_reason,
        secret,
        created_at: record.created_at,
        updated_at: record.updated_at,
        version: record.version,
    })
}

impl Entity for WebhookEndpoint {
    const NAME: &'static str = "webhook endpoint";

    fn from_item(item: Item) -> Result<Self, StoreError> {
        from_item(item)
    }
}

/// The endpoint `id` of `account`.
pub fn at(account: &Id, id: &Id) -> Ref<WebhookEndpoint> {
    Ref::new(Key::webhook_endpoint(account, id))
}

/// Every endpoint of the account, oldest first. An unreadable one is
/// passed over (and logged), so it cannot stop the others' deliveries.
pub async fn list(store: &Store, account: &Id) -> Result<Vec<WebhookEndpoint>, StoreError> {
    Ok(store
        .query_all(&Collection::webhook_endpoints(account))
        .await?
        .into_iter()
        .filter_map(|item| super::readable(item, from_item))
        .collect())
}

/// Registers `endpoint`, counted on the account's endpoints tally, which
/// must count fewer than [`WebhookEndpoint::MAX_PER_ACCOUNT`]: a failed
/// condition on the second write is the account at its limit.
pub fn insert(
    store: &Store,
    account: &Id,
    endpoint: &WebhookEndpoint,
) -> Result<Vec<TransactWriteItem>, StoreError> {
    let below_limit = Condition::new("attribute_not_exists(n) OR n < :max").value(
        ":max",
        AttributeValue::N(WebhookEndpoint::MAX_PER_ACCOUNT.to_string()),
    );
    Ok(vec![
        store.put(to_item(account, endpoint)?, Condition::absent())?,
        store.update(
            &Key::tally(account, &Tally::webhook_endpoints(), 0),
            "SET entity = :entity ADD n :one",
            [
                (":entity", AttributeValue::S("tally".into())),
                (":one", AttributeValue::N("1".into())),
            ],
            below_limit,
        )?,
    ])
}

/// Replaces the endpoint, provided nobody changed it since `expected_version`.
pub fn replace(
    store: &Store,
    account: &Id,
    endpoint: &WebhookEndpoint,
    expected_version: u64,
) -> Result<TransactWriteItem, StoreError> {
    store.put(
        to_item(account, endpoint)?,
        Condition::at_version(expected_version),
    )
}

/// Deletes `endpoint`, as read, and uncounts it.
pub fn delete(
    store: &Store,
    account: &Id,
    endpoint: &WebhookEndpoint,
) -> Result<Vec<TransactWriteItem>, StoreError> {
    let mut writes = vec![store.delete(
        &Key::webhook_endpoint(account, &endpoint.id),
        Condition::at_version(endpoint.version),
    )?];
    writes.extend(tallies::add(
        store,
        account,
        &[Tally::webhook_endpoints()],
        &endpoint.id,
        -1,
    )?);
    Ok(writes)
}

/// Stops deliveries to an endpoint that failed for too long, unless someone
/// changed it meanwhile (its URL, say) — then it keeps its state.
pub fn disable(
    store: &Store,
    account: &Id,
    endpoint: &WebhookEndpoint,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<TransactWriteItem, StoreError> {
    store.update(
        &Key::webhook_endpoint(account, &endpoint.id),
        "SET enabled = :off, disabled_reason = :reason, updated_at = :now, version = version + :one",
        [
            (":off", AttributeValue::Bool(false)),
            (":reason", AttributeValue::S(reason.to_string())),
            (":now", timestamp(now)?),
            (":one", AttributeValue::N("1".into())),
        ],
        Condition::at_version(endpoint.version),
    )
}
