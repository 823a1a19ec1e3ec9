//! The model's per-item rules, applied at a request's virtual time: which
//! items a request touches (read off its JSON body), the transaction
//! conflicts DynamoDB documents between requests in flight on one item, and
//! each item's read and write capacity per virtual second. It owns the error
//! bodies the model answers with, in DynamoDB's wire shapes (the shapes
//! `infra/local/dynamodb_faults.py` injects for the harsh test world).

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Value, json};

/// The table's key attributes (`ledger_store::Key::to_item`).
const HASH_KEY: &str = "pk";
const RANGE_KEY: &str = "sk";

const DYNAMODB: &str = "com.amazonaws.dynamodb.v20120810#";
/// moto's account id, in the table ARN a throttling reason names.
const ACCOUNT: &str = "123456789012";
/// A write unit covers 1 KB of item, a read unit 4 KB.
const WRITE_UNIT_BYTES: usize = 1024;
const READ_UNIT_BYTES: usize = 4096;

/// One item: its table and its key, as the strings its key attributes hold
/// (the attribute value's JSON if it is not a string).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ItemKey {
    pub table: String,
    pub pk: String,
    pub sk: String,
}

/// The throughput one item sustains: DynamoDB's per-partition ceilings,
/// which a single item can never exceed (it lives in one partition).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub write_units_per_second: f64,
    pub read_units_per_second: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            write_units_per_second: 1000.0,
            read_units_per_second: 3000.0,
        }
    }
}

/// How long a request is in flight, by the latency it is given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// TransactWriteItems, TransactGetItems.
    Transaction,
    /// PutItem, UpdateItem, DeleteItem, BatchWriteItem.
    Write,
    /// Everything else: GetItem, BatchGetItem, Query, Scan, and the control plane.
    Read,
}

pub fn kind(operation: &str) -> Kind {
    match operation {
        "TransactWriteItems" | "TransactGetItems" => Kind::Transaction,
        "PutItem" | "UpdateItem" | "DeleteItem" | "BatchWriteItem" => Kind::Write,
        _ => Kind::Read,
    }
}

/// Why the model refused a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    Conflict,
    Throttle,
}

/// An answer the model gives instead of the emulator's: HTTP 400 with
/// DynamoDB's JSON error body.
#[derive(Debug)]
pub struct Rejection {
    pub refusal: Refusal,
    pub error_type: &'static str,
    pub body: Value,
}

/// What a request does to one item.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Access {
    /// PutItem, UpdateItem, DeleteItem, BatchWriteItem.
    Write,
    /// An action (Put, Update, Delete, ConditionCheck) of a TransactWriteItems.
    TransactWrite,
    Read {
        consistent: bool,
    },
    /// A Get of a TransactGetItems.
    TransactRead,
}

/// One item a request names, at `index` among its transaction's items.
#[derive(Debug)]
struct Touch {
    index: usize,
    key: ItemKey,
    access: Access,
    /// The JSON size of the item a Put writes.
    written_bytes: Option<usize>,
}

/// Another request in flight on an item, until its virtual end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hold {
    Transaction,
    Write,
}

/// One item's capacity used in one virtual second.
#[derive(Clone, Copy, Debug, Default)]
struct Window {
    second: u64,
    read_units: f64,
    write_units: f64,
}

/// Rejections counted against one item.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rejections {
    pub conflicts: u64,
    pub throttles: u64,
}

/// Every item's requests in flight, capacity used, last known size and
/// rejections.
#[derive(Debug, Default)]
pub struct Items {
    limits: Limits,
    holds: HashMap<ItemKey, Vec<(Hold, Duration)>>,
    used: HashMap<ItemKey, Window>,
    sizes: HashMap<ItemKey, usize>,
    rejected: HashMap<ItemKey, Rejections>,
}

