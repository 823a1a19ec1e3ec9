//! The Partners handlers: parse, call the domain and the store, shape the answer.

use axum::Json;
use axum::extract::State;
use axum::http::header::HOST;
use axum::http::{HeaderMap, StatusCode};
use chrono::Utc;
use ledger_app::Session;
use ledger_core::model::partner::StandingChange;
use ledger_core::model::{DayRange, Id};
use ledger_http::openapi::{ListErrors, ReadErrors, WriteErrors};
use ledger_http::scopes::{PartnersRead, PartnersWrite};
use ledger_http::{
    ApiError, Caller, CursorPaging, Filters, JsonBody, JsonId, ListEnvelope, OptionalJsonBody,
    PathId,
};
use ledger_store::tallies;
use ledger_store::{Found, Store, Tally, partners};

use crate::views::*;

const TAG: &str = "Partners";
const WRAPPER: &str = "partner";

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
    let (account, count) = caller
        .read(&store, tallies::of(caller.account_id(), &Tally::partners()))
        .await?;
    let (page, last) = partners::page(&store, &account.id, paging.request()).await?;
    let elements = page.into_iter().map(PartnerDetail::from).collect();
    Ok(Json(ListEnvelope::cursor_page(
        "Partner",
        elements,
        count.0,
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
    let (_, partner) = caller
        .read(&store, partners::at(caller.account_id(), &id))
        .await?;
    Ok(Json(partner.found()?.into()))
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
    let partner = ledger_app::partners::create(&caller, &store, request.partner)
        .await
        .map_err(ApiError::under(WRAPPER))?;
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
    let partner = ledger_app::partners::update(&caller, &store, &id, request.partner)
        .await
        .map_err(ApiError::under(WRAPPER))?;
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

/// List a Partner's Clicks per Day.
///
/// The partner's counted clicks on each day (UTC) from `from` to `to`, both included and every
/// day listed: the 30 days up to today when neither is given, at most 366 days. Clicks by bots
/// and on links of banned or unapproved partners are not counted.
#[utoipa::path(get, path = "/partners/{partnerId}/clicks.json", tag = TAG, params(
        ("partnerId" = String, Path, description = "The unique identifier of the partner."),
        ClickDaysQuery),
    responses((status = 200, description = "The partner's clicks per day.", body = ClickDaysResponse), ListErrors))]
pub async fn list_partner_clicks(
    State(store): State<Store>,
    caller: Caller<PartnersRead>,
    PathId(id): PathId,
    Filters(query): Filters<ClickDaysQuery>,
) -> Result<Json<ClickDaysResponse>, ApiError> {
    let range = DayRange::new(query.from, query.to, Utc::now().date_naive())
        .map_err(|e| ApiError::Validation(vec![e]))?;
    let days = ledger_app::clicks::days(&caller, &store, &id, range).await?;
    Ok(Json(ClickDaysResponse::of(id, range, days)))
}

/// Create a Partner's Portal Session.
///
/// Mints a short-lived token with which the partner reads only their own data under `/portal/`
/// (and updates only their payout email). The body is optional: `expires_in` is 60 to 86400
/// seconds, 3600 when absent. The token is shown only in this answer; `url` is the portal page
/// under `PORTAL_BASE_URL` (else the request's host), the token in its fragment so it reaches
/// no log or referrer. A banned partner gets none (409).
#[utoipa::path(post, path = "/partners/{partnerId}/portal_sessions.json", tag = TAG,
    request_body(content = Option<MintPortalSessionRequest>),
    params(("partnerId" = String, Path, description = "The unique identifier of the partner.")),
    responses((status = 201, description = "Portal session created.", body = PortalSessionResponse), WriteErrors))]
pub async fn create_portal_session(
    State(store): State<Store>,
    caller: Caller<PartnersWrite>,
    PathId(id): PathId,
    headers: HeaderMap,
    OptionalJsonBody(request): OptionalJsonBody<MintPortalSessionRequest>,
) -> Result<(StatusCode, Json<PortalSessionResponse>), ApiError> {
    let draft = request.map(|r| r.portal_session).unwrap_or_default();
    let (session, token) = ledger_app::portal_sessions::mint(&caller, &store, &id, draft)
        .await
        .map_err(ApiError::under("portalSession"))?;
    let origin = portal_origin(&headers);
    Ok((
        StatusCode::CREATED,
        Json(PortalSessionResponse::of(session, token, &origin)),
    ))
}

/// Where the portal page is served: `PORTAL_BASE_URL`, else `https://` and the request's host.
fn portal_origin(headers: &HeaderMap) -> String {
    std::env::var("PORTAL_BASE_URL").unwrap_or_else(|_| {
        let host = headers
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        format!("https://{host}")
    })
}

/// The three actions' shared body: a write only when the standing changes.
async fn change_standing(
    store: &Store,
    caller: &Caller<PartnersWrite>,
    id: &Id,
    change: StandingChange,
) -> Result<Json<PartnerResponse>, ApiError> {
    let partner = ledger_app::partners::change_standing(caller, store, id, change).await?;
    Ok(Json(partner.into()))
}
