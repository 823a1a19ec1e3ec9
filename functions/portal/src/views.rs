//! What the portal routes accept and answer beyond the shared views: the
//! partner with their program, the one change a partner makes, and the
//! earnings per month.

use ledger_core::model::{Account, Campaign, MonthEarnings, MonthRange, Partner};
use ledger_core::views::partner::PartnerDetail;
use ledger_core::views::portal::ProgramView;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The months an earnings read covers when the request names none.
pub const DEFAULT_MONTHS: u32 = 12;

/// `{"partner": {...}, "program": {...}}`: the session's partner and their program.
#[derive(Serialize, ToSchema)]
pub struct OwnPartnerResponse {
    pub partner: PartnerDetail,
    pub program: ProgramView,
}

impl OwnPartnerResponse {
    /// `partner` of `account`, in the program `campaign` is (none: the account's own).
    pub fn of(partner: Partner, account: &Account, campaign: Option<Campaign>) -> Self {
        Self {
            partner: partner.into(),
            program: ProgramView::of(campaign, account),
        }
    }
}

/// `{"partner": {"payout_email": ...}}`: the one field a partner changes.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayoutEmailRequest {
    pub partner: PayoutEmailChange,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayoutEmailChange {
    /// Where the partner's payouts go; validated as the partners routes validate it.
    #[schema(example = "payouts@ann.example.com")]
    pub payout_email: String,
}

/// How many months an earnings read covers.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EarningsQuery {
    /// The months up to the current one (UTC), 1 to 24; 12 when omitted.
    #[param(minimum = 1, maximum = 24)]
    pub months: Option<u32>,
}

/// `{"earnings": {...}}`.
#[derive(Serialize, ToSchema)]
pub struct EarningsResponse {
    pub earnings: EarningsByMonth,
}

#[derive(Serialize, ToSchema)]
pub struct EarningsByMonth {
    /// The first month listed.
    #[schema(value_type = String, example = "2025-12")]
    pub from: String,
    /// The last month listed: the current one.
    #[schema(value_type = String, example = "2026-11")]
    pub to: String,
    /// False when the months hold more commissions than one read sums.
    pub complete: bool,
    /// Every month from `from` to `to`, in order.
    pub months: Vec<MonthEarnings>,
}

impl EarningsResponse {
    pub fn of(range: MonthRange, months: Vec<MonthEarnings>, complete: bool) -> Self {
        Self {
            earnings: EarningsByMonth {
                from: range.first.to_string(),
                to: range.last.to_string(),
                complete,
                months,
            },
        }
    }
}
