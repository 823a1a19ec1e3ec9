//! A referral as the API shows it: the referrals routes, and the event of
//! its creation.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::model::{FraudCheck, Id, Referral, SubscriptionStatus};

/// A referred customer.
#[derive(Serialize, ToSchema)]
pub struct ReferralView {
    pub id: Id,
    pub email: String,
    pub partner_id: Id,
    pub campaign_id: Option<Id>,
    /// The link code the customer came through, if attributed by link.
    pub code: Option<String>,
    /// The promo code the customer used, if attributed by promo code.
    pub promo_code: Option<String>,
    pub stripe_customer_id: Option<String>,
    pub signup_date: DateTime<Utc>,
    pub subscription_status: Option<SubscriptionStatus>,
    /// The customer's first paid charge; empty until then.
    pub acquired_at: Option<DateTime<Utc>>,
    pub ip: Option<String>,
    /// The customer's email is the partner's own.
    pub is_self_referral: bool,
    pub fraud_check: FraudCheck,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Referral> for ReferralView {
    fn from(r: Referral) -> Self {
        Self {
            id: r.id,
            email: r.email,
            partner_id: r.partner_id,
            campaign_id: r.campaign_id,
            code: r.code,
            promo_code: r.promo_code,
            stripe_customer_id: r.stripe_customer_id,
            signup_date: r.signup_date,
            subscription_status: r.subscription_status,
            acquired_at: r.acquired_at,
            ip: r.ip,
            is_self_referral: r.is_self_referral,
            fraud_check: r.fraud_check,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}
