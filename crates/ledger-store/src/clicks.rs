//! Click items (`CLICK#<id>`) and the per-day click counters of a partner.
//!
//! A click item is kept for its attribution window: it carries the table's
//! TTL attribute ([`TTL_ATTRIBUTE`], epoch seconds at its `expires_at`), so
//! DynamoDB deletes it some time after the window ends; until then a
//! referral checks `expires_at` itself. Recording a click is one
//! transaction: the click (which must not exist), one more click on a
//! random shard of the partner's statistics ([`partner_stats::count_click`])
//! and on a random one of the [`CLICK_DAY_SHARDS`] items of the day, so a
//! burst on one link never queues on one item. A day's count is the sum of
//! its shards; a range of days is one Query.

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::keys::CLICK_DAY_SHARDS;
use super::{Condition, Entity, Item, Key, Ref, Store, StoreError, decode, encode, partner_stats};
use ledger_core::model::{Click, ClickDay, DayRange, Id};

const ENTITY: &str = "click";
const DAY_ENTITY: &str = "click_day";

/// The attribute the table's time-to-live reads (`template.yaml`).
pub const TTL_ATTRIBUTE: &str = "ttl";

#[derive(Serialize, Deserialize)]
struct ClickRecord {
    id: Id,
    partner_id: Id,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    campaign_id: Option<Id>,
    code: String,
    at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ip_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    user_agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    landing_url: Option<String>,
    ttl: i64,
}

fn to_item(account: &Id, click: &Click) -> Result<Item, StoreError> {
    let record = ClickRecord {
        id: click.id.clone(),
        partner_id: click.partner_id.clone(),
        campaign_id: click.campaign_id.clone(),
        code: click.code.clone(),
        at: click.at,
        expires_at: click.expires_at,
        ip_hash: click.ip_hash.clone(),
        user_agent: click.user_agent.clone(),
        landing_url: click.landing_url.clone(),
        ttl: click.expires_at.timestamp(),
    };
    encode(&Key::click(account, &click.id), ENTITY, &record)
}

pub fn from_item(item: Item) -> Result<Click, StoreError> {
    let record: ClickRecord = decode(item)?;
    Ok(Click {
        id: record.id,
        partner_id: record.partner_id,
        campaign_id: record.campaign_id,
        code: record.code,
        at: record.at,
        expires_at: record.expires_at,
        ip_hash: record.ip_hash,
        user_agent: record.user_agent,
        landing_url: record.landing_url,
    })
}

impl Entity for Click {
    const NAME: &'static str = "click";

    fn from_item(item: Item) -> Result<Self, StoreError> {
        from_item(item)
    }
}

/// The click `id` of `account`, if it is still kept.
pub fn at(account: &Id, id: &Id) -> Ref<Click> {
    Ref::new(Key::click(account, id))
}

/// The writes that record `click`: the click item, and one more click of
/// its partner in total and on the click's day (UTC).
pub fn record(
    store: &Store,
    account: &Id,
    click: &Click,
) -> Result<Vec<TransactWriteItem>, StoreError> {
    let day = click.at.date_naive();
    let shard = partner_stats::random_below(CLICK_DAY_SHARDS);
    Ok(vec![
        store.put(to_item(account, click)?, Condition::absent())?,
        partner_stats::count_click(store, account, &click.partner_id)?,
        store.upsert(
            &Key::click_day(account, &click.partner_id, day, shard),
            "SET entity = :entity ADD clicks :one",
            [
                (":entity", AttributeValue::S(DAY_ENTITY.into())),
                (":one", AttributeValue::N("1".into())),
            ],
        )?,
    ])
}

