//! What the Partners routes accept and answer: bodies wrapped in `partner`,
//! and the full partner object with its read-only statistics.

use chrono::{DateTime, NaiveDate, Utc};
use ledger_core::model::partner::{PartnerChanges, PartnerDraft};
use ledger_core::model::{ClickDay, DayRange, Id, Partner, PortalSession, PortalSessionDraft};
pub use ledger_core::views::partner::PartnerDetail;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

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

/// The days a per-day click list covers.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ClickDaysQuery {
    /// The first day (YYYY-MM-DD, UTC); 29 days before `to` when omitted.
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<NaiveDate>,
    /// The last day (YYYY-MM-DD, UTC); today, or 29 days after `from`, when omitted.
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<NaiveDate>,
}

/// `{"clicks": {...}}`: a partner's clicks per day.
#[derive(Serialize, ToSchema)]
pub struct ClickDaysResponse {
    pub clicks: ClickDays,
}

#[derive(Serialize, ToSchema)]
pub struct ClickDays {
    pub partner_id: Id,
    #[schema(value_type = String, example = "2026-01-03")]
    pub from: NaiveDate,
    #[schema(value_type = String, example = "2026-02-01")]
    pub to: NaiveDate,
    /// The clicks of every day listed.
    pub total: u64,
    /// Every day from `from` to `to`, in order.
    pub days: Vec<ClickDay>,
}

impl ClickDaysResponse {
    pub fn of(partner_id: Id, range: DayRange, days: Vec<ClickDay>) -> Self {
        Self {
            clicks: ClickDays {
                partner_id,
                from: range.from,
                to: range.to,
                total: days.iter().map(|day| day.clicks).sum(),
                days,
            },
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
