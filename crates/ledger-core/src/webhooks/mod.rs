//! Webhooks: the endpoints an account registers and the events each one
//! receives, where a delivery may be sent (never into a private network),
//! how a delivery is signed (the Standard Webhooks scheme) and when a failed
//! delivery is tried again.

pub mod address;
pub mod delivery;
pub mod endpoint;
pub mod event_types;
pub mod outbox;
pub mod retry;
pub mod signature;

pub use address::{Destinations, is_public};
pub use delivery::{Attempt, DeliveryStatus, Outcome, WebhookDelivery};
pub use endpoint::{WebhookEndpoint, WebhookEndpointChanges, WebhookEndpointDraft};
pub use event_types::{EVENT_TYPES, EventPatterns};
pub use outbox::OutboxEvent;
pub use retry::RetrySchedule;
pub use signature::SigningSecret;
