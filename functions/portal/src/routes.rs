//! The portal handlers: verify the portal token, read the partner's own data, shape it.

use axum::Json;
use axum::extract::State;
use ledger_core::model::partner::PartnerChanges;
use ledger_core::views::partner::PartnerDetail;
use ledger_http::openapi::{ReadErrors, WriteErrors};
use ledger_http::{ApiError, JsonBody, PortalCaller};
use ledger_store::Store;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

const TAG: &str = "Portal";

/// `{"partner": {...}}`: the partner the portal session belongs to.
#[derive(Serialize, ToSchema)]
pub struct OwnPartnerResponse {
    pub partner: PartnerDetail,
}

/// Get the Portal's Partner.
///
/// The partner the token's session belongs to: profile, links, promo codes and statistics.
/// 401 once the session expired or the partner was banned.
#[utoipa::path(get, path = "/portal/partner.json", tag = TAG, security(("portal_token" = [])),
    responses((status = 200, description = "The session's partner.", body = OwnPartnerResponse), ReadErrors))]
pub async fn get_own_partner(
    State(store): State<Store>,
    caller: PortalCaller,
) -> Result<Json<OwnPartnerResponse>, ApiError> {
    let (_, partner) = caller.partner(&store).await?;
    Ok(Json(OwnPartnerResponse {
        partner: partner.into(),
    }))
}

/// `{"partner": {"payout_email": ...}}`: the one field a partner changes.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayoutEmailRequest {
    pub partner: PayoutEmailChange,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayoutEmailChange {
    /// Where the partner's payouts go; validated as the partners routes validate it.
    #[schema(example = "payouts@ann.example.com")]
    pub payout_email: String,
}

/// Update the Portal's Partner's Payout Email.
///
/// The only change a partner makes: any other field is a 422 naming it, and nothing is
/// written. Recorded as a `partner.updated` event whose actor is the portal session.
#[utoipa::path(put, path = "/portal/partner.json", tag = TAG, security(("portal_token" = [])),
    request_body = PayoutEmailRequest,
    responses((status = 200, description = "The session's partner, updated.", body = OwnPartnerResponse), WriteErrors))]
pub async fn update_own_payout_email(
    State(store): State<Store>,
    caller: PortalCaller,
    JsonBody(request): JsonBody<PayoutEmailRequest>,
) -> Result<Json<OwnPartnerResponse>, ApiError> {
    let (_, partner) = caller.partner(&store).await?;
    let changes = PartnerChanges {
        payout_email: Some(request.partner.payout_email),
        ..PartnerChanges::default()
    };
    let updated = ledger_app::partners::update(&caller, &store, &partner.id, changes)
        .await
        .map_err(ApiError::under("partner"))?;
    Ok(Json(OwnPartnerResponse {
        partner: updated.into(),
    }))
}
