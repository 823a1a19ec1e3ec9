//! The Commissions handlers: parse, call the use case (`ledger_app::commissions`)
//! or read, shape the answer.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use ledger_app::Session;
use ledger_app::commissions::Created;
use ledger_core::model::{Commission, Decision, Id};
use ledger_http::openapi::{ListErrors, ReadErrors, WriteErrors};
use ledger_http::scopes::{CommissionsRead, CommissionsWrite};
use ledger_http::{
    ApiError, Caller, CursorPaging, Filters, JsonBody, JsonId, ListEnvelope, PathId,
};
use ledger_store::commissions::{self, CommissionFilter};
use ledger_store::{Found, Store};
use ledger_telemetry::metrics::{self, CommissionSource};

use crate::views::*;
use ledger_core::views::commission::{CommissionEnvelope, CommissionView};

const TAG: &str = "Commissions";
const WRAPPER: &str = "commission";

fn envelope(commission: Commission) -> Result<Json<CommissionEnvelope>, ApiError> {
    Ok(Json(CommissionEnvelope::of(commission)?))
}

/// List commissions.
///
/// Oldest first. Filter by `partner_id`, `referral_id`, `status`, `payout_status`, `unit`
/// and creation time (`from`, `to`); follow `pages.next_cursor` to page through any number
/// of commissions at the same cost.
#[utoipa::path(get, path = "/commissions.json", tag = TAG, params(CommissionFilters, CursorPaging),
    responses((status = 200, description = "One page of commissions.", body = ListEnvelope<CommissionView>), ListErrors))]
pub async fn list_commissions(
    State(store): State<Store>,
    caller: Caller<CommissionsRead>,
    Filters(filters): Filters<CommissionFilters>,
    paging: CursorPaging,
) -> Result<Json<ListEnvelope<CommissionView>>, ApiError> {
    if let (Some(from), Some(to)) = (filters.from, filters.to)
        && to < from
    {
        return Err(ApiError::validation("to", "must not be before from"));
    }
    let list = commissions::list(
        caller.account_id(),
        &CommissionFilter {
            partner: filters.partner_id,
            referral: filters.referral_id,
            status: filters.status,
            payout_status: filters.payout_status,
            unit: filters.unit,
            from: filters.from,
            to: filters.to,
        },
    );
    let (page, count) = caller
        .filtered_page(&store, &list, paging.request())
        .await?;
    let page = page.entities::<Commission>()?;
    let elements: Vec<CommissionView> = page
        .items
        .into_iter()
        .map(CommissionView::of)
        .collect::<Result<_, _>>()?;
    let last = page
        .more
        .then(|| elements.last().map(|c| c.id.clone()))
        .flatten();
    Ok(Json(ListEnvelope::cursor_page(
        "Commission",
        elements,
        count,
        &paging,
        last.as_ref(),
    )))
}

/// Get a commission.
#[utoipa::path(get, path = "/commissions/{commissionId}.json", tag = TAG,
    params(("commissionId" = String, Path, description = "The commission's id.")),
    responses((status = 200, description = "The commission.", body = CommissionEnvelope), ReadErrors))]
pub async fn get_commission(
    State(store): State<Store>,
    caller: Caller<CommissionsRead>,
    JsonId(id): JsonId,
) -> Result<Json<CommissionEnvelope>, ApiError> {
    let (_, commission) = caller
        .read(&store, commissions::at(caller.account_id(), &id))
        .await?;
    envelope(commission.found()?)
}

/// Create a commission.
///
/// Takes PromoteKit's contract (`referral_id`, `revenue_amount`, `commission_amount`,
/// `referral_date`, `stripe_payment_id`) or FirstPromoter's (`commission_type` `sale` with
/// `referral_id` and `sale_amount`, or `custom` with `partner_id` and `amount`). A sale
/// without a commission amount is priced by the rules: the referral's campaign's, else the
/// partner's group's, else the default group's. The same `event_id` or `stripe_payment_id`
/// sent again answers the original commission (200) if the body is the same, 409 if not.
#[utoipa::path(post, path = "/commissions.json", tag = TAG, request_body = CreateCommissionRequest,
    responses(
        (status = 201, description = "Commission created.", body = CommissionEnvelope),
        (status = 200, description = "A replay: the commission this event or payment created before.", body = CommissionEnvelope),
        WriteErrors))]
pub async fn create_commission(
    State(store): State<Store>,
    caller: Caller<CommissionsWrite>,
    JsonBody(request): JsonBody<CreateCommissionRequest>,
) -> Result<(StatusCode, Json<CommissionEnvelope>), ApiError> {
    let created = ledger_app::commissions::create(&caller, &store, &request.commission)
        .await
        .map_err(ApiError::under(WRAPPER))?;
    let (status, commission) = match created {
        Created::New(commission) => {
            metrics::commission_created(CommissionSource::Api, caller.account_id(), &commission);
            (StatusCode::CREATED, commission)
        }
        Created::Replayed(commission) => (StatusCode::OK, commission),
    };
    Ok((status, envelope(*commission)?))
}

