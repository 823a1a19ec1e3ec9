//! What the click routes accept and answer: a reported click wrapped in
//! `click`, and the click as recorded, or why it was not counted.

use chrono::{DateTime, Utc};
use ledger_app::clicks::NotCounted;
use ledger_core::model::click::BotSign;
use ledger_core::model::{Click, ClickDraft, Id};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportClickRequest {
    pub click: ClickDraft,
}

/// `{"click": {...}}`: what a reported click did.
#[derive(Serialize, ToSchema)]
pub struct ClickResponse {
    pub click: ClickView,
}

/// A counted click (`counted: true`, 201), or a visit not counted
/// (`counted: false`, 200, with the `reason`: `bot` or `partner_refused`,
/// and no ids).
#[derive(Serialize, ToSchema)]
pub struct ClickView {
    /// The click's id: what a referral's `click_id` names.
    pub id: Option<Id>,
    /// The same id, under the name the tracking script stores it by.
    pub click_id: Option<Id>,
    pub counted: bool,
    #[schema(example = json!(null))]
    pub reason: Option<&'static str>,
    pub partner_id: Option<Id>,
    pub campaign_id: Option<Id>,
    /// The link code, as the partner's link spells it.
    pub code: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    /// The end of the click's attribution window.
    pub expires_at: Option<DateTime<Utc>>,
}

impl ClickResponse {
    pub fn of(click: &Result<Click, NotCounted>) -> Self {
        let view = match click {
            Ok(click) => ClickView {
                id: Some(click.id.clone()),
                click_id: Some(click.id.clone()),
                counted: true,
                reason: None,
                partner_id: Some(click.partner_id.clone()),
                campaign_id: click.campaign_id.clone(),
                code: Some(click.code.clone()),
                created_at: Some(click.at),
                expires_at: Some(click.expires_at),
            },
            Err(reason) => ClickView {
                id: None,
                click_id: None,
                counted: false,
                reason: Some(reason_name(*reason)),
                partner_id: None,
                campaign_id: None,
                code: None,
                created_at: None,
                expires_at: None,
            },
        };
        Self { click: view }
    }
}

/// A reason's name on the wire (and in the logs).
pub fn reason_name(reason: NotCounted) -> &'static str {
    match reason {
        NotCounted::Bot(_) => "bot",
        NotCounted::PartnerRefused => "partner_refused",
    }
}

/// Which part of the bot rule a visit met, for the logs.
pub fn bot_rule(sign: BotSign) -> &'static str {
    match sign {
        BotSign::NoUserAgent => "no user agent",
        BotSign::Marker(marker) => marker,
        BotSign::Prefetch => "prefetch",
        BotSign::Head => "HEAD",
    }
}
