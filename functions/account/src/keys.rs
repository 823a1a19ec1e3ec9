//! The API key handlers: create (the token is shown once), list and delete.
//! Creating and deleting are limited to keys whose every scope the caller's
//! own key holds, and to callers whose key still exists when they write.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use ledger_core::model::{ApiKey, KeyRefusal};
use ledger_core::validation::under;
use ledger_http::openapi::{ListErrors, WriteErrors};
use ledger_http::scopes::{ApiKeysRead, ApiKeysWrite};
use ledger_http::{ApiError, Caller, JsonBody, JsonId, ListEnvelope, Paging, retry_contended};
use ledger_store::{Key, Store, api_keys};

use crate::views::{ApiKeyView, CreateApiKeyRequest, CreatedApiKeyEnvelope, DeletedApiKeyEnvelope};

const TAG: &str = "API Keys";

fn refused(refusal: KeyRefusal) -> ApiError {
    match refusal {
        KeyRefusal::Invalid(errors) => ApiError::Validation(under(errors, "apiKey")),
        KeyRefusal::NotHeld(scopes) => ApiError::ScopesNotHeld(scopes),
    }
}

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
    let (account, []) = caller.read_items(&store, []).await?;
    let keys = api_keys::list(&store, &account.id).await?;
    let elements = keys.into_iter().map(ApiKeyView::of).collect();
    Ok(Json(ListEnvelope::page_of("ApiKey", elements, paging)))
}

/// Create API Key.
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
    let draft = request.api_key;
    let (key, token) = retry_contended(|| async {
        let (_, creator, []) = caller.read_items_with_key(&store, []).await?;
        let (key, token) = ApiKey::create(draft.clone(), &creator, Utc::now()).map_err(refused)?;
        store
            .transact(vec![
                api_keys::require_present(&store, &creator)?,
                api_keys::insert(&store, &key)?,
            ])
            .await?;
        Ok((key, token))
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedApiKeyEnvelope::of(key, token)),
    ))
}

/// Delete API Key.
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
    let deleted = retry_contended(|| async {
        let (_, deleter, [target]) = caller
            .read_items_with_key(&store, [&Key::api_key(caller.account_id(), &id)])
            .await?;
        let target = target
            .map(api_keys::from_item)
            .transpose()?
            .ok_or(ApiError::NotFound("api key"))?;
        let beyond = target.beyond(&deleter);
        if !beyond.is_empty() {
            return Err(ApiError::ScopesNotHeld(beyond));
        }
        let mut writes = vec![api_keys::delete(&store, &target)?];
        // A transaction names an item once: a key deleting itself is its own guard.
        if target.id != deleter.id {
            writes.push(api_keys::require_present(&store, &deleter)?);
        }
        store.transact(writes).await?;
        Ok(target)
    })
    .await?;
    Ok(Json(DeletedApiKeyEnvelope::of(deleted)))
}
