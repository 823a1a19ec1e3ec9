//! The portal handlers: verify the portal token, read the partner's own data, shape it.

use axum::Json;
use axum::extract::State;
use ledger_core::views::partner::PartnerDetail;
use ledger_http::openapi::ReadErrors;
use ledger_http::{ApiError, PortalCaller};
use ledger_store::Store;
use serde::Serialize;
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
