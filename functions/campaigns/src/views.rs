//! What the Campaigns routes accept and answer: PromoteKit's campaign object
//! inside the `{"campaign": {...}}` wrapper.

use ledger_core::model::{Campaign, CampaignChanges, CampaignDraft};
pub use ledger_core::views::CampaignView;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCampaignRequest {
    pub campaign: CampaignDraft,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCampaignRequest {
    pub campaign: CampaignChanges,
}

/// `{"campaign": {...}}`, the answer to a get, a create or an update.
#[derive(Serialize, ToSchema)]
pub struct CampaignEnvelope {
    pub campaign: CampaignView,
}

impl CampaignEnvelope {
    pub fn of(campaign: Campaign, is_default: bool) -> Self {
        Self {
            campaign: CampaignView::of(campaign, is_default),
        }
    }
}
