//! A partner as the API shows it: the partners routes, and the events of
//! the changes made to one.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use crate::model::{Id, Link, Partner, PromoCode, RewardUnit};

/// A partner in full. The statistics are read-only: commissions keep them.
#[derive(Serialize, ToSchema)]
pub struct PartnerDetail {
    pub id: Id,
    #[schema(example = "ann@example.com")]
    pub email: String,
    #[schema(required = true)]
    pub first_name: Option<String>,
    #[schema(required = true)]
    pub last_name: Option<String>,
    #[schema(required = true)]
    pub payout_email: Option<String>,
    pub group_id: Id,
    #[schema(required = true)]
    pub campaign_id: Option<Id>,
    #[schema(required = true)]
    pub parent_partner_id: Option<Id>,
    pub links: Vec<Link>,
    pub promo_codes: Vec<PromoCode>,
    pub approved: bool,
    pub banned: bool,
    #[schema(required = true)]
    pub details: Option<String>,
    /// Clicks on the partner's links.
    pub clicks: u64,
    /// Referred customers who have paid at least once.
    pub qualified_customers: u64,
    /// The sum of paid charges by the customers the partner referred, in the
    /// account's base currency.
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub ltv_total: Decimal,
    /// The sum of the partner's cash commissions, in the account's base currency.
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub commissions_total: Decimal,
    /// The partner's commissions summed per reward unit: `cash` (the same as
    /// `commissions_total`) and each other unit the partner has earned in.
    pub totals_by_unit: BTreeMap<RewardUnit, Total>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A total, as an exact JSON number.
#[derive(Serialize, ToSchema)]
#[schema(value_type = f64)]
pub struct Total(#[serde(with = "rust_decimal::serde::arbitrary_precision")] Decimal);

impl From<Partner> for PartnerDetail {
    fn from(partner: Partner) -> Self {
        Self {
            id: partner.id,
            email: partner.email,
            first_name: partner.first_name,
            last_name: partner.last_name,
            payout_email: partner.payout_email,
            group_id: partner.group_id,
            campaign_id: partner.campaign_id,
            parent_partner_id: partner.parent_partner_id,
            links: partner.links,
            promo_codes: partner.promo_codes,
            approved: partner.approved,
            banned: partner.banned,
            details: partner.details,
            clicks: partner.stats.clicks,
            qualified_customers: partner.stats.qualified_customers,
            ltv_total: partner.stats.ltv_total,
            commissions_total: partner.stats.commissions_total,
            totals_by_unit: std::iter::once((RewardUnit::Cash, partner.stats.commissions_total))
                .chain(partner.stats.unit_totals)
                .map(|(unit, total)| (unit, Total(total)))
                .collect(),
            created_at: partner.created_at,
            updated_at: partner.updated_at,
        }
    }
}
