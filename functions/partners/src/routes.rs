//! The Partners handlers: parse, call the domain and the store, shape the answer.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use ledger_core::model::partner::StandingChange;
use ledger_core::model::{Id, Partner};
use ledger_core::validation::{FieldError, under};
use ledger_http::openapi::{ListErrors, ReadErrors, WriteErrors};
use ledger_http::scopes::{PartnersRead, PartnersWrite};
use ledger_http::{
    ApiError, Caller, CursorPaging, JsonBody, JsonId, ListEnvelope, PathId, retry_contended,
};
use ledger_store::campaigns;
use ledger_store::partners::{self, Guard, Refusal};
use ledger_store::{Item, Key, Store, Tally, tallies};

use crate::views::*;

const TAG: &str = "Partners";
const WRAPPER: &str = "partner";

fn invalid(errors: Vec<FieldError>) -> ApiError {
    ApiError::Validation(under(errors, WRAPPER))
}

/// The partner read from `item`, or the 404 an unknown (or foreign) id gets.
fn existing(item: Option<Item>) -> Result<Partner, ApiError> {
    item.map(partners::from_item)
        .transpose()?
        .ok_or(ApiError::NotFound("partner"))
}

/// Explains a refused transaction: a reference to nothing is a 422, a value
/// another partner holds a 409. Anything else lost a race and stays a store
/// error, which `retry_contended` retries.
fn explain(refusal: Refusal) -> ApiError {
    let unknown: Vec<FieldError> = refusal
        .failed
        .iter()
        .filter_map(|guard| match guard {
            Guard::Exists(reference) => Some(reference.unknown()),
            _ => None,
        })
        .collect();
    if !unknown.is_empty() {
        return invalid(unknown);
    }
    refusal
        .failed
        .into_iter()
        .find_map(taken)
        .unwrap_or(ApiError::Internal(refusal.cause))
}

/// The 409 for a unique value that another partner holds, naming it.
fn taken(guard: Guard) -> Option<ApiError> {
    let (code, field, what, value) = match guard {
        Guard::Email(email) => ("duplicate_email", "email".to_string(), "email", email),
        Guard::LinkCode { index, code } => (
            "duplicate_link_code",
            format!("links[{index}].code"),
            "link code",
            code,
        ),
        Guard::PromoCode { index, code } => (
            "duplicate_promo_code",
            format!("promo_codes[{index}].code"),
            "promo code",
            code,
        ),
        Guard::Partner | Guard::Exists(_) | Guard::Ancestor | Guard::Bookkeeping => return None,
    };
    Some(ApiError::conflict(
        code,
        format!("{WRAPPER}.{field}: another partner already has the {what} {value}"),
    ))
}

/// List Partners.
///
/// Oldest first. Follow `pages.next_cursor` to page through any number of partners at the cost of the first page.
#[utoipa::path(get, path = "/partners.json", tag = TAG, params(CursorPaging),
    responses((status = 200, description = "One page of the account's partners.", body = ListEnvelope<PartnerDetail>), ListErrors))]
pub async fn list_partners(
    State(store): State<Store>,
    caller: Caller<PartnersRead>,
    paging: CursorPaging,
) -> Result<Json<ListEnvelope<PartnerDetail>>, ApiError> {
    let (account, [tally]) = caller
        .read_items(
            &store,
            [&Key::tally(caller.account_id(), &Tally::partners())],
        )
        .await?;
    let (page, last) = partners::page(&store, &account.id, paging.request()).await?;
    let elements = page.into_iter().map(PartnerDetail::from).collect();
    let count = tallies::count(tally.as_ref())?;
    Ok(Json(ListEnvelope::cursor_page(
        "Partner",
        elements,
        count,
        &paging,
        last.as_ref(),
    )))
}

/// Get Partner.
#[utoipa::path(get, path = "/partners/{partnerId}.json", tag = TAG,
    params(("partnerId" = String, Path, description = "The unique identifier of the partner.")),
    responses((status = 200, description = "The partner, statistics included.", body = PartnerResponse), ReadErrors))]
pub async fn get_partner(
    State(store): State<Store>,
    caller: Caller<PartnersRead>,
    JsonId(id): JsonId,
) -> Result<Json<PartnerResponse>, ApiError> {
    let (_, [partner]) = caller
        .read_items(&store, [&Key::partner(caller.account_id(), &id)])
        .await?;
    Ok(Json(existing(partner)?.into()))
}

/// Create Partner.
///
/// Joins the account's default group and campaign unless the body names others, and starts approved unless that campaign has `approval_needed`. The email, link codes and promo codes must be free in the account (409 otherwise).
#[utoipa::path(post, path = "/partners.json", tag = TAG, request_body = CreatePartnerRequest,
    responses((status = 201, description = "Partner created.", body = PartnerResponse), WriteErrors))]