impl Items {
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            ..Self::default()
        }
    }

    /// Decides `operation` (its JSON `body`) at virtual time `at`, in flight
    /// until `until`: a conflict or a throttle, or `None` when it may run
    /// (then its holds and its capacity are taken).
    pub fn admit(
        &mut self,
        operation: &str,
        body: &Value,
        at: Duration,
        until: Duration,
    ) -> Option<Rejection> {
        let touches = touches(operation, body);
        for touch in &touches {
            if let Some(holds) = self.holds.get_mut(&touch.key) {
                holds.retain(|(_, end)| *end > at);
            }
        }
        let size = body["TransactItems"].as_array().map_or(0, Vec::len);
        if let Some(rejection) = self.conflict(operation, &touches, size) {
            return Some(rejection);
        }
        let costs: Vec<(f64, f64)> = touches.iter().map(|t| self.cost(t)).collect();
        let (second, limits) = (at.as_secs(), self.limits);
        for (touch, (read, write)) in touches.iter().zip(&costs) {
            let window = self.window(&touch.key, second);
            if window.write_units + write > limits.write_units_per_second
                || window.read_units + read > limits.read_units_per_second
            {
                let over_writes = *write > 0.0;
                return Some(self.throttle(&touch.key, over_writes));
            }
        }
        let hold = match operation {
            "TransactWriteItems" => Some(Hold::Transaction),
            "PutItem" | "UpdateItem" | "DeleteItem" | "BatchWriteItem" => Some(Hold::Write),
            _ => None,
        };
        for (touch, (read, write)) in touches.into_iter().zip(costs) {
            let window = self.window(&touch.key, second);
            window.read_units += read;
            window.write_units += write;
            if let Some(bytes) = touch.written_bytes {
                self.sizes.insert(touch.key.clone(), bytes);
            }
            if let Some(hold) = hold {
                self.holds.entry(touch.key).or_default().push((hold, until));
            }
        }
        None
    }

    /// Reads what the emulator answered a request it ran: the sizes of the
    /// items it returned, and a Query's or Scan's read capacity, charged to
    /// the items it read; a throttle (the answer discarded) if that takes
    /// an item over its read units this second.
    pub fn observe(
        &mut self,
        operation: &str,
        body: &Value,
        answer: &Value,
        at: Duration,
    ) -> Option<Rejection> {
        let table = body["TableName"].as_str().unwrap_or_default();
        let returned: Vec<(ItemKey, usize)> = match operation {
            "GetItem" => sized(table, std::slice::from_ref(&answer["Item"])),
            "Query" | "Scan" => sized(table, answer["Items"].as_array().map_or(&[], Vec::as_slice)),
            "BatchGetItem" => answer["Responses"]
                .as_object()
                .into_iter()
                .flatten()
                .flat_map(|(table, items)| {
                    sized(table, items.as_array().map_or(&[], Vec::as_slice))
                })
                .collect(),
            "TransactGetItems" => {
                let requested: Vec<&str> = body["TransactItems"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|get| get["Get"]["TableName"].as_str().unwrap_or_default())
                    .collect();
                answer["Responses"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .zip(requested)
                    .flat_map(|(response, table)| {
                        sized(table, std::slice::from_ref(&response["Item"]))
                    })
                    .collect()
            }
            _ => Vec::new(),
        };
        for (key, bytes) in &returned {
            self.sizes.insert(key.clone(), *bytes);
        }
        if !matches!(operation, "Query" | "Scan") {
            return None;
        }
        let factor = if body["ConsistentRead"].as_bool() == Some(true) {
            1.0
        } else {
            0.5
        };
        let second = at.as_secs();
        let charges: Vec<(ItemKey, f64)> = returned
            .into_iter()
            .map(|(key, bytes)| (key, factor * bytes as f64 / READ_UNIT_BYTES as f64))
            .collect();
        for (key, units) in &charges {
            if self.window(key, second).read_units + units > self.limits.read_units_per_second {
                return Some(self.throttle(key, false));
            }
        }
        for (key, units) in charges {
            self.window(&key, second).read_units += units;
        }
        None
    }

    /// Rejections per item, most first.
    pub fn rejections(&self) -> Vec<(ItemKey, Rejections)> {
        let mut all: Vec<_> = self.rejected.iter().map(|(k, r)| (k.clone(), *r)).collect();
        all.sort_by_key(|(key, r)| (std::cmp::Reverse(r.conflicts + r.throttles), key.sk.clone()));
        all
    }

    /// DynamoDB's "Transaction conflict handling": a single-item write
    /// meets a transaction in flight on its item; a transaction's item is in
    /// another transaction in flight; a transactional read's item is in a
    /// write (of either kind) in flight. `size`: the transaction's items.
    fn conflict(&mut self, operation: &str, touches: &[Touch], size: usize) -> Option<Rejection> {
        let held = |items: &Self, key: &ItemKey, by: &[Hold]| {
            items
                .holds
                .get(key)
                .is_some_and(|holds| holds.iter().any(|(hold, _)| by.contains(hold)))
        };
        match operation {
            "PutItem" | "UpdateItem" | "DeleteItem" => {
                let key = touches
                    .iter()
                    .find(|t| held(self, &t.key, &[Hold::Transaction]))?
                    .key
                    .clone();
                self.rejected.entry(key).or_default().conflicts += 1;
                Some(Rejection {
                    refusal: Refusal::Conflict,
                    error_type: "TransactionConflictException",
                    body: json!({
                        "__type": format!("{DYNAMODB}TransactionConflictException"),
                        "message": "Transaction is ongoing for the item",
                    }),
                })
            }
            "TransactWriteItems" | "TransactGetItems" => {
                let by: &[Hold] = if operation == "TransactWriteItems" {
                    &[Hold::Transaction]
                } else {
                    &[Hold::Transaction, Hold::Write]
                };
                let conflicted: Vec<&Touch> =
                    touches.iter().filter(|t| held(self, &t.key, by)).collect();
                if conflicted.is_empty() {
                    return None;
                }
                let mut reasons = vec![json!({"Code": "None"}); size];
                for touch in &conflicted {
                    reasons[touch.index] = json!({
                        "Code": "TransactionConflict",
                        "Message": "Transaction is ongoing for the item",
                    });
                    self.rejected
                        .entry(touch.key.clone())
                        .or_default()
                        .conflicts += 1;
                }
                let codes: Vec<&str> = reasons
                    .iter()
                    .map(|r| r["Code"].as_str().unwrap_or_default())
                    .collect();
                Some(Rejection {
                    refusal: Refusal::Conflict,
                    error_type: "TransactionCanceledException",
                    body: json!({
                        "__type": format!("{DYNAMODB}TransactionCanceledException"),
                        "Message": format!(
                            "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]",
                            codes.join(", ")
                        ),
                        "CancellationReasons": reasons,
                    }),
                })
            }
            _ => None,
        }
    }

    /// (read units, write units) `touch` consumes: 1 WCU per KB written, 2
    /// in a transaction; per 4 KB read, 0.5 RCU eventually consistent, 1
    /// strongly, 2 in a transaction. An item's size is the larger of what a
    /// Put writes and its last known size (JSON bytes); unknown, 1 unit.
    fn cost(&self, touch: &Touch) -> (f64, f64) {
        let known = self.sizes.get(&touch.key).copied().unwrap_or(0);
        let bytes = known.max(touch.written_bytes.unwrap_or(0)).max(1);
        let units = |unit: usize| bytes.div_ceil(unit) as f64;
        match touch.access {
            Access::Write => (0.0, units(WRITE_UNIT_BYTES)),
            Access::TransactWrite => (0.0, 2.0 * units(WRITE_UNIT_BYTES)),
            Access::Read { consistent: true } => (units(READ_UNIT_BYTES), 0.0),
            Access::Read { consistent: false } => (0.5 * units(READ_UNIT_BYTES), 0.0),
            Access::TransactRead => (2.0 * units(READ_UNIT_BYTES), 0.0),
        }
    }

    fn window(&mut self, key: &ItemKey, second: u64) -> &mut Window {
        let window = self.used.entry(key.clone()).or_default();
        if window.second != second {
            *window = Window {
                second,
                ..Window::default()
            };
        }
        window
    }

    fn throttle(&mut self, key: &ItemKey, writes: bool) -> Rejection {
        self.rejected.entry(key.clone()).or_default().throttles += 1;
        let kind = if writes { "Write" } else { "Read" };
        let error = "ProvisionedThroughputExceededException";
        Rejection {
            refusal: Refusal::Throttle,
            error_type: error,
            body: json!({
                "__type": format!("{DYNAMODB}{error}"),
                "ThrottlingReasons": [{
                    "reason": format!("Table{kind}KeyRangeThroughputExceeded"),
                    "resource": format!("arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{}", key.table),
                }],
                "message": "Rate of requests exceeds the allowed throughput.",
            }),
        }
    }
}

