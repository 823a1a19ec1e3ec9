//! A partner's statistics, kept on [`PARTNER_STATS_SHARDS`] items so that
//! concurrent sales of one partner do not meet on one item: concurrent
//! transactions on an item cancel one another (an item only checked
//! included), and one item takes at most 1,000 write units a second.
//!
//! Shard 0 is the partner item itself (which holds every statistic of a
//! partner stored before the shards); the others are items of their own
//! ([`Key::partner_stats`]). A commission adds to the shard of its id, a
//! refund takes back from the partner item, a click adds to one of the
//! others at random ([`count_click`]), and a partner's statistics are the
//! sum of its shards.
//!
//! A sale must still only count while the partner may earn and, when its
//! group priced the sale, while it is in that group. Each shard item other
//! than the partner item therefore holds a copy of those facts (`approved`,
//! `banned`, `group_id`), which every partner write that changes one of them
//! sets on every shard in its transaction; a sale conditions on its own
//! shard only. A shard without the copy has seen no such change since it
//! was made, so what the partner item held when the sale read it still
//! holds. A sale priced from the partner's figures conditions on every shard:
//! the others as read, its own within the band pricing read less theirs.

use std::str::FromStr;
use std::vec::IntoIter;

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use rust_decimal::Decimal;

use super::keys::{self, PARTNER_STATS_SHARDS};
use super::{Condition, Item, Key, Reads, Store, StoreError, partners};
use ledger_core::engine::{Band, FiguresRead};
use ledger_core::model::{Id, Partner, PartnerStats, RewardUnit};

const ENTITY: &str = "partner_stats";

/// One of the figures, picked from a shard's.
type Figure = fn(Figures) -> Option<Decimal>;

fn ltv_total(figures: Figures) -> Option<Decimal> {
    figures.ltv_total
}

fn qualified_customers(figures: Figures) -> Option<Decimal> {
    figures.qualified_customers
}

/// The figures pricing may read, on one shard item as read (`None` where
/// the item, or the attribute, was absent).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Figures {
    ltv_total: Option<Decimal>,
    qualified_customers: Option<Decimal>,
}

/// What every shard of a partner's statistics held when it was read: what a
/// sale priced from the partner's figures conditions on.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Shards {
    figures: Vec<Figures>,
}

/// A partner and every shard of its statistics, in one read.
pub struct Read {
    keys: Vec<Key>,
}

/// The partner `id` of `account` with its statistics summed, and what each
/// shard held.
pub fn read(account: &Id, id: &Id) -> Read {
    Read {
        keys: (0..PARTNER_STATS_SHARDS)
            .map(|shard| Key::partner_stats(account, id, shard))
            .collect(),
    }
}

impl Reads for Read {
    type Output = Option<(Partner, Shards)>;

    fn keys(&self) -> Vec<&Key> {
        self.keys.iter().collect()
    }

    fn decode(&self, items: &mut IntoIter<Option<Item>>) -> Result<Self::Output, StoreError> {
        let found: Vec<Option<Item>> = self.keys.iter().map(|_| items.next().flatten()).collect();
        let mut found = found.into_iter();
        let Some(item) = found.next().flatten() else {
            return Ok(None);
        };
        let mut shards = vec![figures(&item)?];
        let mut partner = partners::from_item(item)?;
        for item in found {
            shards.push(item.as_ref().map(figures).transpose()?.unwrap_or_default());
            if let Some(item) = &item {
                add_to(&mut partner.stats, item)?;
            }
        }
        Ok(Some((partner, Shards { figures: shards })))
    }
}

/// A partner with its statistics summed over its shards: what reading a
/// partner answers.
pub struct Whole(Read);

/// The partner `id` of `account`, its statistics summed.
pub fn whole(account: &Id, id: &Id) -> Whole {
    Whole(read(account, id))
}

impl Reads for Whole {
    type Output = Option<Partner>;

    fn keys(&self) -> Vec<&Key> {
        self.0.keys()
    }

    fn decode(&self, items: &mut IntoIter<Option<Item>>) -> Result<Self::Output, StoreError> {
        Ok(self.0.decode(items)?.map(|(partner, _)| partner))
    }
}

