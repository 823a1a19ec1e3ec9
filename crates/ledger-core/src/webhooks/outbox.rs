//! An event as the outbox carries it: its canonical JSON text, byte for byte
//! the body of its deliveries, and the few fields a dispatcher routes by.

use serde::Deserialize;

use crate::model::Id;

#[derive(Clone, Debug)]
pub struct OutboxEvent {
    pub id: Id,
    pub event_type: String,
    pub account_id: Id,
    /// The event's JSON, as stored.
    pub body: String,
}

#[derive(Deserialize)]
struct Routing {
    id: String,
    #[serde(rename = "type")]
    event_type: String,
    account_id: String,
}

impl OutboxEvent {
    /// Reads the routing fields out of an event's JSON text.
    pub fn parse(body: &str) -> Result<Self, String> {
        let routing: Routing =
            serde_json::from_str(body).map_err(|e| format!("not an outbox event: {e}"))?;
        let id = |text: &str, what: &str| {
            Id::parse(text).ok_or_else(|| format!("{what} `{text}` is not an id"))
        };
        Ok(Self {
            id: id(&routing.id, "id")?,
            event_type: routing.event_type,
            account_id: id(&routing.account_id, "account_id")?,
            body: body.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_keeps_its_text_and_routes_by_account_and_type() {
        let body = r#"{"id":"68f76721aaaaaaaaaaaaaaaa","type":"commission.created","created_at":"2026-02-01T00:00:00Z","account_id":"68f76721bbbbbbbbbbbbbbbb","actor":{"type":"api_key","id":"k"},"data":{"object":{},"previous":{}}}"#;
        let event = OutboxEvent::parse(body).expect("an event");
        assert_eq!(event.event_type, "commission.created");
        assert_eq!(event.account_id.as_str(), "68f76721bbbbbbbbbbbbbbbb");
        assert_eq!(event.body, body);
        assert!(OutboxEvent::parse(r#"{"id":"x","type":"a","account_id":"y"}"#).is_err());
        assert!(OutboxEvent::parse("[]").is_err());
    }
}
