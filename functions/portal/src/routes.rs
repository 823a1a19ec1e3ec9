//! The portal handlers: verify the portal token, read the session's partner's
//! own data (`ledger_app::portal`), shape it.

use axum::Json;
use axum::extract::State;
use chrono::Utc;
use ledger_app::portal::Listed;
use ledger_core::model::partner::PartnerChanges;
use ledger_core::model::{DayRange, Id};
use ledger_core::views::click::{ClickDaysQuery, ClickDaysResponse};
use ledger_core::views::portal::{PortalCommissionView, PortalPayoutView, PortalReferralView};
use ledger_http::openapi::{PortalListErrors, PortalReadErrors, PortalWriteErrors};
use ledger_http::{ApiError, CursorPaging, Filters, JsonBody, ListEnvelope, PortalCaller};
use ledger_store::Store;

use crate::views::*;

const TAG: &str = "Portal";

/// Get the Portal's Partner.
///
/// The partner the token's session belongs to (profile, links, promo codes and statistics)
/// and their program: the campaign's texts and flags. 401 once the session expired or the
/// partner was banned.
#[utoipa::path(get, path = "/portal/partner.json", tag = TAG, security(("portal_token" = [])),
    responses((status = 200, description = "The session's partner and program.", body = OwnPartnerResponse), PortalReadErrors))]
pub async fn get_own_partner(
    State(store): State<Store>,
    caller: PortalCaller,
) -> Result<Json<OwnPartnerResponse>, ApiError> {
    let portal = caller.verify(&store).await?;
    let campaign = ledger_app::portal::campaign(&store, &portal.account, &portal.partner).await?;
    Ok(Json(OwnPartnerResponse::of(
        portal.partner,
        &portal.account,
        campaign,
    )))
}

/// List the Portal's Clicks per Day.
///
/// The session's partner's counted clicks on each day (UTC) from `from` to `to`, both
/// included: the 30 days up to today when neither is given, at most 366 days.
#[utoipa::path(get, path = "/portal/clicks.json", tag = TAG, security(("portal_token" = [])),
    params(ClickDaysQuery),
    responses((status = 200, description = "The partner's clicks per day.", body = ClickDaysResponse), PortalListErrors))]
pub async fn list_own_clicks(
    State(store): State<Store>,
    caller: PortalCaller,
    Filters(query): Filters<ClickDaysQuery>,
) -> Result<Json<ClickDaysResponse>, ApiError> {
    let range = DayRange::new(query.from, query.to, Utc::now().date_naive())
        .map_err(|e| ApiError::Validation(vec![e]))?;
    let portal = caller.verify(&store).await?;
    let account = &portal.account.id;
    let days = ledger_app::portal::clicks(&store, account, &portal.partner, range).await?;
    Ok(Json(ClickDaysResponse::of(portal.partner.id, range, days)))
}

/// List the Portal's Referrals.
///
/// The customers the session's partner referred, newest last. A customer's email is masked
/// (`a***@e***.com`) when the referral's campaign hides emails (`hide_emails`).
#[utoipa::path(get, path = "/portal/referrals.json", tag = TAG, security(("portal_token" = [])),
    params(CursorPaging),
    responses((status = 200, description = "One page of the partner's referrals.", body = ListEnvelope<PortalReferralView>), PortalListErrors))]
pub async fn list_own_referrals(
    State(store): State<Store>,
    caller: PortalCaller,
    paging: CursorPaging,
) -> Result<Json<ListEnvelope<PortalReferralView>>, ApiError> {
    let portal = caller.verify(&store).await?;
    let listed =
        ledger_app::portal::referrals(&store, &portal.account, &portal.partner, paging.request())
            .await?;
    Ok(Json(envelope(
        "Referral",
        listed,
        &paging,
        |(r, _)| &r.id,
        |(r, hidden)| PortalReferralView::of(r, hidden),
    )))
}

/// List the Portal's Commissions.
///
/// The session's partner's commissions, oldest first, with where each stands (`status`,
/// `payout_status`); none of the merchant's internal fields.
#[utoipa::path(get, path = "/portal/commissions.json", tag = TAG, security(("portal_token" = [])),
    params(CursorPaging),
    responses((status = 200, description = "One page of the partner's commissions.", body = ListEnvelope<PortalCommissionView>), PortalListErrors))]
