//! Events: the immutable record of one change, for the activity log and
//! webhooks. An event names what changed (`type`, `data.object` as the
//! object's GET shows it after the change), what it was before (only the
//! changed fields, in `data.previous`) and what caused it (`actor`).
//!
//! Its canonical JSON ([`Event::canonical`]) is the one text every reader
//! sees: the activity log answers it byte for byte and a webhook delivers it.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::Id;

/// What kind of change an event records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum EventType {
    #[serde(rename = "commission.created")]
    CommissionCreated,
    #[serde(rename = "commission.approved")]
    CommissionApproved,
    #[serde(rename = "commission.denied")]
    CommissionDenied,
    /// A refund, a clawback or a dispute reduced it.
    #[serde(rename = "commission.reversed")]
    CommissionReversed,
    #[serde(rename = "commission.paid")]
    CommissionPaid,
    #[serde(rename = "payout.created")]
    PayoutCreated,
    #[serde(rename = "payout.paid")]
    PayoutPaid,
    #[serde(rename = "payout.failed")]
    PayoutFailed,
    #[serde(rename = "partner.created")]
    PartnerCreated,
    #[serde(rename = "partner.updated")]
    PartnerUpdated,
    #[serde(rename = "partner.approved")]
    PartnerApproved,
    #[serde(rename = "partner.banned")]
    PartnerBanned,
    #[serde(rename = "referral.created")]
    ReferralCreated,
}

