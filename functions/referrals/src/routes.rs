//! The Referrals handlers: parse, resolve the partner, call the store, shape the answer.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use ledger_core::model::{Account, Attribution, Partner, Referral};
use ledger_core::validation::{FieldError, under};
use ledger_http::openapi::{ListErrors, ReadErrors, WriteErrors};
use ledger_http::scopes::{ReferralsRead, ReferralsWrite};
use ledger_http::{
    ApiError, Caller, CursorPaging, Filters, JsonBody, JsonId, ListEnvelope, retry_contended,
};
use ledger_store::referrals::ReferralWriteError;
use ledger_store::{
    Item, Key, PageRequest, Store, UniqueValue, partners, referrals, tallies, unique,
};

use crate::views::*;

const TAG: &str = "Referrals";
const WRAPPER: &str = "referral";

fn invalid(errors: Vec<FieldError>) -> ApiError {
    ApiError::Validation(under(errors, WRAPPER))
}

fn existing(item: Option<Item>) -> Result<Referral, ApiError> {
    item.map(referrals::from_item)
        .transpose()?
        .ok_or(ApiError::NotFound("referral"))
}

fn written(result: Result<(), ReferralWriteError>) -> Result<(), ApiError> {
    result.map_err(|e| match e {
        ReferralWriteError::CustomerTaken => ApiError::conflict(
            "duplicate_customer",
            "this stripe_customer_id already has a referral",
        ),
        ReferralWriteError::EmailTaken => {
            ApiError::conflict("duplicate_email", "this email already has a referral")
        }
        ReferralWriteError::Store(e) => e.into(),
    })
}

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
    let (_, [count]) = caller
        .read_items(&store, [&Key::tally(caller.account_id(), &list.tally)])
        .await?;
    let page = store
        .page(
            &list.listing,
            PageRequest {
                filter: list.filter,
                ..paging.request()
            },
        )
        .await?;
    let elements: Vec<ReferralView> = page
        .items
        .into_iter()
        .map(|item| referrals::from_item(item).map(ReferralView::from))
        .collect::<Result<_, _>>()?;
    let last = page
        .more
        .then(|| elements.last().map(|r| r.id.clone()))
        .flatten();
    Ok(Json(ListEnvelope::cursor_page(
        "Referral",
        elements,
        tallies::count(count.as_ref())?,
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
    let (_, [referral]) = caller
        .read_items(&store, [&Key::referral(caller.account_id(), &id)])
        .await?;
    Ok(Json(ReferralEnvelope::of(existing(referral)?)))
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
    let campaign = request.referral.campaign_id.clone();
    let draft = request.referral.check().map_err(invalid)?;
    let referral = retry_contended(|| async {
        let account = caller.account_id();
        let found = match &draft.attribution {
            Attribution::Partner(id) => Key::partner(account, id),
            Attribution::LinkCode(code) => Key::unique(account, UniqueValue::LinkCode(code)),
            Attribution::PromoCode(code) => Key::unique(account, UniqueValue::PromoCode(code)),
        };
        let campaign_key = campaign.as_ref().map(|c| Key::campaign(account, c));
        let (account, [found, campaign_item]) = caller
            .read_items(&store, [&found, campaign_key.as_ref().unwrap_or(&found)])
            .await?;
        if campaign.is_some() && campaign_item.is_none() {
            return Err(invalid(vec![FieldError::new(
                "campaign_id",
                "no campaign with this id",
            )]));
        }
        let partner = attributed_partner(&store, &account, &draft.attribution, found).await?;
        let referral = draft.clone().into_referral(&partner, Utc::now());
        written(referrals::create(&store, &account.id, &referral).await)?;
        Ok(referral)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(ReferralEnvelope::of(referral))))
}

/// The partner the attribution names, if it may be credited with a referral.
/// `found` is the partner item, or the unique-code item that names the partner.
async fn attributed_partner(
    store: &Store,
    account: &Account,
    attribution: &Attribution,
    found: Option<Item>,
) -> Result<Partner, ApiError> {
    let field = attribution.field();
    let missing = |what: &str| invalid(vec![FieldError::new(field, format!("no partner {what}"))]);
    let partner = match (attribution, found) {
        (_, None) => None,
        (Attribution::Partner(_), Some(item)) => Some(partners::from_item(item)?),
        (_, Some(code)) => partners::find(store, &account.id, &unique::owner(code)?).await?,
    };
    let partner = match (attribution, partner) {
        (Attribution::Partner(_), None) => return Err(missing("with this id")),
        (Attribution::LinkCode(_), None) => return Err(missing("has this link code")),
        (Attribution::PromoCode(_), None) => return Err(missing("has this promo code")),
        (_, Some(partner)) => partner,
    };
    match partner.refusal() {
        Some(reason) => Err(invalid(vec![FieldError::new(
            field,
            format!("{reason}, so it cannot be credited with referrals"),
        )])),
        None => Ok(partner),
    }
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
    let changes = request.referral;
    let referral = retry_contended(|| async {
        let (account, [referral]) = caller
            .read_items(&store, [&Key::referral(caller.account_id(), &id)])
            .await?;
        let before = existing(referral)?;
        let partner = match &changes.email {
            Some(_) => partners::find(&store, &account.id, &before.partner_id).await?,
            None => None,
        };
        let mut after = before.clone();
        after
            .apply(changes.clone(), partner.as_ref(), Utc::now())
            .map_err(invalid)?;
        written(referrals::update(&store, &account.id, &before, &after).await)?;
        Ok(after)
    })
    .await?;
    Ok(Json(ReferralEnvelope::of(referral)))
}
