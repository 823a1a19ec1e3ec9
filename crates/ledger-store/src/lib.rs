//! The DynamoDB single table: one client, one table, typed items.
//!
//! Access patterns are listed in `README.md` beside this file; keys come only
//! from [`keys`]. Each entity module turns domain values into items and back,
//! and builds the transaction items that change them.

pub mod accounts;
pub mod api_keys;
pub mod campaigns;
pub mod clicks;
mod codec;
pub mod commissions;
mod entity;
pub mod events;
pub mod fx_rates;
mod https_client;
pub mod keys;
mod pages;
pub mod partner_groups;
pub mod partner_stats;
pub mod partners;
pub mod payout_runs;
pub mod payouts;
pub mod portal_sessions;
pub mod referrals;
pub mod request_count;
pub mod stripe_invoices;
pub mod tallies;
pub mod unique;
pub mod webhook_deliveries;
pub mod webhook_endpoints;
mod write;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, TransactWriteItem};

use request_count::DynamoRequestCount;

pub use codec::{decode, encode, timestamp};
pub use entity::{Entity, Found, Missing, Reads, Ref};
pub use https_client::https_client;
pub use keys::{Collection, Index, IndexEntry, Key, Listing, Tally, UniqueValue, Walk};
pub use pages::{FilteredList, Page, PageRequest, WalkPage};
pub use write::{Changes, Condition};

/// The most items one `TransactWriteItems` writes (DynamoDB's limit).
pub const MAX_TRANSACTION_ITEMS: usize = 100;

/// A raw table item.
pub type Item = HashMap<String, AttributeValue>;

/// The writes every transaction of a held batch ends with, given the items
/// it still writes (see [`Store::transact_holding_recorded`]).
type Trailer<'a, T> = dyn Fn(&[&T]) -> Result<Vec<TransactWriteItem>, StoreError> + Sync + 'a;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A transaction was cancelled; `reasons[i]` is DynamoDB's code for item `i`
    /// (`"None"`, `"ConditionalCheckFailed"`, `"TransactionConflict"`, ...).
    #[error("transaction cancelled: {reasons:?}")]
    Cancelled { reasons: Vec<String> },
    #[error("stored item is unreadable: {0}")]
    Corrupt(String),
    /// DynamoDB refused the request as invalid (`ValidationException`): a
    /// value too large for a key or an item. Input the checks let through,
    /// so it is answered as a client error, and nothing was written.
    #[error("DynamoDB refused the request: {0}")]
    Rejected(String),
    #[error("configuration: {0}")]
    Config(String),
    #[error("DynamoDB: {0}")]
    Dynamo(String),
}

impl From<ledger_core::views::commission::CorruptSnapshot> for StoreError {
    fn from(error: ledger_core::views::commission::CorruptSnapshot) -> Self {
        StoreError::Corrupt(error.to_string())
    }
}

impl StoreError {
    /// Whether item `index` of a cancelled transaction failed its condition.
    pub fn failed_condition(&self, index: usize) -> bool {
        matches!(self, StoreError::Cancelled { reasons } if reasons.get(index).is_some_and(|r| r == "ConditionalCheckFailed"))
    }

    /// Whether the transaction lost a race and may simply be tried again.
    pub fn is_contention(&self) -> bool {
        matches!(self, StoreError::Cancelled { reasons }
            if reasons.iter().any(|r| r == "ConditionalCheckFailed" || r == "TransactionConflict"))
    }

    /// A failed request (an `SdkError`, or an operation's service error):
    /// `Rejected` when DynamoDB refused it as invalid, else `Dynamo`.
    fn dynamo<E: std::error::Error + ProvideErrorMetadata + 'static>(err: E) -> Self {
        if err.code() == Some("ValidationException") {
            let message = err.message().unwrap_or("invalid request").to_string();
            tracing::warn!(%message, "DynamoDB refused a request as invalid");
            return StoreError::Rejected(message);
        }
        StoreError::Dynamo(aws_sdk_dynamodb::error::DisplayErrorContext(err).to_string())
    }

    /// Whether a cancelled transaction only collided with another one in
    /// flight (`TransactionConflict`), with no condition failing: the same
    /// writes may simply be sent again.
    fn is_conflict_only(&self) -> bool {
        matches!(self, StoreError::Cancelled { reasons }
            if reasons.iter().any(|r| r == "TransactionConflict")
                && reasons.iter().all(|r| r == "TransactionConflict" || r == "None"))
    }
}

/// The table, shared by every handler of a function. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    client: Client,
    table: Arc<str>,
}

