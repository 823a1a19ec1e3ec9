//! What the Commissions routes accept, and their answers beyond the
//! commission itself (`ledger_core::views::commission`): both seed
//! contracts in `{"commission": {...}}`, notes, bulk decisions and filters.

use chrono::{DateTime, Utc};
use ledger_core::model::{CommissionDraft, CommissionStatus, Id, Notes, PayoutStatus, RewardUnit};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCommissionRequest {
    pub commission: CommissionDraft,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCommissionRequest {
    pub commission: Notes,
}

/// The commissions a bulk approve or deny decides: 1 to 100 distinct ids.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkRequest {
    #[schema(min_items = 1, max_items = 100)]
    pub ids: Vec<Id>,
}

/// `{"commissions": [{"id", "status"}]}`: every commission the bulk decided.
#[derive(Serialize, ToSchema)]
pub struct BulkResponse {
    pub commissions: Vec<Decided>,
}

#[derive(Serialize, ToSchema)]
pub struct Decided {
    pub id: Id,
    pub status: CommissionStatus,
}

/// Narrow the list; criteria combine.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CommissionFilters {
    /// Only this partner's commissions.
    #[param(value_type = Option<String>)]
    pub partner_id: Option<Id>,
    /// Only commissions on this referral's payments.
    #[param(value_type = Option<String>)]
    pub referral_id: Option<Id>,
    #[param(inline)]
    pub status: Option<CommissionStatus>,
    #[param(inline)]
    pub payout_status: Option<PayoutStatus>,
    /// Only commissions rewarded in this unit.
    #[param(inline)]
    pub unit: Option<RewardUnit>,
    /// Only commissions created at or after this time (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Only commissions created at or before this time (RFC 3339).
    pub to: Option<DateTime<Utc>>,
}
