//! Webhook endpoints: registering one (its secret is answered this once),
//! changing, deleting and re-keying one, and asking for a delivery again.
//! Deliveries themselves are `webhook_dispatch`'s.

use chrono::Utc;
use ledger_core::model::Id;
use ledger_core::webhooks::{
    Destinations, WebhookDelivery, WebhookEndpoint, WebhookEndpointChanges, WebhookEndpointDraft,
};
use ledger_store::{Found, Store, webhook_deliveries, webhook_endpoints};

use crate::{Error, Session, contended};

/// Registers the endpoint `draft` describes, with a fresh secret.
pub async fn create(
    session: &impl Session,
    store: &Store,
    draft: WebhookEndpointDraft,
    destinations: Destinations,
) -> Result<WebhookEndpoint, Error> {
    let endpoint =
        WebhookEndpoint::create(draft, destinations, Utc::now()).map_err(Error::Invalid)?;
    contended(|| async {
        let (account, ()) = session.read(store, ()).await?;
        let writes = webhook_endpoints::insert(store, &account.id, &endpoint)?;
        match store.transact(writes).await {
            Err(e) if e.failed_condition(1) => Err(Error::conflict(
                "endpoint_limit_reached",
                format!(
                    "an account has at most {} webhook endpoints: delete one first",
                    WebhookEndpoint::MAX_PER_ACCOUNT
                ),
            )),
            written => Ok(written?),
        }
    })
    .await?;
    Ok(endpoint)
}

/// Applies `changes` to endpoint `id`.
pub async fn update(
    session: &impl Session,
    store: &Store,
    id: &Id,
    changes: WebhookEndpointChanges,
    destinations: Destinations,
) -> Result<WebhookEndpoint, Error> {
    change(session, store, id, |endpoint| {
        endpoint
            .apply(changes.clone(), destinations, Utc::now())
            .map_err(Error::Invalid)
    })
    .await
}

/// Gives endpoint `id` a new secret; the answer is the only place it shows.
pub async fn rotate_secret(
    session: &impl Session,
    store: &Store,
    id: &Id,
) -> Result<WebhookEndpoint, Error> {
    change(session, store, id, |endpoint| {
        endpoint.rotate_secret(Utc::now());
        Ok(())
    })
    .await
}

/// Reads endpoint `id`, changes it with `edit` and writes it back unless
/// another write came in between (then reads it again: `contended`).
async fn change(
    session: &impl Session,
    store: &Store,
    id: &Id,
    edit: impl Fn(&mut WebhookEndpoint) -> Result<(), Error>,
) -> Result<WebhookEndpoint, Error> {
    contended(|| async {
        let (account, endpoint) = session
            .read(store, webhook_endpoints::at(session.account_id(), id))
            .await?;
        let mut endpoint = endpoint.found()?;
        let read_at = endpoint.version;
        edit(&mut endpoint)?;
        store
            .transact(vec![webhook_endpoints::replace(
                store,
                &account.id,
                &endpoint,
                read_at,
            )?])
            .await?;
        Ok(endpoint)
    })
    .await
}

/// Deletes endpoint `id`: nothing more is delivered to it. Its delivery
/// log stays readable by no route (it is keyed under the endpoint).
pub async fn delete(
    session: &impl Session,
    store: &Store,
    id: &Id,
) -> Result<WebhookEndpoint, Error> {
    contended(|| async {
        let (account, endpoint) = session
            .read(store, webhook_endpoints::at(session.account_id(), id))
            .await?;
        let endpoint = endpoint.found()?;
        store
            .transact(webhook_endpoints::delete(store, &account.id, &endpoint)?)
            .await?;
        Ok(endpoint)
    })
    .await
}

/// Makes the delivery of `event` to endpoint `id` due now, with a fresh
/// retry schedule; the dispatcher's next sweep attempts it.
pub async fn retry_delivery(
    session: &impl Session,
    store: &Store,
    id: &Id,
    event: &Id,
) -> Result<WebhookDelivery, Error> {
    contended(|| async {
        let (account, endpoint) = session
            .read(store, webhook_endpoints::at(session.account_id(), id))
            .await?;
        let endpoint = endpoint.found()?;
        if !endpoint.enabled {
            return Err(Error::conflict(
                "endpoint_disabled",
                "the endpoint is disabled; enable it before retrying its deliveries",
            ));
        }
        let mut delivery = webhook_deliveries::find(store, &account.id, id, event)
            .await?
            .ok_or(Error::NotFound("webhook delivery"))?;
        let read_at = delivery.version;
        delivery.redeliver(Utc::now());
        if webhook_deliveries::save(store, &account.id, &delivery, read_at).await? {
            Ok(delivery)
        } else {
            Err(Error::conflict(
                "delivery_in_progress",
                "the delivery changed while it was retried; try again",
            ))
        }
    })
    .await
}
