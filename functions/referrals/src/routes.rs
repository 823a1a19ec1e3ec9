//! The Referrals handlers: parse, call the domain and the store, shape the answer.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use ledger_app::Session;
use ledger_http::openapi::{ListErrors, ReadErrors, WriteErrors};
use ledger_http::scopes::{ReferralsRead, ReferralsWrite};
use ledger_http::{ApiError, Caller, CursorPaging, Filters, JsonBody, JsonId, ListEnvelope};
use ledger_store::tallies;
use ledger_store::{Found, Store, referrals};

use crate::views::*;

const TAG: &str = "Referrals";
const WRAPPER: &str = "referral";

/// List referrals.
///
/// Newest last. Filter by `partner_id` and/or `status` (the subscription status);
/// follow `pages.next_cursor` to page through any number of referrals at the same cost.
#[utoipa::path(get, path = "/referrals.json", tag = TAG, params(ReferralFilters, CursorPaging),
    responses((status = 200, description = "One page of referrals.", body = ListEnvelope<ReferralView>), ListErrors))]
pub async fn list_referrals(
    State(store): State<Store>,
    caller: Caller<ReferralsRead>,
    Filters(filters): Filters<ReferralFilters>,
    paging: CursorPaging,
) -> Result<Json<ListEnvelope<ReferralView>>, ApiError> {
    let list = referrals::list(
        caller.account_id(),
        filters.partner_id.as_ref(),
        filters.status,
    );
    let (_, count) = caller
        .read(&store, tallies::of(caller.account_id(), &list.tally))
        .await?;
    let (page, last) = referrals::page(&store, list, paging.request()).await?;
    let elements: Vec<ReferralView> = page.into_iter().map(ReferralView::from).collect();
    Ok(Json(ListEnvelope::cursor_page(
        "Referral",
        elements,
        count.0,
        &paging,
        last.as_ref(),
    )))
}

/// Get a referral.
#[utoipa::path(get, path = "/referrals/{referralId}.json", tag = TAG,
    params(("referralId" = String, Path, description = "The referral's id.")),
    responses((status = 200, description = "The referral.", body = ReferralEnvelope), ReadErrors))]
pub async fn get_referral(
    State(store): State<Store>,
    caller: Caller<ReferralsRead>,
    JsonId(id): JsonId,
) -> Result<Json<ReferralEnvelope>, ApiError> {
    let (_, referral) = caller
        .read(&store, referrals::at(caller.account_id(), &id))
        .await?;
    Ok(Json(ReferralEnvelope::of(referral.found()?)))
}

/// Create a referral.
///
/// Attribute it with exactly one of `partner_id`, `code` (a link code) or `promo_code`.
/// The partner must be approved and not banned. An `email` (compared case-insensitively) and a
/// `stripe_customer_id` can each have only one referral (409). A customer whose email is the
/// partner's own is flagged as a self-referral.
#[utoipa::path(post, path = "/referrals.json", tag = TAG, request_body = CreateReferralRequest,
    responses((status = 201, description = "Referral created.", body = ReferralEnvelope), WriteErrors))]
pub async fn create_referral(
    State(store): State<Store>,
    caller: Caller<ReferralsWrite>,
    JsonBody(request): JsonBody<CreateReferralRequest>,
) -> Result<(StatusCode, Json<ReferralEnvelope>), ApiError> {
    let referral = ledger_app::referrals::create(&caller, &store, request.referral)
        .await
        .map_err(ApiError::under(WRAPPER))?;
    Ok((StatusCode::CREATED, Json(ReferralEnvelope::of(referral))))
}

/// Update a referral.
///
/// Partial: only the given fields change. Changing the email re-runs the self-referral check.
/// A new `email` or `stripe_customer_id` that another referral has is refused (409); the one it
/// replaces is freed for other referrals.
#[utoipa::path(put, path = "/referrals/{referralId}.json", tag = TAG, request_body = UpdateReferralRequest,
    params(("referralId" = String, Path, description = "The referral's id.")),
    responses((status = 200, description = "Referral updated.", body = ReferralEnvelope), WriteErrors))]
pub async fn update_referral(
    State(store): State<Store>,
    caller: Caller<ReferralsWrite>,
    JsonId(id): JsonId,
    JsonBody(request): JsonBody<UpdateReferralRequest>,
) -> Result<Json<ReferralEnvelope>, ApiError> {
    let referral = ledger_app::referrals::update(&caller, &store, &id, request.referral)
        .await
        .map_err(ApiError::under(WRAPPER))?;
    Ok(Json(ReferralEnvelope::of(referral)))
}
