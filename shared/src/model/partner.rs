//! Partners (PromoteKit's affiliates, FirstPromoter's promoters): who refers
//! customers, which group prices their commissions, and their statistics.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::id::Id;

/// A partner as the domain sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct Partner {
    pub id: Id,
    /// Unique per account, compared case-insensitively.
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub payout_email: Option<String>,
    /// The group whose rules price this partner's commissions.
    pub group_id: Id,
    /// The campaign the partner joined, if any.
    pub campaign_id: Option<Id>,
    /// The partner who recruited this one (multi-tier programs).
    pub parent_partner_id: Option<Id>,
    pub links: Vec<Link>,
    pub promo_codes: Vec<PromoCode>,
    pub approved: bool,
    pub banned: bool,
    pub details: Option<String>,
    pub stats: PartnerStats,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Optimistic-locking counter, bumped by every profile update.
    pub version: u64,
}

/// A referral link; its `code` is unique per account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub url: String,
    pub code: String,
}

/// A promo (coupon) code; unique per account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PromoCode {
    pub code: String,
    pub external_id: Option<String>,
}

/// Read-only figures that commissions keep up to date, in the same
/// transaction as the commission that changes them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PartnerStats {
    pub clicks: u64,
    pub qualified_customers: u64,
    pub ltv_total: Decimal,
    pub commissions_total: Decimal,
}

impl Partner {
    /// Why this partner cannot be credited with a new referral, if it cannot.
    pub fn refusal(&self) -> Option<&'static str> {
        if self.banned {
            Some("the partner is banned")
        } else if !self.approved {
            Some("the partner is not approved yet")
        } else {
            None
        }
    }
}
