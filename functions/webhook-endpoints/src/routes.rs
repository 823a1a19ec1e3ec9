//! The Webhook Endpoints handlers: parse, call the domain and the store, shape the answer.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use ledger_app::Session;
use ledger_core::model::Id;
use ledger_core::webhooks::Destinations;
use ledger_http::openapi::{ListErrors, ReadErrors, WriteErrors};
use ledger_http::scopes::{WebhooksRead, WebhooksWrite};
use ledger_http::{ApiError, Caller, CursorPaging, JsonBody, JsonId, ListEnvelope, Paging, PathId};
use ledger_store::{Found, Store, webhook_deliveries, webhook_endpoints};

use crate::views::*;

const TAG: &str = "Webhook Endpoints";
const WRAPPER: &str = "webhookEndpoint";

/// List Webhook Endpoints.
///
/// The account's endpoints, oldest first. Secrets are never listed.
#[utoipa::path(get, path = "/webhook_endpoints.json", tag = TAG, params(Paging),
    responses((status = 200, description = "One page of webhook endpoints.", body = ListEnvelope<WebhookEndpointView>), ListErrors))]
pub async fn list_webhook_endpoints(
    State(store): State<Store>,
    caller: Caller<WebhooksRead>,
    paging: Paging,
) -> Result<Json<ListEnvelope<WebhookEndpointView>>, ApiError> {
    let (account, ()) = caller.read(&store, ()).await?;
    let endpoints = webhook_endpoints::list(&store, &account.id).await?;
    let elements = endpoints.iter().map(WebhookEndpointView::of).collect();
    Ok(Json(ListEnvelope::page_of(
        "WebhookEndpoint",
        elements,
        paging,
    )))
}

/// Create Webhook Endpoint.
///
/// Answers the endpoint's signing secret (`secret`, `whsec_` and base64)
/// this once. The URL must be HTTPS and must not point into a private,
/// loopback or link-local network; host names are checked again, on every
/// address they resolve to, when a delivery connects.
#[utoipa::path(post, path = "/webhook_endpoints.json", tag = TAG, request_body = CreateWebhookEndpointRequest,
    responses((status = 201, description = "Endpoint created; `secret` is shown only now.", body = EndpointWithSecretEnvelope), WriteErrors))]
pub async fn create_webhook_endpoint(
    State(store): State<Store>,
    caller: Caller<WebhooksWrite>,
    JsonBody(request): JsonBody<CreateWebhookEndpointRequest>,
) -> Result<(StatusCode, Json<EndpointWithSecretEnvelope>), ApiError> {
    let endpoint = ledger_app::webhook_endpoints::create(
        &caller,
        &store,
        request.webhook_endpoint,
        Destinations::from_env(),
    )
    .await
    .map_err(ApiError::under(WRAPPER))?;
    Ok((
        StatusCode::CREATED,
        Json(EndpointWithSecretEnvelope::of(&endpoint)),
    ))
}

/// Get Webhook Endpoint.
#[utoipa::path(get, path = "/webhook_endpoints/{webhookEndpointId}.json", tag = TAG,
    params(("webhookEndpointId" = String, Path, description = "The unique identifier of the webhook endpoint.")),
    responses((status = 200, description = "The endpoint.", body = WebhookEndpointEnvelope), ReadErrors))]
pub async fn get_webhook_endpoint(
    State(store): State<Store>,
    caller: Caller<WebhooksRead>,
    JsonId(id): JsonId,
) -> Result<Json<WebhookEndpointEnvelope>, ApiError> {
    let (_, endpoint) = caller
        .read(&store, webhook_endpoints::at(caller.account_id(), &id))
        .await?;
    Ok(Json(WebhookEndpointEnvelope::of(&endpoint.found()?)))
}

/// Update Webhook Endpoint.
///
/// Partial: only the given fields (`url`, `events`, `enabled`,
/// `description`) change. `enabled: true` resumes an endpoint that was
/// disabled for failing.
#[utoipa::path(put, path = "/webhook_endpoints/{webhookEndpointId}.json", tag = TAG, request_body = UpdateWebhookEndpointRequest,
    params(("webhookEndpointId" = String, Path, description = "The unique identifier of the webhook endpoint.")),
    responses((status = 200, description = "Endpoint updated.", body = WebhookEndpointEnvelope), WriteErrors))]
pub async fn update_webhook_endpoint(
    State(store): State<Store>,
    caller: Caller<WebhooksWrite>,
    JsonId(id): JsonId,
    JsonBody(request): JsonBody<UpdateWebhookEndpointRequest>,
) -> Result<Json<WebhookEndpointEnvelope>, ApiError> {
    let endpoint = ledger_app::webhook_endpoints::update(
        &caller,
        &store,
        &id,
        request.webhook_endpoint,
        Destinations::from_env(),
    )
    .await
    .map_err(ApiError::under(WRAPPER))?;
    Ok(Json(WebhookEndpointEnvelope::of(&endpoint)))
}

