//! API shapes more than one endpoint group shows: a campaign is answered by
//! its own routes and nested in the partner of every commission; a
//! commission by its own routes and by the payment events that move it.

pub mod click;
pub mod commission;
pub mod partner;
pub mod payout;
pub mod portal;
pub mod referral;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use crate::model::{
    Account, Campaign, CodeMode, CommissionType, FirstPaymentCommission, Id, LimitType,
};

/// A campaign with every setting, as PromoteKit names them.
#[derive(Serialize, ToSchema)]
pub struct CampaignView {
    pub id: Id,
    pub name: String,
    pub website_url: Option<String>,
    /// Null when the campaign sets no commission and the partner's group prices commissions.
    pub commission_type: Option<CommissionType>,
    #[serde(with = "rust_decimal::serde::arbitrary_precision_option")]
    pub commission_amount: Option<Decimal>,
    /// Whether this is the account's default campaign.
    pub is_default: bool,
    pub limit_type: LimitType,
    pub limit_amount: Option<u32>,
    pub code_mode: CodeMode,
    pub reference_coupon: Option<String>,
    /// Days a referral link's cookie lasts.
    pub cookie_duration: u32,
    pub approval_needed: bool,
    pub welcome_message: Option<String>,
    pub dashboard_text: Option<String>,
    pub details_text: Option<String>,
    pub hide_emails: bool,
    pub collect_details: bool,
    pub first_payment_commission: Option<FirstPaymentCommission>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl CampaignView {
    /// The campaign as `account` shows it: default if the account's pointer names it.
    pub fn in_account(campaign: Campaign, account: &Account) -> Self {
        let is_default = account.is_default_campaign(&campaign.id);
        Self::of(campaign, is_default)
    }

    pub fn of(campaign: Campaign, is_default: bool) -> Self {
        let settings = campaign.terms.settings().clone();
        Self {
            id: campaign.id,
            name: campaign.name,
            website_url: campaign.website_url,
            commission_type: settings.commission_type,
            commission_amount: settings.commission_amount,
            is_default,
            limit_type: settings.limit_type,
            limit_amount: settings.limit_amount,
            code_mode: campaign.code_mode,
            reference_coupon: campaign.reference_coupon,
            cookie_duration: campaign.cookie_duration,
            approval_needed: campaign.approval_needed,
            welcome_message: campaign.welcome_message,
            dashboard_text: campaign.dashboard_text,
            details_text: campaign.details_text,
            hide_emails: campaign.hide_emails,
            collect_details: campaign.collect_details,
            first_payment_commission: settings.first_payment_commission,
            created_at: campaign.created_at,
            updated_at: campaign.updated_at,
        }
    }
}