impl EventType {
    pub const ALL: [EventType; 13] = [
        EventType::CommissionCreated,
        EventType::CommissionApproved,
        EventType::CommissionDenied,
        EventType::CommissionReversed,
        EventType::CommissionPaid,
        EventType::PayoutCreated,
        EventType::PayoutPaid,
        EventType::PayoutFailed,
        EventType::PartnerCreated,
        EventType::PartnerUpdated,
        EventType::PartnerApproved,
        EventType::PartnerBanned,
        EventType::ReferralCreated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::CommissionCreated => "commission.created",
            EventType::CommissionApproved => "commission.approved",
            EventType::CommissionDenied => "commission.denied",
            EventType::CommissionReversed => "commission.reversed",
            EventType::CommissionPaid => "commission.paid",
            EventType::PayoutCreated => "payout.created",
            EventType::PayoutPaid => "payout.paid",
            EventType::PayoutFailed => "payout.failed",
            EventType::PartnerCreated => "partner.created",
            EventType::PartnerUpdated => "partner.updated",
            EventType::PartnerApproved => "partner.approved",
            EventType::PartnerBanned => "partner.banned",
            EventType::ReferralCreated => "referral.created",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What caused a change: `{"type": ..., "id": ...}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Actor {
    /// A request authenticated with this API key.
    ApiKey { id: Id },
    /// A Stripe webhook delivery of this event (`evt_...`).
    StripeEvent { id: String },
    /// The payout run with this id (scheduled, or started by hand).
    PayoutRun { id: Id },
    /// A partner acting through the portal, with this portal session.
    PortalSession { id: Id },
}

/// The object after the change, and the changed fields' values before it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EventData {
    #[schema(value_type = Object)]
    pub object: Value,
    /// Only the fields the change changed, with their old values (`{}` for
    /// a creation); a field the change added is `null` here.
    #[schema(value_type = Object)]
    pub previous: Map<String, Value>,
}

/// One event, as the activity log shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Event {
    pub id: Id,
    #[serde(rename = "type")]
    pub kind: EventType,
    pub created_at: DateTime<Utc>,
    pub account_id: Id,
    pub actor: Actor,
    pub data: EventData,
}

/// An object that cannot be shown as a JSON object.
#[derive(Debug, thiserror::Error)]
#[error("an event's object must serialize as a JSON object: {0}")]
pub struct UnshowableObject(String);

/// `{"event": {...}}`.
#[derive(Serialize, ToSchema)]
pub struct EventEnvelope {
    pub event: Event,
}

impl Event {
    /// The event of a change of type `kind` made at `at`, from `before`
    /// (`None`: a creation) to `after`, both as the object's GET shows it.
    pub fn of_change<T: Serialize>(
        id: Id,
        kind: EventType,
        account_id: &Id,
        actor: &Actor,
        at: DateTime<Utc>,
        before: Option<&T>,
        after: &T,
    ) -> Result<Self, UnshowableObject> {
        let object = object_of(after)?;
        let previous = match before {
            None => Map::new(),
            Some(before) => previous(&object_of(before)?, &object),
        };
        Ok(Self {
            id,
            kind,
            created_at: at,
            account_id: account_id.clone(),
            actor: actor.clone(),
            data: EventData {
                object: Value::Object(object),
                previous,
            },
        })
    }

    /// The event's canonical JSON: what is stored, listed, got and delivered.
    pub fn canonical(&self) -> String {
        serde_json::to_string(self).expect("an event's fields always serialize")
    }

    /// Reads an event back from its canonical JSON.
    pub fn from_canonical(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The id of the object it is about.
    pub fn object_id(&self) -> Option<&str> {
        self.data.object.get("id").and_then(Value::as_str)
    }
}

fn object_of<T: Serialize>(value: &T) -> Result<Map<String, Value>, UnshowableObject> {
    match serde_json::to_value(value) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(other) => Err(UnshowableObject(format!("got {other}"))),
        Err(e) => Err(UnshowableObject(e.to_string())),
    }
}

/// The top-level fields of `before` that `after` changed, with their values
/// in `before`; a field only `after` has is `null`.
pub fn previous(before: &Map<String, Value>, after: &Map<String, Value>) -> Map<String, Value> {
    let mut changed = Map::new();
    for (field, old) in before {
        if after.get(field) != Some(old) {
            changed.insert(field.clone(), old.clone());
        }
    }
    for field in after.keys() {
        if !before.contains_key(field) {
            changed.insert(field.clone(), Value::Null);
        }
    }
    changed
}

impl Id {
    /// The ids of `n` events written together (1 to 65,536 of them), all
    /// stamped `at`: consecutive in their last two bytes, so the first one
    /// names the whole batch and each one lies within the batch's range
    /// (see [`Id::batch_start`]).
    pub fn batch(at: DateTime<Utc>, n: usize) -> Vec<Id> {
        let first = Id::generate(at);
        let stem = &first.as_str()[..Id::LEN - 4];
        (0..n.min(0x1_0000))
            .map(|k| Id::parse(&format!("{stem}{k:04x}")).expect("a stem and four hex digits"))
            .collect()
    }

    /// The first id of the batch `self` could belong to: the item of a
    /// batch of events that holds it has a key between this and `self`.
    pub fn batch_start(&self) -> Id {
        Id::parse(&format!("{}0000", &self.as_str()[..Id::LEN - 4]))
            .expect("a stem and four hex digits")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn at() -> DateTime<Utc> {
        DateTime::from_timestamp(1_760_000_000, 5_000_000).unwrap()
    }

    #[test]
    fn previous_holds_only_the_changed_fields_with_their_old_values() {
        let before = json!({"id": "x", "status": "pending", "amount": "10.5", "note": null});
        let after =
            json!({"id": "x", "status": "approved", "amount": "10.5", "note": null, "new": 1});
        let changed = previous(before.as_object().unwrap(), after.as_object().unwrap());
        assert_eq!(
            Value::Object(changed),
            json!({"status": "pending", "new": null})
        );
    }

    #[test]
    fn an_event_round_trips_through_its_canonical_json() {
        let key = Id::generate(at());
        let event = Event::of_change(
            Id::generate(at()),
            EventType::CommissionApproved,
            &Id::generate(at()),
            &Actor::ApiKey { id: key.clone() },
            at(),
            Some(&json!({"id": "c", "status": "pending", "amount": 299.9})),
            &json!({"id": "c", "status": "approved", "amount": 299.9}),
        )
        .unwrap();
        let text = event.canonical();
        assert_eq!(Event::from_canonical(&text).unwrap(), event);
        let shown: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(shown["type"], json!("commission.approved"));
        assert_eq!(
            shown["actor"],
            json!({"type": "api_key", "id": key.as_str()})
        );
        assert_eq!(shown["data"]["previous"], json!({"status": "pending"}));
        assert!(text.contains("299.9"), "{text}");
        assert_eq!(event.object_id(), Some("c"));
    }

    #[test]
    fn a_creation_has_no_previous_fields() {
        let event = Event::of_change(
            Id::generate(at()),
            EventType::PartnerCreated,
            &Id::generate(at()),
            &Actor::PayoutRun {
                id: Id::generate(at()),
            },
            at(),
            None,
            &json!({"id": "p"}),
        )
        .unwrap();
        assert!(event.data.previous.is_empty());
        assert!(
            Event::of_change(
                Id::generate(at()),
                EventType::PartnerCreated,
                &Id::generate(at()),
                &Actor::StripeEvent { id: "evt_1".into() },
                at(),
                None,
                &json!(["not", "an", "object"]),
            )
            .is_err()
        );
    }

    #[test]
    fn a_batch_is_consecutive_and_its_ids_lead_back_to_its_first() {
        let ids = Id::batch(at(), 100);
        assert_eq!(ids.len(), 100);
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
        assert!(ids.iter().all(|id| id.batch_start() == ids[0]));
        assert_eq!(&ids[0].as_str()[..12], &Id::first_at(at()).as_str()[..12]);
    }

    #[test]
    fn every_type_parses_from_its_name() {
        for kind in EventType::ALL {
            assert_eq!(EventType::parse(kind.as_str()), Some(kind));
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                Value::String(kind.as_str().into())
            );
        }
        assert_eq!(EventType::parse("commission.exploded"), None);
    }
}