/// Delete Webhook Endpoint.
///
/// Nothing more is delivered to it, pending retries included.
#[utoipa::path(delete, path = "/webhook_endpoints/{webhookEndpointId}.json", tag = TAG,
    params(("webhookEndpointId" = String, Path, description = "The unique identifier of the webhook endpoint.")),
    responses((status = 200, description = "Endpoint deleted.", body = DeletedWebhookEndpointEnvelope), WriteErrors))]
pub async fn delete_webhook_endpoint(
    State(store): State<Store>,
    caller: Caller<WebhooksWrite>,
    JsonId(id): JsonId,
) -> Result<Json<DeletedWebhookEndpointEnvelope>, ApiError> {
    let deleted = ledger_app::webhook_endpoints::delete(&caller, &store, &id).await?;
    Ok(Json(DeletedWebhookEndpointEnvelope {
        webhook_endpoint: DeletedWebhookEndpoint {
            id: deleted.id,
            deleted: true,
        },
    }))
}

/// Rotate Webhook Secret.
///
/// Replaces the signing secret at once and answers the new one, this once;
/// deliveries from now on are signed with it.
#[utoipa::path(post, path = "/webhook_endpoints/{webhookEndpointId}/rotate_secret.json", tag = TAG,
    params(("webhookEndpointId" = String, Path, description = "The unique identifier of the webhook endpoint.")),
    responses((status = 200, description = "The endpoint and its new secret.", body = EndpointWithSecretEnvelope), WriteErrors))]
pub async fn rotate_webhook_secret(
    State(store): State<Store>,
    caller: Caller<WebhooksWrite>,
    PathId(id): PathId,
) -> Result<Json<EndpointWithSecretEnvelope>, ApiError> {
    let endpoint = ledger_app::webhook_endpoints::rotate_secret(&caller, &store, &id).await?;
    Ok(Json(EndpointWithSecretEnvelope::of(&endpoint)))
}

/// List Webhook Deliveries.
///
/// The endpoint's delivery log, one element per event, oldest event first:
/// its status and its attempts (number, time, status code, latency, error).
/// Follow `pages.next_cursor` to page deeply.
#[utoipa::path(get, path = "/webhook_endpoints/{webhookEndpointId}/deliveries.json", tag = TAG,
    params(("webhookEndpointId" = String, Path, description = "The unique identifier of the webhook endpoint."), CursorPaging),
    responses((status = 200, description = "One page of deliveries.", body = ListEnvelope<WebhookDeliveryView>), ListErrors))]
pub async fn list_webhook_deliveries(
    State(store): State<Store>,
    caller: Caller<WebhooksRead>,
    PathId(id): PathId,
    paging: CursorPaging,
) -> Result<Json<ListEnvelope<WebhookDeliveryView>>, ApiError> {
    let (account, endpoint) = caller
        .read(&store, webhook_endpoints::at(caller.account_id(), &id))
        .await?;
    endpoint.found()?;
    let (page, more) = webhook_deliveries::page(&store, &account.id, &id, paging.request()).await?;
    let count = webhook_deliveries::count(&store, &account.id, &id).await?;
    let last = page.last().filter(|_| more).map(|d| d.event_id.clone());
    let elements = page.into_iter().map(WebhookDeliveryView::of).collect();
    Ok(Json(ListEnvelope::cursor_page(
        "WebhookDelivery",
        elements,
        count,
        &paging,
        last.as_ref(),
    )))
}

/// Retry Webhook Delivery.
///
/// Makes the delivery of the event due now, with a fresh retry schedule
/// (also a delivery that succeeded: it is sent again, with the same
/// `webhook-id`). The dispatcher attempts it on its next sweep; the answer
/// does not wait for it. 409 while the endpoint is disabled.
#[utoipa::path(post, path = "/webhook_endpoints/{webhookEndpointId}/deliveries/{eventId}/retry.json", tag = TAG,
    params(
        ("webhookEndpointId" = String, Path, description = "The unique identifier of the webhook endpoint."),
        ("eventId" = String, Path, description = "The id of the delivered event."),
    ),
    responses((status = 202, description = "The delivery, due again.", body = WebhookDeliveryEnvelope), WriteErrors))]
pub async fn retry_webhook_delivery(
    State(store): State<Store>,
    caller: Caller<WebhooksWrite>,
    Path((endpoint, event)): Path<(String, String)>,
) -> Result<(StatusCode, Json<WebhookDeliveryEnvelope>), ApiError> {
    let id = |text: &str| Id::parse(text).ok_or(ApiError::NotFound("resource"));
    let (endpoint, event) = (id(&endpoint)?, id(&event)?);
    let delivery =
        ledger_app::webhook_endpoints::retry_delivery(&caller, &store, &endpoint, &event).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(WebhookDeliveryEnvelope {
            webhook_delivery: WebhookDeliveryView::of(delivery),
        }),
    ))
}
