//! What a partner sees of their own data in their portal: the program they
//! are in, their referrals (customer emails masked when the campaign hides
//! them), commissions and payouts, without the merchant's internal fields
//! (notes, fraud checks, Stripe ids, IPs, the rules that priced an amount).

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use crate::model::{
    Account, Campaign, Commission, CommissionKind, CommissionStatus, Id, Payout, PayoutState,
    PayoutStatus, Period, Referral, RewardUnit, SubscriptionStatus,
};
use crate::money::Currency;

/// The program a partner is in: their campaign's texts and flags.
#[derive(Serialize, ToSchema)]
pub struct ProgramView {
    /// The partner's campaign, else the account's default one; null when neither exists.
    pub campaign_id: Option<Id>,
    /// The campaign's name, else the account's.
    pub name: String,
    pub website_url: Option<String>,
    pub welcome_message: Option<String>,
    pub dashboard_text: Option<String>,
    /// Whether the partner sees their customers' emails masked.
    pub hide_emails: bool,
    /// Whether the portal page shows no earnings (the account's
    /// `portal_hide_earnings`, for programs that reward credits).
    pub hide_earnings: bool,
    /// Days a referral link's cookie lasts.
    pub cookie_duration: Option<u32>,
    /// The account's currency, in which commissions are counted unless a request names another.
    pub currency: Currency,
}

impl ProgramView {
    /// The program of `campaign` in `account`.
    pub fn of(campaign: Option<Campaign>, account: &Account) -> Self {
        let (hide_earnings, currency) = (account.portal_hide_earnings, account.currency);
        match campaign {
            Some(campaign) => Self {
                campaign_id: Some(campaign.id),
                name: campaign.name,
                website_url: campaign.website_url,
                welcome_message: campaign.welcome_message,
                dashboard_text: campaign.dashboard_text,
                hide_emails: campaign.hide_emails,
                hide_earnings,
                cookie_duration: Some(campaign.cookie_duration),
                currency,
            },
            None => Self {
                campaign_id: None,
                name: account.name.clone(),
                website_url: None,
                welcome_message: None,
                dashboard_text: None,
                hide_emails: false,
                hide_earnings,
                cookie_duration: None,
                currency,
            },
        }
    }
}

/// A customer the partner referred.
#[derive(Serialize, ToSchema)]
pub struct PortalReferralView {
    pub id: Id,
    /// Masked (`a***@e***.com`) when the referral's campaign hides emails.
    pub email: String,
    pub signup_date: DateTime<Utc>,
    pub subscription_status: Option<SubscriptionStatus>,
    pub created_at: DateTime<Utc>,
}

impl PortalReferralView {
    pub fn of(referral: Referral, hide_email: bool) -> Self {
        let email = if hide_email {
            mask_email(&referral.email)
        } else {
            referral.email
        };
        Self {
            id: referral.id,
            email,
            signup_date: referral.signup_date,
            subscription_status: referral.subscription_status,
            created_at: referral.created_at,
        }
    }
}

/// `ann.lee@example.co.uk` as `a***@e***.co.uk`: the first character of the
/// name and of the domain, and the domain's suffix from its first dot.
pub fn mask_email(email: &str) -> String {
    let first = |part: &str| part.chars().next().map(String::from).unwrap_or_default();
    match email.rsplit_once('@') {
        Some((name, domain)) => {
            let (host, suffix) = domain.split_once('.').unwrap_or((domain, ""));
            let dot = if suffix.is_empty() { "" } else { "." };
            format!("{}***@{}***{dot}{suffix}", first(name), first(host))
        }
        None => format!("{}***", first(email)),
    }
}

/// A commission the partner earned.
#[derive(Serialize, ToSchema)]
pub struct PortalCommissionView {
    pub id: Id,
    pub referral_id: Option<Id>,
    pub commission_type: CommissionKind,
    pub status: CommissionStatus,
    pub payout_status: PayoutStatus,
    pub unit: RewardUnit,
    pub currency: Currency,
    /// What the partner earns, in major units (or in `unit`s).
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    #[schema(value_type = f64)]
    pub amount: Decimal,
    /// The sale it was earned on, in `currency`; null for a custom commission.
    #[serde(with = "rust_decimal::serde::arbitrary_precision_option")]
    #[schema(value_type = Option<f64>, required = true)]
    pub sale_amount: Option<Decimal>,
    /// When the payment happened.
    pub event_date: DateTime<Utc>,
    /// The merchant's note to the partner.
    pub external_note: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<Commission> for PortalCommissionView {
    fn from(c: Commission) -> Self {
        Self {
            id: c.id,
            referral_id: c.referral_id,
            commission_type: c.commission_type,
            status: c.status,
            payout_status: c.payout_status,
            unit: c.unit,
            currency: c.currency,
            amount: c.amount,
            sale_amount: c.sale_amount,
            event_date: c.occurred_at,
            external_note: c.external_note,
            created_at: c.created_at,
        }
    }
}

/// A payout made to the partner.
#[derive(Serialize, ToSchema)]
pub struct PortalPayoutView {
    pub id: Id,
    /// The month it pays for.
    #[schema(value_type = String, example = "2026-02")]
    pub period: Period,
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    #[schema(value_type = f64)]
    pub amount: Decimal,
    pub currency: Currency,
    pub status: PayoutState,
    /// How many commissions it holds.
    pub payment_count: u32,
    pub created_at: DateTime<Utc>,
    pub status_updated_at: DateTime<Utc>,
}

impl From<Payout> for PortalPayoutView {
    fn from(p: Payout) -> Self {
        Self {
            id: p.id,
            period: p.period,
            amount: p.amount,
            currency: p.currency,
            status: p.status,
            payment_count: p.payment_count,
            created_at: p.created_at,
            status_updated_at: p.status_updated_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::mask_email;

    #[test]
    fn masked_emails_keep_only_first_letters_and_the_suffix() {
        for (email, masked) in [
            ("ann.lee@example.co.uk", "a***@e***.co.uk"),
            ("bob@example.com", "b***@e***.com"),
            ("x@localhost", "x***@l***"),
            ("\u{e9}mile@\u{fc}ber.de", "\u{e9}***@\u{fc}***.de"),
            ("a@b@example.com", "a***@e***.com"),
            ("", "***"),
        ] {
            assert_eq!(mask_email(email), masked, "{email}");
        }
        assert!(!mask_email("secret.name@example.com").contains("secret"));
    }
}
