//! A payout as the API shows it: the payouts routes, and the events of the
//! payout run and of settling one by hand.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use crate::model::{Id, Payout, PayoutState, Period};
use crate::money::Currency;

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
