//! DynamoDB stream records, as Lambda's event source mapping hands them over
//! and as the Streams API's GetRecords answers them (the same shape): the
//! outbox items' events, per the outbox contract. A record is an outbox
//! item's when it is an INSERT whose new image's `sk` begins with `EVENT#`;
//! its `events` attribute (L of S) holds the events' JSON texts.

use ledger_core::webhooks::OutboxEvent;
use serde_json::Value;

/// The sort-key prefix of outbox items, and of no other item (the contract).
pub const OUTBOX_PREFIX: &str = "EVENT#";

/// Every event in `records` (a `Records` array); an element that is not an
/// event is logged and passed over, as it can never become one.
pub fn events(records: &Value) -> Vec<OutboxEvent> {
    let Some(records) = records.as_array() else {
        return Vec::new();
    };
    records
        .iter()
        .filter(|record| record["eventName"] == "INSERT")
        .map(|record| &record["dynamodb"]["NewImage"])
        .filter(|image| {
            image["sk"]["S"]
                .as_str()
                .is_some_and(|sk| sk.starts_with(OUTBOX_PREFIX))
        })
        .flat_map(|image| image["events"]["L"].as_array().cloned().unwrap_or_default())
        .filter_map(|element| {
            let text = element["S"].as_str()?;
            OutboxEvent::parse(text)
                .inspect_err(|error| tracing::error!(%error, "outbox element passed over"))
                .ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(id: &str) -> String {
        json!({"id": id, "type": "commission.created", "created_at": "2026-02-01T00:00:00Z",
               "account_id": "68f76721bbbbbbbbbbbbbbbb", "actor": {"type": "api_key", "id": "k"},
               "data": {"object": {}, "previous": {}}})
        .to_string()
    }

    #[test]
    fn only_inserted_outbox_items_yield_their_events_in_order() {
        let (a, b, c) = (
            "68f76721000000000000000a",
            "68f76721000000000000000b",
            "68f76721000000000000000c",
        );
        let records = json!([
            {"eventName": "INSERT", "dynamodb": {"NewImage": {"sk": {"S": "EVENT#1"}, "events": {"L": [{"S": event(a)}, {"S": event(b)}]}}}},
            {"eventName": "MODIFY", "dynamodb": {"NewImage": {"sk": {"S": "EVENT#2"}, "events": {"L": [{"S": event(c)}]}}}},
            {"eventName": "INSERT", "dynamodb": {"NewImage": {"sk": {"S": "COMMISSION#3"}, "events": {"L": [{"S": event(c)}]}}}},
            {"eventName": "INSERT", "dynamodb": {"NewImage": {"sk": {"S": "EVENT#4"}, "events": {"L": [{"S": "not json"}, {"N": "1"}]}}}}
        ]);
        let ids: Vec<String> = events(&records).iter().map(|e| e.id.to_string()).collect();
        assert_eq!(ids, [a, b]);
        assert_eq!(events(&records)[0].body, event(a));
        assert!(events(&json!({})).is_empty());
    }
}
