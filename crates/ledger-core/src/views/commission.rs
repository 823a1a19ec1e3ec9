//! A commission as the API shows it (the commissions routes, and the
//! payment events that create or reverse one): the union of the fields both
//! seed documents show, with PromoteKit's nested partner (and campaign),
//! referral and payout. The nested objects are a snapshot kept with the
//! commission when it is earned.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::CampaignView;
use crate::engine::AppliedRule;
use crate::model::{
    BillingPeriod, Commission, CommissionKind, CommissionStatus, FraudCheck, Id, Link, Partner,
    PayoutStatus, PromoCode, Referral, RewardUnit, RuleSource, SubscriptionStatus,
};
use crate::money::Currency;

/// `{"commission": {...}}`.
#[derive(Serialize, ToSchema)]
pub struct CommissionEnvelope {
    pub commission: CommissionView,
}

/// A commission. Amounts are in major units of `currency`; each appears
/// under both seed documents' names (`sale_amount`/`revenue_amount`,
/// `amount`/`commission_amount`).
#[derive(Serialize, ToSchema)]
pub struct CommissionView {
    pub id: Id,
    pub commission_type: CommissionKind,
    pub status: CommissionStatus,
    pub payout_status: PayoutStatus,
    /// Whether a payout has paid it (FirstPromoter's name).
    pub is_paid: bool,
    #[schema(required = true)]
    pub payout_id: Option<Id>,
    pub partner_id: Id,
    #[schema(required = true)]
    pub campaign_id: Option<Id>,
    #[schema(required = true)]
    pub referral_id: Option<Id>,
    pub currency: Currency,
    /// The payment in `currency` (the account's base currency, converted
    /// when the customer paid in another); null for a custom commission.
    #[serde(with = "rust_decimal::serde::arbitrary_precision_option")]
    #[schema(value_type = Option<f64>, required = true)]
    pub sale_amount: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::arbitrary_precision_option")]
    #[schema(value_type = Option<f64>, required = true)]
    pub revenue_amount: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::arbitrary_precision_option")]
    #[schema(value_type = Option<f64>, required = true)]
    pub original_sale_amount: Option<Decimal>,
    /// The currency the customer paid in; refunds are given in it.
    #[schema(required = true)]
    pub original_sale_currency: Option<Currency>,
    /// How many units of `original_sale_currency` one unit of `currency`
    /// bought, when the sale was converted; null otherwise.
    #[serde(with = "rust_decimal::serde::arbitrary_precision_option")]
    #[schema(value_type = Option<f64>, required = true)]
    pub fx_rate: Option<Decimal>,
    /// The day of the reference rates `fx_rate` comes from.
    #[schema(required = true)]
    pub fx_rate_date: Option<NaiveDate>,
    /// What the partner earns.
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    #[schema(value_type = f64)]
    pub amount: Decimal,
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    #[schema(value_type = f64)]
    pub commission_amount: Decimal,
    /// How much of the sale refunds have given back so far, in
    /// `original_sale_currency`; null before any refund.
    #[serde(with = "rust_decimal::serde::arbitrary_precision_option")]
    #[schema(value_type = Option<f64>, required = true)]
    pub refunded_amount: Option<Decimal>,
    /// What an open or lost dispute has taken from the sale, in
    /// `original_sale_currency`; null before any dispute.
    #[serde(with = "rust_decimal::serde::arbitrary_precision_option")]
    #[schema(value_type = Option<f64>, required = true)]
    pub disputed_amount: Option<Decimal>,
    /// What the commission earned before refunds reduced it; null before any refund.
    #[serde(with = "rust_decimal::serde::arbitrary_precision_option")]
    #[schema(value_type = Option<f64>, required = true)]
    pub earned_amount: Option<Decimal>,
    /// For a clawback or a reinstatement: the paid commission it adjusts.
    #[schema(required = true)]
    pub clawback_of: Option<Id>,
    /// The percentage the rules paid; null for a fixed fee or a given amount.
    #[serde(with = "rust_decimal::serde::arbitrary_precision_option")]
    #[schema(value_type = Option<f64>, required = true)]
    pub rate: Option<Decimal>,
    /// The rules that shaped a priced amount; empty when the amount was given.
    pub applied_rules: Vec<AppliedRule>,
    /// Where the rules came from; null when the amount was given.
    #[schema(required = true)]
    pub rule_source: Option<RuleSource>,
    pub tier: u32,
    pub is_self_referral: bool,
    pub fraud_check: FraudCheck,
    #[schema(required = true)]
    pub event_id: Option<String>,
    #[schema(required = true)]
    pub stripe_payment_id: Option<String>,
    /// When the payment happened (FirstPromoter's name).
    pub event_date: DateTime<Utc>,
    /// When the payment happened (PromoteKit's name).
    pub referral_date: DateTime<Utc>,
    pub unit: RewardUnit,
    #[schema(required = true)]
    pub billing_period: Option<BillingPeriod>,
    #[schema(required = true)]
    pub plan_id: Option<String>,
    #[schema(required = true)]
    pub internal_note: Option<String>,
    #[schema(required = true)]
    pub external_note: Option<String>,
    pub notify_promoter: bool,
    pub created_at: DateTime<Utc>,
    pub status_updated_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The partner as they were when the commission was earned.
    #[schema(value_type = NestedPartner)]
    pub partner: Value,
    /// The paying customer as they were when the commission was earned; null for a custom commission.
    #[schema(value_type = Option<NestedReferral>, required = true)]
    pub referral: Value,
    /// The payout that paid the commission; null until one does.
    #[schema(value_type = Option<Object>, required = true)]
    pub payout: Option<Value>,
}

