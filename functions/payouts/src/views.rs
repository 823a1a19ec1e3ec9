//! What the Payouts routes answer and accept: a payout with PromoteKit's
//! field names, the run's report, the list filters and the run's optional
//! body.

use ledger_app::payout_run::RunReport;
use ledger_core::model::{Id, PayoutState, Period};
pub use ledger_core::views::payout::{PayoutEnvelope, PayoutView};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// `{"payoutRun": {...}}`.
#[derive(Serialize, ToSchema)]
pub struct RunEnvelope {
    #[serde(rename = "payoutRun")]
    pub payout_run: RunView,
}

/// What a run did in the caller's account.
#[derive(Serialize, ToSchema)]
pub struct RunView {
    /// The month the payouts it opened pay for.
    #[schema(value_type = String, example = "2026-02")]
    pub period: Period,
    /// Pending commissions whose holding period was over, now approved.
    pub approved: u32,
    /// Payouts it opened or added commissions to.
    pub payouts: u32,
    /// Commissions it put into payouts.
    pub commissions_paid: u32,
    /// `false` when it ran out of time and stopped early; the next run (by hand or
    /// scheduled) continues where it stopped.
    pub complete: bool,
}

impl RunEnvelope {
    pub fn of(report: RunReport) -> Self {
        Self {
            payout_run: RunView {
                period: report.period,
                approved: report.approved,
                payouts: report.payouts,
                commissions_paid: report.commissions_paid,
                complete: report.complete,
            },
        }
    }
}

/// A run takes no settings: send no body, or `{}`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {}

/// Narrow the list; criteria combine.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PayoutFilters {
    /// Only this partner's payouts.
    #[param(value_type = Option<String>)]
    pub partner_id: Option<Id>,
    #[param(inline)]
    pub status: Option<PayoutState>,
    /// Only payouts for this month (`YYYY-MM`).
    #[param(value_type = Option<String>, pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])$", example = "2026-02")]
    pub period: Option<Period>,
}