/// Adds to each of `partners`, decoded from their partner items alone (as a
/// list page reads them), what their other shards hold: one BatchGetItem per
/// 100 keys.
pub async fn add_shards(
    store: &Store,
    account: &Id,
    partners: &mut [Partner],
) -> Result<(), StoreError> {
    let keys: Vec<Key> = partners
        .iter()
        .flat_map(|partner| {
            (1..PARTNER_STATS_SHARDS).map(|shard| Key::partner_stats(account, &partner.id, shard))
        })
        .collect();
    if keys.is_empty() {
        return Ok(());
    }
    let items = store.get_many(&keys.iter().collect::<Vec<_>>()).await?;
    let per_partner = usize::from(PARTNER_STATS_SHARDS - 1);
    for (partner, shards) in partners.iter_mut().zip(items.chunks(per_partner)) {
        for item in shards.iter().flatten() {
            add_to(&mut partner.stats, item)?;
        }
    }
    Ok(())
}

fn figures(item: &Item) -> Result<Figures, StoreError> {
    Ok(Figures {
        ltv_total: number(item, "ltv_total")?,
        qualified_customers: number(item, "qualified_customers")?,
    })
}

/// The number `name` of a stored item, exactly, if it has one.
fn number<T: FromStr>(item: &Item, name: &str) -> Result<Option<T>, StoreError> {
    match item.get(name) {
        None => Ok(None),
        Some(AttributeValue::N(text)) => text
            .parse()
            .map(Some)
            .map_err(|_| StoreError::Corrupt(format!("partner statistic {name} holds {text}"))),
        Some(other) => Err(StoreError::Corrupt(format!(
            "partner statistic {name} holds {other:?}"
        ))),
    }
}

/// Adds one shard item's statistics to `stats`.
fn add_to(stats: &mut PartnerStats, item: &Item) -> Result<(), StoreError> {
    let overflow = |name: &str| StoreError::Corrupt(format!("partner {name} overflows"));
    let sum = |total: Decimal, name: &str| -> Result<Decimal, StoreError> {
        let shard = number::<Decimal>(item, name)?.unwrap_or_default();
        total.checked_add(shard).ok_or_else(|| overflow(name))
    };
    stats.ltv_total = sum(stats.ltv_total, "ltv_total")?;
    stats.commissions_total = sum(
        stats.commissions_total,
        &partners::commissions_total(RewardUnit::Cash),
    )?;
    for unit in RewardUnit::OTHER_THAN_CASH {
        let name = partners::commissions_total(unit);
        if item.contains_key(&name) {
            let total = stats.unit_totals.entry(unit).or_default();
            *total = sum(*total, &name)?;
        }
    }
    let clicks = number::<u64>(item, "clicks")?.unwrap_or_default();
    stats.clicks = stats
        .clicks
        .checked_add(clicks)
        .ok_or_else(|| overflow("clicks"))?;
    let customers = number::<u64>(item, "qualified_customers")?.unwrap_or_default();
    stats.qualified_customers = stats
        .qualified_customers
        .checked_add(customers)
        .ok_or_else(|| overflow("qualified_customers"))?;
    Ok(())
}

/// Counts one click of `partner` on one of the shards other than the
/// partner item, picked at random: a burst of clicks on one partner meets
/// neither on one item nor on the partner item, which profile writes and
/// sales condition on. Unconditional: a click counts whatever else changes.
pub fn count_click(
    store: &Store,
    account: &Id,
    partner: &Id,
) -> Result<TransactWriteItem, StoreError> {
    let shard = 1 + random_below(PARTNER_STATS_SHARDS - 1);
    store.upsert(
        &Key::partner_stats(account, partner, shard),
        "SET entity = :entity ADD clicks :one",
        [
            (":entity", AttributeValue::S(ENTITY.into())),
            (":one", AttributeValue::N("1".into())),
        ],
    )
}

/// A random number below `bound`.
pub(crate) fn random_below(bound: u16) -> u16 {
    let mut random = [0u8; 2];
    getrandom::fill(&mut random).expect("the operating system's random source is available");
    u16::from_le_bytes(random) % bound
}

