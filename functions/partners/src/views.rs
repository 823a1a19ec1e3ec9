//! What the Partners routes accept and answer: bodies wrapped in `partner`,
//! and the full partner object with its read-only statistics.

use chrono::{DateTime, Utc};
use ledger_core::model::partner::{PartnerChanges, PartnerDraft};
use ledger_core::model::{Partner, PortalSession, PortalSessionDraft};
pub use ledger_core::views::click::{ClickDaysQuery, ClickDaysResponse};
pub use ledger_core::views::partner::PartnerDetail;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePartnerRequest {
    pub partner: PartnerDraft,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePartnerRequest {
    pub partner: PartnerChanges,
}

/// `{"partner": {...}}`: the answer of every route naming one partner.
#[derive(Serialize, ToSchema)]
pub struct PartnerResponse {
    pub partner: PartnerDetail,
}

impl From<Partner> for PartnerResponse {
    fn from(partner: Partner) -> Self {
        Self {
            partner: partner.into(),
        }
    }
}

/// The optional body of a portal-session mint.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MintPortalSessionRequest {
    #[serde(rename = "portalSession")]
    pub portal_session: PortalSessionDraft,
}

/// `{"portalSession": {...}}`: a minted portal session; its token is shown only here.
#[derive(Serialize, ToSchema)]
pub struct PortalSessionResponse {
    #[serde(rename = "portalSession")]
    pub portal_session: MintedPortalSession,
}

#[derive(Serialize, ToSchema)]
pub struct MintedPortalSession {
    /// The partner's bearer token for the `/portal/` routes.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    /// The account's portal page, `{origin}/portal/{accountId}`, the token in its
    /// fragment (never sent to a server).
    pub url: String,
}

impl PortalSessionResponse {
    /// The answer for `session`, its account's page under `origin`.
    pub fn of(session: PortalSession, token: String, origin: &str) -> Self {
        let url = format!(
            "{}/portal/{}#token={token}",
            origin.trim_end_matches('/'),
            session.account_id
        );
        Self {
            portal_session: MintedPortalSession {
                token,
                expires_at: session.expires_at,
                url,
            },
        }
    }
}
