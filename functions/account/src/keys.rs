//! The API key handlers: create (the token is shown once), list and delete.
//! Creating and deleting are limited to keys whose every scope the caller's
//! own key holds, and to callers whose key still exists when they write.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use ledger_app::Session;
use ledger_http::openapi::{ListErrors, WriteErrors};
use ledger_http::scopes::{ApiKeysRead, ApiKeysWrite};
use ledger_http::{ApiError, Caller, JsonBody, JsonId, ListEnvelope, Paging};
use ledger_store::{Store, api_keys};

use crate::views::{ApiKeyView, CreateApiKeyRequest, CreatedApiKeyEnvelope, DeletedApiKeyEnvelope};

const TAG: &str = "API Keys";

/// List API Keys.
///
/// The account's keys, oldest first: names, scopes and creation times. Neither
/// a token nor its hash is ever listed.
#[utoipa::path(get, path = "/api_keys.json", tag = TAG, params(Paging),
    responses((status = 200, description = "One page of API keys.", body = ListEnvelope<ApiKeyView>), ListErrors))]
pub async fn list_api_keys(
    State(store): State<Store>,
    caller: Caller<ApiKeysRead>,
    paging: Paging,
) -> Result<Json<ListEnvelope<ApiKeyView>>, ApiError> {
    let (account, ()) = caller.read(&store, ()).await?;
    let keys = api_keys::list(&store, &account.id).await?;
    let elements = keys.into_iter().map(ApiKeyView::of).collect();
    Ok(Json(ListEnvelope::page_of("ApiKey", elements, paging)))
}

/// Create API key.
///
/// Answers the key's token (`key`) this once; only its SHA-256 hash is
/// stored. Every scope the new key covers must be held by the key creating
/// it (403 `scopes_not_held` naming the others): `partners:*` needs
/// `partners:read` and `partners:write`, `*` needs everything.
#[utoipa::path(post, path = "/api_keys.json", tag = TAG, request_body = CreateApiKeyRequest,
    responses((status = 201, description = "API key created; `key` is shown only now.", body = CreatedApiKeyEnvelope), WriteErrors))]
pub async fn create_api_key(
    State(store): State<Store>,
    caller: Caller<ApiKeysWrite>,
    JsonBody(request): JsonBody<CreateApiKeyRequest>,
) -> Result<(StatusCode, Json<CreatedApiKeyEnvelope>), ApiError> {
    let (key, token) = ledger_app::api_keys::create(&caller, &store, request.api_key)
        .await
        .map_err(ApiError::under("apiKey"))?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedApiKeyEnvelope::of(key, token)),
    ))
}

/// Delete API key.
///
/// The key stops working with the next request. A key may delete itself, or
/// a key whose every scope it holds; deleting a more powerful key is refused
/// (403 `scopes_not_held`). Answers the deleted key with `deleted: true`.
#[utoipa::path(delete, path = "/api_keys/{apiKeyId}.json", tag = TAG,
    params(("apiKeyId" = String, Path, description = "The unique identifier of the API key.")),
    responses((status = 200, description = "API key deleted.", body = DeletedApiKeyEnvelope), WriteErrors))]
pub async fn delete_api_key(
    State(store): State<Store>,
    caller: Caller<ApiKeysWrite>,
    JsonId(id): JsonId,
) -> Result<Json<DeletedApiKeyEnvelope>, ApiError> {
    let deleted = ledger_app::api_keys::delete(&caller, &store, &id).await?;
    Ok(Json(DeletedApiKeyEnvelope::of(deleted)))
}
