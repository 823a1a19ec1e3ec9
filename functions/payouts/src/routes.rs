//! The Payouts handlers: parse, call the use case (`ledger_app::payouts`)
//! or read, shape the answer.

use axum::Json;
use axum::extract::State;
use ledger_app::Session;
use ledger_core::model::Payout;
use ledger_http::openapi::{ListErrors, ReadErrors, WriteErrors};
use ledger_http::scopes::{PayoutsRead, PayoutsWrite};
use ledger_http::{
    ApiError, Caller, CursorPaging, Filters, JsonId, ListEnvelope, OptionalJsonBody, PathId,
};
use ledger_store::payouts::{self, PayoutFilter};
use ledger_store::{Found, Store};

use crate::deadline::RunDeadline;
use crate::views::*;

const TAG: &str = "Payouts";

/// List payouts.
///
/// Ordered by period, oldest first. Filter by `partner_id`, `status` and `period`
/// (`YYYY-MM`); follow `pages.next_cursor` to page through any number of payouts at the
/// same cost.
#[utoipa::path(get, path = "/payouts.json", tag = TAG, params(PayoutFilters, CursorPaging),
    responses((status = 200, description = "One page of payouts.", body = ListEnvelope<PayoutView>), ListErrors))]
pub async fn list_payouts(
    State(store): State<Store>,
    caller: Caller<PayoutsRead>,
    Filters(filters): Filters<PayoutFilters>,
    paging: CursorPaging,
) -> Result<Json<ListEnvelope<PayoutView>>, ApiError> {
    let list = payouts::list(
        caller.account_id(),
        &PayoutFilter {
            partner: filters.partner_id,
            status: filters.status,
            period: filters.period,
        },
    );
    let (page, count) = caller
        .filtered_page(&store, &list, paging.request())
        .await?;
    let page = page.entities::<Payout>()?;
    let elements: Vec<PayoutView> = page.items.into_iter().map(PayoutView::of).collect();
    let last = page
        .more
        .then(|| elements.last().map(|p| p.id.clone()))
        .flatten();
    Ok(Json(ListEnvelope::cursor_page(
        "Payout",
        elements,
        count,
        &paging,
        last.as_ref(),
    )))
}

/// Get a payout.
#[utoipa::path(get, path = "/payouts/{payoutId}.json", tag = TAG,
    params(("payoutId" = String, Path, description = "The payout's id.")),
    responses((status = 200, description = "The payout.", body = PayoutEnvelope), ReadErrors))]
pub async fn get_payout(
    State(store): State<Store>,
    caller: Caller<PayoutsRead>,
    JsonId(id): JsonId,
) -> Result<Json<PayoutEnvelope>, ApiError> {
    let (_, payout) = caller
        .read(&store, payouts::at(caller.account_id(), &id))
        .await?;
    Ok(Json(PayoutEnvelope::of(payout.found()?)))
}

/// Mark a payout paid.
///
/// The money was sent. Only a pending payout can be marked paid (409 for a failed one);
/// marking a paid payout paid again changes nothing.
#[utoipa::path(post, path = "/payouts/{payoutId}/paid.json", tag = TAG,
    params(("payoutId" = String, Path, description = "The payout's id.")),
    responses((status = 200, description = "The payout, paid.", body = PayoutEnvelope), WriteErrors))]
pub async fn mark_paid(
    State(store): State<Store>,
    caller: Caller<PayoutsWrite>,
    PathId(id): PathId,
) -> Result<Json<PayoutEnvelope>, ApiError> {
    let payout = ledger_app::payouts::mark_paid(&caller, &store, &id).await?;
    Ok(Json(PayoutEnvelope::of(payout)))
}

/// Mark a payout failed.
///
/// Sending the money failed. Its commissions go back to unpaid (`payout_status: not_paid`,
/// no `payout_id`), and the next run puts them into a new payout. Only a pending payout can
/// be marked failed (409 for a paid one); marking a failed payout failed again hands back
/// any commission an interrupted earlier call left.
#[utoipa::path(post, path = "/payouts/{payoutId}/failed.json", tag = TAG,
    params(("payoutId" = String, Path, description = "The payout's id.")),
    responses((status = 200, description = "The payout, failed; its commissions released.", body = PayoutEnvelope), WriteErrors))]
pub async fn mark_failed(
    State(store): State<Store>,
    caller: Caller<PayoutsWrite>,
    PathId(id): PathId,
) -> Result<Json<PayoutEnvelope>, ApiError> {
    let payout = ledger_app::payouts::mark_failed(&caller, &store, &id).await?;
    Ok(Json(PayoutEnvelope::of(payout)))
}

/// Run payouts now.
///
/// Does what the scheduled run does, in the caller's account only: approves the pending
/// commissions whose holding period is over (not flagged ones), then puts each partner's
/// approved, unpaid commissions per currency into this month's payout when they reach the
/// account's `min_payout`. Running it again changes nothing until there is more to pay. A
/// run answers within about 25 seconds: `complete: false` means it stopped early and the
/// next run continues where it stopped. Takes no body (or `{}`).
#[utoipa::path(post, path = "/payouts/run.json", tag = TAG, request_body = Option<RunRequest>,
    responses((status = 200, description = "What the run did.", body = RunEnvelope), WriteErrors))]
pub async fn run_payouts(
    State(store): State<Store>,
    caller: Caller<PayoutsWrite>,
    RunDeadline(deadline): RunDeadline,
    OptionalJsonBody(_): OptionalJsonBody<RunRequest>,
) -> Result<Json<RunEnvelope>, ApiError> {
    let report = ledger_app::payouts::run(&caller, &store, &deadline).await?;
    Ok(Json(RunEnvelope::of(report)))
}
