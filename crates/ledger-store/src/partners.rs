//! Partner items, and the transactions that create and change a partner
//! together with everything that must change with it: its unique values
//! (email, link codes, promo codes), the partner tallies, and checks that
//! the group, campaign and ancestors it points at are as they were read.
//!
//! Statistics are DynamoDB numbers that commissions change with `ADD` in
//! their own transactions, without touching `version`. Profile writes
//! therefore `SET` only profile attributes, conditioned on the version read,
//! and never replace the whole item.

use std::collections::BTreeMap;
use std::str::FromStr;

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{
    Condition, Entity, Item, Key, Listing, PageRequest, Store, StoreError, Tally, UniqueValue,
    decode, encode, partner_stats, tallies, unique,
};
use ledger_core::model::partner::Reference;
use ledger_core::model::{Event, Id, Link, Partner, PartnerStats, PromoCode, RewardUnit};

const ENTITY: &str = "partner";

/// Everything but the statistics, which are numbers read and written by hand.
#[derive(Serialize, Deserialize)]
struct ProfileRecord {
    id: Id,
    email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    payout_email: Option<String>,
    group_id: Id,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    campaign_id: Option<Id>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    parent_partner_id: Option<Id>,
    links: Vec<Link>,
    promo_codes: Vec<PromoCode>,
    approved: bool,
    banned: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    details: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    version: u64,
}

/// The profile attributes of `partner`'s item, key and entity included.
fn profile(account: &Id, partner: &Partner) -> Result<Item, StoreError> {
    let record = ProfileRecord {
        id: partner.id.clone(),
        email: partner.email.clone(),
        first_name: partner.first_name.clone(),
        last_name: partner.last_name.clone(),
        payout_email: partner.payout_email.clone(),
        group_id: partner.group_id.clone(),
        campaign_id: partner.campaign_id.clone(),
        parent_partner_id: partner.parent_partner_id.clone(),
        links: partner.links.clone(),
        promo_codes: partner.promo_codes.clone(),
        approved: partner.approved,
        banned: partner.banned,
        details: partner.details.clone(),
        created_at: partner.created_at,
        updated_at: partner.updated_at,
        version: partner.version,
    };
    encode(&Key::partner(account, &partner.id), ENTITY, &record)
}

/// The statistic a commission in `unit` adds its amount to:
/// `commissions_total` for cash, `commissions_total_<unit>` for the others.
pub fn commissions_total(unit: RewardUnit) -> String {
    match unit {
        RewardUnit::Cash => "commissions_total".into(),
        other => format!("commissions_total_{}", other.as_str()),
    }
}

fn to_item(account: &Id, partner: &Partner) -> Result<Item, StoreError> {
    let stats = &partner.stats;
    let mut item = profile(account, partner)?;
    item.extend(
        [
            ("clicks".to_string(), stats.clicks.to_string()),
            (
                "qualified_customers".to_string(),
                stats.qualified_customers.to_string(),
            ),
            ("ltv_total".to_string(), stats.ltv_total.to_string()),
            (
                commissions_total(RewardUnit::Cash),
                stats.commissions_total.to_string(),
            ),
        ]
        .into_iter()
        .chain(
            stats
                .unit_totals
                .iter()
                .map(|(unit, total)| (commissions_total(*unit), total.to_string())),
        )
        .map(|(name, n)| (name, AttributeValue::N(n))),
    );
    Ok(item)
}

/// The partner its item holds, with the statistics of that item alone
/// (shard 0 of [`super::partner_stats`]; a read through
/// [`at`] or [`find`] sums them all).
pub fn from_item(mut item: Item) -> Result<Partner, StoreError> {
    let mut unit_totals = BTreeMap::new();
    for unit in RewardUnit::OTHER_THAN_CASH {
        if item.contains_key(&commissions_total(unit)) {
            unit_totals.insert(unit, take_number(&mut item, &commissions_total(unit))?);
        }
    }
    let stats = PartnerStats {
        clicks: take_number(&mut item, "clicks")?,
        qualified_customers: take_number(&mut item, "qualified_customers")?,
        ltv_total: take_number(&mut item, "ltv_total")?,
        commissions_total: take_number(&mut item, "commissions_total")?,
        unit_totals,
    };
    let record: ProfileRecord = decode(item)?;
    Ok(Partner {
        id: record.id,
        email: record.email,
        first_name: record.first_name,
        last_name: record.last_name,
        payout_email: record.payout_email,
        group_id: record.group_id,
        campaign_id: record.campaign_id,
        parent_partner_id: record.parent_partner_id,
        links: record.links,
        promo_codes: record.promo_codes,
        approved: record.approved,
        banned: record.banned,
        details: record.details,
        stats,
        created_at: record.created_at,
        updated_at: record.updated_at,
        version: record.version,
    })
}

