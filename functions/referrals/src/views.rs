//! What the Referrals routes accept and answer.

use chrono::{DateTime, Utc};
use ledger_core::model::{
    FraudCheck, Id, Referral, ReferralChanges, ReferralDraft, SubscriptionStatus,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateReferralRequest {
    pub referral: ReferralDraft,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateReferralRequest {
    pub referral: ReferralChanges,
}

/// Narrow the list to one partner's referrals and/or one subscription status.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReferralFilters {
    /// Only this partner's referrals.
    #[param(value_type = Option<String>)]
    pub partner_id: Option<Id>,
    /// Only referrals whose subscription has this status.
    #[param(inline)]
    pub status: Option<SubscriptionStatus>,
}

/// `{"referral": {...}}`.
#[derive(Serialize, ToSchema)]
pub struct ReferralEnvelope {
    pub referral: ReferralView,
}

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

impl ReferralEnvelope {
    pub fn of(referral: Referral) -> Self {
        Self {
            referral: referral.into(),
        }
    }
}