/// The items `operation` names in `body`, in order.
fn touches(operation: &str, body: &Value) -> Vec<Touch> {
    let table = body["TableName"].as_str().unwrap_or_default();
    let consistent = body["ConsistentRead"].as_bool() == Some(true);
    let one = |attributes: &Value, access: Access, written: bool| {
        key_of(table, attributes).map(|key| Touch {
            index: 0,
            key,
            access,
            written_bytes: written.then(|| attributes.to_string().len()),
        })
    };
    match operation {
        "PutItem" => one(&body["Item"], Access::Write, true)
            .into_iter()
            .collect(),
        "UpdateItem" | "DeleteItem" => one(&body["Key"], Access::Write, false)
            .into_iter()
            .collect(),
        "GetItem" => one(&body["Key"], Access::Read { consistent }, false)
            .into_iter()
            .collect(),
        "TransactWriteItems" | "TransactGetItems" => body["TransactItems"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
            .filter_map(|(index, entry)| {
                let (action, spec) = entry.as_object()?.iter().next()?;
                let table = spec["TableName"].as_str()?;
                let (attributes, access) = match action.as_str() {
                    "Put" => (&spec["Item"], Access::TransactWrite),
                    "Get" => (&spec["Key"], Access::TransactRead),
                    _ => (&spec["Key"], Access::TransactWrite),
                };
                Some(Touch {
                    index,
                    key: key_of(table, attributes)?,
                    access,
                    written_bytes: (action == "Put").then(|| attributes.to_string().len()),
                })
            })
            .collect(),
        "BatchGetItem" => body["RequestItems"]
            .as_object()
            .into_iter()
            .flatten()
            .flat_map(|(table, request)| {
                let consistent = request["ConsistentRead"].as_bool() == Some(true);
                request["Keys"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(move |key| {
                        Some(Touch {
                            index: 0,
                            key: key_of(table, key)?,
                            access: Access::Read { consistent },
                            written_bytes: None,
                        })
                    })
            })
            .collect(),
        "BatchWriteItem" => body["RequestItems"]
            .as_object()
            .into_iter()
            .flatten()
            .flat_map(|(table, requests)| {
                requests
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(move |request| {
                        let (attributes, written) = match request.get("PutRequest") {
                            Some(put) => (&put["Item"], true),
                            None => (&request["DeleteRequest"]["Key"], false),
                        };
                        Some(Touch {
                            index: 0,
                            key: key_of(table, attributes)?,
                            access: Access::Write,
                            written_bytes: written.then(|| attributes.to_string().len()),
                        })
                    })
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The key of the item (or key map) `attributes` of `table`.
fn key_of(table: &str, attributes: &Value) -> Option<ItemKey> {
    let text = |value: &Value| {
        value["S"]
            .as_str()
            .map_or_else(|| value.to_string(), str::to_string)
    };
    let (pk, sk) = (attributes.get(HASH_KEY)?, attributes.get(RANGE_KEY)?);
    Some(ItemKey {
        table: table.to_string(),
        pk: text(pk),
        sk: text(sk),
    })
}

/// Each of `items` (attribute maps; `null`s skipped) with its key and JSON size.
fn sized(table: &str, items: &[Value]) -> Vec<(ItemKey, usize)> {
    items
        .iter()
        .filter_map(|item| Some((key_of(table, item)?, item.to_string().len())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn put(sk: &str) -> Value {
        json!({"TableName": "t", "Item": {"pk": {"S": "A#1"}, "sk": {"S": sk}, "n": {"N": "1"}}})
    }

    fn transact(sks: &[&str]) -> Value {
        let items: Vec<Value> = sks
            .iter()
            .map(|sk| json!({"Update": {"TableName": "t", "Key": {"pk": {"S": "A#1"}, "sk": {"S": sk}}}}))
            .collect();
        json!({"TransactItems": items})
    }

    #[test]
    fn a_transaction_in_flight_cancels_another_on_its_item_at_that_index_only() {
        let mut items = Items::new(Limits::default());
        assert!(
            items
                .admit(
                    "TransactWriteItems",
                    &transact(&["hot"]),
                    Duration::ZERO,
                    8 * MS
                )
                .is_none()
        );
        let cancelled = items
            .admit(
                "TransactWriteItems",
                &transact(&["cold", "hot"]),
                7 * MS,
                15 * MS,
            )
            .expect("cancelled");
        assert_eq!(cancelled.refusal, Refusal::Conflict);
        assert_eq!(
            cancelled.body["CancellationReasons"],
            json!([{"Code": "None"}, {"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}])
        );
        assert_eq!(
            cancelled.body["Message"],
            json!(
                "Transaction cancelled, please refer cancellation reasons for specific reasons [None, TransactionConflict]"
            )
        );
        assert!(
            items
                .admit("TransactWriteItems", &transact(&["hot"]), 8 * MS, 16 * MS)
                .is_none(),
            "the first transaction ended at 8 ms"
        );
    }

    #[test]
    fn single_writes_conflict_with_transactions_only_and_reads_never() {
        let mut items = Items::new(Limits::default());
        assert!(
            items
                .admit("PutItem", &put("hot"), Duration::ZERO, 6 * MS)
                .is_none()
        );
        assert!(
            items
                .admit("TransactWriteItems", &transact(&["hot"]), MS, 9 * MS)
                .is_none(),
            "a transaction does not conflict with a single write in flight"
        );
        let refused = items
            .admit("PutItem", &put("hot"), 2 * MS, 8 * MS)
            .expect("conflict");
        assert_eq!(refused.error_type, "TransactionConflictException");
        let get = json!({"TableName": "t", "Key": {"pk": {"S": "A#1"}, "sk": {"S": "hot"}}});
        assert!(items.admit("GetItem", &get, 3 * MS, 7 * MS).is_none());
        let transact_get = json!({"TransactItems": [{"Get": {"TableName": "t", "Key": {"pk": {"S": "A#1"}, "sk": {"S": "hot"}}}}]});
        assert!(
            items
                .admit("TransactGetItems", &transact_get, 4 * MS, 12 * MS)
                .is_some()
        );
        assert_eq!(
            items.rejections()[0].1,
            Rejections {
                conflicts: 2,
                throttles: 0
            }
        );
    }

    #[test]
    fn an_item_takes_1000_write_units_per_virtual_second() {
        let mut items = Items::new(Limits::default());
        let update = json!({"TableName": "t", "Key": {"pk": {"S": "A#1"}, "sk": {"S": "n"}}});
        let admitted = (0..1500)
            .filter(|n| {
                let at = Duration::from_micros(n * 500);
                items.admit("UpdateItem", &update, at, at).is_none()
            })
            .count();
        assert_eq!(admitted, 1000, "750 ms: 1,000 writes, then throttled");
        let at = Duration::from_secs(1);
        assert!(
            items.admit("UpdateItem", &update, at, at).is_none(),
            "a new second"
        );
        let throttled = (0..500)
            .filter_map(|_| items.admit("TransactWriteItems", &transact(&["n"]), at, at))
            .next()
            .expect("a transaction costs two units");
        assert_eq!(
            throttled.body["__type"],
            json!("com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException")
        );
    }

    #[test]
    fn reads_are_charged_by_size_and_consistency() {
        let mut items = Items::new(Limits::default());
        let big = json!({"pk": {"S": "A#1"}, "sk": {"S": "big"}, "blob": {"S": "x".repeat(9000)}});
        assert!(
            items
                .admit(
                    "PutItem",
                    &json!({"TableName": "t", "Item": big}),
                    Duration::ZERO,
                    MS
                )
                .is_none()
        );
        let get = json!({"TableName": "t", "ConsistentRead": true, "Key": {"pk": {"S": "A#1"}, "sk": {"S": "big"}}});
        let admitted = (0..2000)
            .filter(|_| items.admit("GetItem", &get, MS, MS).is_none())
            .count();
        assert_eq!(admitted, 1000, "3 units a read of 9 KB");
    }
}