pub async fn create_partner(
    State(store): State<Store>,
    caller: Caller<PartnersWrite>,
    JsonBody(request): JsonBody<CreatePartnerRequest>,
) -> Result<(StatusCode, Json<PartnerResponse>), ApiError> {
    let draft = request.partner;
    let partner = retry_contended(|| async {
        let (account, []) = caller.read_items(&store, []).await?;
        let campaign = draft
            .campaign_id
            .as_ref()
            .or(account.default_campaign_id.as_ref());
        let needs_approval = match (draft.approved, campaign) {
            (None, Some(campaign)) => {
                campaigns::needs_approval(&store, &account.id, campaign).await?
            }
            _ => false,
        };
        let partner = Partner::create(draft.clone(), &account, needs_approval, Utc::now())
            .map_err(invalid)?;
        partners::create(&store, &account.id, &partner)?
            .run(&store)
            .await
            .map_err(explain)?;
        Ok(partner)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(partner.into())))
}

/// Update Partner.
///
/// Partial: each field given replaces the stored one; statistics are never touched.
#[utoipa::path(put, path = "/partners/{partnerId}.json", tag = TAG, request_body = UpdatePartnerRequest,
    params(("partnerId" = String, Path, description = "The unique identifier of the partner.")),
    responses((status = 200, description = "Partner updated.", body = PartnerResponse), WriteErrors))]
pub async fn update_partner(
    State(store): State<Store>,
    caller: Caller<PartnersWrite>,
    JsonId(id): JsonId,
    JsonBody(request): JsonBody<UpdatePartnerRequest>,
) -> Result<Json<PartnerResponse>, ApiError> {
    let changes = request.partner;
    let partner = retry_contended(|| async {
        let (account, [item]) = caller
            .read_items(&store, [&Key::partner(caller.account_id(), &id)])
            .await?;
        let before = existing(item)?;
        let mut after = before.clone();
        after.apply(changes.clone(), Utc::now()).map_err(invalid)?;
        let lineage = match &after.parent_partner_id {
            Some(parent) if after.parent_partner_id != before.parent_partner_id => {
                let lineage = partners::lineage(&store, &account.id, parent, &id).await?;
                after
                    .check_lineage(&lineage)
                    .map_err(|e| invalid(vec![e]))?;
                lineage
            }
            _ => Vec::new(),
        };
        partners::update(&store, &account.id, &before, &after, &lineage)?
            .run(&store)
            .await
            .map_err(explain)?;
        Ok(after)
    })
    .await?;
    Ok(Json(partner.into()))
}

/// Approve Partner.
///
/// Idempotent: approving an approved partner changes nothing.
#[utoipa::path(post, path = "/partners/{partnerId}/approve.json", tag = TAG,
    params(("partnerId" = String, Path, description = "The unique identifier of the partner.")),
    responses((status = 200, description = "The partner, approved.", body = PartnerResponse), WriteErrors))]
pub async fn approve_partner(
    State(store): State<Store>,
    caller: Caller<PartnersWrite>,
    PathId(id): PathId,
) -> Result<Json<PartnerResponse>, ApiError> {
    change_standing(&store, &caller, &id, StandingChange::Approve).await
}

/// Ban Partner.
///
/// A banned partner is credited with no new referrals. Idempotent.
#[utoipa::path(post, path = "/partners/{partnerId}/ban.json", tag = TAG,
    params(("partnerId" = String, Path, description = "The unique identifier of the partner.")),
    responses((status = 200, description = "The partner, banned.", body = PartnerResponse), WriteErrors))]
pub async fn ban_partner(
    State(store): State<Store>,
    caller: Caller<PartnersWrite>,
    PathId(id): PathId,
) -> Result<Json<PartnerResponse>, ApiError> {
    change_standing(&store, &caller, &id, StandingChange::Ban).await
}

/// Unban Partner.
///
/// Idempotent: unbanning a partner that is not banned changes nothing.
#[utoipa::path(post, path = "/partners/{partnerId}/unban.json", tag = TAG,
    params(("partnerId" = String, Path, description = "The unique identifier of the partner.")),
    responses((status = 200, description = "The partner, no longer banned.", body = PartnerResponse), WriteErrors))]
pub async fn unban_partner(
    State(store): State<Store>,
    caller: Caller<PartnersWrite>,
    PathId(id): PathId,
) -> Result<Json<PartnerResponse>, ApiError> {
    change_standing(&store, &caller, &id, StandingChange::Unban).await
}

/// The three actions' shared body: a write only when the standing changes.
async fn change_standing(
    store: &Store,
    caller: &Caller<PartnersWrite>,
    id: &Id,
    change: StandingChange,
) -> Result<Json<PartnerResponse>, ApiError> {
    let partner = retry_contended(|| async {
        let (account, [item]) = caller
            .read_items(store, [&Key::partner(caller.account_id(), id)])
            .await?;
        let before = existing(item)?;
        let mut after = before.clone();
        if after.change_standing(change, Utc::now()) {
            partners::update(store, &account.id, &before, &after, &[])?
                .run(store)
                .await
                .map_err(explain)?;
        }
        Ok(after)
    })
    .await?;
    Ok(Json(partner.into()))
}
