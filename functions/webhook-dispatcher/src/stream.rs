//! DynamoDB stream records, as Lambda's event source mapping hands them over
//! and as the Streams API's GetRecords answers them (the same shape): the
//! outbox items' events, per the outbox contract, and the events staged on
//! changed items. A record is an outbox item's when it is an INSERT whose
//! new image's `sk` begins with `EVENT#`; its `events` attribute (L of S)
//! holds the events' JSON texts. A record shows a stage when its new image
//! holds `staged_event` (S), an event's JSON text.

use ledger_core::webhooks::OutboxEvent;
use ledger_store::Key;
use ledger_store::events::{self, STAGED, Stage};
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

/// Every event staged in `records`, with the key of the item that holds it;
/// a stage that is not an event is logged and passed over.
pub fn stages(records: &Value) -> Vec<Stage> {
    let Some(records) = records.as_array() else {
        return Vec::new();
    };
    records
        .iter()
        .filter(|record| matches!(record["eventName"].as_str(), Some("INSERT" | "MODIFY")))
        .map(|record| &record["dynamodb"]["NewImage"])
        .filter_map(|image| {
            let text = image[STAGED]["S"].as_str()?;
            let holder = Key {
                pk: image["pk"]["S"].as_str()?.to_string(),
                sk: image["sk"]["S"].as_str()?.to_string(),
            };
            events::staged(text)
                .inspect_err(|error| tracing::error!(%error, ?holder, "stage passed over"))
                .ok()
                .map(|event| Stage { holder, event })
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

    #[test]
    fn a_stage_is_read_from_an_inserted_or_modified_item_with_its_key() {
        let (a, b) = ("68f76721000000000000000a", "68f76721000000000000000b");
        // A stage is a whole event: its actor's id is an id too.
        let event =
            |id: &str| event(id).replace(r#""id":"k""#, r#""id":"68f76721cccccccccccccccc""#);
        let staged = |name: &str, sk: &str, text: String| {
            json!({"eventName": name, "dynamodb": {"NewImage": {
                "pk": {"S": "ACCOUNT#68f76721bbbbbbbbbbbbbbbb"}, "sk": {"S": sk},
                "staged_event": {"S": text}}}})
        };
        let records = json!([
            staged("MODIFY", "COMMISSION#1", event(a)),
            staged("REMOVE", "COMMISSION#2", event(b)),
            staged("MODIFY", "COMMISSION#3", "not json".into()),
            {"eventName": "MODIFY", "dynamodb": {"NewImage": {"pk": {"S": "p"}, "sk": {"S": "COMMISSION#4"}}}},
            staged("INSERT", "COMMISSION#5", event(b)),
        ]);
        let stages = stages(&records);
        let read: Vec<(&str, String)> = stages
            .iter()
            .map(|s| (s.holder.sk.as_str(), s.event.id.to_string()))
            .collect();
        assert_eq!(
            read,
            [
                ("COMMISSION#1", a.to_string()),
                ("COMMISSION#5", b.to_string())
            ]
        );
        assert_eq!(stages[0].holder.pk, "ACCOUNT#68f76721bbbbbbbbbbbbbbbb");
    }
}
