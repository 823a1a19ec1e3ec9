//! Event items: the transactional outbox and the activity log it is read as.
//!
//! A change's events are put in the change's own `TransactWriteItems`, so an
//! event exists exactly when its change does. An item holds the canonical
//! JSON of one or more events of ONE type (`events`, a list of strings):
//! several only when one transaction makes many changes of a kind (a bulk
//! decision, a payout run's transaction), which would not fit an item each.
//! The events of one item carry consecutive ids ([`Id::batch`]) and the
//! item's sort key is `EVENT#<its first event's id>`, so:
//!
//! - newest first is the items in descending key order, each read from its
//!   last event to its first;
//! - one event is found by a Query from its id down to the start of its
//!   batch's range ([`Id::batch_start`]): the first item there holds it;
//! - a time range is a key range, as every event of an item is stamped
//!   with the item's time;
//! - a type is an index partition (gsi1), an item being of one type.
//!
//! A transaction that has no room for its events' items (a bulk decision
//! of 100 commissions is DynamoDB's limit of 100 items on its own) stages
//! each event on the item whose change it reports instead: the attribute
//! [`STAGED`], written by the change's own update, so the event still exists
//! exactly when its change does. [`release`] then moves each into an event
//! item of its own, as the request that staged it does at once and as the
//! webhook dispatcher does for every stage the table's stream shows it
//! (what a request killed in between left). An event released from a stage
//! is alone in its item; its id is still one of its batch's.
//!
//! An object filter reads the (type's) list and keeps the events about the
//! object (`objects`, the string set of the item's object ids, narrows the
//! read with a filter expression).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use chrono::{DateTime, Utc};
use ledger_core::model::{Event, EventType, Id};

use super::keys::EVENT;
use super::{Condition, IndexEntry, Item, Key, Listing, Store, StoreError};

const ENTITY: &str = "event";

/// The most event text one item holds: DynamoDB's item limit is 400 KB,
/// and the keys and object ids need room too.
const MAX_ITEM_TEXT: usize = 300_000;

/// The most items a list request reads to count or to fill a page under an
/// object filter, as for the other lists' counting Queries.
pub const MAX_READ: u64 = 10_000;

