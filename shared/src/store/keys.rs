//! The key builder: the only place that formats table keys.
//!
//! Every partition key starts with `A#<account>`, so an item of one tenant can
//! never be addressed with another tenant's account id. Read this module next
//! to the access-pattern table in `README.md`.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::model::Id;

/// The primary key of one item.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

/// A partition and a sort-key prefix: one Query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Collection {
    pub pk: String,
    pub sk_prefix: &'static str,
}

fn account_partition(account: &Id) -> String {
    format!("A#{account}")
}

impl Key {
    pub fn account(account: &Id) -> Self {
        Self {
            pk: account_partition(account),
            sk: "ACCOUNT".into(),
        }
    }

    pub fn api_key(account: &Id, key: &Id) -> Self {
        Self {
            pk: account_partition(account),
            sk: format!("KEY#{key}"),
        }
    }

    pub fn partner_group(account: &Id, group: &Id) -> Self {
        Self {
            pk: account_partition(account),
            sk: format!("{}{group}", Collection::GROUP_PREFIX),
        }
    }

    /// The key as DynamoDB wants it.
    pub fn item_key(&self) -> HashMap<String, AttributeValue> {
        HashMap::from([
            ("pk".to_string(), AttributeValue::S(self.pk.clone())),
            ("sk".to_string(), AttributeValue::S(self.sk.clone())),
        ])
    }

    /// Reads the key back out of a stored item.
    pub fn of_item(item: &HashMap<String, AttributeValue>) -> Option<Self> {
        let text = |name: &str| item.get(name)?.as_s().ok().cloned();
        Some(Self {
            pk: text("pk")?,
            sk: text("sk")?,
        })
    }
}

impl Collection {
    const GROUP_PREFIX: &'static str = "GROUP#";

    pub fn partner_groups(account: &Id) -> Self {
        Self {
            pk: account_partition(account),
            sk_prefix: Self::GROUP_PREFIX,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_starts_with_its_account() {
        let (a, b) = (
            Id::parse("68f76721000000000000000a").unwrap(),
            Id::parse("68f76721000000000000000b").unwrap(),
        );
        for key in [
            Key::account(&a),
            Key::api_key(&a, &b),
            Key::partner_group(&a, &b),
        ] {
            assert!(key.pk.starts_with("A#68f76721000000000000000a"), "{key:?}");
        }
        assert!(
            Collection::partner_groups(&a)
                .pk
                .starts_with("A#68f76721000000000000000a")
        );
    }

    #[test]
    fn group_keys_fall_inside_the_group_collection() {
        let (a, g) = (
            Id::parse("68f76721000000000000000a").unwrap(),
            Id::parse("68f76721000000000000000b").unwrap(),
        );
        let key = Key::partner_group(&a, &g);
        let groups = Collection::partner_groups(&a);
        assert_eq!(key.pk, groups.pk);
        assert!(key.sk.starts_with(groups.sk_prefix));
    }
}
