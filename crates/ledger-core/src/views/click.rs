//! A partner's clicks per day as the API shows them: the merchant's
//! partner route and the partner's own portal route answer the same shape.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::model::{ClickDay, DayRange, Id};

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