impl Entity for Partner {
    const NAME: &'static str = "partner";

    fn from_item(item: Item) -> Result<Self, StoreError> {
        from_item(item)
    }
}

/// The partner `id` of `account`, its statistics summed over their shards.
pub fn at(account: &Id, id: &Id) -> partner_stats::Whole {
    partner_stats::whole(account, id)
}

/// Takes a statistic out of the item and parses the number's text exactly
/// (serde_dynamo would read it through `f64`). A missing one is zero, as it
/// is to DynamoDB's `ADD`.
fn take_number<T: FromStr + Default>(item: &mut Item, name: &str) -> Result<T, StoreError> {
    match item.remove(name) {
        None => Ok(T::default()),
        Some(AttributeValue::N(text)) => text
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("partner {name} holds {text}"))),
        Some(other) => Err(StoreError::Corrupt(format!(
            "partner {name} holds {other:?}"
        ))),
    }
}

/// One page of the account's partners, oldest first, and the id of the
/// page's last partner when more follow.
pub async fn page(
    store: &Store,
    account: &Id,
    request: PageRequest<'_>,
) -> Result<(Vec<Partner>, Option<Id>), StoreError> {
    let page = store.page(&Listing::partners(account), request).await?;
    let mut partners: Vec<Partner> = page
        .items
        .into_iter()
        .map(from_item)
        .collect::<Result<_, _>>()?;
    partner_stats::add_shards(store, account, &mut partners).await?;
    let last = partners.last().filter(|_| page.more).map(|p| p.id.clone());
    Ok((partners, last))
}

/// The partner `id` of `account`, if there is one.
pub async fn find(store: &Store, account: &Id, id: &Id) -> Result<Option<Partner>, StoreError> {
    store.read(&at(account, id)).await
}

/// The new parent `first` and its ancestors, one read per generation,
/// stopping at the top, at `partner` (a cycle) or after
/// [`Partner::MAX_LINEAGE`] generations. Empty if `first` does not exist.
pub async fn lineage(
    store: &Store,
    account: &Id,
    first: &Id,
    partner: &Id,
) -> Result<Vec<Partner>, StoreError> {
    let mut lineage: Vec<Partner> = Vec::new();
    let mut next = Some(first.clone());
    while let Some(id) = next.take() {
        let Some(ancestor) = find(store, account, &id).await? else {
            break;
        };
        if ancestor.id != *partner && lineage.len() + 1 < Partner::MAX_LINEAGE {
            next = ancestor.parent_partner_id.clone();
        }
        lineage.push(ancestor);
    }
    Ok(lineage)
}

/// What one write of a partner transaction guards: when its condition fails,
/// this says which input, or which race, is to blame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Guard {
    /// The partner item: absent on create, still at the version read on update.
    Partner,
    /// No other partner holds this email.
    Email(String),
    /// No other partner holds `links[index].code`.
    LinkCode { index: usize, code: String },
    /// No other partner holds `promo_codes[index].code`.
    PromoCode { index: usize, code: String },
    /// The group, campaign or parent named exists.
    Exists(Reference),
    /// An ancestor read to rule out a cycle still has the parent it was read with.
    Ancestor,
    /// Tallies, and releases of values the partner held: refused only in a race.
    Bookkeeping,
}

/// A partner's writes, each with what it guards, for one TransactWriteItems.
#[derive(Default)]
pub struct PartnerTransaction {
    writes: Vec<(Guard, TransactWriteItem)>,
}

/// A cancelled partner transaction: the guards whose conditions failed
/// (none if it failed otherwise), and DynamoDB's answer.
#[derive(Debug)]
pub struct Refusal {
    pub failed: Vec<Guard>,
    pub cause: StoreError,
}

impl PartnerTransaction {
    fn push(&mut self, guard: Guard, write: TransactWriteItem) {
        self.writes.push((guard, write));
    }