/// The partner's clicks on each day of `range`, every day listed (zero
/// when nothing was counted): one strongly consistent Query of the range's
/// day shards, followed over DynamoDB's pages.
pub async fn days(
    store: &Store,
    account: &Id,
    partner: &Id,
    range: DayRange,
) -> Result<Vec<ClickDay>, StoreError> {
    let (pk, low, high) = Key::click_days(account, partner, range.from, range.to);
    let mut counted: Vec<(NaiveDate, u64)> = Vec::new();
    let mut start = None;
    loop {
        let output = store
            .client()
            .query()
            .table_name(store.table())
            .key_condition_expression("pk = :pk AND sk BETWEEN :low AND :high")
            .expression_attribute_values(":pk", AttributeValue::S(pk.clone()))
            .expression_attribute_values(":low", AttributeValue::S(low.clone()))
            .expression_attribute_values(":high", AttributeValue::S(high.clone()))
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(StoreError::dynamo)?;
        for item in output.items.unwrap_or_default() {
            counted.push(day_count(&item)?);
        }
        start = output.last_evaluated_key;
        if start.is_none() {
            break;
        }
    }
    Ok(range
        .days()
        .map(|date| ClickDay {
            date,
            clicks: counted
                .iter()
                .filter(|(day, _)| *day == date)
                .map(|(_, clicks)| clicks)
                .sum(),
        })
        .collect())
}

/// The day a day shard counts (from its sort key) and its count.
fn day_count(item: &Item) -> Result<(NaiveDate, u64), StoreError> {
    let corrupt = || StoreError::Corrupt(format!("click day item {item:?}"));
    let sk = item
        .get("sk")
        .and_then(|sk| sk.as_s().ok())
        .ok_or_else(corrupt)?;
    let day = sk.rsplit('#').nth(1).ok_or_else(corrupt)?;
    let day = NaiveDate::parse_from_str(day, "%Y-%m-%d").map_err(|_| corrupt())?;
    let clicks = match item.get("clicks") {
        Some(AttributeValue::N(text)) => text.parse().map_err(|_| corrupt())?,
        _ => return Err(corrupt()),
    };
    Ok((day, clicks))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ledger_core::model::click::Visit;
    use ledger_core::model::{Link, Partner, PartnerStats};

    fn click() -> (Id, Click) {
        let now = Utc::now();
        let partner = Partner {
            id: Id::generate(now),
            email: "ann@example.com".into(),
            first_name: None,
            last_name: None,
            payout_email: None,
            group_id: Id::generate(now),
            campaign_id: None,
            parent_partner_id: None,
            links: vec![Link {
                url: None,
                code: "ann".into(),
            }],
            promo_codes: vec![],
            approved: true,
            banned: false,
            details: None,
            stats: PartnerStats::default(),
            created_at: now,
            updated_at: now,
            version: 0,
        };
        let account = Id::generate(now);
        let visit = Visit {
            user_agent: Some("Mozilla/5.0"),
            ip: Some("203.0.113.7"),
            ..Visit::default()
        };
        let click = Click::new(&account, &partner, &partner.links[0], 30, &visit, None, now);
        (account, click)
    }

    #[test]
    fn a_click_round_trips_and_expires_with_its_window() {
        let (account, click) = click();
        let item = to_item(&account, &click).unwrap();
        assert_eq!(
            item[TTL_ATTRIBUTE],
            AttributeValue::N(click.expires_at.timestamp().to_string())
        );
        assert!(!format!("{item:?}").contains("203.0.113.7"));
        assert_eq!(from_item(item).unwrap(), click);
    }

    #[test]
    fn recording_a_click_is_the_click_its_partners_count_and_its_days() {
        let (account, click) = click();
        let writes = record(&crate::offline_store(), &account, &click).unwrap();
        assert_eq!(writes.len(), 3);
        let put = writes[0].put().unwrap();
        assert_eq!(put.condition_expression(), Some("attribute_not_exists(pk)"));
        let day = writes[2].update().unwrap();
        let sk = day.key()["sk"].as_s().unwrap();
        let (_, low, high) = Key::click_days(
            &account,
            &click.partner_id,
            click.at.date_naive(),
            click.at.date_naive(),
        );
        assert!(
            low.as_str() <= sk.as_str() && sk.as_str() <= high.as_str(),
            "{sk}"
        );
        let mut item = Item::from([("sk".to_string(), AttributeValue::S(sk.clone()))]);
        item.insert("clicks".into(), AttributeValue::N("3".into()));
        assert_eq!(day_count(&item).unwrap(), (click.at.date_naive(), 3));
    }
}