/// Update a commission's notes.
///
/// Sets `internal_note` (the team's) and/or `external_note` (shown to the partner);
/// a note not given is kept. Nothing else about a commission can be changed.
#[utoipa::path(put, path = "/commissions/{commissionId}.json", tag = TAG, request_body = UpdateCommissionRequest,
    params(("commissionId" = String, Path, description = "The commission's id.")),
    responses((status = 200, description = "Commission updated.", body = CommissionEnvelope), WriteErrors))]
pub async fn update_commission(
    State(store): State<Store>,
    caller: Caller<CommissionsWrite>,
    JsonId(id): JsonId,
    JsonBody(request): JsonBody<UpdateCommissionRequest>,
) -> Result<Json<CommissionEnvelope>, ApiError> {
    let commission = ledger_app::commissions::annotate(&caller, &store, &id, request.commission)
        .await
        .map_err(ApiError::under(WRAPPER))?;
    envelope(commission)
}

/// Approve a commission.
///
/// Only a pending commission can be approved (409 otherwise); approving an approved one
/// changes nothing.
#[utoipa::path(post, path = "/commissions/{commissionId}/approve.json", tag = TAG,
    params(("commissionId" = String, Path, description = "The commission's id.")),
    responses((status = 200, description = "The commission, approved.", body = CommissionEnvelope), WriteErrors))]
pub async fn approve_commission(
    State(store): State<Store>,
    caller: Caller<CommissionsWrite>,
    PathId(id): PathId,
) -> Result<Json<CommissionEnvelope>, ApiError> {
    envelope(ledger_app::commissions::decide(&caller, &store, &id, Decision::Approve).await?)
}

/// Deny a commission.
///
/// Only a pending commission can be denied (409 otherwise); denying a denied one changes
/// nothing.
#[utoipa::path(post, path = "/commissions/{commissionId}/deny.json", tag = TAG,
    params(("commissionId" = String, Path, description = "The commission's id.")),
    responses((status = 200, description = "The commission, denied.", body = CommissionEnvelope), WriteErrors))]
pub async fn deny_commission(
    State(store): State<Store>,
    caller: Caller<CommissionsWrite>,
    PathId(id): PathId,
) -> Result<Json<CommissionEnvelope>, ApiError> {
    envelope(ledger_app::commissions::decide(&caller, &store, &id, Decision::Deny).await?)
}

/// Mark a commission fulfilled.
///
/// For a reward in a unit other than cash (credits, points, free months, discounts), which
/// payouts never pay: the merchant gives it, then marks it done here. The commission must be
/// approved (409 otherwise, and for cash); fulfilling a fulfilled one changes nothing.
#[utoipa::path(post, path = "/commissions/{commissionId}/fulfil.json", tag = TAG,
    params(("commissionId" = String, Path, description = "The commission's id.")),
    responses((status = 200, description = "The commission, fulfilled.", body = CommissionEnvelope), WriteErrors))]
pub async fn fulfil_commission(
    State(store): State<Store>,
    caller: Caller<CommissionsWrite>,
    PathId(id): PathId,
) -> Result<Json<CommissionEnvelope>, ApiError> {
    envelope(ledger_app::commissions::fulfil(&caller, &store, &id).await?)
}

/// Approve commissions in bulk.
///
/// All or nothing: every id must name a pending commission, or none is approved and the
/// 409 names the ones that are unknown or not pending.
#[utoipa::path(post, path = "/commissions/approve.json", tag = TAG, request_body = BulkRequest,
    responses((status = 200, description = "Every commission, approved.", body = BulkResponse), WriteErrors))]
pub async fn approve_commissions(
    State(store): State<Store>,
    caller: Caller<CommissionsWrite>,
    JsonBody(request): JsonBody<BulkRequest>,
) -> Result<Json<BulkResponse>, ApiError> {
    decide_in_bulk(&store, &caller, request.ids, Decision::Approve).await
}

/// Deny commissions in bulk.
///
/// All or nothing: every id must name a pending commission, or none is denied and the
/// 409 names the ones that are unknown or not pending.
#[utoipa::path(post, path = "/commissions/deny.json", tag = TAG, request_body = BulkRequest,
    responses((status = 200, description = "Every commission, denied.", body = BulkResponse), WriteErrors))]
pub async fn deny_commissions(
    State(store): State<Store>,
    caller: Caller<CommissionsWrite>,
    JsonBody(request): JsonBody<BulkRequest>,
) -> Result<Json<BulkResponse>, ApiError> {
    decide_in_bulk(&store, &caller, request.ids, Decision::Deny).await
}

async fn decide_in_bulk(
    store: &Store,
    caller: &Caller<CommissionsWrite>,
    ids: Vec<Id>,
    decision: Decision,
) -> Result<Json<BulkResponse>, ApiError> {
    ledger_app::commissions::decide_all(caller, store, &ids, decision).await?;
    let target = decision.target();
    Ok(Json(BulkResponse {
        commissions: ids
            .into_iter()
            .map(|id| Decided { id, status: target })
            .collect(),
    }))
}
