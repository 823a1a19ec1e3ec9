//! The account (tenant): its settings and the pointers to its default partner
//! group and default campaign.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::id::Id;
use crate::money::Currency;

/// One tenant. Every stored key starts with its id.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Account {
    pub id: Id,
    pub name: String,
    pub currency: Currency,
    /// Days a commission waits before the payout run approves it.
    pub hold_days: u32,
    /// The smallest balance the payout run pays out.
    #[serde(with = "rust_decimal::serde::str")]
    pub min_payout: Decimal,
    /// The group new partners join. Holding it here, on one item, is what
    /// makes "at most one default group" true by construction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_group_id: Option<Id>,
    /// The campaign new partners join when they name none; one item again,
    /// so at most one campaign is the default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_campaign_id: Option<Id>,
    /// The signing secret (`whsec_...`) of the Stripe webhook endpoint that
    /// posts to this account. Set by the operator; no API ever returns it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stripe_webhook_secret: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl Account {
    pub const DEFAULT_HOLD_DAYS: u32 = 30;

    /// A new account with the documented defaults: EUR, 30 days' hold, 50 minimum payout.
    pub fn new(name: String, currency: Currency, now: DateTime<Utc>) -> Self {
        Self {
            id: Id::generate(now),
            name,
            currency,
            hold_days: Self::DEFAULT_HOLD_DAYS,
            min_payout: Decimal::from(50),
            default_group_id: None,
            default_campaign_id: None,
            stripe_webhook_secret: None,
            created_at: now,
        }
    }

    pub fn is_default_group(&self, group: &Id) -> bool {
        self.default_group_id.as_ref() == Some(group)
    }

    pub fn is_default_campaign(&self, campaign: &Id) -> bool {
        self.default_campaign_id.as_ref() == Some(campaign)
    }
}
