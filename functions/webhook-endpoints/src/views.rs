//! What the Webhook Endpoints routes accept and answer, inside the
//! `{"webhookEndpoint": {...}}` and `{"webhookDelivery": {...}}` wrappers.

use chrono::{DateTime, Utc};
use ledger_core::model::Id;
use ledger_core::webhooks::{
    Attempt, DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEndpointChanges,
    WebhookEndpointDraft,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhookEndpointRequest {
    #[serde(rename = "webhookEndpoint")]
    pub webhook_endpoint: WebhookEndpointDraft,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhookEndpointRequest {
    #[serde(rename = "webhookEndpoint")]
    pub webhook_endpoint: WebhookEndpointChanges,
}

/// An endpoint as every route but create and rotate shows it: no secret.
#[derive(Serialize, ToSchema)]
pub struct WebhookEndpointView {
    pub id: Id,
    pub url: String,
    pub events: Vec<String>,
    pub description: Option<String>,
    pub enabled: bool,
    /// Why deliveries stopped on their own (`null` unless they did).
    pub disabled_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl WebhookEndpointView {
    pub fn of(endpoint: &WebhookEndpoint) -> Self {
        Self {
            id: endpoint.id.clone(),
            url: endpoint.url.clone(),
            events: endpoint.events.as_slice().to_vec(),
            description: endpoint.description.clone(),
            enabled: endpoint.enabled,
            disabled_reason: endpoint.disabled_reason.clone(),
            created_at: endpoint.created_at,
            updated_at: endpoint.updated_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct WebhookEndpointEnvelope {
    #[serde(rename = "webhookEndpoint")]
    pub webhook_endpoint: WebhookEndpointView,
}

impl WebhookEndpointEnvelope {
    pub fn of(endpoint: &WebhookEndpoint) -> Self {
        Self {
            webhook_endpoint: WebhookEndpointView::of(endpoint),
        }
    }
}

/// The endpoint with its signing secret: the answer to a create or a rotation.
#[derive(Serialize, ToSchema)]
pub struct EndpointWithSecret {
    #[serde(flatten)]
    pub endpoint: WebhookEndpointView,
    /// `whsec_` and the base64 of the key: shown this once.
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    pub secret: String,
}

#[derive(Serialize, ToSchema)]
pub struct EndpointWithSecretEnvelope {
    #[serde(rename = "webhookEndpoint")]
    pub webhook_endpoint: EndpointWithSecret,
}

impl EndpointWithSecretEnvelope {
    pub fn of(endpoint: &WebhookEndpoint) -> Self {
        Self {
            webhook_endpoint: EndpointWithSecret {
                endpoint: WebhookEndpointView::of(endpoint),
                secret: endpoint.secret.reveal(),
            },
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DeletedWebhookEndpoint {
    pub id: Id,
    pub deleted: bool,
}

#[derive(Serialize, ToSchema)]
pub struct DeletedWebhookEndpointEnvelope {
    #[serde(rename = "webhookEndpoint")]
    pub webhook_endpoint: DeletedWebhookEndpoint,
}

/// One event's delivery to the endpoint: its status and its attempts.
#[derive(Serialize, ToSchema)]
pub struct WebhookDeliveryView {
    /// The event's id, also the delivery's `webhook-id` header.
    pub event_id: Id,
    pub event_type: String,
    pub status: DeliveryStatus,
    /// The latest attempts (up to 20), oldest first.
    pub attempts: Vec<Attempt>,
    /// When a pending delivery is attempted next.
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl WebhookDeliveryView {
    pub fn of(delivery: WebhookDelivery) -> Self {
        Self {
            event_id: delivery.event_id,
            event_type: delivery.event_type,
            status: delivery.status,
            attempts: delivery.attempts,
            next_attempt_at: delivery.due_at,
            created_at: delivery.created_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct WebhookDeliveryEnvelope {
    #[serde(rename = "webhookDelivery")]
    pub webhook_delivery: WebhookDeliveryView,
}
