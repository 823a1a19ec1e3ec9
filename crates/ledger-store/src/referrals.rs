//! Referral items and the transactions that create and change them.
//!
//! A referral sits in the account's referral list (table), its partner's
//! list (gsi1) and, once it has one, its subscription status's list (gsi2);
//! each list has a tally. Its customer's email and, once it has one, its
//! Stripe customer are unique-value items that carry its sale route.

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};

use super::{
    Condition, Entity, FilteredList, IndexEntry, Item, Key, Listing, PageRequest, Ref, Store,
    StoreError, Tally, UniqueValue, decode, encode, tallies, unique,
};
use ledger_core::model::{Event, Id, Referral, SubscriptionStatus};

const ENTITY: &str = "referral";

/// Why a referral write did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ReferralWriteError {
    #[error("the Stripe customer already has a referral")]
    CustomerTaken,
    #[error("the customer's email already has a referral")]
    EmailTaken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A unique value a referral write claims for the referral.
#[derive(Clone, Copy)]
enum Claimed {
    StripeCustomer,
    Email,
}

impl Claimed {
    /// The error a failed claim means: another referral holds the value.
    fn taken(self) -> ReferralWriteError {
        match self {
            Claimed::StripeCustomer => ReferralWriteError::CustomerTaken,
            Claimed::Email => ReferralWriteError::EmailTaken,
        }
    }
}

/// Runs `claims` and then `writes` as one transaction. DynamoDB gives a
/// cancellation reason per item in order, so a failed condition among the
/// first `claims.len()` items names the value that is taken; any other
/// failure stays a store error.
async fn run(
    store: &Store,
    claims: Vec<(Claimed, TransactWriteItem)>,
    writes: Vec<TransactWriteItem>,
) -> Result<(), ReferralWriteError> {
    let (claimed, mut items): (Vec<Claimed>, Vec<TransactWriteItem>) = claims.into_iter().unzip();
    items.extend(writes);
    store.transact(items).await.map_err(|e| {
        match (0..claimed.len()).find(|&index| e.failed_condition(index)) {
            Some(index) => claimed[index].taken(),
            None => ReferralWriteError::Store(e),
        }
    })
}

/// The key of the claim on a customer's email, which lower-cases it: two
/// emails that differ only in case share one claim.
fn email_claim(account: &Id, email: &str) -> Key {
    Key::unique(account, UniqueValue::CustomerEmail(email))
}

/// The attributes a profile update may set. `acquired_at` is not among them:
/// commissions set it, and an update must never put an older value back.
const PROFILE: [&str; 10] = [
    "email",
    "stripe_customer_id",
    "subscription_status",
    "ip",
    "is_self_referral",
    "fraud_check",
    "updated_at",
    "version",
    "gsi2pk",
    "gsi2sk",
];

pub fn from_item(item: Item) -> Result<Referral, StoreError> {
    decode(item)
}

impl Entity for Referral {
    const NAME: &'static str = "referral";

    fn from_item(item: Item) -> Result<Self, StoreError> {
        from_item(item)
    }
}

/// The referral `id` of `account`.
pub fn at(account: &Id, id: &Id) -> Ref<Referral> {
    Ref::new(Key::referral(account, id))
}

fn to_item(account: &Id, referral: &Referral) -> Result<Item, StoreError> {
    let mut item = encode(&Key::referral(account, &referral.id), ENTITY, referral)?;
    for entry in index_entries(account, referral) {
        item.extend(
            entry
                .attributes()
                .map(|(name, value)| (name.to_string(), value)),
        );
    }
    Ok(item)
}

fn index_entries(account: &Id, referral: &Referral) -> Vec<IndexEntry> {
    let mut entries = vec![IndexEntry::referral_by_partner(
        account,
        &referral.partner_id,
        &referral.id,
    )];
    if let Some(status) = referral.subscription_status {
        entries.push(IndexEntry::referral_by_status(
            account,
            status.as_str(),
            &referral.id,
        ));
    }
    entries
}

/// The lists a referral with this partner and status belongs to.
fn tallies_of(partner: &Id, status: Option<SubscriptionStatus>) -> Vec<Tally> {
    let status = status.map(SubscriptionStatus::as_str);
    let mut lists = vec![
        Tally::referrals(None, None),
        Tally::referrals(Some(partner), None),
    ];
    if status.is_some() {
        lists.push(Tally::referrals(None, status));
        lists.push(Tally::referrals(Some(partner), status));
    }
    lists
}

/// Creates `referral` if neither its customer's email nor its Stripe
/// customer is referred yet, its partner may still refer (not banned,
/// approved) and its campaign still exists.
pub async fn create(
    store: &Store,
    account: &Id,
    referral: &Referral,
    events: &[Event],
) -> Result<(), ReferralWriteError> {
    let mut claims = Vec::new();
    if let Some(customer) = &referral.stripe_customer_id {
        claims.push((
            Claimed::StripeCustomer,
            unique::claim_customer(
                store,
                account,
                UniqueValue::StripeCustomer(customer),
                referral,
            )?,
        ));
    }
    claims.push((
        Claimed::Email,
        unique::claim_customer(
            store,
            account,
            UniqueValue::CustomerEmail(&referral.email),
            referral,
        )?,
    ));
    let mut writes = vec![
        store.put(to_item(account, referral)?, Condition::absent())?,
        partner_may_refer(store, account, &referral.partner_id)?,
    ];
    if let Some(campaign) = &referral.campaign_id {
        writes.push(store.check(&Key::campaign(account, campaign), Condition::present())?);
    }
    writes.extend(tallies::add(
        store,
        account,
        &tallies_of(&referral.partner_id, referral.subscription_status),
        &referral.id,
        1,
    )?);
    writes.extend(super::events::writes(store, account, events)?);
    run(store, claims, writes).await
}