/// What an activity-log list is narrowed by.
#[derive(Clone, Debug, Default)]
pub struct EventFilter {
    pub kind: Option<EventType>,
    /// The id of the object the events are about.
    pub object: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// The items that hold `events` (one change's, or one transaction's): one
/// item per type, more when a type's events outgrow an item. Each event's
/// id must come from the same [`Id::batch`] as the others of its type, in
/// order.
pub fn writes(
    store: &Store,
    account: &Id,
    events: &[Event],
) -> Result<Vec<TransactWriteItem>, StoreError> {
    let mut writes = Vec::new();
    for kind in EventType::ALL {
        let mut item: Vec<&Event> = Vec::new();
        let mut size = 0;
        for event in events.iter().filter(|e| e.kind == kind) {
            let text = event.canonical().len();
            if !item.is_empty() && size + text > MAX_ITEM_TEXT {
                writes.push(write(store, account, &std::mem::take(&mut item))?);
                size = 0;
            }
            size += text;
            item.push(event);
        }
        if !item.is_empty() {
            writes.push(write(store, account, &item)?);
        }
    }
    Ok(writes)
}

/// How many items [`writes`] puts for `events`, for a caller that packs
/// transactions: one a type when they fit.
pub fn items_for(events: &[Event]) -> usize {
    EventType::ALL
        .into_iter()
        .filter(|kind| events.iter().any(|e| e.kind == *kind))
        .count()
}

fn write(store: &Store, account: &Id, events: &[&Event]) -> Result<TransactWriteItem, StoreError> {
    store.put(item(account, events), Condition::absent())
}

/// The item that holds `events` (of one type, from one batch of ids).
fn item(account: &Id, events: &[&Event]) -> Item {
    let first = &events[0];
    let key = Key::events(account, &first.id);
    let mut item = key.item_key();
    item.insert("entity".into(), AttributeValue::S(ENTITY.into()));
    item.insert("type".into(), AttributeValue::S(first.kind.as_str().into()));
    item.insert(
        "events".into(),
        AttributeValue::L(
            events
                .iter()
                .map(|e| AttributeValue::S(e.canonical()))
                .collect(),
        ),
    );
    item.insert("n".into(), AttributeValue::N(events.len().to_string()));
    let mut objects: Vec<String> = events
        .iter()
        .filter_map(|e| e.object_id().map(str::to_string))
        .collect();
    objects.sort();
    objects.dedup();
    if !objects.is_empty() {
        item.insert("objects".into(), AttributeValue::Ss(objects));
    }
    let entry = IndexEntry::events_by_type(account, first.kind.as_str(), &first.id);
    item.extend(
        entry
            .attributes()
            .map(|(name, value)| (name.to_string(), value)),
    );
    item
}

/// The attribute that stages an event on the item whose change it reports.
pub const STAGED: &str = "staged_event";

/// The attribute to set, in the change's own write, on the item whose
/// change `event` reports, when the transaction has no room for the event's
/// item (see the module's documentation).
pub fn stage(event: &Event) -> (String, AttributeValue) {
    (STAGED.to_string(), AttributeValue::S(event.canonical()))
}

/// The event staged on an item, as the item's `staged_event` text reads.
pub fn staged(text: &str) -> Result<Event, StoreError> {
    Event::from_canonical(text).map_err(|e| StoreError::Corrupt(format!("staged event: {e}")))
}

/// An event staged on the item at `holder`, until it is released.
#[derive(Clone, Debug)]
pub struct Stage {
    pub holder: Key,
    pub event: Event,
}

/// Moves the staged `event` into an event item of its
/// own: puts that item unless it is there, then removes the stage from
/// `holder` unless it is gone. Each step is idempotent and the second follows the first, so a
/// release may be run any number of times, by the request that staged the
/// event and by the dispatcher reading the stage from the table's stream,
/// and once no stage is left every event has its item.
pub async fn release(store: &Store, Stage { holder, event }: &Stage) -> Result<(), StoreError> {
    if holder.pk != Key::account(&event.account_id).pk {
        return Err(StoreError::Corrupt(format!(
            "event {} is staged on {}, outside its account",
            event.id, holder.pk
        )));
    }
    store
        .put_if(item(&event.account_id, &[event]), Condition::absent())
        .await?;
    let staged = Condition::new("#staged = :staged")
        .name("#staged", STAGED)
        .value(":staged", AttributeValue::S(event.canonical()));
    store.update_if(holder, "REMOVE #staged", staged).await?;
    Ok(())
}

/// The events an item holds, oldest first.
pub fn from_item(item: &Item) -> Result<Vec<Event>, StoreError> {
    let corrupt = |why: &str| StoreError::Corrupt(format!("event item: {why}"));
    let texts = item
        .get("events")
        .and_then(|v| v.as_l().ok())
        .ok_or_else(|| corrupt("no events"))?;
    texts
        .iter()
        .map(|text| {
            let text = text.as_s().map_err(|_| corrupt("an event is not text"))?;
            Event::from_canonical(text).map_err(|e| corrupt(&e.to_string()))
        })
        .collect()
}

/// The event `id` of `account`, if it exists.
pub async fn get(store: &Store, account: &Id, id: &Id) -> Result<Option<Event>, StoreError> {
    let partition = Key::account(account).pk;
    let mut start = None;
    loop {
        let output = store
            .client()
            .query()
            .table_name(store.table())
            .key_condition_expression("pk = :pk AND sk BETWEEN :low AND :high")
            .expression_attribute_values(":pk", AttributeValue::S(partition.clone()))
            .expression_attribute_values(
                ":low",
                AttributeValue::S(format!("{EVENT}{}", id.batch_start())),
            )
            .expression_attribute_values(":high", AttributeValue::S(format!("{EVENT}{id}")))
            .scan_index_forward(false)
            .consistent_read(true)
            .limit(4)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(StoreError::dynamo)?;
        for item in output.items.unwrap_or_default() {
            if let Some(event) = from_item(&item)?.into_iter().find(|e| &e.id == id) {
                return Ok(Some(event));
            }
        }
        start = output.last_evaluated_key;
        if start.is_none() {
            return Ok(None);
        }
    }
}

/// One page of the activity log, newest first.
#[derive(Debug)]
pub struct EventPage {
    pub events: Vec<Event>,
    /// Whether events follow this page.
    pub more: bool,
}

/// The Query an activity-log list runs: where, in which key range, and
/// the object filter.
struct EventQuery {
    listing: Listing,
    object: Option<String>,
}

impl EventQuery {
    fn of(account: &Id, filter: &EventFilter) -> Self {
        Self {
            listing: Listing::events(account, filter.kind.map(EventType::as_str))
                .created_between(filter.from, filter.to),
            object: filter.object.clone(),
        }
    }

