//! The Campaigns handlers: parse, call the domain and the store, shape the answer.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use ledger_app::Session;
use ledger_app::campaigns::Placed;
use ledger_http::openapi::{ListErrors, ReadErrors, WriteErrors};
use ledger_http::scopes::{CampaignsRead, CampaignsWrite};
use ledger_http::{ApiError, Caller, CursorPaging, JsonBody, JsonId, ListEnvelope};
use ledger_store::tallies;
use ledger_store::{Found, Store, Tally, campaigns};

use crate::views::*;

const TAG: &str = "Campaigns";
const WRAPPER: &str = "campaign";

/// List Campaigns.
///
/// The account's campaigns, oldest first. Follow `pages.next_cursor` to page deeply.
#[utoipa::path(get, path = "/campaigns.json", tag = TAG, params(CursorPaging),
    responses((status = 200, description = "One page of campaigns.", body = ListEnvelope<CampaignView>), ListErrors))]
pub async fn list_campaigns(
    State(store): State<Store>,
    caller: Caller<CampaignsRead>,
    paging: CursorPaging,
) -> Result<Json<ListEnvelope<CampaignView>>, ApiError> {
    let (account, count) = caller
        .read(
            &store,
            tallies::of(caller.account_id(), &Tally::campaigns()),
        )
        .await?;
    let (page, more) = campaigns::page(&store, &account.id, paging.request()).await?;
    let last = page.last().filter(|_| more).map(|c| c.id.clone());
    let elements = page
        .into_iter()
        .map(|c| CampaignView::in_account(c, &account))
        .collect();
    Ok(Json(ListEnvelope::cursor_page(
        "Campaign",
        elements,
        count.0,
        &paging,
        last.as_ref(),
    )))
}

/// Get Campaign.
#[utoipa::path(get, path = "/campaigns/{campaignId}.json", tag = TAG,
    params(("campaignId" = String, Path, description = "The unique identifier of the campaign.")),
    responses((status = 200, description = "The campaign.", body = CampaignEnvelope), ReadErrors))]
pub async fn get_campaign(
    State(store): State<Store>,
    caller: Caller<CampaignsRead>,
    JsonId(id): JsonId,
) -> Result<Json<CampaignEnvelope>, ApiError> {
    let (account, campaign) = caller
        .read(&store, campaigns::at(caller.account_id(), &id))
        .await?;
    Ok(Json(CampaignEnvelope {
        campaign: CampaignView::in_account(campaign.found()?, &account),
    }))
}

/// Create Campaign.
///
/// `is_default: true` makes it the account's default campaign; otherwise the
/// default stays as it is (the first campaign does not become the default).
#[utoipa::path(post, path = "/campaigns.json", tag = TAG, request_body = CreateCampaignRequest,
    responses((status = 201, description = "Campaign created.", body = CampaignEnvelope), WriteErrors))]
pub async fn create_campaign(
    State(store): State<Store>,
    caller: Caller<CampaignsWrite>,
    JsonBody(request): JsonBody<CreateCampaignRequest>,
) -> Result<(StatusCode, Json<CampaignEnvelope>), ApiError> {
    let Placed {
        campaign,
        is_default,
    } = ledger_app::campaigns::create(&caller, &store, request.campaign)
        .await
        .map_err(ApiError::under(WRAPPER))?;
    Ok((
        StatusCode::CREATED,
        Json(CampaignEnvelope::of(campaign, is_default)),
    ))
}

/// Update Campaign.
///
/// Partial: only the given fields change. `is_default: false` on the default
/// campaign leaves the account without a default.
#[utoipa::path(put, path = "/campaigns/{campaignId}.json", tag = TAG, request_body = UpdateCampaignRequest,
    params(("campaignId" = String, Path, description = "The unique identifier of the campaign.")),
    responses((status = 200, description = "Campaign updated.", body = CampaignEnvelope), WriteErrors))]
pub async fn update_campaign(
    State(store): State<Store>,
    caller: Caller<CampaignsWrite>,
    JsonId(id): JsonId,
    JsonBody(request): JsonBody<UpdateCampaignRequest>,
) -> Result<Json<CampaignEnvelope>, ApiError> {
    let Placed {
        campaign,
        is_default,
    } = ledger_app::campaigns::update(&caller, &store, &id, request.campaign)
        .await
        .map_err(ApiError::under(WRAPPER))?;
    Ok(Json(CampaignEnvelope::of(campaign, is_default)))
}