    fn bookkeeping(&mut self, writes: Vec<TransactWriteItem>) {
        for write in writes {
            self.push(Guard::Bookkeeping, write);
        }
    }

    /// Adds the items of the change's `events`, so they are written with it.
    pub fn recording(
        mut self,
        store: &Store,
        account: &Id,
        events: &[Event],
    ) -> Result<Self, StoreError> {
        self.bookkeeping(super::events::writes(store, account, events)?);
        Ok(self)
    }

    /// Runs every write, all or nothing.
    pub async fn run(self, store: &Store) -> Result<(), Refusal> {
        let (guards, writes): (Vec<Guard>, Vec<TransactWriteItem>) =
            self.writes.into_iter().unzip();
        store.transact(writes).await.map_err(|cause| Refusal {
            failed: guards
                .into_iter()
                .enumerate()
                .filter(|(i, _)| cause.failed_condition(*i))
                .map(|(_, guard)| guard)
                .collect(),
            cause,
        })
    }
}

/// Creates `partner`: its item, a claim on each of its unique values, checks
/// that its group, campaign and parent exist, and one more on its tallies.
pub fn create(
    store: &Store,
    account: &Id,
    partner: &Partner,
) -> Result<PartnerTransaction, StoreError> {
    let mut transaction = PartnerTransaction::default();
    transaction.push(
        Guard::Partner,
        store.put(to_item(account, partner)?, Condition::absent())?,
    );
    exchange_values(store, account, None, partner, &mut transaction)?;
    let mut references = vec![(
        Reference::Group,
        Key::partner_group(account, &partner.group_id),
    )];
    references.extend(
        (partner.campaign_id.as_ref()).map(|c| (Reference::Campaign, Key::campaign(account, c))),
    );
    references.extend(
        (partner.parent_partner_id.as_ref()).map(|p| (Reference::Parent, Key::partner(account, p))),
    );
    for (reference, key) in references {
        transaction.push(
            Guard::Exists(reference),
            store.check(&key, Condition::present())?,
        );
    }
    transaction.bookkeeping(tallies::add(
        store,
        account,
        &[
            Tally::partners(),
            Tally::partners_in_group(&partner.group_id),
        ],
        &partner.id,
        1,
    )?);
    Ok(transaction)
}

/// Turns `before`, as read, into `after`: the profile attributes are SET
/// (statistics untouched) if the version is still the one read; new unique
/// values are claimed and dropped ones released; a group change checks the
/// new group and moves the partner between group tallies; a campaign change
/// checks the campaign; and each ancestor in `lineage` (read because the
/// parent changed) must still have the parent it was read with, so two
/// concurrent re-parentings cannot close a cycle.
pub fn update(
    store: &Store,
    account: &Id,
    before: &Partner,
    after: &Partner,
    lineage: &[Partner],
) -> Result<PartnerTransaction, StoreError> {
    let mut transaction = PartnerTransaction::default();
    // The item holds only attributes the API can set, never clear, so
    // SETting the profile's attributes replaces the whole profile.
    transaction.push(
        Guard::Partner,
        store.assign(
            &Key::partner(account, &after.id),
            profile(account, after)?,
            Condition::at_version(before.version),
        )?,
    );
    exchange_values(store, account, Some(before), after, &mut transaction)?;
    if (after.approved, after.banned, &after.group_id)
        != (before.approved, before.banned, &before.group_id)
    {
        transaction.bookkeeping(partner_stats::copy_standing(store, account, after)?);
    }
    if after.group_id != before.group_id {
        transaction.push(
            Guard::Exists(Reference::Group),
            store.check(
                &Key::partner_group(account, &after.group_id),
                Condition::present(),
            )?,
        );
        let (from, to) = (
            Tally::partners_in_group(&before.group_id),
            Tally::partners_in_group(&after.group_id),
        );
        transaction.bookkeeping(tallies::add(store, account, &[from], &after.id, -1)?);
        transaction.bookkeeping(tallies::add(store, account, &[to], &after.id, 1)?);
    }
    if let Some(campaign) = &after.campaign_id
        && after.campaign_id != before.campaign_id
    {
        transaction.push(
            Guard::Exists(Reference::Campaign),
            store.check(&Key::campaign(account, campaign), Condition::present())?,
        );
    }
    for ancestor in lineage {
        transaction.push(
            Guard::Ancestor,
            store.check(
                &Key::partner(account, &ancestor.id),
                unchanged_parent(ancestor),
            )?,
        );
    }
    Ok(transaction)
}

