//! What the activity log's routes accept: the list filters.

use chrono::{DateTime, Utc};
use ledger_core::model::EventType;
use serde::Deserialize;
use utoipa::IntoParams;

/// Narrow the list; criteria combine.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventFilters {
    /// Only events of this type (`commission.approved`, `payout.paid`, ...).
    #[param(inline)]
    #[serde(rename = "type")]
    pub kind: Option<EventType>,
    /// Only events about this object (a commission, payout, partner or referral id).
    #[param(value_type = Option<String>)]
    pub object_id: Option<ledger_core::model::Id>,
    /// Only events at or after this time (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Only events at or before this time (RFC 3339).
    pub to: Option<DateTime<Utc>>,
}