    /// The Query from `start` (newest first), projecting `projection`.
    fn request(
        &self,
        store: &Store,
        start: Option<Item>,
        limit: i32,
        projection: Option<&str>,
    ) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
        let (key_condition, mut values) = self.listing.key_condition();
        let filter = self.object.as_ref().map(|object| {
            values.insert(":object".into(), AttributeValue::S(object.clone()));
            "contains(#objects, :object)".to_string()
        });
        let names = filter
            .is_some()
            .then(|| HashMap::from([("#objects".to_string(), "objects".to_string())]));
        store
            .client()
            .query()
            .table_name(store.table())
            .set_index_name(self.listing.index().map(|i| i.name().to_string()))
            .key_condition_expression(key_condition)
            .set_filter_expression(filter)
            .set_expression_attribute_names(names)
            .set_expression_attribute_values(Some(values))
            .set_projection_expression(projection.map(str::to_string))
            .scan_index_forward(false)
            .consistent_read(self.listing.index().is_none())
            .limit(limit)
            .set_exclusive_start_key(start)
    }

    /// Where a read continuing after the event `after` (newer ones were
    /// read) starts: at the item that holds it, which may hold older ones.
    /// `None` inside means from the newest; `Err(())`: nothing lies after it.
    fn start_after(&self, after: &Id) -> Result<Option<Item>, ()> {
        match self.listing.id_range() {
            Some((_, high)) if after > high => Ok(None),
            Some((low, _)) if after <= low => Err(()),
            _ => Ok(Some(self.listing.start_after(after))),
        }
    }

    fn wants(&self, event: &Event) -> bool {
        self.object
            .as_deref()
            .is_none_or(|object| event.object_id() == Some(object))
    }
}

/// Reads `limit` events of `filter` newest first, after passing over `skip`,
/// starting after the event `after` (a cursor) if given.
pub async fn page(
    store: &Store,
    account: &Id,
    filter: &EventFilter,
    after: Option<&Id>,
    skip: usize,
    limit: usize,
) -> Result<EventPage, StoreError> {
    let query = EventQuery::of(account, filter);
    let wanted = skip + limit + 1;
    let mut start = match after.map(|after| query.start_after(after)) {
        None => None,
        Some(Ok(start)) => start,
        Some(Err(())) => {
            return Ok(EventPage {
                events: Vec::new(),
                more: false,
            });
        }
    };
    let mut events = Vec::with_capacity(wanted.min(101));
    let mut read = 0u64;
    loop {
        let batch = i32::try_from(wanted - events.len()).unwrap_or(i32::MAX);
        let output = query
            .request(store, start, batch, None)
            .send()
            .await
            .map_err(StoreError::dynamo)?;
        read += u64::try_from(output.scanned_count).unwrap_or(0);
        for item in output.items.unwrap_or_default() {
            let held = from_item(&item)?;
            events.extend(
                held.into_iter()
                    .rev()
                    .filter(|e| after.is_none_or(|after| &e.id < after) && query.wants(e)),
            );
        }
        start = output.last_evaluated_key;
        if events.len() >= wanted || start.is_none() || read >= MAX_READ {
            break;
        }
    }
    let more = events.len() >= wanted;
    let events = events.into_iter().skip(skip).take(limit).collect();
    Ok(EventPage { events, more })
}

/// How many events `filter` selects, counted from each item's `n` (under
/// an object filter: the items about the object, an item holding at most
/// one event per object). It reads at most [`MAX_READ`] items.
pub async fn count(store: &Store, account: &Id, filter: &EventFilter) -> Result<u64, StoreError> {
    let query = EventQuery::of(account, filter);
    let (mut count, mut read) = (0u64, 0u64);
    let mut start = None;
    loop {
        let output = query
            .request(store, start, 1_000, Some("n"))
            .send()
            .await
            .map_err(StoreError::dynamo)?;
        read += u64::try_from(output.scanned_count).unwrap_or(0);
        for item in output.items.unwrap_or_default() {
            count += match query.object {
                Some(_) => 1,
                None => held(&item)?,
            };
        }
        start = output.last_evaluated_key;
        if start.is_none() || read >= MAX_READ {
            return Ok(count);
        }
    }
}

fn held(item: &HashMap<String, AttributeValue>) -> Result<u64, StoreError> {
    item.get("n")
        .and_then(|n| n.as_n().ok())
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| StoreError::Corrupt("event item: no count".into()))
}