/// The unique values `partner` holds, each with the guard of its claim.
fn unique_values(partner: &Partner) -> Vec<(UniqueValue<'_>, Guard)> {
    let email = (
        UniqueValue::PartnerEmail(&partner.email),
        Guard::Email(partner.email.clone()),
    );
    let links = partner.links.iter().enumerate().map(|(index, link)| {
        let guard = Guard::LinkCode {
            index,
            code: link.code.clone(),
        };
        (UniqueValue::LinkCode(&link.code), guard)
    });
    let promo_codes = partner
        .promo_codes
        .iter()
        .enumerate()
        .map(|(index, promo)| {
            let guard = Guard::PromoCode {
                index,
                code: promo.code.clone(),
            };
            (UniqueValue::PromoCode(&promo.code), guard)
        });
    std::iter::once(email)
        .chain(links)
        .chain(promo_codes)
        .collect()
}

/// Claims the values `after` holds that `before` did not, and releases the
/// ones it no longer holds. Values are compared by their keys, which ignore
/// case: a value whose case alone changes stays claimed (and a transaction
/// may not touch one item twice).
fn exchange_values(
    store: &Store,
    account: &Id,
    before: Option<&Partner>,
    after: &Partner,
    transaction: &mut PartnerTransaction,
) -> Result<(), StoreError> {
    let keys = |values: &[(UniqueValue, Guard)]| -> Vec<Key> {
        values
            .iter()
            .map(|(v, _)| Key::unique(account, *v))
            .collect()
    };
    let held = before.map(unique_values).unwrap_or_default();
    let wanted = unique_values(after);
    let (held_keys, wanted_keys) = (keys(&held), keys(&wanted));
    for (value, guard) in wanted {
        if !held_keys.contains(&Key::unique(account, value)) {
            transaction.push(guard, unique::claim(store, account, value, &after.id)?);
        }
    }
    for (value, _) in held {
        if !wanted_keys.contains(&Key::unique(account, value)) {
            transaction.push(
                Guard::Bookkeeping,
                unique::release(store, account, value, &after.id)?,
            );
        }
    }
    Ok(())
}

/// The ancestor exists and its parent is still the one it was read with.
/// The partner is approved and not banned: it may refer customers and earn
/// (the store's side of `Partner::refusal`).
pub fn in_good_standing() -> Condition {
    Condition::new("approved = :approved AND banned = :banned")
        .value(":approved", AttributeValue::Bool(true))
        .value(":banned", AttributeValue::Bool(false))
}