impl Store {
    pub fn new(client: Client, table: impl Into<Arc<str>>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Builds the client from the standard AWS environment (so
    /// `AWS_ENDPOINT_URL_DYNAMODB` points it at a local emulator) and the table
    /// from `TABLE_NAME`. Timeouts are explicit, so a stalled connection
    /// fails one attempt rather than the invocation: 2 s to connect, 10 s an
    /// attempt, 25 s in all (inside API Gateway's 30 s); the SDK's standard
    /// retries (throttling, transient faults) back off with jitter, 4 attempts.
    /// Each request sent counts against the HTTP request in flight
    /// ([`DynamoRequestCount`]).
    pub async fn from_env() -> Result<Self, StoreError> {
        let table = std::env::var("TABLE_NAME")
            .map_err(|_| StoreError::Config("TABLE_NAME is not set".into()))?;
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .http_client(https_client())
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(2))
                    .operation_attempt_timeout(Duration::from_secs(10))
                    .operation_timeout(Duration::from_secs(25))
                    .build(),
            )
            .retry_config(retries())
            .load()
            .await;
        let client = aws_sdk_dynamodb::config::Builder::from(&config)
            .interceptor(DynamoRequestCount)
            .build();
        Ok(Self::new(Client::from_conf(client), table))
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// Reads items strongly consistently, in the order asked: one
    /// BatchGetItem per 100 distinct keys (DynamoDB's limit). Keys DynamoDB
    /// leaves unprocessed (throttling) are retried with backoff. A key too
    /// long for DynamoDB holds nothing, and is not asked for.
    pub async fn get_many(&self, keys: &[&Key]) -> Result<Vec<Option<Item>>, StoreError> {
        let mut found: HashMap<Key, Item> = HashMap::with_capacity(keys.len());
        let storable: Vec<&Key> = keys.iter().copied().filter(|k| k.is_storable()).collect();
        for chunk in unique(&storable).chunks(MAX_BATCH_GET) {
            self.get_batch(chunk, &mut found).await?;
        }
        Ok(keys.iter().map(|key| found.get(*key).cloned()).collect())
    }

    /// One BatchGetItem of at most [`MAX_BATCH_GET`] keys, into `found`.
    async fn get_batch(
        &self,
        keys: &[&Key],
        found: &mut HashMap<Key, Item>,
    ) -> Result<(), StoreError> {
        let mut pending: Vec<Item> = keys.iter().map(|k| k.item_key()).collect();
        let mut round = 0;
        while !pending.is_empty() {
            if round > 0 {
                if round == MAX_READ_ROUNDS {
                    return Err(StoreError::Dynamo(format!(
                        "{} keys still unprocessed after {MAX_READ_ROUNDS} BatchGetItem requests",
                        pending.len()
                    )));
                }
                tokio::time::sleep(backoff(round)).await;
            }
            round += 1;
            let request = KeysAndAttributes::builder()
                .set_keys(Some(pending))
                .consistent_read(true)
                .build()
                .map_err(|e| StoreError::Dynamo(e.to_string()))?;
            let output = self
                .client
                .batch_get_item()
                .request_items(self.table.as_ref(), request)
                .send()
                .await
                .map_err(StoreError::dynamo)?;
            for item in output
                .responses
                .and_then(|mut r| r.remove(self.table.as_ref()))
                .unwrap_or_default()
            {
                if let Some(key) = Key::of_item(&item) {
                    found.insert(key, item);
                }
            }
            pending = output
                .unprocessed_keys
                .and_then(|mut u| u.remove(self.table.as_ref()))
                .map(|k| k.keys)
                .unwrap_or_default();
        }
        Ok(())
    }

    /// [`Store::get_many`] for a number of keys known at compile time.
    pub async fn get_each<const N: usize>(
        &self,
        keys: &[Key; N],
    ) -> Result<[Option<Item>; N], StoreError> {
        let found = self.get_many(&keys.iter().collect::<Vec<_>>()).await?;
        Ok(found.try_into().expect("get_many answers every key asked"))
    }

    /// Reads one item, strongly consistent: for a read that follows another
    /// (the request's first read is the auth BatchGetItem).
    pub async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        Ok(self.get_many(&[key]).await?.pop().flatten())
    }

