//! The events a use case's change makes (ledger-core's event model), built
//! when the change is decided so they join its transaction (or are staged
//! on the items it changes, and released after it), and the activity
//! log's reads.

use chrono::{DateTime, Utc};
use futures::{StreamExt, stream};
use ledger_core::model::{Actor, Commission, Event, EventType, Id};
use ledger_core::views::commission::CommissionView;
use ledger_store::events::{self, EventFilter, EventPage, Stage};
use ledger_store::{Store, StoreError};
use serde::Serialize;

use crate::{Error, Session};

/// The events of `changes` (each the object before, `None` for a creation,
/// and after, as its GET shows it), all of type `kind`, made by `actor`
/// at `at`: one batch of ids, so they may share one item.
pub fn of_changes<T: Serialize>(
    kind: EventType,
    account: &Id,
    actor: &Actor,
    at: DateTime<Utc>,
    changes: &[(Option<T>, T)],
) -> Result<Vec<Event>, Error> {
    Id::batch(at, changes.len())
        .into_iter()
        .zip(changes)
        .map(|(id, (before, after))| {
            Event::of_change(id, kind, account, actor, at, before.as_ref(), after)
                .map_err(|e| Error::Store(StoreError::Corrupt(e.to_string())))
        })
        .collect()
}

/// [`of_changes`] for commissions, shown as the commissions routes show them.
pub fn of_commissions(
    kind: EventType,
    account: &Id,
    actor: &Actor,
    at: DateTime<Utc>,
    changes: &[(Option<&Commission>, &Commission)],
) -> Result<Vec<Event>, Error> {
    let view = |c: &Commission| CommissionView::of(c.clone());
    let shown = changes
        .iter()
        .map(|(before, after)| Ok((before.map(view).transpose()?, view(after)?)))
        .collect::<Result<Vec<_>, Error>>()?;
    of_changes(kind, account, actor, at, &shown)
}

/// How many stages [`release_all`] releases at once.
const RELEASES_AT_ONCE: usize = 16;

/// Releases every stage of `stages` (`events::release`), a few at once,
/// and answers those that failed, with why. A stage left behind is
/// released by the webhook dispatcher, which reads it from the table's
/// stream.
pub async fn release_all<'a>(store: &Store, stages: &'a [Stage]) -> Vec<(&'a Stage, StoreError)> {
    // Collected first: a stream over the closure would keep a spawned
    // caller's future from being `Send` (rust-lang/rust#102211).
    let releases: Vec<_> = stages
        .iter()
        .map(|stage| async move { (stage, events::release(store, stage).await) })
        .collect();
    let released: Vec<_> = stream::iter(releases)
        .buffer_unordered(RELEASES_AT_ONCE)
        .collect()
        .await;
    released
        .into_iter()
        .filter_map(|(stage, released)| released.err().map(|e| (stage, e)))
        .collect()
}

/// The event `id` of the caller's account.
pub async fn get(session: &impl Session, store: &Store, id: &Id) -> Result<Event, Error> {
    let (account, ()) = session.read(store, ()).await?;
    events::get(store, &account.id, id)
        .await?
        .ok_or(Error::NotFound("event"))
}

/// One page of the caller's activity log, newest first, and how many
/// events `filter` selects.
pub async fn page(
    session: &impl Session,
    store: &Store,
    filter: &EventFilter,
    after: Option<&Id>,
    skip: usize,
    limit: usize,
) -> Result<(EventPage, u64), Error> {
    let (account, ()) = session.read(store, ()).await?;
    Ok(tokio::try_join!(
        events::page(store, &account.id, filter, after, skip, limit),
        events::count(store, &account.id, filter),
    )?)
}
