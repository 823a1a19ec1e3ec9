//! API keys: creating one (its token exists only in the answer) and
//! deleting one. Both are limited to keys whose every scope the caller's
//! own key holds, and to callers whose key still exists when they write.

use chrono::Utc;
use ledger_core::model::{ApiKey, ApiKeyDraft, Id, KeyRefusal};
use ledger_store::{Found, Store, api_keys};

use crate::{Denial, Error, KeyedSession, contended};

/// Creates the key `draft` describes, and answers it with its plaintext
/// token, which nothing stores.
pub async fn create(
    session: &impl KeyedSession,
    store: &Store,
    draft: ApiKeyDraft,
) -> Result<(ApiKey, String), Error> {
    contended(|| async {
        let (_, creator, ()) = session.read_with_key(store, ()).await?;
        let (key, token) = ApiKey::create(draft.clone(), &creator, Utc::now()).map_err(refused)?;
        store
            .transact(vec![
                api_keys::require_present(store, &creator)?,
                api_keys::insert(store, &key)?,
            ])
            .await?;
        Ok((key, token))
    })
    .await
}

/// Deletes key `id` (the caller's own, or one no more powerful), and
/// answers it as it was.
pub async fn delete(session: &impl KeyedSession, store: &Store, id: &Id) -> Result<ApiKey, Error> {
    contended(|| async {
        let (_, deleter, target) = session
            .read_with_key(store, api_keys::at(session.account_id(), id))
            .await?;
        let target = target.found()?;
        let beyond = target.beyond(&deleter);
        if !beyond.is_empty() {
            return Err(Error::Denied(Denial::ScopesNotHeld(beyond)));
        }
        let mut writes = vec![api_keys::delete(store, &target)?];
        // A transaction names an item once: a key deleting itself is its own guard.
        if target.id != deleter.id {
            writes.push(api_keys::require_present(store, &deleter)?);
        }
        store.transact(writes).await?;
        Ok(target)
    })
    .await
}

fn refused(refusal: KeyRefusal) -> Error {
    match refusal {
        KeyRefusal::Invalid(errors) => Error::Invalid(errors),
        KeyRefusal::NotHeld(scopes) => Error::Denied(Denial::ScopesNotHeld(scopes)),
    }
}