fn unchanged_parent(ancestor: &Partner) -> Condition {
    match &ancestor.parent_partner_id {
        Some(parent) => Condition::new("parent_partner_id = :parent")
            .value(":parent", AttributeValue::S(parent.to_string())),
        None => Condition::present().and(Condition::new("attribute_not_exists(parent_partner_id)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ledger_core::model::Account;
    use ledger_core::model::partner::PartnerDraft;
    use ledger_core::money::Currency;
    use rust_decimal::Decimal;

    fn partner() -> (Id, Partner) {
        let mut account = Account::new("A".into(), Currency::EUR, Utc::now());
        account.default_group_id = Some(Id::parse("68f76721000000000000000a").unwrap());
        let draft: PartnerDraft = serde_json::from_value(serde_json::json!({
            "email": "Ann@Example.com",
            "first_name": "Ann",
            "links": [{"url": "https://example.com/?via=ann", "code": "ann"}],
            "promo_codes": [{"code": "ANN10"}, {"code": "ANN20", "external_id": "promo_1"}]
        }))
        .unwrap();
        let partner = Partner::create(draft, &account, false, Utc::now()).unwrap();
        (account.id, partner)
    }

    #[test]
    fn statistics_round_trip_exactly_as_numbers() {
        let (account, mut partner) = partner();
        partner.stats = PartnerStats {
            clicks: 18_446_744_073_709_551_615,
            qualified_customers: 7,
            ltv_total: Decimal::from_str("12345678901234567890.123456789").unwrap(),
            commissions_total: Decimal::from_str("-0.10").unwrap(),
            unit_totals: BTreeMap::from([
                (RewardUnit::Points, Decimal::from(250)),
                (RewardUnit::FreeMonths, Decimal::from(3)),
            ]),
        };
        let item = to_item(&account, &partner).unwrap();
        assert_eq!(
            item["ltv_total"],
            AttributeValue::N("12345678901234567890.123456789".into())
        );
        assert_eq!(
            item["commissions_total_points"],
            AttributeValue::N("250".into())
        );
        assert_eq!(
            item["commissions_total_free_months"],
            AttributeValue::N("3".into())
        );
        assert!(matches!(item["clicks"], AttributeValue::N(_)));
        let back = from_item(item).unwrap();
        assert_eq!(back, partner);
        assert_eq!(
            back.stats.ltv_total.to_string(),
            "12345678901234567890.123456789"
        );
    }

    #[test]
    fn referrals_can_check_standing_on_the_item() {
        let (account, partner) = partner();
        let item = to_item(&account, &partner).unwrap();
        assert_eq!(item["email"], AttributeValue::S("Ann@Example.com".into()));
        assert_eq!(item["approved"], AttributeValue::Bool(true));
        assert_eq!(item["banned"], AttributeValue::Bool(false));
        assert_eq!(
            item["group_id"],
            AttributeValue::S(partner.group_id.to_string())
        );
    }

    #[test]
    fn profile_writes_leave_statistics_alone() {
        let (account, partner) = partner();
        let profile = profile(&account, &partner).unwrap();
        for stat in [
            "clicks",
            "qualified_customers",
            "ltv_total",
            "commissions_total",
        ] {
            assert!(!profile.contains_key(stat), "{stat}");
        }
    }

    #[test]
    fn missing_statistics_are_zero_and_malformed_ones_corrupt() {
        let (account, partner) = partner();
        let mut item = to_item(&account, &partner).unwrap();
        item.remove("clicks");
        assert_eq!(from_item(item.clone()).unwrap().stats.clicks, 0);
        item.insert("ltv_total".into(), AttributeValue::S("12".into()));
        assert!(matches!(from_item(item), Err(StoreError::Corrupt(_))));
    }

    #[test]
    fn a_change_of_standing_or_group_is_copied_onto_every_statistics_shard() {
        let (account, before) = partner();
        let store = crate::offline_store();
        let copies = |after: &Partner| {
            let transaction = update(&store, &account, &before, after, &[]).unwrap();
            transaction
                .writes
                .iter()
                .filter_map(|(_, write)| write.update())
                .filter(|update| {
                    update.key()["sk"]
                        .as_s()
                        .is_ok_and(|sk| sk.starts_with("PARTNER_STATS#"))
                })
                .count()
        };
        let shards = usize::from(crate::keys::PARTNER_STATS_SHARDS) - 1;
        let mut renamed = before.clone();
        renamed.first_name = Some("Anne".into());
        assert_eq!(
            copies(&renamed),
            0,
            "a profile change leaves the shards alone"
        );
        let mut banned = before.clone();
        banned.banned = true;
        let mut unapproved = before.clone();
        unapproved.approved = false;
        let mut moved = before.clone();
        moved.group_id = Id::parse("68f76721000000000000000c").unwrap();
        for after in [banned, unapproved, moved] {
            assert_eq!(copies(&after), shards, "{after:?}");
        }
    }

    #[test]
    fn only_changed_values_are_claimed_and_released() {
        let (account, before) = partner();
        let store = crate::offline_store();
        let mut after = before.clone();
        after.email = "ann@example.com".into();
        after.links[0].code = "ANN".into();
        after.promo_codes.remove(0);
        after.promo_codes.push(PromoCode {
            code: "ANN30".into(),
            external_id: None,
        });
        let transaction = update(&store, &account, &before, &after, &[]).unwrap();
        let guards: Vec<&Guard> = transaction.writes.iter().map(|(g, _)| g).collect();
        assert_eq!(
            guards,
            vec![
                &Guard::Partner,
                &Guard::PromoCode {
                    index: 1,
                    code: "ANN30".into()
                },
                &Guard::Bookkeeping,
            ],
            "case-only changes keep their claims; ANN10 is released, ANN30 claimed"
        );
    }
}
