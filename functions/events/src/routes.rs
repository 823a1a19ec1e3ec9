//! The activity log's handlers: parse, read through `ledger_app::events`,
//! shape the answer.

use axum::Json;
use axum::extract::State;
use ledger_core::model::Event;
use ledger_http::openapi::{ListErrors, ReadErrors};
use ledger_http::scopes::EventsRead;
use ledger_http::{ApiError, Caller, CursorPaging, Filters, JsonId, ListEnvelope};
use ledger_store::Store;
use ledger_store::events::EventFilter;

use crate::views::EventFilters;

const TAG: &str = "Events";

/// List events.
///
/// Newest first. Filter by `type`, `object_id` and time (`from`, `to`); follow
/// `pages.next_cursor` to page through any number of events at the same cost. An
/// `object_id` filter reads the account's events (of the `type`, between `from` and `to`)
/// for the object's: narrow it with those on a large log.
#[utoipa::path(get, path = "/events.json", tag = TAG, params(EventFilters, CursorPaging),
    responses((status = 200, description = "One page of events.", body = ListEnvelope<Event>), ListErrors))]
pub async fn list_events(
    State(store): State<Store>,
    caller: Caller<EventsRead>,
    Filters(filters): Filters<EventFilters>,
    paging: CursorPaging,
) -> Result<Json<ListEnvelope<Event>>, ApiError> {
    if let (Some(from), Some(to)) = (filters.from, filters.to)
        && to < from
    {
        return Err(ApiError::validation("to", "must not be before from"));
    }
    let filter = EventFilter {
        kind: filters.kind,
        object: filters.object_id.map(|id| id.to_string()),
        from: filters.from,
        to: filters.to,
    };
    let (page, count) = ledger_app::events::page(
        &caller,
        &store,
        &filter,
        paging.after(),
        paging.skip(),
        paging.size as usize,
    )
    .await?;
    let last = page
        .more
        .then(|| page.events.last().map(|e| e.id.clone()))
        .flatten();
    Ok(Json(ListEnvelope::cursor_page(
        "Event",
        page.events,
        count,
        &paging,
        last.as_ref(),
    )))
}

/// Get an event.
///
/// The event exactly as it was recorded (and as a webhook delivers it).
#[utoipa::path(get, path = "/events/{eventId}.json", tag = TAG,
    params(("eventId" = String, Path, description = "The event's id.")),
    responses((status = 200, description = "The event.", body = Event), ReadErrors))]
pub async fn get_event(
    State(store): State<Store>,
    caller: Caller<EventsRead>,
    JsonId(id): JsonId,
) -> Result<Json<Event>, ApiError> {
    Ok(Json(ledger_app::events::get(&caller, &store, &id).await?))
}