/// Writes the profile of `after` over `before`, provided nobody changed the
/// referral since `before` was read. Moves the Stripe customer and email
/// claims (an email changed only in case keeps its claim) and the status
/// lists' tallies along.
pub async fn update(
    store: &Store,
    account: &Id,
    before: &Referral,
    after: &Referral,
) -> Result<(), ReferralWriteError> {
    let mut claims = Vec::new();
    let mut writes = Vec::new();
    if after.stripe_customer_id != before.stripe_customer_id {
        if let Some(customer) = &after.stripe_customer_id {
            claims.push((
                Claimed::StripeCustomer,
                unique::claim_customer(
                    store,
                    account,
                    UniqueValue::StripeCustomer(customer),
                    after,
                )?,
            ));
        }
        if let Some(customer) = &before.stripe_customer_id {
            writes.push(unique::release(
                store,
                account,
                UniqueValue::StripeCustomer(customer),
                &before.id,
            )?);
        }
    }
    if email_claim(account, &after.email) != email_claim(account, &before.email) {
        claims.push((
            Claimed::Email,
            unique::claim_customer(
                store,
                account,
                UniqueValue::CustomerEmail(&after.email),
                after,
            )?,
        ));
        writes.push(unique::release(
            store,
            account,
            UniqueValue::CustomerEmail(&before.email),
            &before.id,
        )?);
    }
    let mut item = to_item(account, after)?;
    item.retain(|name, _| PROFILE.contains(&name.as_str()));
    writes.push(store.assign(
        &Key::referral(account, &after.id),
        item,
        Condition::at_version(before.version),
    )?);
    if after.subscription_status != before.subscription_status {
        let (from, to) = (
            tallies_of(&before.partner_id, before.subscription_status),
            tallies_of(&after.partner_id, after.subscription_status),
        );
        let left: Vec<Tally> = from.iter().filter(|t| !to.contains(t)).cloned().collect();
        let joined: Vec<Tally> = to.iter().filter(|t| !from.contains(t)).cloned().collect();
        writes.extend(tallies::add(store, account, &left, &after.id, -1)?);
        writes.extend(tallies::add(store, account, &joined, &after.id, 1)?);
    }
    run(store, claims, writes).await
}

/// Guards a write on the partner still being allowed to refer customers.
fn partner_may_refer(
    store: &Store,
    account: &Id,
    partner: &Id,
) -> Result<TransactWriteItem, StoreError> {
    store.check(
        &Key::partner(account, partner),
        super::partners::in_good_standing(),
    )
}

/// A filtered view of an account's referrals: where it is read, the filter
/// that narrows it further, and the tally that counts it.
pub struct ReferralList {
    pub listing: Listing,
    pub filter: Option<Condition>,
    pub tally: Tally,
}

impl ReferralList {
    /// The same view as a [`FilteredList`], for reads that count it beside its page.
    pub fn filtered(self) -> FilteredList {
        FilteredList {
            listing: self.listing,
            filter: self.filter,
            tally: Some(self.tally),
        }
    }
}

/// One page of `list`, and the id of the page's last referral when more follow.
pub async fn page(
    store: &Store,
    list: ReferralList,
    request: PageRequest<'_>,
) -> Result<(Vec<Referral>, Option<Id>), StoreError> {
    let request = PageRequest {
        filter: list.filter,
        ..request
    };
    let page = store.page(&list.listing, request).await?;
    let referrals: Vec<Referral> = page
        .items
        .into_iter()
        .map(from_item)
        .collect::<Result<_, _>>()?;
    let last = referrals.last().filter(|_| page.more).map(|r| r.id.clone());
    Ok((referrals, last))
}

/// The referrals of `partner` and/or with `status` (all when both are `None`).
pub fn list(
    account: &Id,
    partner: Option<&Id>,
    status: Option<SubscriptionStatus>,
) -> ReferralList {
    let status_name = status.map(SubscriptionStatus::as_str);
    let tally = Tally::referrals(partner, status_name);
    let (listing, filter) = match (partner, status_name) {
        (Some(partner), Some(status)) => (
            Listing::referrals_of_partner(account, partner),
            Some(
                Condition::new("subscription_status = :status")
                    .value(":status", AttributeValue::S(status.into())),
            ),
        ),
        (Some(partner), None) => (Listing::referrals_of_partner(account, partner), None),
        (None, Some(status)) => (Listing::referrals_with_status(account, status), None),
        (None, None) => (Listing::referrals(account), None),
    };
    ReferralList {
        listing,
        filter,
        tally,
    }
}