    /// Every item of a collection, following DynamoDB's pages. For small
    /// collections only (partner groups, API keys); large ones page with cursors.
    pub async fn query_all(&self, collection: &Collection) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(self.table.as_ref())
                .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                .expression_attribute_values(":pk", AttributeValue::S(collection.pk.clone()))
                .expression_attribute_values(
                    ":prefix",
                    AttributeValue::S(collection.sk_prefix.to_string()),
                )
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(StoreError::dynamo)?;
            items.extend(output.items.unwrap_or_default());
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(items);
            }
        }
    }

    /// Runs `items` as one all-or-nothing TransactWriteItems. A transaction
    /// cancelled only because another one held an item (`TransactionConflict`)
    /// wrote nothing and is sent again, with backoff, up to [`MAX_ROUNDS`]
    /// times; a failed condition is the caller's to judge. The first wait is
    /// the shortest ([`backoff`] of round 0, up to 10 ms): the cancellation
    /// comes back about one transaction's latency after it was sent, by
    /// which time the transaction holding the item has mostly finished, so
    /// a longer one would only add to the sale's latency.
    pub async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<(), StoreError> {
        let mut round = 0;
        loop {
            match self.transact_once(items.clone()).await {
                Err(e) if e.is_conflict_only() && round + 1 < MAX_ROUNDS => {
                    round += 1;
                    tokio::time::sleep(backoff(round - 1)).await;
                }
                done => return done,
            }
        }
    }

    async fn transact_once(&self, items: Vec<TransactWriteItem>) -> Result<(), StoreError> {
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) => match err.into_service_error() {
                TransactWriteItemsError::TransactionCanceledException(cancelled) => {
                    Err(StoreError::Cancelled {
                        reasons: cancelled
                            .cancellation_reasons()
                            .iter()
                            .map(|r| r.code().unwrap_or("None").to_string())
                            .collect(),
                    })
                }
                other => Err(StoreError::dynamo(other)),
            },
        }
    }

    /// Writes `write(item)` for each of `items` in one transaction, with
    /// `record(written)`: the events of the items it writes. An item whose
    /// condition fails (someone else changed it meanwhile) is dropped and
    /// the rest tried again, with their events, up to `attempts`
    /// transactions. Answers the items written; contention that outlasts
    /// the attempts is the last cancellation.
    pub async fn transact_holding_recorded<'a, T>(
        &self,
        items: &'a [T],
        attempts: usize,
        write: impl Fn(&T) -> Result<TransactWriteItem, StoreError>,
        record: impl Fn(&[&T]) -> Result<Vec<TransactWriteItem>, StoreError> + Sync,
    ) -> Result<Vec<&'a T>, StoreError> {
        self.holding(items, attempts, write, &record).await
    }

    /// Writes `write(item)` for each of `items` as
    /// [`Store::transact_holding_recorded`] does, every transaction also
    /// carrying `count(n)`, `n` being the items it writes: a counter kept
    /// exact whichever items drop out. The counter's own condition failing
    /// ends it.
    pub async fn transact_holding_counted<'a, T>(
        &self,
        items: &'a [T],
        attempts: usize,
        write: impl Fn(&T) -> Result<TransactWriteItem, StoreError>,
        count: impl Fn(usize) -> Result<TransactWriteItem, StoreError> + Sync,
    ) -> Result<Vec<&'a T>, StoreError> {
        let trailer = |left: &[&T]| Ok(vec![count(left.len())?]);
        self.holding(items, attempts, write, &trailer).await
    }

    /// The writes of `left`, then `trailer(left)`, tried until they land;
    /// a trailer's own condition failing ends it.
    async fn holding<'a, T>(
        &self,
        items: &'a [T],
        attempts: usize,
        write: impl Fn(&T) -> Result<TransactWriteItem, StoreError>,
        trailer: &Trailer<'_, T>,
    ) -> Result<Vec<&'a T>, StoreError> {
        let mut left: Vec<&T> = items.iter().collect();
        let mut tried = 0;
        while !left.is_empty() {
            let mut writes = left
                .iter()
                .map(|item| write(item))
                .collect::<Result<Vec<_>, _>>()?;
            let trailing = trailer(&left)?;
            let trailers = left.len()..left.len() + trailing.len();
            writes.extend(trailing);
            match self.transact(writes).await {
                Ok(()) => break,
                Err(e) if trailers.clone().any(|i| e.failed_condition(i)) => return Err(e),
                Err(e) if e.is_contention() && tried + 1 < attempts => {
                    tried += 1;
                    left = left
                        .into_iter()
                        .enumerate()
                        .filter(|(index, _)| !e.failed_condition(*index))
                        .map(|(_, item)| item)
                        .collect();
                }
                Err(e) => return Err(e),
            }
        }
        Ok(left)
    }

    /// One conditional Put, outside any transaction (a write of one item);
    /// `false` when the condition failed and nothing was written.
    pub async fn put_if(&self, item: Item, condition: Condition) -> Result<bool, StoreError> {
        let parts = condition.into_parts();
        let result = self
            .client
            .put_item()
            .table_name(self.table.as_ref())
            .set_item(Some(item))
            .condition_expression(parts.expression)
            .set_expression_attribute_names(Some(parts.names).filter(|n| !n.is_empty()))
            .set_expression_attribute_values(Some(parts.values).filter(|v| !v.is_empty()))
            .send()
            .await;
        condition_held(result, PutItemError::is_conditional_check_failed_exception)
    }

    /// One conditional Update of the item at `key` (`expression` names its
    /// attributes through `condition`'s names), outside any transaction;
    /// `false` when the condition failed and nothing was written.
    pub async fn update_if(
        &self,
        key: &Key,
        expression: &str,
        condition: Condition,
    ) -> Result<bool, StoreError> {
        let parts = condition.into_parts();
        let result = self
            .client
            .update_item()
            .table_name(self.table.as_ref())
            .set_key(Some(key.item_key()))
            .update_expression(expression)
            .condition_expression(parts.expression)
            .set_expression_attribute_names(Some(parts.names).filter(|n| !n.is_empty()))
            .set_expression_attribute_values(Some(parts.values).filter(|v| !v.is_empty()))
            .send()
            .await;
        condition_held(
            result,
            UpdateItemError::is_conditional_check_failed_exception,
        )
    }

    /// Puts one item that must not exist yet.
    pub async fn insert(&self, item: Item) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(self.table.as_ref())
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(StoreError::dynamo)?;
        Ok(())
    }
}

