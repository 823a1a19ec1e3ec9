//! Webhook delivery items: one per (endpoint, event) pair
//! (`WEBHOOK_DELIVERY#<endpoint>#<event>`), so recording a delivery twice
//! (a replayed stream record) finds the first. An endpoint's items are its
//! delivery log, in event order. A pending delivery is also in the account's
//! due index (gsi1, `…#WEBHOOK_DELIVERIES_DUE`, sorted by `due_at`), which
//! the sweeper reads; every write is conditional on the `version` read, so
//! two dispatchers never both attempt one claim.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{
    Condition, IndexEntry, Item, Key, Listing, PageRequest, Store, StoreError, Walk, WalkPage,
    decode, encode,
};
use ledger_core::model::Id;
use ledger_core::webhooks::{Attempt, DeliveryStatus, WebhookDelivery};

const ENTITY: &str = "webhook_delivery";

#[derive(Serialize, Deserialize)]
struct DeliveryRecord {
    endpoint_id: Id,
    event_id: Id,
    event_type: String,
    body: String,
    status: DeliveryStatus,
    attempts_in_round: u32,
    attempts: Vec<Attempt>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    due_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    version: u64,
}

fn to_item(account: &Id, delivery: &WebhookDelivery) -> Result<Item, StoreError> {
    let record = DeliveryRecord {
        endpoint_id: delivery.endpoint_id.clone(),
        event_id: delivery.event_id.clone(),
        event_type: delivery.event_type.clone(),
        body: delivery.body.clone(),
        status: delivery.status,
        attempts_in_round: delivery.attempts_in_round,
        attempts: delivery.attempts.clone(),
        due_at: delivery.due_at,
        created_at: delivery.created_at,
        version: delivery.version,
    };
    let key = Key::webhook_delivery(account, &delivery.endpoint_id, &delivery.event_id);
    let mut item = encode(&key, ENTITY, &record)?;
    if let (DeliveryStatus::Pending, Some(due)) = (delivery.status, delivery.due_at) {
        let entry = IndexEntry::webhook_delivery_due(
            account,
            due,
            &delivery.endpoint_id,
            &delivery.event_id,
        );
        item.extend(
            entry
                .attributes()
                .map(|(name, value)| (name.to_string(), value)),
        );
    }
    Ok(item)
}

pub fn from_item(item: Item) -> Result<WebhookDelivery, StoreError> {
    let record: DeliveryRecord = decode(item)?;
    Ok(WebhookDelivery {
        endpoint_id: record.endpoint_id,
        event_id: record.event_id,
        event_type: record.event_type,
        body: record.body,
        status: record.status,
        attempts_in_round: record.attempts_in_round,
        attempts: record.attempts,
        due_at: record.due_at,
        created_at: record.created_at,
        version: record.version,
    })
}

/// Records a new delivery; `false` when the pair was recorded before.
pub async fn record_new(
    store: &Store,
    account: &Id,
    delivery: &WebhookDelivery,
) -> Result<bool, StoreError> {
    store
        .put_if(to_item(account, delivery)?, Condition::absent())
        .await
}

/// Writes `delivery` back over the version it was read at; `false` when
/// another dispatcher wrote it first.
pub async fn save(
    store: &Store,
    account: &Id,
    delivery: &WebhookDelivery,
    read_at: u64,
) -> Result<bool, StoreError> {
    store
        .put_if(to_item(account, delivery)?, Condition::at_version(read_at))
        .await
}

/// The delivery of `event` to `endpoint`, if there is one.
pub async fn find(
    store: &Store,
    account: &Id,
    endpoint: &Id,
    event: &Id,
) -> Result<Option<WebhookDelivery>, StoreError> {
    store
        .get(&Key::webhook_delivery(account, endpoint, event))
        .await?
        .map(from_item)
        .transpose()
}

/// One page of an endpoint's delivery log, oldest event first, and whether more follow.
pub async fn page(
    store: &Store,
    account: &Id,
    endpoint: &Id,
    request: PageRequest<'_>,
) -> Result<(Vec<WebhookDelivery>, bool), StoreError> {
    let page = store
        .page(&Listing::webhook_deliveries(account, endpoint), request)
        .await?;
    let deliveries = page
        .items
        .into_iter()
        .map(from_item)
        .collect::<Result<_, _>>()?;
    Ok((deliveries, page.more))
}

/// One page of the account's deliveries due at `now`, from `start`. The
/// index lags the table: a delivery read here is read again before it is
/// attempted.
pub async fn due(
    store: &Store,
    account: &Id,
    now: DateTime<Utc>,
    start: Option<Item>,
) -> Result<(Vec<(Id, Id)>, Option<Item>), StoreError> {
    let WalkPage { items, next } = store
        .walk(&Walk::due_webhook_deliveries(account, now), start)
        .await?;
    let pairs = items
        .into_iter()
        .filter_map(|item| {
            let id = |name: &str| {
                item.get(name)
                    .and_then(|v| v.as_s().ok())
                    .and_then(|s| Id::parse(s))
            };
            Some((id("endpoint_id")?, id("event_id")?))
        })
        .collect();
    Ok((pairs, next))
}

/// How many deliveries the endpoint's log holds (a counting Query, capped
/// as every uncounted list's count is).
pub async fn count(store: &Store, account: &Id, endpoint: &Id) -> Result<u64, StoreError> {
    store
        .count(&Listing::webhook_deliveries(account, endpoint), None)
        .await
}