/// The shard a commission's figures are added to.
pub fn shard_of(commission: &Id) -> u16 {
    keys::shard_of(commission, PARTNER_STATS_SHARDS)
}

/// What a commission adds to its partner's statistics.
pub struct Credit<'a> {
    pub commission: &'a Id,
    pub unit: RewardUnit,
    pub amount: Decimal,
    /// The sale's amount in the base currency (zero for a custom commission).
    pub sale_amount: Decimal,
    /// Whether the sale is its customer's first paid charge.
    pub new_customer: bool,
}

/// What the sale's pricing depended on, which must still hold when it commits.
#[derive(Clone, Copy)]
pub struct Priced<'a> {
    /// The partner's group, when it (not the campaign) priced the sale.
    pub by_group: Option<&'a Id>,
    /// The partner figures pricing read, and every shard as read.
    pub figures: Option<(FiguresRead, &'a Shards)>,
}

/// Adds `credit` to the shard of its commission, provided the partner may
/// still earn and what priced the sale (`priced`) still holds: the update,
/// and when pricing read the partner's figures a check of every other shard.
pub fn credit(
    store: &Store,
    account: &Id,
    partner: &Id,
    credit: &Credit<'_>,
    priced: Priced<'_>,
) -> Result<Vec<TransactWriteItem>, StoreError> {
    let shard = shard_of(credit.commission);
    let mut condition = standing(shard, priced.by_group);
    let mut writes = Vec::new();
    if let Some((read, shards)) = priced.figures {
        let bands: Vec<(&str, Band<Decimal>, Figure)> = [
            ("ltv_total", read.partner_ltv, ltv_total as Figure),
            (
                "qualified_customers",
                decimal_band(read.qualified_customers),
                qualified_customers,
            ),
        ]
        .into_iter()
        .filter(|(_, band, _)| band.at_least.is_some() || band.below.is_some())
        .collect();
        let as_read_on = |other: u16| shards.figures.get(usize::from(other)).copied();
        for (attribute, band, figure) in &bands {
            let others: Decimal = (0..PARTNER_STATS_SHARDS)
                .filter(|other| *other != shard)
                .filter_map(|other| as_read_on(other).and_then(figure))
                .sum();
            condition = match as_read_on(shard).and_then(figure) {
                Some(_) => within(condition, attribute, *band, others),
                None => condition.and(as_read(attribute, None)),
            };
        }
        for other in (0..PARTNER_STATS_SHARDS).filter(|other| *other != shard) {
            let figures = as_read_on(other).unwrap_or_default();
            let unchanged = (bands.iter())
                .map(|(attribute, _, figure)| as_read(attribute, figure(figures)))
                .reduce(Condition::and);
            if let Some(unchanged) = unchanged {
                let key = Key::partner_stats(account, partner, other);
                writes.push(store.check(&key, unchanged)?);
            }
        }
    }
    let adds = format!(
        "ADD ltv_total :sale, {} :amount, qualified_customers :new",
        partners::commissions_total(credit.unit)
    );
    let mut values = vec![
        (":sale", AttributeValue::N(credit.sale_amount.to_string())),
        (":amount", AttributeValue::N(credit.amount.to_string())),
        (
            ":new",
            AttributeValue::N(u8::from(credit.new_customer).to_string()),
        ),
    ];
    let expression = if shard == 0 {
        adds
    } else {
        values.push((":entity", AttributeValue::S(ENTITY.into())));
        format!("SET entity = :entity {adds}")
    };
    writes.push(store.update(
        &Key::partner_stats(account, partner, shard),
        &expression,
        values,
        condition,
    )?);
    Ok(writes)
}

/// The partner may earn and, priced by a group, is still in it: on the
/// partner item, as it holds them; on another shard, as its copy holds them
/// if it has one.
fn standing(shard: u16, by_group: Option<&Id>) -> Condition {
    let group = by_group.map(|group| {
        Condition::new("group_id = :group").value(":group", AttributeValue::S(group.to_string()))
    });
    let mut condition = partners::in_good_standing();
    if let Some(group) = group {
        condition = condition.and(group);
    }
    if shard == 0 {
        return condition;
    }
    let no_copy = Condition::new("attribute_not_exists(group_id)");
    no_copy.or(condition)
}

