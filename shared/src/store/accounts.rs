//! Account items and the default-group and default-campaign pointers they hold.

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};

use super::{Condition, IndexEntry, Item, Key, Store, StoreError, decode, encode};
use crate::model::{Account, ApiKey, Id};

const ENTITY: &str = "account";

pub fn from_item(item: Item) -> Result<Account, StoreError> {
    decode(item)
}

/// Creates an account together with its first API key (the operator's bootstrap).
pub async fn create_with_key(
    store: &Store,
    account: &Account,
    key: &ApiKey,
) -> Result<(), StoreError> {
    let mut account_item = encode(&Key::account(&account.id), ENTITY, account)?;
    let directory = IndexEntry::account_in_directory(&account.id);
    account_item.extend(directory.attributes().map(|(name, value)| (name.to_string(), value)));
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
