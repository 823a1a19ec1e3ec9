//! What the Referrals routes accept and answer.

use ledger_core::model::{Id, Referral, ReferralChanges, ReferralDraft, SubscriptionStatus};
pub use ledger_core::views::referral::ReferralView;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateReferralRequest {
    pub referral: ReferralDraft,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateReferralRequest {
    pub referral: ReferralChanges,
}

/// Narrow the list to one partner's referrals and/or one subscription status.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReferralFilters {
    /// Only this partner's referrals.
    #[param(value_type = Option<String>)]
    pub partner_id: Option<Id>,
    /// Only referrals whose subscription has this status.
    #[param(inline)]
    pub status: Option<SubscriptionStatus>,
}

/// `{"referral": {...}}`.
#[derive(Serialize, ToSchema)]
pub struct ReferralEnvelope {
    pub referral: ReferralView,
}

impl ReferralEnvelope {
    pub fn of(referral: Referral) -> Self {
        Self {
            referral: referral.into(),
        }
    }
}
