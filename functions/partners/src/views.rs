//! What the Partners routes accept and answer: bodies wrapped in `partner`,
//! and the full partner object with its read-only statistics.

use ledger_core::model::Partner;
use ledger_core::model::partner::{PartnerChanges, PartnerDraft};
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