/// The partner nested in a commission, with the campaign the commission
/// was earned through.
#[derive(Serialize, ToSchema)]
pub struct NestedPartner {
    pub id: Id,
    pub email: String,
    #[schema(required = true)]
    pub first_name: Option<String>,
    #[schema(required = true)]
    pub last_name: Option<String>,
    #[schema(required = true)]
    pub payout_email: Option<String>,
    pub links: Vec<Link>,
    pub promo_codes: Vec<PromoCode>,
    pub approved: bool,
    pub banned: bool,
    #[schema(required = true)]
    pub details: Option<String>,
    pub created_at: DateTime<Utc>,
    #[schema(required = true)]
    pub campaign: Option<CampaignView>,
}

/// The referral nested in a commission.
#[derive(Serialize, ToSchema)]
pub struct NestedReferral {
    pub id: Id,
    pub email: String,
    #[schema(required = true)]
    pub subscription_status: Option<SubscriptionStatus>,
    pub signup_date: DateTime<Utc>,
    #[schema(required = true)]
    pub stripe_customer_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// The nested objects, kept with the commission as its `snapshot`.
#[derive(Serialize, Deserialize)]
struct Snapshot<P, R> {
    partner: P,
    referral: Option<R>,
}

/// The snapshot of `partner` (in `campaign`) and `referral` to keep with a new commission.
pub fn snapshot(
    partner: &Partner,
    campaign: Option<CampaignView>,
    referral: Option<&Referral>,
) -> String {
    let snapshot = Snapshot {
        partner: NestedPartner {
            id: partner.id.clone(),
            email: partner.email.clone(),
            first_name: partner.first_name.clone(),
            last_name: partner.last_name.clone(),
            payout_email: partner.payout_email.clone(),
            links: partner.links.clone(),
            promo_codes: partner.promo_codes.clone(),
            approved: partner.approved,
            banned: partner.banned,
            details: partner.details.clone(),
            created_at: partner.created_at,
            campaign,
        },
        referral: referral.map(|r| NestedReferral {
            id: r.id.clone(),
            email: r.email.clone(),
            subscription_status: r.subscription_status,
            signup_date: r.signup_date,
            stripe_customer_id: r.stripe_customer_id.clone(),
            created_at: r.created_at,
        }),
    };
    serde_json::to_string(&snapshot).expect("a snapshot serializes")
}

/// A stored commission whose snapshot does not read back: the store's data
/// is damaged, never the caller's input.
#[derive(Debug, thiserror::Error)]
#[error("commission {id} snapshot: {cause}")]
pub struct CorruptSnapshot {
    id: String,
    cause: serde_json::Error,
}

impl CommissionView {
    pub fn of(c: Commission) -> Result<Self, CorruptSnapshot> {
        let nested: Snapshot<Value, Value> =
            serde_json::from_str(&c.snapshot).map_err(|cause| CorruptSnapshot {
                id: c.id.to_string(),
                cause,
            })?;
        Ok(Self {
            is_paid: c.payout_status == PayoutStatus::Paid,
            revenue_amount: c.sale_amount,
            original_sale_amount: c.original_sale(),
            original_sale_currency: c.original_sale().map(|_| c.sale_currency()),
            fx_rate: c.fx_rate,
            fx_rate_date: c.fx_rate_date,
            commission_amount: c.amount,
            event_date: c.occurred_at,
            referral_date: c.occurred_at,
            id: c.id,
            commission_type: c.commission_type,
            status: c.status,
            payout_status: c.payout_status,
            payout_id: c.payout_id,
            partner_id: c.partner_id,
            campaign_id: c.campaign_id,
            referral_id: c.referral_id,
            currency: c.currency,
            sale_amount: c.sale_amount,
            amount: c.amount,
            refunded_amount: c.refunded_amount,
            disputed_amount: c.disputed_amount,
            earned_amount: c.earned_amount,
            clawback_of: c.clawback_of,
            rate: c.rate,
            applied_rules: c.applied_rules,
            rule_source: c.rule_source,
            tier: c.tier,
            is_self_referral: c.is_self_referral,
            fraud_check: c.fraud_check,
            event_id: c.event_id,
            stripe_payment_id: c.stripe_payment_id,
            unit: c.unit,
            billing_period: c.billing_period,
            plan_id: c.plan_id,
            internal_note: c.internal_note,
            external_note: c.external_note,
            notify_promoter: c.notify_promoter,
            created_at: c.created_at,
            status_updated_at: c.status_updated_at,
            updated_at: c.updated_at,
            partner: nested.partner,
            referral: nested.referral.unwrap_or(Value::Null),
            payout: None,
        })
    }
}

impl CommissionEnvelope {
    pub fn of(commission: Commission) -> Result<Self, CorruptSnapshot> {
        Ok(Self {
            commission: CommissionView::of(commission)?,
        })
    }
}
