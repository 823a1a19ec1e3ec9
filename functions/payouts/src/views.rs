//! What the Payouts routes answer and accept: a payout with PromoteKit's
//! field names, the run's report, the list filters and the run's optional
//! body.

use chrono::{DateTime, Utc};
use ledger_app::payout_run::RunReport;
use ledger_core::model::{Id, Payout, PayoutState, Period};
use ledger_core::money::Currency;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// `{"payout": {...}}`.
#[derive(Serialize, ToSchema)]
pub struct PayoutEnvelope {
    pub payout: PayoutView,
}

/// A payout: what one partner is paid in one currency for one month.
#[derive(Serialize, ToSchema)]
pub struct PayoutView {
    pub id: Id,
    pub partner_id: Id,
    /// The partner's name (or email, without a name) when the payout was created.
    pub affiliate_name: String,
    /// Where the money goes: the partner's payout email, else their email.
    pub payout_email: String,
    /// The sum of the commissions it holds, clawbacks netted, in major units.
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    #[schema(value_type = f64)]
    pub amount: Decimal,
    pub currency: Currency,
    /// The month it pays for.
    #[schema(value_type = String, example = "2026-02")]
    pub period: Period,
    /// How many commissions it holds.
    pub payment_count: u32,
    pub status: PayoutState,
    pub created_at: DateTime<Utc>,
    pub status_updated_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl PayoutView {
    pub fn of(payout: Payout) -> Self {
        Self {
            id: payout.id,
            partner_id: payout.partner_id,
            affiliate_name: payout.partner_name,
            payout_email: payout.payout_email,
            amount: payout.amount,
            currency: payout.currency,
            period: payout.period,
            payment_count: payout.payment_count,
            status: payout.status,
            created_at: payout.created_at,
            status_updated_at: payout.status_updated_at,
            updated_at: payout.updated_at,
        }
    }
}

impl PayoutEnvelope {
    pub fn of(payout: Payout) -> Self {
        Self {
            payout: PayoutView::of(payout),
        }
    }
}

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