pub async fn list_own_commissions(
    State(store): State<Store>,
    caller: PortalCaller,
    paging: CursorPaging,
) -> Result<Json<ListEnvelope<PortalCommissionView>>, ApiError> {
    let portal = caller.verify(&store).await?;
    let account = &portal.account.id;
    let listed =
        ledger_app::portal::commissions(&store, account, &portal.partner, paging.request()).await?;
    Ok(Json(envelope(
        "Commission",
        listed,
        &paging,
        |c| &c.id,
        Into::into,
    )))
}

/// List the Portal's Payouts.
///
/// The payouts made to the session's partner, oldest period first.
#[utoipa::path(get, path = "/portal/payouts.json", tag = TAG, security(("portal_token" = [])),
    params(CursorPaging),
    responses((status = 200, description = "One page of the partner's payouts.", body = ListEnvelope<PortalPayoutView>), PortalListErrors))]
pub async fn list_own_payouts(
    State(store): State<Store>,
    caller: PortalCaller,
    paging: CursorPaging,
) -> Result<Json<ListEnvelope<PortalPayoutView>>, ApiError> {
    let portal = caller.verify(&store).await?;
    let account = &portal.account.id;
    let listed =
        ledger_app::portal::payouts(&store, account, &portal.partner, paging.request()).await?;
    Ok(Json(envelope(
        "Payout",
        listed,
        &paging,
        |p| &p.id,
        Into::into,
    )))
}

/// One page of `listed` as the list envelope of `entities`, each shown by `show`.
fn envelope<T, V>(
    entities: &str,
    listed: Listed<T>,
    paging: &CursorPaging,
    id: impl Fn(&T) -> &Id,
    show: impl FnMut(T) -> V,
) -> ListEnvelope<V> {
    let last = listed.next_after(id);
    let elements = listed.items.into_iter().map(show).collect();
    ListEnvelope::cursor_page(entities, elements, listed.count, paging, last.as_ref())
}

/// Get the Portal's Earnings per Month.
///
/// The session's partner's cash commissions of each of the last `months` months (1 to 24,
/// 12 when absent; the current month last, UTC), summed by the month they were created in and
/// by currency: `pending` waits for approval, `approved` for a payout, `paid` was paid;
/// denied and refunded commissions earned nothing. Every month is listed, with an empty
/// `currencies` when nothing was earned. `complete` is false when the months hold more than
/// 10,000 commissions, of which the oldest are summed.
#[utoipa::path(get, path = "/portal/earnings.json", tag = TAG, security(("portal_token" = [])),
    params(EarningsQuery),
    responses((status = 200, description = "The partner's earnings per month.", body = EarningsResponse), PortalListErrors))]
pub async fn get_own_earnings(
    State(store): State<Store>,
    caller: PortalCaller,
    Filters(query): Filters<EarningsQuery>,
) -> Result<Json<EarningsResponse>, ApiError> {
    let months = query.months.unwrap_or(DEFAULT_MONTHS);
    let portal = caller.verify(&store).await?;
    let account = &portal.account.id;
    let (range, months, complete) =
        ledger_app::portal::earnings(&store, account, &portal.partner, months, Utc::now()).await?;
    Ok(Json(EarningsResponse::of(range, months, complete)))
}

/// Update the Portal's Partner's Payout Email.
///
/// The only change a partner makes: any other field is a 422 naming it, and nothing is
/// written. Recorded as a `partner.updated` event whose actor is the portal session.
#[utoipa::path(put, path = "/portal/partner.json", tag = TAG, security(("portal_token" = [])),
    request_body = PayoutEmailRequest,
    responses((status = 200, description = "The session's partner, updated.", body = OwnPartnerResponse), PortalWriteErrors))]
pub async fn update_own_payout_email(
    State(store): State<Store>,
    caller: PortalCaller,
    JsonBody(request): JsonBody<PayoutEmailRequest>,
) -> Result<Json<OwnPartnerResponse>, ApiError> {
    let portal = caller.verify(&store).await?;
    let changes = PartnerChanges {
        payout_email: Some(request.partner.payout_email),
        ..PartnerChanges::default()
    };
    let updated = ledger_app::partners::update(&caller, &store, &portal.partner.id, changes)
        .await
        .map_err(ApiError::under("partner"))?;
    let campaign = ledger_app::portal::campaign(&store, &portal.account, &updated).await?;
    Ok(Json(OwnPartnerResponse::of(
        updated,
        &portal.account,
        campaign,
    )))
}
