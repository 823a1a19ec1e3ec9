//! Campaign items: one per campaign, its settings as flat attributes named as
//! in the API (`commission_type`, `limit_amount`, `approval_needed`, ...) and
//! amounts as exact decimal strings. Whether a campaign is the account's
//! default is the account item's `default_campaign_id`, not an attribute here.

use aws_sdk_dynamodb::types::TransactWriteItem;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{
    Condition, Entity, Item, Key, Listing, PageRequest, Ref, Store, StoreError, decode, encode,
};
use ledger_core::model::{
    Campaign, CodeMode, CommissionSettings, CommissionTerms, CommissionType,
    FirstPaymentCommission, Id, LimitType,
};

const ENTITY: &str = "campaign";

#[derive(Serialize, Deserialize)]
struct CampaignRecord {
    id: Id,
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    website_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    commission_type: Option<CommissionType>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    commission_amount: Option<Decimal>,
    limit_type: LimitType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    limit_amount: Option<u32>,
    code_mode: CodeMode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reference_coupon: Option<String>,
    cookie_duration: u32,
    approval_needed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    welcome_message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    dashboard_text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    details_text: Option<String>,
    hide_emails: bool,
    collect_details: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    first_payment_commission: Option<FirstPaymentRecord>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    version: u64,
}

/// `first_payment_commission` as a map attribute: `{enabled, type, amount}`.
#[derive(Serialize, Deserialize)]
struct FirstPaymentRecord {
    enabled: bool,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    kind: Option<CommissionType>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    amount: Option<Decimal>,
}

fn to_item(account: &Id, campaign: &Campaign) -> Result<Item, StoreError> {
    let settings = campaign.terms.settings();
    let record = CampaignRecord {
        id: campaign.id.clone(),
        name: campaign.name.clone(),
        website_url: campaign.website_url.clone(),
        commission_type: settings.commission_type,
        commission_amount: settings.commission_amount,
        limit_type: settings.limit_type,
        limit_amount: settings.limit_amount,
        code_mode: campaign.code_mode,
        reference_coupon: campaign.reference_coupon.clone(),
        cookie_duration: campaign.cookie_duration,
        approval_needed: campaign.approval_needed,
        welcome_message: campaign.welcome_message.clone(),
        dashboard_text: campaign.dashboard_text.clone(),
        details_text: campaign.details_text.clone(),
        hide_emails: campaign.hide_emails,
        collect_details: campaign.collect_details,
        first_payment_commission: settings.first_payment_commission.map(|first| {
            FirstPaymentRecord {
                enabled: first.enabled,
                kind: first.kind,
                amount: first.amount,
            }
        }),
        created_at: campaign.created_at,
        updated_at: campaign.updated_at,
        version: campaign.version,
    };
    encode(&Key::campaign(account, &campaign.id), ENTITY, &record)
}

/// The campaign an item holds. Its commission settings are checked again, so
/// a campaign read from the table always translates into engine rules.
pub fn from_item(item: Item) -> Result<Campaign, StoreError> {
    let record: CampaignRecord = decode(item)?;
    let terms = CommissionTerms::check(CommissionSettings {
        commission_type: record.commission_type,
        commission_amount: record.commission_amount,
        limit_type: record.limit_type,
        limit_amount: record.limit_amount,
        first_payment_commission: record.first_payment_commission.map(|first| {
            FirstPaymentCommission {
                enabled: first.enabled,
                kind: first.kind,
                amount: first.amount,
            }
        }),
    })
    .map_err(|e| StoreError::Corrupt(format!("stored campaign no longer validates: {e:?}")))?;
    Ok(Campaign {
        id: record.id,
        name: record.name,
        website_url: record.website_url,
        terms,
        code_mode: record.code_mode,
        reference_coupon: record.reference_coupon,
        cookie_duration: record.cookie_duration,
        approval_needed: record.approval_needed,
        welcome_message: record.welcome_message,
        dashboard_text: record.dashboard_text,
        details_text: record.details_text,
        hide_emails: record.hide_emails,
        collect_details: record.collect_details,
        created_at: record.created_at,
        updated_at: record.updated_at,
        version: record.version,
    })
}

impl Entity for Campaign {
    const NAME: &'static str = "campaign";

    fn from_item(item: Item) -> Result<Self, StoreError> {
        from_item(item)
    }
}

/// The campaign `id` of `account`.
pub fn at(account: &Id, id: &Id) -> Ref<Campaign> {
    Ref::new(Key::campaign(account, id))
}

/// One page of the account's campaigns, oldest first, and whether more follow.
pub async fn page(
    store: &Store,
    account: &Id,
    request: PageRequest<'_>,
) -> Result<(Vec<Campaign>, bool), StoreError> {
    let page = store.page(&Listing::campaigns(account), request).await?;
    let campaigns = page
        .items
        .into_iter()
        .map(from_item)
        .collect::<Result<_, _>>()?;
    Ok((campaigns, page.more))
}

pub fn insert(
    store: &Store,
    account: &Id,
    campaign: &Campaign,
) -> Result<TransactWriteItem, StoreError> {
    store.put(to_item(account, campaign)?, Condition::absent())
}

/// Replaces the campaign, provided nobody changed it since `expected_version`.
pub fn replace(
    store: &Store,
    account: &Id,
    campaign: &Campaign,
    expected_version: u64,
) -> Result<TransactWriteItem, StoreError> {
    store.put(
        to_item(account, campaign)?,
        Condition::at_version(expected_version),
    )
}

/// Whether partners joining `campaign` wait for a person to approve them
/// (`false` for a campaign that does not exist: the write that names it fails).
pub async fn needs_approval(
    store: &Store,
    account: &Id,
    campaign: &Id,
) -> Result<bool, StoreError> {
    Ok(find(store, account, campaign)
        .await?
        .is_some_and(|campaign| campaign.approval_needed))
}

/// The campaign `id` of `account`, if there is one.
pub async fn find(store: &Store, account: &Id, id: &Id) -> Result<Option<Campaign>, StoreError> {
    store
        .get(&Key::campaign(account, id))
        .await?
        .map(from_item)
        .transpose()
}
