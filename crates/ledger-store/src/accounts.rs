//! Account items: their settings, updated attribute by attribute, and the
//! default-group and default-campaign pointers they hold.

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use rust_decimal::Decimal;
use serde::Serialize;

use super::{
    Changes, Condition, Entity, IndexEntry, Item, Key, Ref, Store, StoreError, decode, encode,
};
use ledger_core::model::{Account, ApiKey, Id, SettingsUpdate};
use ledger_core::money::Currency;

const ENTITY: &str = "account";

pub fn from_item(item: Item) -> Result<Account, StoreError> {
    decode(item)
}

impl Entity for Account {
    const NAME: &'static str = "account";

    fn from_item(item: Item) -> Result<Self, StoreError> {
        from_item(item)
    }
}

/// The account `id`.
pub fn at(id: &Id) -> Ref<Account> {
    Ref::new(Key::account(id))
}

/// Creates an account together with its first API key (the operator's bootstrap).
pub async fn create_with_key(
    store: &Store,
    account: &Account,
    key: &ApiKey,
) -> Result<(), StoreError> {
    let mut account_item = encode(&Key::account(&account.id), ENTITY, account)?;
    let directory = IndexEntry::account_in_directory(&account.id);
    account_item.extend(
        directory
            .attributes()
            .map(|(name, value)| (name.to_string(), value)),
    );
    store
        .transact(vec![
            store.put(account_item, Condition::absent())?,
            super::api_keys::insert(store, key)?,
        ])
        .await
}

/// Sets the signing secret of the account's Stripe webhook endpoint.
pub async fn set_stripe_webhook_secret(
    store: &Store,
    account: &Id,
    secret: &str,
) -> Result<(), StoreError> {
    let write = store.update(
        &Key::account(account),
        "SET stripe_webhook_secret = :secret",
        [(":secret", AttributeValue::S(secret.to_string()))],
        Condition::present(),
    )?;
    store.transact(vec![write]).await
}

/// The settings an update gives, encoded as [`Account`] stores them
/// (the minimum payout as an exact decimal string).
#[derive(Serialize)]
struct GivenSettings<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    currency: Option<Currency>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hold_days: Option<u32>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    min_payout: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stripe_webhook_secret: Option<&'a str>,
    /// A list, even an empty one: the update replaces the whole setting.
    #[serde(skip_serializing_if = "Option::is_none")]
    portal_allowed_origins: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    portal_hide_earnings: Option<bool>,
}

/// Writes the settings `update` gives to the account, and nothing else: the
/// default pointers and every other attribute stay as they are. The account
/// must exist; when the update changes the currency or the minimum payout,
/// both must still be as they were when it was checked. `None` when the
/// update gives nothing to write.
pub fn update_settings(
    store: &Store,
    account: &Id,
    update: &SettingsUpdate,
) -> Result<Option<TransactWriteItem>, StoreError> {
    if update.is_empty() {
        return Ok(None);
    }
    let given = GivenSettings {
        name: update.name.as_deref(),
        currency: update.currency,
        hold_days: update.hold_days,
        min_payout: update.min_payout,
        stripe_webhook_secret: update
            .stripe_webhook_secret
            .as_ref()
            .and_then(Option::as_deref),
        portal_allowed_origins: update.portal_allowed_origins.as_deref(),
        portal_hide_earnings: update.portal_hide_earnings,
    };
    let fields: Item = serde_dynamo::to_item(given)
        .map_err(|e| StoreError::Corrupt(format!("cannot encode account settings: {e}")))?;
    let remove = match update.stripe_webhook_secret {
        Some(None) => vec!["stripe_webhook_secret"],
        _ => Vec::new(),
    };
    let condition = match &update.checked_against {
        None => Condition::present(),
        Some((currency, min_payout)) => Condition::new(
            "attribute_exists(pk) AND currency = :read_currency AND min_payout = :read_min_payout",
        )
        .value(
            ":read_currency",
            AttributeValue::S(currency.code().to_string()),
        )
        .value(
            ":read_min_payout",
            AttributeValue::S(min_payout.to_string()),
        ),
    };
    let changes = Changes {
        set: fields,
        remove,
        ..Changes::default()
    };
    store
        .change(&Key::account(account), changes, condition)
        .map(Some)
}

/// Points the account's default at `group`, provided the pointer is still what
/// the caller read (`None`: no default yet). Losing that race cancels the
/// transaction instead of leaving two defaults.
pub fn set_default_group(
    store: &Store,
    account: &Id,
    group: &Id,
    previous: Option<&Id>,
) -> Result<TransactWriteItem, StoreError> {
    set_pointer(store, account, "default_group_id", Some(group), previous)
}

/// Points the account's default campaign at `campaign` (`None` clears it),
/// provided the pointer is still what the caller read.
pub fn set_default_campaign(
    store: &Store,
    account: &Id,
    campaign: Option<&Id>,
    previous: Option<&Id>,
) -> Result<TransactWriteItem, StoreError> {
    set_pointer(store, account, "default_campaign_id", campaign, previous)
}

fn set_pointer(
    store: &Store,
    account: &Id,
    pointer: &'static str,
    target: Option<&Id>,
    previous: Option<&Id>,
) -> Result<TransactWriteItem, StoreError> {
    let condition = match previous {
        None => Condition::new(format!(
            "attribute_exists(pk) AND attribute_not_exists({pointer})"
        )),
        Some(previous) => Condition::new(format!("{pointer} = :previous_default"))
            .value(":previous_default", AttributeValue::S(previous.to_string())),
    };
    match target {
        Some(target) => store.update(
            &Key::account(account),
            &format!("SET {pointer} = :target"),
            [(":target", AttributeValue::S(target.to_string()))],
            condition,
        ),
        None => store.update(
            &Key::account(account),
            &format!("REMOVE {pointer}"),
            [],
            condition,
        ),
    }
}

/// Guards a write on `group` not being the account's default.
pub fn require_not_default(
    store: &Store,
    account: &Id,
    group: &Id,
) -> Result<TransactWriteItem, StoreError> {
    store.check(
        &Key::account(account),
        Condition::new("attribute_not_exists(default_group_id) OR default_group_id <> :group")
            .value(":group", AttributeValue::S(group.to_string())),
    )
}

/// The id of every account in the directory (the scheduled sweeps' list),
/// following DynamoDB's pages. An item without a readable id is passed over.
pub async fn all_ids(store: &Store) -> Result<Vec<Id>, StoreError> {
    let walk = super::Walk::accounts();
    let mut ids = Vec::new();
    let mut start = None;
    loop {
        let page = store.walk(&walk, start).await?;
        ids.extend(page.items.iter().filter_map(|item| {
            item.get("id")
                .and_then(|v| v.as_s().ok())
                .and_then(|s| Id::parse(s))
        }));
        start = page.next;
        if start.is_none() {
            return Ok(ids);
        }
    }
}
