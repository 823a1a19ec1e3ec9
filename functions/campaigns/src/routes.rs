//! The Campaigns handlers: parse, call the domain and the store, shape the answer.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use ledger_core::model::Campaign;
use ledger_core::validation::{FieldError, under};
use ledger_http::openapi::{ListErrors, ReadErrors, WriteErrors};
use ledger_http::scopes::{CampaignsRead, CampaignsWrite};
use ledger_http::{
    ApiError, Caller, CursorPaging, JsonBody, JsonId, ListEnvelope, retry_contended,
};
use ledger_store::{Item, Key, Store, Tally, accounts, campaigns, tallies};

use crate::views::*;

const TAG: &str = "Campaigns";

fn invalid(errors: Vec<FieldError>) -> ApiError {
    ApiError::Validation(under(errors, "campaign"))
}

/// The campaign read from `item`, or the 404 an unknown (or foreign) id gets.
fn existing(item: Option<Item>) -> Result<Campaign, ApiError> {
    item.map(campaigns::from_item)
        .transpose()?
        .ok_or(ApiError::NotFound("campaign"))
}

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
    let (account, [tally]) = caller
        .read_items(
            &store,
            [&Key::tally(caller.account_id(), &Tally::campaigns())],
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
        tallies::count(tally.as_ref())?,
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
    let (account, [campaign]) = caller
        .read_items(&store, [&Key::campaign(caller.account_id(), &id)])
        .await?;
    Ok(Json(CampaignEnvelope {
        campaign: CampaignView::in_account(existing(campaign)?, &account),
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
    let is_default = request.campaign.is_default;
    let campaign = Campaign::create(request.campaign, Utc::now()).map_err(invalid)?;
    retry_contended(|| async {
        let (account, []) = caller.read_items(&store, []).await?;
        let mut writes = vec![campaigns::insert(&store, &account.id, &campaign)?];
        writes.extend(tallies::add(&store, &account.id, &[Tally::campaigns()], 1)?);
        if is_default {
            writes.push(accounts::set_default_campaign(
                &store,
                &account.id,
                Some(&campaign.id),
                account.default_campaign_id.as_ref(),
            )?);
        }
        Ok(store.transact(writes).await?)
    })
    .await?;
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
    let changes = request.campaign;
    let (campaign, is_default) = retry_contended(|| async {
        let (account, [campaign]) = caller
            .read_items(&store, [&Key::campaign(caller.account_id(), &id)])
            .await?;
        let mut campaign = existing(campaign)?;
        let was_default = account.is_default_campaign(&id);
        let expected_version = campaign.version;
        campaign
            .apply(changes.clone(), Utc::now())
            .map_err(invalid)?;
        let mut writes = vec![campaigns::replace(
            &store,
            &account.id,
            &campaign,
            expected_version,
        )?];
        if let Some(wanted) = changes.is_default
            && wanted != was_default
        {
            writes.push(accounts::set_default_campaign(
                &store,
                &account.id,
                wanted.then_some(&id),
                account.default_campaign_id.as_ref(),
            )?);
        }
        store.transact(writes).await?;
        Ok((campaign, changes.is_default.unwrap_or(was_default)))
    })
    .await?;
    Ok(Json(CampaignEnvelope::of(campaign, is_default)))
}