fn decimal_band(band: Band<u32>) -> Band<Decimal> {
    Band {
        at_least: band.at_least.map(Decimal::from),
        below: band.below.map(Decimal::from),
    }
}

/// `condition`, and `attribute` within `band` less what the other shards
/// hold (`others`, checked unchanged beside it).
fn within(
    mut condition: Condition,
    attribute: &str,
    band: Band<Decimal>,
    others: Decimal,
) -> Condition {
    if let Some(at_least) = band.at_least {
        let name = format!(":{attribute}_at_least");
        condition = condition.and(
            Condition::new(format!("{attribute} >= {name}"))
                .value(&name, AttributeValue::N((at_least - others).to_string())),
        );
    }
    if let Some(below) = band.below {
        let name = format!(":{attribute}_below");
        condition = condition.and(
            Condition::new(format!("{attribute} < {name}"))
                .value(&name, AttributeValue::N((below - others).to_string())),
        );
    }
    condition
}

/// The shard's `attribute` is still what it was read as (or still absent).
fn as_read(attribute: &str, value: Option<Decimal>) -> Condition {
    match value {
        None => Condition::new(format!("attribute_not_exists({attribute})")),
        Some(value) => {
            let name = format!(":{attribute}_read");
            Condition::new(format!("{attribute} = {name}"))
                .value(&name, AttributeValue::N(value.to_string()))
        }
    }
}