/// Whether a conditional write's condition held: `Ok(false)` when `failed`
/// says its service error is the condition failing.
fn condition_held<O, E, R>(
    result: Result<O, SdkError<E, R>>,
    failed: fn(&E) -> bool,
) -> Result<bool, StoreError>
where
    SdkError<E, R>: std::error::Error + ProvideErrorMetadata + 'static,
{
    match result {
        Ok(_) => Ok(true),
        Err(e) if e.as_service_error().is_some_and(failed) => Ok(false),
        Err(e) => Err(StoreError::dynamo(e)),
    }
}

/// `decode(item)`, or `None` with the item's key logged when it cannot be
/// read: a batch job passes over one unreadable object, reported for that
/// object, instead of failing for the whole account (SPEC §4.7-8).
pub fn readable<T>(item: Item, decode: impl FnOnce(Item) -> Result<T, StoreError>) -> Option<T> {
    let key = Key::of_item(&item);
    decode(item)
        .inspect_err(|error| {
            let (pk, sk) = key.map(|k| (k.pk, k.sk)).unwrap_or_default();
            tracing::error!(pk, sk, %error, "unreadable item passed over");
        })
        .ok()
}

/// The most keys one BatchGetItem may ask for.
const MAX_BATCH_GET: usize = 100;

/// How many times one transaction is sent while it only collides with
/// others (`TransactionConflict`): with the backoff below, about 1.3 s of
/// waiting at the most. Handlers retry a lost race on top of this
/// (`http::retry_contended`), so a collision alone rarely reaches a caller.
const MAX_ROUNDS: u32 = 8;

/// How many BatchGetItem requests one read may take while DynamoDB leaves
/// keys unprocessed (it throttles a batch key by key). Nothing retries a
/// read above this, so the budget is longer than a transaction's: about 7 s
/// of waiting at the most, inside the functions' 10 s.
const MAX_READ_ROUNDS: u32 = 16;

/// How the SDK retries a throttled or transiently failed request: the
/// standard mode, with the patience AWS long gave DynamoDB clients (10
/// attempts, from 25 ms, jittered, up to 1 s apart) rather than the
/// generic 3 attempts from 1 s. Throttling is routine for an on-demand
/// table that a burst takes past its warm throughput.
pub fn retries() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(10)
        .with_initial_backoff(Duration::from_millis(25))
        .with_max_backoff(Duration::from_secs(1))
}

/// A random wait of up to 10 ms × 2^round, capped at 640 ms ("full jitter"),
/// so that racing writers spread out.
pub fn backoff(round: u32) -> Duration {
    let mut random = [0u8; 2];
    getrandom::fill(&mut random).expect("the operating system's random source is available");
    let ceiling = 10u64 << round.min(6);
    Duration::from_millis(u64::from(u16::from_le_bytes(random)) % ceiling)
}

/// `keys` without repeats (BatchGetItem refuses them), first seen first.
fn unique<'a>(keys: &[&'a Key]) -> Vec<&'a Key> {
    let mut seen = HashSet::with_capacity(keys.len());
    keys.iter()
        .copied()
        .filter(|key| seen.insert(*key))
        .collect()
}

/// For unit tests that build transactions and never send them: a store
/// whose client has no endpoint or credentials.
#[cfg(test)]
pub(crate) fn offline_store() -> Store {
    Store::new(
        Client::from_conf(
            aws_sdk_dynamodb::Config::builder()
                .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
                .build(),
        ),
        "table",
    )
}