/// Copies `partner`'s standing and group onto every shard other than the
/// partner item: part of any partner write that changes one of them.
pub fn copy_standing(
    store: &Store,
    account: &Id,
    partner: &Partner,
) -> Result<Vec<TransactWriteItem>, StoreError> {
    (1..PARTNER_STATS_SHARDS)
        .map(|shard| {
            store.upsert(
                &Key::partner_stats(account, &partner.id, shard),
                "SET entity = :entity, approved = :approved, banned = :banned, group_id = :group",
                [
                    (":entity", AttributeValue::S(ENTITY.into())),
                    (":approved", AttributeValue::Bool(partner.approved)),
                    (":banned", AttributeValue::Bool(partner.banned)),
                    (":group", AttributeValue::S(partner.group_id.to_string())),
                ],
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::types::Update;
    use rust_decimal::prelude::FromStr;

    fn id(n: u8) -> Id {
        Id::parse(&format!("68f767210000000000000{n:03}")).unwrap()
    }

    fn n(text: &str) -> AttributeValue {
        AttributeValue::N(text.into())
    }

    fn dec(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    /// A commission id on `shard`.
    fn on_shard(shard: u16) -> Id {
        (0..=255)
            .map(id)
            .find(|id| shard_of(id) == shard)
            .expect("an id on every shard")
    }

    fn partner_item(account: &Id, partner: &Id) -> Item {
        let mut item = Item::from([
            (
                "pk".to_string(),
                AttributeValue::S(Key::partner(account, partner).pk),
            ),
            (
                "sk".to_string(),
                AttributeValue::S(Key::partner(account, partner).sk),
            ),
            ("entity".to_string(), AttributeValue::S("partner".into())),
            ("id".to_string(), AttributeValue::S(partner.to_string())),
            (
                "email".to_string(),
                AttributeValue::S("ann@example.com".into()),
            ),
            ("group_id".to_string(), AttributeValue::S(id(9).to_string())),
            ("links".to_string(), AttributeValue::L(Vec::new())),
            ("promo_codes".to_string(), AttributeValue::L(Vec::new())),
            ("approved".to_string(), AttributeValue::Bool(true)),
            ("banned".to_string(), AttributeValue::Bool(false)),
            (
                "created_at".to_string(),
                AttributeValue::S("2026-01-01T00:00:00Z".into()),
            ),
            (
                "updated_at".to_string(),
                AttributeValue::S("2026-01-01T00:00:00Z".into()),
            ),
            ("version".to_string(), n("1")),
        ]);
        item.extend([
            ("clicks".to_string(), n("4")),
            ("ltv_total".to_string(), n("100.50")),
            ("qualified_customers".to_string(), n("2")),
            ("commissions_total".to_string(), n("10.05")),
        ]);
        item
    }

    fn update(write: &TransactWriteItem) -> &Update {
        write.update().expect("an update")
    }

    #[test]
    fn a_partner_read_sums_its_shards_a_missing_one_counting_nothing() {
        let (account, partner) = (id(1), id(2));
        let reads = read(&account, &partner);
        let keys: Vec<Key> = reads.keys().into_iter().cloned().collect();
        assert_eq!(keys.len(), usize::from(PARTNER_STATS_SHARDS));
        assert_eq!(keys[0], Key::partner(&account, &partner));
        let shard = Item::from([
            ("ltv_total".to_string(), n("-0.50")),
            ("qualified_customers".to_string(), n("1")),
            ("commissions_total".to_string(), n("2")),
            ("commissions_total_points".to_string(), n("30")),
            ("clicks".to_string(), n("2")),
        ]);
        let copy_only = Item::from([("banned".to_string(), AttributeValue::Bool(true))]);
        let mut items = vec![
            Some(partner_item(&account, &partner)),
            Some(shard),
            None,
            Some(copy_only),
        ]
        .into_iter();
        let (read, shards) = reads.decode(&mut items).unwrap().unwrap();
        assert_eq!(read.stats.ltv_total, dec("100.00"));
        assert_eq!(read.stats.qualified_customers, 3);
        assert_eq!(read.stats.commissions_total, dec("12.05"));
        assert_eq!(read.stats.unit_totals[&RewardUnit::Points], dec("30"));
        assert_eq!(
            read.stats.clicks,
            4 + 2,
            "clicks are summed over the shards"
        );
        assert!(!read.banned, "standing is the partner item's");
        assert_eq!(
            shards.figures,
            [
                (Some(dec("100.50")), Some(dec("2"))),
                (Some(dec("-0.50")), Some(dec("1"))),
                (None, None),
                (None, None),
            ]
            .map(|(ltv_total, qualified_customers)| Figures {
                ltv_total,
                qualified_customers,
            })
        );
        let mut gone = vec![None, Some(Item::new()), None, None].into_iter();
        assert!(reads.decode(&mut gone).unwrap().is_none());
        assert_eq!(gone.len(), 0, "every shard's item is taken");
    }

    #[test]
    fn a_sale_not_priced_from_figures_writes_its_own_shard_alone() {
        let (account, partner, group) = (id(1), id(2), id(9));
        let store = crate::offline_store();
        for shard in 0..PARTNER_STATS_SHARDS {
            let commission = on_shard(shard);
            let credit = Credit {
                commission: &commission,
                unit: RewardUnit::Cash,
                amount: dec("10"),
                sale_amount: dec("100"),
                new_customer: true,
            };
            let priced = Priced {
                by_group: Some(&group),
                figures: None,
            };
            let writes = super::credit(&store, &account, &partner, &credit, priced).unwrap();
            assert_eq!(writes.len(), 1, "shard {shard}");
            let update = update(&writes[0]);
            let key = Key::partner_stats(&account, &partner, shard);
            assert_eq!(update.key()["sk"], AttributeValue::S(key.sk));
            let condition = update.condition_expression().unwrap();
            assert!(condition.contains("approved = :approved"), "{condition}");
            assert!(condition.contains("group_id = :group"), "{condition}");
            assert_eq!(
                condition.contains("attribute_not_exists(group_id)"),
                shard != 0,
                "a shard without a copy of the standing defers to the partner item read: {condition}"
            );
            let values = update.expression_attribute_values().unwrap();
            assert_eq!(values[":group"], AttributeValue::S(group.to_string()));
            assert_eq!(values[":new"], n("1"));
        }
    }

    #[test]
    fn a_sale_priced_from_figures_checks_every_other_shard_as_read() {
        let (account, partner) = (id(1), id(2));
        let store = crate::offline_store();
        let commission = on_shard(2);
        let shards = Shards {
            figures: vec![
                Figures {
                    ltv_total: Some(dec("100")),
                    qualified_customers: Some(dec("2")),
                },
                Figures {
                    ltv_total: Some(dec("50")),
                    qualified_customers: Some(dec("1")),
                },
                Figures {
                    ltv_total: Some(dec("30")),
                    qualified_customers: Some(dec("1")),
                },
                Figures::default(),
            ],
        };
        let read = FiguresRead {
            partner_ltv: Band {
                at_least: Some(dec("150")),
                below: Some(dec("250")),
            },
            qualified_customers: Band::default(),
        };
        let credit = Credit {
            commission: &commission,
            unit: RewardUnit::Cash,
            amount: dec("10"),
            sale_amount: dec("100"),
            new_customer: false,
        };
        let priced = Priced {
            by_group: None,
            figures: Some((read, &shards)),
        };
        let writes = super::credit(&store, &account, &partner, &credit, priced).unwrap();
        let (checks, own) = writes.split_at(writes.len() - 1);
        let checked: Vec<(String, String, Option<AttributeValue>)> = checks
            .iter()
            .map(|write| {
                let check = write.condition_check().expect("a check");
                let sk = check.key()["sk"].as_s().unwrap().clone();
                let value = check
                    .expression_attribute_values()
                    .and_then(|values| values.get(":ltv_total_read").cloned());
                (sk, check.condition_expression().to_string(), value)
            })
            .collect();
        let sk = |shard| Key::partner_stats(&account, &partner, shard).sk;
        assert_eq!(
            checked,
            [
                (sk(0), "ltv_total = :ltv_total_read".into(), Some(n("100"))),
                (sk(1), "ltv_total = :ltv_total_read".into(), Some(n("50"))),
                (sk(3), "attribute_not_exists(ltv_total)".into(), None),
            ],
            "the figure pricing read is checked on every other shard, the unread one not at all"
        );
        let own = update(&own[0]);
        assert_eq!(own.key()["sk"], AttributeValue::S(sk(2)));
        let values = own.expression_attribute_values().unwrap();
        assert_eq!(
            (&values[":ltv_total_at_least"], &values[":ltv_total_below"]),
            (&n("0"), &n("100")),
            "the band less the 150 the other shards hold"
        );
    }

    #[test]
    fn a_click_counts_on_a_shard_other_than_the_partner_item() {
        let (account, partner) = (id(1), id(2));
        let store = crate::offline_store();
        let partner_item = Key::partner(&account, &partner).sk;
        for _ in 0..50 {
            let write = count_click(&store, &account, &partner).unwrap();
            let update = update(&write);
            let sk = update.key()["sk"].as_s().unwrap();
            assert_ne!(sk, &partner_item);
            assert!(update.condition_expression().is_none());
            assert_eq!(
                update.update_expression(),
                "SET entity = :entity ADD clicks :one"
            );
        }
    }

    #[test]
    fn the_standing_is_copied_onto_every_shard_but_the_partner_item() {
        let (account, partner) = (id(1), id(2));
        let mut read = read(&account, &partner)
            .decode(&mut vec![Some(partner_item(&account, &partner)), None, None, None].into_iter())
            .unwrap()
            .unwrap()
            .0;
        read.banned = true;
        let writes = copy_standing(&crate::offline_store(), &account, &read).unwrap();
        let copied: Vec<AttributeValue> = writes
            .iter()
            .map(|write| update(write).key()["sk"].clone())
            .collect();
        let expected: Vec<AttributeValue> = (1..PARTNER_STATS_SHARDS)
            .map(|shard| AttributeValue::S(Key::partner_stats(&account, &partner, shard).sk))
            .collect();
        assert_eq!(copied, expected);
        for write in &writes {
            let values = update(write).expression_attribute_values().unwrap();
            assert_eq!(values[":banned"], AttributeValue::Bool(true));
            assert_eq!(values[":group"], AttributeValue::S(id(9).to_string()));
        }
    }
}
