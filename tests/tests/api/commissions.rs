//! Commissions against the emulator: both seed contracts (PromoteKit and
//! FirstPromoter), pricing precedence (campaign, partner's group, default
//! group), the facts a sale records on the referral and the partner,
//! idempotent replays also under concurrent creates, the approve/deny
//! lifecycle one by one and in bulk (all or nothing), notes, filters and
//! cursor paging, access control, bad input and the DynamoDB request budget.

use std::collections::HashSet;

use axum::body::Body;
use chrono::{DateTime, Duration, Utc};
use futures::future::join_all;
use harness::access::{
    Route, assert_keys_are_required, assert_other_accounts_get_404, assert_scopes_are_enforced,
};
use harness::json::{exact, id_of, num};
use harness::objects::{
    self, create_default_group, create_group, create_partner, create_referral, read_commission,
    read_partner,
};
use harness::paths::{
    CAMPAIGNS, COMMISSIONS, GROUPS, NOWHERE, PARTNERS, REFERRALS, commission_action_path,
    commission_path, partner_path, referral_path,
};
use harness::{Reply, TestEnv, seed};
use http::{Method, Request, StatusCode};
use ledger_core::model::{Id, RewardUnit};
use ledger_store::keys::PARTNER_STATS_SHARDS;
use ledger_store::partner_stats::{self, Credit, Priced};
use rust_decimal::Decimal;
use serde_json::{Value, json};

const BULK_APPROVE: &str = "/2026-02-01/commissions/approve.json";
const BULK_DENY: &str = "/2026-02-01/commissions/deny.json";

fn timestamp(value: &Value) -> DateTime<Utc> {
    value
        .as_str()
        .unwrap_or_else(|| panic!("a timestamp, not {value}"))
        .parse()
        .unwrap_or_else(|e| panic!("{value} is RFC 3339: {e}"))
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The default group (10 %) and a second group, Performance, paying 12 %.
/// Returns Performance's id.
async fn performance_group(env: &TestEnv) -> String {
    create_default_group(env).await;
    create_group(
        env,
        "Performance",
        json!([{"type": "recurring", "percentage": 12}]),
    )
    .await
}

/// The seed's partner with link code `handle`, in the group named (or the default).
async fn partner_in(env: &TestEnv, handle: &str, group_id: Option<&str>) -> String {
    let mut body = seed::partner_create(handle);
    if let Some(group_id) = group_id {
        body["partner"]["group_id"] = json!(group_id);
    }
    id_of(&create_partner(env, body).await)
}

/// Ann, link code `ann`, in the default group.
async fn ann(env: &TestEnv) -> String {
    partner_in(env, "ann", None).await
}

/// A customer referred by link code `code`; returns the referral's id.
async fn customer(env: &TestEnv, email: &str, code: &str) -> String {
    id_of(&create_referral(env, seed::referral_create(email, code)).await)
}

/// Creates a campaign and returns its id.
async fn campaign(env: &TestEnv, body: Value) -> String {
    id_of(&objects::create(env, CAMPAIGNS, "campaign", body).await)
}

/// A campaign paying a recurring 20 %, and nothing else.
fn twenty_percent() -> Value {
    json!({"campaign": {"name": "Twenty", "commission_type": "percentage", "commission_amount": 20}})
}

/// A FirstPromoter sale with no commission amount, so the engine prices it.
fn sale(referral_id: &str, sale_amount: &str, event_id: &str) -> Value {
    json!({"commission": {
        "commission_type": "sale",
        "referral_id": referral_id,
        "sale_amount": exact(sale_amount),
        "event_id": event_id
    }})
}

/// A custom commission of `amount` for the partner.
fn custom(partner_id: &str, amount: &str, event_id: &str) -> Value {
    json!({"commission": {
        "commission_type": "custom",
        "partner_id": partner_id,
        "amount": exact(amount),
        "event_id": event_id
    }})
}

/// Creates a commission, expecting 201, and returns the commission object.
async fn create(env: &TestEnv, body: Value) -> Value {
    objects::create(env, COMMISSIONS, "commission", body).await
}

/// Creates `n` priced sales for the referral and returns their ids in creation order.
async fn sales(env: &TestEnv, referral_id: &str, n: usize, prefix: &str) -> Vec<String> {
    let mut ids = Vec::with_capacity(n);
    for k in 0..n {
        let body = sale(referral_id, "100", &format!("evt_{prefix}_{k}"));
        ids.push(id_of(&create(env, body).await));
    }
    ids
}

/// Each commission's current status, read back one by one.
async fn statuses(env: &TestEnv, ids: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for id in ids {
        out.push(
            read_commission(env, id).await["status"]
                .as_str()
                .expect("status")
                .to_string(),
        );
    }
    out
}

/// The partner's statistics: (`ltv_total`, `commissions_total`, `qualified_customers`).
async fn stats(env: &TestEnv, partner_id: &str) -> (String, String, String) {
    let p = read_partner(env, partner_id).await;
    (
        num(&p["ltv_total"]),
        num(&p["commissions_total"]),
        num(&p["qualified_customers"]),
    )
}

fn figures(ltv: &str, commissions: &str, customers: &str) -> (String, String, String) {
    (ltv.into(), commissions.into(), customers.into())
}

/// Approves or denies one commission (no body).
async fn act(env: &TestEnv, id: &str, action: &str) -> Reply {
    env.call(
        Method::POST,
        &commission_action_path(id, action),
        Some(&env.key_a),
        None,
    )
    .await
}

/// Approves or denies in bulk.
async fn bulk(env: &TestEnv, path: &str, ids: &[&str]) -> Reply {
    env.post(path, json!({ "ids": ids })).await
}

/// (id, status) pairs of a bulk answer, sorted by id.
fn bulk_result(reply: &Reply) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = reply.body["commissions"]
        .as_array()
        .unwrap_or_else(|| panic!("a commissions array: {:?}", reply.body))
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    pairs.sort();
    pairs
}

fn expected_bulk(ids: &[&str], status: &str) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = ids
        .iter()
        .map(|id| (id.to_string(), status.to_string()))
        .collect();
    pairs.sort();
    pairs
}

/// Every commission of a list, following `pages.next_cursor`; also the first page's envelope.
async fn walk(env: &TestEnv, query: &str) -> (Vec<String>, Value) {
    let (elements, envelope) = objects::walk(env, COMMISSIONS, query).await;
    (elements.iter().map(id_of).collect(), envelope)
}

fn sorted(ids: &[&str]) -> Vec<String> {
    let mut ids: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    ids.sort();
    ids
}

// ---------------------------------------------------------------------------
// 1. The seed bodies
// ---------------------------------------------------------------------------

#[tokio::test]
async fn the_seed_bodies_create_commissions_with_the_documented_fields() {
    let env = TestEnv::new().await;
    create_default_group(&env).await;
    let ann = create_partner(&env, seed::partner_create("ann")).await;
    let ann_id = id_of(&ann);
    let first = create_referral(&env, seed::referral_create("first@example.com", "ann")).await;
    let second = create_referral(&env, seed::referral_create("second@example.com", "ann")).await;

    // PromoteKit: explicit amounts, kept exactly as given; no rules asked.
    let before = Utc::now() - Duration::seconds(1);
    let promotekit = create(&env, seed::commission_promotekit(&id_of(&first))).await;
    let id = id_of(&promotekit);
    assert!(Id::parse(&id).is_some(), "{id}");
    for (field, expected) in [
        ("commission_type", json!("sale")),
        ("status", json!("pending")),
        ("payout_status", json!("not_paid")),
        ("payout_id", Value::Null),
        ("payout", Value::Null),
        ("currency", json!("EUR")),
        ("rate", Value::Null),
        ("applied_rules", json!([])),
        ("rule_source", Value::Null),
        ("tier", json!(1)),
        ("is_self_referral", json!(false)),
        ("fraud_check", json!("no_suspicion")),
        ("stripe_payment_id", json!("py_3PqRstUvWxYz0123456789")),
        ("referral_date", json!("2026-01-15T10:00:00Z")),
        ("external_note", Value::Null),
    ] {
        assert_eq!(promotekit[field], expected, "{field}: {promotekit}");
    }
    for (field, expected) in [
        ("sale_amount", "299.9"),
        ("revenue_amount", "299.9"),
        ("amount", "59.98"),
        ("commission_amount", "59.98"),
    ] {
        assert_eq!(num(&promotekit[field]), expected, "{field}: {promotekit}");
    }
    let created_at = timestamp(&promotekit["created_at"]);
    assert!(
        created_at >= before && created_at <= Utc::now(),
        "{created_at}"
    );
    assert!(timestamp(&promotekit["status_updated_at"]) >= created_at);

    // The nested partner and referral, as PromoteKit nests them.
    let nested = &promotekit["partner"];
    for (field, expected) in [
        ("id", json!(ann_id)),
        ("email", json!("ann@example.com")),
        ("first_name", json!("Ann")),
        ("last_name", json!("Lee")),
        ("payout_email", Value::Null),
        ("links", ann["links"].clone()),
        ("promo_codes", ann["promo_codes"].clone()),
        ("approved", json!(true)),
        ("banned", json!(false)),
        ("details", Value::Null),
        ("created_at", ann["created_at"].clone()),
        ("campaign", Value::Null),
    ] {
        assert_eq!(nested[field], expected, "partner.{field}: {nested}");
    }
    assert_eq!(
        nested["links"],
        json!([{"url": "https://example.com/?via=ann", "code": "ann"}])
    );
    let nested = &promotekit["referral"];
    for field in [
        "id",
        "email",
        "subscription_status",
        "signup_date",
        "stripe_customer_id",
        "created_at",
    ] {
        assert_eq!(nested[field], first[field], "referral.{field}: {nested}");
    }
    assert_eq!(nested["email"], json!("first@example.com"));

    let read = env.get(&commission_path(&id)).await;
    assert_eq!(read.status, StatusCode::OK, "{:?}", read.body);
    assert_eq!(read.body, json!({ "commission": promotekit }));

    // FirstPromoter's sale: no commission amount, so the default group's 10 % prices it.
    let body = seed::commission_firstpromoter_sale(&id_of(&second));
    let priced = create(&env, body).await;
    for (field, expected) in [
        ("commission_type", json!("sale")),
        ("status", json!("pending")),
        ("payout_status", json!("not_paid")),
        ("payout_id", Value::Null),
        ("payout", Value::Null),
        ("currency", json!("EUR")),
        ("rule_source", json!("default_group")),
        ("tier", json!(1)),
        ("event_id", json!("evt_1QxSaleJan2026")),
        ("stripe_payment_id", Value::Null),
        ("unit", json!("cash")),
        ("billing_period", json!("monthly")),
        ("internal_note", json!("Imported from the billing system")),
        ("external_note", Value::Null),
        ("notify_promoter", json!(true)),
        ("is_self_referral", json!(false)),
        ("fraud_check", json!("no_suspicion")),
    ] {
        assert_eq!(priced[field], expected, "{field}: {priced}");
    }
    for (field, expected) in [
        ("sale_amount", "299.9"),
        ("revenue_amount", "299.9"),
        ("amount", "29.99"),
        ("commission_amount", "29.99"),
        ("rate", "10"),
    ] {
        assert_eq!(num(&priced[field]), expected, "{field}: {priced}");
    }
    assert_eq!(priced["applied_rules"][0]["type"], json!("recurring"));
    assert!(
        priced["event_date"]
            .as_str()
            .is_some_and(|d| d.starts_with("2026-01-15")),
        "{priced}"
    );
    assert_eq!(priced["referral"]["id"], second["id"]);
    assert_eq!(priced["partner"]["id"], json!(ann_id));

    // FirstPromoter's custom reward: a fixed amount for the partner, no referral.
    let reward = create(&env, seed::commission_firstpromoter_custom(&ann_id)).await;
    for (field, expected) in [
        ("commission_type", json!("custom")),
        ("status", json!("pending")),
        ("payout_status", json!("not_paid")),
        ("sale_amount", Value::Null),
        ("revenue_amount", Value::Null),
        ("rate", Value::Null),
        ("applied_rules", json!([])),
        ("rule_source", Value::Null),
        ("referral", Value::Null),
        ("payout", Value::Null),
        ("unit", json!("credits")),
        ("event_id", json!("evt_1QxCustomWebinar")),
        ("internal_note", json!("Webinar co-host bonus")),
        ("currency", json!("EUR")),
    ] {
        assert_eq!(reward[field], expected, "{field}: {reward}");
    }
    assert_eq!(num(&reward["amount"]), "25");
    assert_eq!(num(&reward["commission_amount"]), "25");
    assert_eq!(reward["partner"]["id"], json!(ann_id));

    let ids: HashSet<String> = [&promotekit, &priced, &reward]
        .into_iter()
        .map(id_of)
        .collect();
    assert_eq!(ids.len(), 3, "three distinct commissions");
    let (listed, envelope) = walk(&env, "").await;
    assert_eq!(envelope["entities"], json!("Commission"));
    assert_eq!(envelope["count"], json!(3));
    assert_eq!(listed.into_iter().collect::<HashSet<_>>(), ids);
}

// ---------------------------------------------------------------------------
// 2. Pricing precedence
// ---------------------------------------------------------------------------

fn pricing(c: &Value) -> (String, String, Value) {
    (num(&c["amount"]), num(&c["rate"]), c["rule_source"].clone())
}

fn priced_at(amount: &str, rate: &str, source: &str) -> (String, String, Value) {
    (amount.into(), rate.into(), json!(source))
}

#[tokio::test]
async fn the_partners_group_prices_a_sale_without_a_campaign() {
    let env = TestEnv::new().await;
    let performance = performance_group(&env).await;
    let ann = partner_in(&env, "ann", Some(&performance)).await;
    let referral = create_referral(
        &env,
        json!({"referral": {"email": "c@example.com", "partner_id": ann}}),
    )
    .await;
    let c = create(&env, sale(&id_of(&referral), "299.9", "evt_group")).await;
    // 12 % of 299.9 is 35.988, rounded half away from zero.
    assert_eq!(
        pricing(&c),
        priced_at("35.99", "12", "partner_group"),
        "{c}"
    );
    assert_eq!(num(&c["commission_amount"]), "35.99");
    assert_eq!(c["applied_rules"][0]["type"], json!("recurring"));
    assert_eq!(c["partner"]["campaign"], Value::Null);
}

#[tokio::test]
async fn the_default_group_prices_a_sale_for_a_partner_in_it() {
    let env = TestEnv::new().await;
    performance_group(&env).await;
    let ann = ann(&env).await;
    let referral = create_referral(
        &env,
        json!({"referral": {"email": "c@example.com", "partner_id": ann}}),
    )
    .await;
    let c = create(&env, sale(&id_of(&referral), "299.9", "evt_default")).await;
    assert_eq!(
        pricing(&c),
        priced_at("29.99", "10", "default_group"),
        "{c}"
    );
}

#[tokio::test]
async fn the_referrals_campaign_prices_a_sale_before_the_partners_group() {
    let env = TestEnv::new().await;
    let performance = performance_group(&env).await;
    let twenty = campaign(&env, twenty_percent()).await;
    let ann = partner_in(&env, "ann", Some(&performance)).await;

    // The campaign named on the referral.
    let through_campaign = create_referral(
        &env,
        json!({"referral": {"email": "c1@example.com", "partner_id": ann, "campaign_id": twenty}}),
    )
    .await;
    let c = create(
        &env,
        sale(&id_of(&through_campaign), "299.9", "evt_campaign_1"),
    )
    .await;
    assert_eq!(pricing(&c), priced_at("59.98", "20", "campaign"), "{c}");

    // The same partner's referral without a campaign is priced by the group.
    let plain = create_referral(
        &env,
        json!({"referral": {"email": "c2@example.com", "partner_id": ann}}),
    )
    .await;
    let c = create(&env, sale(&id_of(&plain), "299.9", "evt_campaign_2")).await;
    assert_eq!(
        pricing(&c),
        priced_at("35.99", "12", "partner_group"),
        "{c}"
    );

    // A partner who joined the campaign passes it on to the referrals credited to them.
    let mut body = seed::partner_create("bob");
    body["partner"]["group_id"] = json!(performance);
    body["partner"]["campaign_id"] = json!(twenty);
    let bob = id_of(&create_partner(&env, body).await);
    let inherited = customer(&env, "c3@example.com", "bob").await;
    let c = create(&env, sale(&inherited, "299.9", "evt_campaign_3")).await;
    assert_eq!(pricing(&c), priced_at("59.98", "20", "campaign"), "{c}");
    assert_eq!(c["partner"]["id"], json!(bob));
    assert_eq!(c["partner"]["campaign"]["id"], json!(twenty), "{c}");
    assert_eq!(num(&c["partner"]["campaign"]["commission_amount"]), "20");
}

#[tokio::test]
async fn a_campaign_without_a_commission_falls_through_to_the_groups() {
    let env = TestEnv::new().await;
    let performance = performance_group(&env).await;
    let silent = campaign(&env, json!({"campaign": {"name": "Silent"}})).await;
    let ann = partner_in(&env, "ann", Some(&performance)).await;
    let bob = partner_in(&env, "bob", None).await;
    for (partner, email, event, expected) in [
        (
            &ann,
            "c1@example.com",
            "evt_silent_ann",
            priced_at("35.99", "12", "partner_group"),
        ),
        (
            &bob,
            "c2@example.com",
            "evt_silent_bob",
            priced_at("29.99", "10", "default_group"),
        ),
    ] {
        let referral = create_referral(
            &env,
            json!({"referral": {"email": email, "partner_id": partner, "campaign_id": silent}}),
        )
        .await;
        assert_eq!(referral["campaign_id"], json!(silent));
        let c = create(&env, sale(&id_of(&referral), "299.9", event)).await;
        assert_eq!(pricing(&c), expected, "{c}");
    }
}

#[tokio::test]
async fn the_seed_time_tier_pays_25_percent_on_a_first_sale() {
    let env = TestEnv::new().await;
    create_group(
        &env,
        "Default",
        json!([
            {"type": "new_customer_time_tier", "max_months": 3, "percentage": 25},
            {"type": "recurring", "percentage": 10}
        ]),
    )
    .await;
    ann(&env).await;
    let referral = customer(&env, "c@example.com", "ann").await;
    let c = create(&env, sale(&referral, "299.9", "evt_tier")).await;
    // 25 % of 299.9 is 74.975: half away from zero gives 74.98.
    assert_eq!(
        pricing(&c),
        priced_at("74.98", "25", "default_group"),
        "{c}"
    );
    assert_eq!(
        c["applied_rules"][0]["type"],
        json!("new_customer_time_tier")
    );
}

// ---------------------------------------------------------------------------
// 3. Stored facts
// ---------------------------------------------------------------------------

#[tokio::test]
async fn the_first_paid_sale_acquires_the_customer() {
    let env = TestEnv::new().await;
    create_default_group(&env).await;
    ann(&env).await;
    let referral = customer(&env, "c@example.com", "ann").await;
    let acquired = |body: Value| body["referral"]["acquired_at"].clone();
    assert_eq!(
        acquired(env.get(&referral_path(&referral)).await.body),
        Value::Null
    );

    let mut first = sale(&referral, "299.9", "evt_first");
    first["commission"]["event_date"] = json!("2026-01-15");
    create(&env, first).await;
    let after_first = acquired(env.get(&referral_path(&referral)).await.body);
    assert!(
        after_first.is_string(),
        "the first sale sets acquired_at: {after_first}"
    );

    let mut second = sale(&referral, "299.9", "evt_second");
    second["commission"]["event_date"] = json!("2026-02-20");
    create(&env, second).await;
    assert_eq!(
        acquired(env.get(&referral_path(&referral)).await.body),
        after_first,
        "a later sale leaves acquired_at alone"
    );
}

#[tokio::test]
async fn partner_statistics_add_up_sales_and_count_each_customer_once() {
    let env = TestEnv::new().await;
    create_default_group(&env).await;
    let ann = ann(&env).await;
    let c1 = customer(&env, "c1@example.com", "ann").await;
    let c2 = customer(&env, "c2@example.com", "ann").await;
    assert_eq!(stats(&env, &ann).await, figures("0", "0", "0"));

    let s1 = create(&env, sale(&c1, "299.9", "evt_s1")).await;
    assert_eq!(num(&s1["amount"]), "29.99");
    assert_eq!(stats(&env, &ann).await, figures("299.9", "29.99", "1"));

    // 10 % of 49.95 is 4.995: half away from zero gives 5.00.
    let s2 = create(&env, sale(&c1, "49.95", "evt_s2")).await;
    assert_eq!(num(&s2["amount"]), "5");
    assert_eq!(
        stats(&env, &ann).await,
        figures("349.85", "34.99", "1"),
        "the same customer's second sale is not a new customer"
    );

    let s3 = create(&env, sale(&c2, "120.5", "evt_s3")).await;
    assert_eq!(num(&s3["amount"]), "12.05");
    assert_eq!(stats(&env, &ann).await, figures("470.35", "47.04", "2"));
}

#[tokio::test]
async fn the_first_payment_rule_pays_on_each_customers_first_sale_only() {
    let env = TestEnv::new().await;
    create_group(
        &env,
        "Default",
        json!([
            {"type": "first_payment", "percentage": 50},
            {"type": "recurring", "percentage": 10}
        ]),
    )
    .await;
    ann(&env).await;
    let c1 = customer(&env, "c1@example.com", "ann").await;
    let c2 = customer(&env, "c2@example.com", "ann").await;

    let first = create(&env, sale(&c1, "299.9", "evt_p1")).await;
    assert_eq!(
        pricing(&first),
        priced_at("149.95", "50", "default_group"),
        "{first}"
    );
    assert_eq!(first["applied_rules"][0]["type"], json!("first_payment"));

    let second = create(&env, sale(&c1, "299.9", "evt_p2")).await;
    assert_eq!(
        pricing(&second),
        priced_at("29.99", "10", "default_group"),
        "{second}"
    );
    assert_eq!(second["applied_rules"][0]["type"], json!("recurring"));

    let other = create(&env, sale(&c2, "299.9", "evt_p3")).await;
    assert_eq!(
        pricing(&other),
        priced_at("149.95", "50", "default_group"),
        "payment numbers count per customer: {other}"
    );
}

#[tokio::test]
async fn a_sale_from_the_partners_own_email_is_flagged_as_a_self_referral() {
    let env = TestEnv::new().await;
    create_default_group(&env).await;
    ann(&env).await;
    let own = customer(&env, "ANN@example.com", "ann").await;
    let other = customer(&env, "c@example.com", "ann").await;
    let flagged = create(&env, sale(&own, "299.9", "evt_own")).await;
    assert_eq!(
        (&flagged["is_self_referral"], &flagged["fraud_check"]),
        (&json!(true), &json!("same_promoter_email")),
        "{flagged}"
    );
    let clean = create(&env, sale(&other, "299.9", "evt_other")).await;
    assert_eq!(
        (&clean["is_self_referral"], &clean["fraud_check"]),
        (&json!(false), &json!("no_suspicion")),
        "{clean}"
    );
}

// ---------------------------------------------------------------------------
// 4. Replays
// ---------------------------------------------------------------------------

#[tokio::test]
async fn an_event_id_replayed_with_the_same_body_answers_the_original() {
    let env = TestEnv::new().await;
    create_default_group(&env).await;
    let ann = ann(&env).await;
    let referral = customer(&env, "c@example.com", "ann").await;
    let body = seed::commission_firstpromoter_sale(&referral);
    let original = create(&env, body.clone()).await;
    let figures_after = stats(&env, &ann).await;
    assert_eq!(figures_after, figures("299.9", "29.99", "1"));
    let items = env.item_count().await;

    for _ in 0..2 {
        let replay = env.post(COMMISSIONS, body.clone()).await;
        assert_eq!(replay.status, StatusCode::OK, "{:?}", replay.body);
        let replayed = &replay.body["commission"];
        for field in ["id", "amount", "sale_amount", "status", "created_at"] {
            assert_eq!(replayed[field], original[field], "{field}");
        }
    }
    assert_eq!(stats(&env, &ann).await, figures_after, "money counted once");
    assert_eq!(env.item_count().await, items, "nothing new was written");
    let (ids, envelope) = walk(&env, "").await;
    assert_eq!(
        (ids, &envelope["count"]),
        (vec![id_of(&original)], &json!(1))
    );
}

#[tokio::test]
async fn an_event_id_replayed_with_a_different_body_is_a_conflict() {
    let env = TestEnv::new().await;
    create_default_group(&env).await;
    let ann = ann(&env).await;
    let referral = customer(&env, "c@example.com", "ann").await;
    let body = seed::commission_firstpromoter_sale(&referral);
    let original = create(&env, body.clone()).await;
    let figures_after = stats(&env, &ann).await;
    let items = env.item_count().await;

    let mut more = body.clone();
    more["commission"]["sale_amount"] = json!(300);
    let mut renoted = body.clone();
    renoted["commission"]["internal_note"] = json!("Imported twice");
    for changed in [more, renoted] {
        let reply = env.post(COMMISSIONS, changed.clone()).await;
        assert_eq!(
            reply.status,
            StatusCode::CONFLICT,
            "{changed}: {:?}",
            reply.body
        );
        assert_eq!(reply.error_code(), "idempotency_conflict", "{changed}");
    }
    assert_eq!(env.item_count().await, items, "nothing was written");
    assert_eq!(stats(&env, &ann).await, figures_after);
    let kept = read_commission(&env, &id_of(&original)).await;
    assert_eq!(num(&kept["sale_amount"]), "299.9");
    assert_eq!(kept["internal_note"], original["internal_note"]);
    let (ids, _) = walk(&env, "").await;
    assert_eq!(ids, vec![id_of(&original)]);
}

#[tokio::test]
async fn a_stripe_payment_id_is_idempotent_like_an_event_id() {
    let env = TestEnv::new().await;
    create_default_group(&env).await;
    let ann = ann(&env).await;
    let referral = customer(&env, "c@example.com", "ann").await;
    let body = seed::commission_promotekit(&referral);
    let original = create(&env, body.clone()).await;
    let figures_after = stats(&env, &ann).await;
    assert_eq!(figures_after, figures("299.9", "59.98", "1"));
    let items = env.item_count().await;

    let replay = env.post(COMMISSIONS, body.clone()).await;
    assert_eq!(replay.status, StatusCode::OK, "{:?}", replay.body);
    assert_eq!(replay.body["commission"]["id"], original["id"]);
    assert_eq!(
        replay.body["commission"]["created_at"],
        original["created_at"]
    );

    let mut changed = body.clone();
    changed["commission"]["commission_amount"] = json!(60);
    let conflict = env.post(COMMISSIONS, changed).await;
    assert_eq!(conflict.status, StatusCode::CONFLICT, "{:?}", conflict.body);
    assert_eq!(conflict.error_code(), "idempotency_conflict");

    assert_eq!(env.item_count().await, items, "nothing was written");
    assert_eq!(stats(&env, &ann).await, figures_after, "money counted once");
    let (ids, envelope) = walk(&env, "").await;
    assert_eq!(
        (ids, &envelope["count"]),
        (vec![id_of(&original)], &json!(1))
    );
}

#[tokio::test]
async fn event_ids_belong_to_their_account() {
    let env = TestEnv::new().await;
    create_default_group(&env).await;
    ann(&env).await;
    let mine = customer(&env, "c@example.com", "ann").await;
    let a = create(&env, seed::commission_firstpromoter_sale(&mine)).await;

    // Account B, with its own group, partner and customer, sends the same event id.
    let as_b = |path: &'static str, body: Value| {
        env.call(Method::POST, path, Some(&env.key_b), Some(body))
    };
    let reply = as_b(
        GROUPS,
        json!({"partnerGroup": {"name": "Default", "rules": [{"type": "recurring", "percentage": 10}]}}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    let reply = as_b(PARTNERS, seed::partner_create("bea")).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    let reply = as_b(REFERRALS, seed::referral_create("c@example.com", "bea")).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    let theirs = id_of(&reply.body["referral"]);
    let b = as_b(COMMISSIONS, seed::commission_firstpromoter_sale(&theirs)).await;
    assert_eq!(b.status, StatusCode::CREATED, "{:?}", b.body);
    assert_ne!(b.body["commission"]["id"], a["id"]);
    assert_eq!(b.body["commission"]["referral"]["id"], json!(theirs));
}

// ---------------------------------------------------------------------------
// 5. Concurrency
// ---------------------------------------------------------------------------

#[tokio::test]
async fn twenty_concurrent_identical_creates_make_one_commission() {
    let env = TestEnv::new().await;
    create_default_group(&env).await;
    let ann = ann(&env).await;
    let referral = customer(&env, "c@example.com", "ann").await;
    let body = seed::commission_firstpromoter_sale(&referral);
    let replies = join_all((0..20).map(|_| env.post(COMMISSIONS, body.clone()))).await;

    for reply in &replies {
        assert!(
            reply.status == StatusCode::CREATED || reply.status == StatusCode::OK,
            "{:?}",
            reply
        );
    }
    let created = replies
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    assert_eq!(created, 1, "one create, the rest replays: {replies:?}");
    let ids: HashSet<String> = replies
        .iter()
        .map(|r| id_of(&r.body["commission"]))
        .collect();
    assert_eq!(ids.len(), 1, "{ids:?}");

    let (listed, envelope) = walk(&env, "").await;
    assert_eq!(envelope["count"], json!(1));
    assert_eq!(listed.into_iter().collect::<HashSet<_>>(), ids);
    assert_eq!(
        stats(&env, &ann).await,
        figures("299.9", "29.99", "1"),
        "the partner's statistics changed once"
    );
}

/// The whole commissions list is counted on several tally items, so that a
/// burst of sales of different partners does not queue on one; the count
/// read back is still exact.
#[tokio::test]
async fn concurrent_commissions_of_many_partners_are_counted_exactly_across_tally_items() {
    let env = TestEnv::new().await;
    create_default_group(&env).await;
    let mut partners = Vec::new();
    for name in ["ann", "bob", "cyd", "dee"] {
        partners.push(partner_in(&env, name, None).await);
    }
    let replies = join_all((0..40).map(|k| {
        let partner = &partners[k % partners.len()];
        env.post(COMMISSIONS, custom(partner, "1", &format!("evt_burst_{k}")))
    }))
    .await;
    for reply in &replies {
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    }
    let (ids, envelope) = walk(&env, "").await;
    assert_eq!((ids.len(), &envelope["count"]), (40, &json!(40)));
    let tally_items = env
        .items()
        .await
        .iter()
        .filter(|item| {
            item["sk"].as_s().is_ok_and(|sk| {
                sk == "TALLY#commissions" || sk.starts_with("TALLY#commissions#shard#")
            })
        })
        .count();
    assert!(
        tally_items > 1,
        "40 commissions counted on {tally_items} item(s)"
    );
}

#[tokio::test]
async fn concurrent_sales_of_one_customer_are_each_priced_and_counted_once() {
    let env = TestEnv::new().await;
    create_group(
        &env,
        "Default",
        json!([
            {"type": "first_payment", "percentage": 50},
            {"type": "recurring", "percentage": 10}
        ]),
    )
    .await;
    let ann = ann(&env).await;
    let referral = customer(&env, "c@example.com", "ann").await;
    let replies = join_all((0..5).map(|k| {
        env.post(
            COMMISSIONS,
            sale(&referral, "100", &format!("evt_race_{k}")),
        )
    }))
    .await;
    let mut amounts: Vec<String> = replies
        .iter()
        .map(|reply| {
            assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
            num(&reply.body["commission"]["amount"])
        })
        .collect();
    amounts.sort();
    assert_eq!(
        amounts,
        ["10", "10", "10", "10", "50"],
        "exactly one sale is the customer's first payment"
    );
    assert_eq!(
        stats(&env, &ann).await,
        figures("500", "90", "1"),
        "every sale counted once, the customer once"
    );
    let read = env.get(&referral_path(&referral)).await;
    assert!(
        read.body["referral"]["acquired_at"].is_string(),
        "{:?}",
        read.body
    );
}

#[tokio::test]
async fn a_partner_who_moved_groups_is_priced_by_the_new_group() {
    let env = TestEnv::new().await;
    let performance = performance_group(&env).await;
    let ann = ann(&env).await;
    let referral = customer(&env, "c@example.com", "ann").await;
    let before = create(&env, sale(&referral, "100", "evt_moved_1")).await;
    assert_eq!(pricing(&before), priced_at("10", "10", "default_group"));

    let moved = env
        .put(
            &partner_path(&ann),
            json!({"partner": {"group_id": performance}}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    let after = create(&env, sale(&referral, "100", "evt_moved_2")).await;
    assert_eq!(pricing(&after), priced_at("12", "12", "partner_group"));

    // That sale taught the referral the partner's new group: the next one
    // reads it with the partner again.
    env.counter.take();
    let next = create(&env, sale(&referral, "100", "evt_moved_3")).await;
    assert_eq!(pricing(&next), priced_at("12", "12", "partner_group"));
    assert_create_budget(&env.counter.take(), "after the move");
}

#[tokio::test]
async fn a_banned_partner_earns_nothing() {
    let env = TestEnv::new().await;
    create_default_group(&env).await;
    let ann = ann(&env).await;
    let referral = customer(&env, "c@example.com", "ann").await;
    let banned = env
        .call(
            Method::POST,
            &format!("/2026-02-01/partners/{ann}/ban.json"),
            Some(&env.key_a),
            None,
        )
        .await;
    assert_eq!(banned.status, StatusCode::OK, "{:?}", banned.body);
    let before = env.item_count().await;
    for (body, field) in [
        (
            sale(&referral, "100", "evt_banned_1"),
            "commission.referral_id",
        ),
        (custom(&ann, "25", "evt_banned_2"), "commission.partner_id"),
    ] {
        let reply = env.post(COMMISSIONS, body).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{:?}",
            reply.body
        );
        assert_eq!(reply.fields(), [field]);
        assert!(reply.message().contains("banned"), "{:?}", reply.body);
    }
    assert_eq!(env.item_count().await, before, "nothing was written");
    assert_eq!(stats(&env, &ann).await, figures("0", "0", "0"));
}

/// The partner `id`'s standing action (`ban`, `unban`), expecting 200.
async fn stand(env: &TestEnv, id: &str, action: &str) {
    let reply = env
        .call(
            Method::POST,
            &format!("/2026-02-01/partners/{id}/{action}.json"),
            Some(&env.key_a),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
}

/// A sale read before a ban or a move and committed after it: whichever
/// shard of the partner's statistics its commission goes to, the copy of the
/// standing and group that the partner write left there refuses it. Before
/// any such write no shard holds a copy and the sale counts; after an unban
/// every shard takes one, and the partner reads as the sum of them all.
#[tokio::test]
async fn a_sale_read_before_a_ban_or_a_move_credits_no_statistics_shard_after_it() {
    let env = TestEnv::new().await;
    let group = create_default_group(&env).await;
    let ann = ann(&env).await;
    let account = Id::parse(&env.account_a).unwrap();
    let (partner, group) = (Id::parse(&ann).unwrap(), Id::parse(&group).unwrap());
    let per_shard = || -> Vec<Id> {
        (0..PARTNER_STATS_SHARDS)
            .map(|shard| {
                std::iter::repeat_with(|| Id::generate(Utc::now()))
                    .find(|id| partner_stats::shard_of(id) == shard)
                    .unwrap()
            })
            .collect()
    };
    let credit_all = |commissions: Vec<Id>| {
        let (env, account, partner, group) = (&env, &account, &partner, &group);
        async move {
            let mut outcomes = Vec::new();
            for commission in &commissions {
                let credit = Credit {
                    commission,
                    unit: RewardUnit::Cash,
                    amount: Decimal::ONE,
                    sale_amount: Decimal::TEN,
                    new_customer: true,
                };
                let priced = Priced {
                    by_group: Some(group),
                    figures: None,
                };
                let writes =
                    partner_stats::credit(&env.store, account, partner, &credit, priced).unwrap();
                outcomes.push(match env.store.transact(writes).await {
                    Ok(()) => "credited",
                    Err(refused) if refused.failed_condition(0) => "refused",
                    Err(other) => panic!("{other}"),
                });
            }
            outcomes
        }
    };
    let every = |outcome| vec![outcome; usize::from(PARTNER_STATS_SHARDS)];

    assert_eq!(credit_all(per_shard()).await, every("credited"));
    assert_eq!(stats(&env, &ann).await, figures("40", "4", "4"));
    stand(&env, &ann, "ban").await;
    assert_eq!(credit_all(per_shard()).await, every("refused"));
    stand(&env, &ann, "unban").await;
    assert_eq!(credit_all(per_shard()).await, every("credited"));
    let other = create_group(
        &env,
        "Other",
        json!([{"type": "recurring", "percentage": 5}]),
    )
    .await;
    let moved = env
        .put(&partner_path(&ann), json!({"partner": {"group_id": other}}))
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    assert_eq!(
        credit_all(per_shard()).await,
        every("refused"),
        "priced by the group the partner left"
    );
    assert_eq!(stats(&env, &ann).await, figures("80", "8", "8"));
}

/// Sales priced from the partner's figures (an LTV upgrade from 250) land
/// on different shards of its statistics, yet each is priced with every sale
/// that committed before it: the first three at 10 %, the rest at 15 %.
#[tokio::test]
async fn concurrent_sales_priced_from_the_partners_figures_each_see_every_earlier_sale() {
    let env = TestEnv::new().await;
    create_group(
        &env,
        "Default",
        json!([
            {"type": "recurring", "percentage": 10},
            {"type": "partner_ltv_upgrade", "min_ltv_total": 250, "upgrade_percentage": 5}
        ]),
    )
    .await;
    let ann = ann(&env).await;
    let mut referrals = Vec::new();
    for k in 0..5 {
        referrals.push(customer(&env, &format!("c{k}@example.com"), "ann").await);
    }
    let replies = join_all(referrals.iter().enumerate().map(|(k, referral)| {
        env.post(
            COMMISSIONS,
            sale(referral, "100", &format!("evt_upgrade_{k}")),
        )
    }))
    .await;
    let mut amounts: Vec<String> = replies
        .iter()
        .map(|reply| {
            assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
            num(&reply.body["commission"]["amount"])
        })
        .collect();
    amounts.sort();
    assert_eq!(amounts, ["10", "10", "10", "15", "15"]);
    assert_eq!(stats(&env, &ann).await, figures("500", "60", "5"));
}

// ---------------------------------------------------------------------------
// 6. Lifecycle
// ---------------------------------------------------------------------------

#[tokio::test]
async fn approve_and_deny_move_a_pending_commission_and_refuse_the_rest() {
    let env = TestEnv::new().await;
    create_default_group(&env).await;
    ann(&env).await;
    let referral = customer(&env, "c@example.com", "ann").await;
    let ids = sales(&env, &referral, 3, "life").await;
    let (a, b, c) = (ids[0].as_str(), ids[1].as_str(), ids[2].as_str());
    let created = read_commission(&env, a).await;

    let approved = act(&env, a, "approve").await;
    assert_eq!(approved.status, StatusCode::OK, "{:?}", approved.body);
    let approved = approved.body["commission"].clone();
    assert_eq!(
        (&approved["id"], &approved["status"]),
        (&json!(a), &json!("approved"))
    );
    assert_eq!(approved["amount"], created["amount"]);
    assert!(timestamp(&approved["status_updated_at"]) >= timestamp(&created["status_updated_at"]));

    // Approving again is a no-op.
    let again = act(&env, a, "approve").await;
    assert_eq!(again.status, StatusCode::OK, "{:?}", again.body);
    assert_eq!(again.body["commission"]["status"], json!("approved"));
    assert_eq!(
        again.body["commission"]["status_updated_at"], approved["status_updated_at"],
        "nothing changed"
    );

    // An approved commission cannot be denied.
    let refused = act(&env, a, "deny").await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{:?}", refused.body);
    assert_eq!(refused.error_code(), "invalid_transition");

    let denied = act(&env, b, "deny").await;
    assert_eq!(denied.status, StatusCode::OK, "{:?}", denied.body);
    assert_eq!(denied.body["commission"]["status"], json!("denied"));
    assert!(
        timestamp(&denied.body["commission"]["status_updated_at"])
            >= timestamp(&created["status_updated_at"])
    );

    // Nothing leaves `denied`.
    let refused = act(&env, b, "approve").await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{:?}", refused.body);
    assert_eq!(refused.error_code(), "invalid_transition");

    for action in ["approve", "deny"] {
        let unknown = act(&env, NOWHERE, action).await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{:?}", unknown.body);
        assert_eq!(unknown.message(), "commission not found");
    }
    assert_eq!(
        statuses(&env, &[a, b, c]).await,
        ["approved", "denied", "pending"]
    );
    assert_eq!(read_commission(&env, a).await, approved, "the read agrees");
}

#[tokio::test]
async fn bulk_approve_and_deny_are_all_or_nothing() {
    let env = TestEnv::new().await;
    create_default_group(&env).await;
    ann(&env).await;
    let referral = customer(&env, "c@example.com", "ann").await;
    let ids = sales(&env, &referral, 7, "bulk").await;
    let [a, b, c, d, e, f, g] = [0, 1, 2, 3, 4, 5, 6].map(|i| ids[i].as_str());

    let reply = bulk(&env, BULK_APPROVE, &[a, b, c]).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(bulk_result(&reply), expected_bulk(&[a, b, c], "approved"));
    assert_eq!(
        statuses(&env, &[a, b, c, d]).await,
        ["approved", "approved", "approved", "pending"]
    );

    // One unknown id: 409 naming it, and the good ones stay pending.
    let reply = bulk(&env, BULK_APPROVE, &[d, e, NOWHERE]).await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{:?}", reply.body);
    assert_eq!(reply.error_code(), "invalid_transition");
    assert!(reply.message().contains(NOWHERE), "{:?}", reply.body);
    assert_eq!(statuses(&env, &[d, e]).await, ["pending", "pending"]);

    // One denied id: nothing changes.
    let denied = act(&env, f, "deny").await;
    assert_eq!(denied.status, StatusCode::OK, "{:?}", denied.body);
    let reply = bulk(&env, BULK_APPROVE, &[d, f]).await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{:?}", reply.body);
    assert_eq!(reply.error_code(), "invalid_transition");
    assert!(reply.message().contains(f), "{:?}", reply.body);
    assert_eq!(statuses(&env, &[d, f]).await, ["pending", "denied"]);

    // One approved id in a bulk deny: nothing changes.
    let reply = bulk(&env, BULK_DENY, &[d, a]).await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{:?}", reply.body);
    assert_eq!(reply.error_code(), "invalid_transition");
    assert!(reply.message().contains(a), "{:?}", reply.body);
    assert!(!reply.message().contains(d), "only the offender is named");
    assert_eq!(statuses(&env, &[d, a]).await, ["pending", "approved"]);

    let reply = bulk(&env, BULK_DENY, &[d, e]).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(bulk_result(&reply), expected_bulk(&[d, e], "denied"));
    assert_eq!(statuses(&env, &[d, e]).await, ["denied", "denied"]);

    // 1 to 100 distinct ids.
    let mut too_many: Vec<String> = (0..100u64).map(|n| format!("68f76721{n:016x}")).collect();
    too_many.push(g.to_string());
    let too_many: Vec<&str> = too_many.iter().map(String::as_str).collect();
    for (path, ids) in [
        (BULK_APPROVE, too_many.clone()),
        (BULK_DENY, too_many),
        (BULK_APPROVE, vec![]),
        (BULK_DENY, vec![]),
        (BULK_APPROVE, vec![g, g]),
    ] {
        let reply = bulk(&env, path, &ids).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path} with {} ids: {:?}",
            ids.len(),
            reply.body
        );
        assert_eq!(reply.fields(), ["ids"], "{path}");
    }
    assert_eq!(statuses(&env, &[g]).await, ["pending"]);
}

#[tokio::test]
async fn a_bulk_decision_takes_a_hundred_commissions_at_once() {
    let env = TestEnv::new().await;
    create_default_group(&env).await;
    let ann = ann(&env).await;
    let mut ids = Vec::with_capacity(100);
    for k in 0..100 {
        ids.push(id_of(
            &create(&env, custom(&ann, "1", &format!("evt_hundred_{k}"))).await,
        ));
    }
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let reply = bulk(&env, BULK_APPROVE, &ids).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(bulk_result(&reply), expected_bulk(&ids, "approved"));
    let (approved, envelope) = walk(&env, "status=approved").await;
    assert_eq!(envelope["count"], json!(100));
    assert_eq!(sorted_owned(approved), sorted(&ids));
}

// ---------------------------------------------------------------------------
// 7. Notes
// ---------------------------------------------------------------------------

#[tokio::test]
async fn an_update_sets_the_notes_and_nothing_else() {
    let env = TestEnv::new().await;
    create_default_group(&env).await;
    let ann = ann(&env).await;
    let referral = customer(&env, "c@example.com", "ann").await;
    let original = create(&env, sale(&referral, "299.9", "evt_notes")).await;
    assert_eq!(
        (&original["internal_note"], &original["external_note"]),
        (&Value::Null, &Value::Null)
    );
    let path = commission_path(&id_of(&original));

    let reply = env
        .put(
            &path,
            json!({"commission": {"internal_note": "checked", "external_note": "Thanks!"}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let noted = reply.body["commission"].clone();
    assert_eq!(
        (&noted["internal_note"], &noted["external_note"]),
        (&json!("checked"), &json!("Thanks!"))
    );
    for field in [
        "id",
        "amount",
        "sale_amount",
        "status",
        "created_at",
        "rate",
    ] {
        assert_eq!(noted[field], original[field], "{field} unchanged");
    }
    assert_eq!(read_commission(&env, &id_of(&original)).await, noted);

    let reply = env
        .put(
            &path,
            json!({"commission": {"external_note": "Paid with March"}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let renoted = reply.body["commission"].clone();
    assert_eq!(
        (&renoted["internal_note"], &renoted["external_note"]),
        (&json!("checked"), &json!("Paid with March")),
        "a note not named is kept"
    );

    for (name, value) in [
        ("amount", json!(1)),
        ("commission_amount", json!(1)),
        ("sale_amount", json!(5)),
        ("status", json!("approved")),
        ("payout_status", json!("paid")),
        ("partner_id", json!(ann)),
        ("event_id", json!("evt_other")),
        ("colour", json!("blue")),
    ] {
        let mut changes = json!({"internal_note": "sneaky"});
        changes[name] = value;
        let reply = env.put(&path, json!({ "commission": changes })).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name}: {:?}",
            reply.body
        );
        assert_eq!(reply.fields(), [format!("commission.{name}")], "{name}");
    }
    assert_eq!(
        read_commission(&env, &id_of(&original)).await,
        renoted,
        "refused updates changed nothing"
    );
    let unknown = env
        .put(
            &commission_path(NOWHERE),
            json!({"commission": {"internal_note": "x"}}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{:?}", unknown.body);
}

// ---------------------------------------------------------------------------
// 8. Lists
// ---------------------------------------------------------------------------

#[tokio::test]
async fn lists_filter_by_partner_status_payout_status_referral_and_date() {
    let env = TestEnv::new().await;
    let start = Utc::now() - Duration::seconds(2);
    create_default_group(&env).await;
    let ann = ann(&env).await;
    let bob = partner_in(&env, "bob", None).await;
    let r1 = customer(&env, "c1@example.com", "ann").await;
    let r2 = customer(&env, "c2@example.com", "ann").await;
    let r3 = customer(&env, "c3@example.com", "bob").await;
    let mut made = Vec::new();
    for (body, event) in [
        (sale(&r1, "100", "evt_l1"), "s1"),
        (sale(&r1, "200", "evt_l2"), "s2"),
        (sale(&r2, "300", "evt_l3"), "s3"),
        (sale(&r3, "400", "evt_l4"), "s4"),
        (sale(&r3, "500", "evt_l5"), "s5"),
        (custom(&bob, "10", "evt_l6"), "c6"),
    ] {
        made.push((event, id_of(&create(&env, body).await)));
    }
    let id = |name: &str| made.iter().find(|(n, _)| *n == name).unwrap().1.clone();
    let [s1, s2, s3, s4, s5, c6] = ["s1", "s2", "s3", "s4", "s5", "c6"].map(id);
    for (target, action) in [(&s1, "approve"), (&s4, "approve"), (&s5, "deny")] {
        let reply = act(&env, target, action).await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    }
    let everyone = [&*s1, &*s2, &*s3, &*s4, &*s5, &*c6];
    let later = Utc::now() + Duration::hours(1);
    let (start, later) = (rfc3339(start), rfc3339(later));

    for (query, expected) in [
        (String::new(), everyone.to_vec()),
        (format!("partner_id={ann}"), vec![&*s1, &*s2, &*s3]),
        (format!("partner_id={bob}"), vec![&*s4, &*s5, &*c6]),
        ("status=pending".into(), vec![&*s2, &*s3, &*c6]),
        ("status=approved".into(), vec![&*s1, &*s4]),
        ("status=denied".into(), vec![&*s5]),
        ("status=refunded".into(), vec![]),
        ("payout_status=not_paid".into(), everyone.to_vec()),
        ("payout_status=paid".into(), vec![]),
        (format!("referral_id={r1}"), vec![&*s1, &*s2]),
        (format!("referral_id={r2}"), vec![&*s3]),
        (format!("referral_id={r3}"), vec![&*s4, &*s5]),
        (format!("partner_id={ann}&status=approved"), vec![&*s1]),
        (format!("partner_id={bob}&status=pending"), vec![&*c6]),
        (format!("from={start}"), everyone.to_vec()),
        (format!("from={start}&to={later}"), everyone.to_vec()),
        (format!("to={start}"), vec![]),
        (format!("from={later}"), vec![]),
    ] {
        let (ids, envelope) = walk(&env, &format!("size=2&{query}")).await;
        let mut got = ids.clone();
        got.sort();
        assert_eq!(got, sorted(&expected), "{query}");
        assert_eq!(
            ids.len(),
            got.iter().collect::<HashSet<_>>().len(),
            "{query}: no repeats"
        );
        assert_eq!(envelope["count"], json!(expected.len()), "{query}");
        assert_eq!(envelope["entities"], json!("Commission"), "{query}");
        assert_eq!(envelope["per_page"], json!(2), "{query}");
    }

    // Approving moves a commission between the status lists and their counts.
    let reply = act(&env, &s2, "approve").await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let (approved, envelope) = walk(&env, "status=approved").await;
    assert_eq!(
        (sorted_owned(approved), &envelope["count"]),
        (sorted(&[&*s1, &*s2, &*s4]), &json!(3))
    );
    let (_, envelope) = walk(&env, "status=pending").await;
    assert_eq!(envelope["count"], json!(2));
}

fn sorted_owned(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

#[tokio::test]
async fn cursor_paging_walks_every_commission_once_in_creation_order() {
    let env = TestEnv::new().await;
    create_default_group(&env).await;
    let ann = ann(&env).await;
    let referral = customer(&env, "c@example.com", "ann").await;
    let created = sales(&env, &referral, 25, "page").await;
    let mut ascending = created.clone();
    ascending.sort();
    assert_eq!(created, ascending, "ids sort by creation time");

    for query in [
        "size=10".to_string(),
        format!("size=10&partner_id={ann}"),
        format!("size=10&referral_id={referral}"),
        "size=10&status=pending".to_string(),
    ] {
        let (ids, envelope) = walk(&env, &query).await;
        assert_eq!(ids, created, "{query}: every commission once, ascending");
        assert_eq!(envelope["count"], json!(25), "{query}");
        assert_eq!(envelope["per_page"], json!(10), "{query}");
        assert_eq!(envelope["pages"]["current"], json!(1), "{query}");
        assert_eq!(envelope["pages"]["max"], json!(3), "{query}");
    }

    // `page` without a cursor reaches the page the cursor leads to.
    let first = env.get(&format!("{COMMISSIONS}?size=10")).await;
    let cursor = first.body["pages"]["next_cursor"]
        .as_str()
        .expect("a next cursor")
        .to_string();
    let followed = env
        .get(&format!("{COMMISSIONS}?size=10&cursor={cursor}"))
        .await;
    let second = env.get(&format!("{COMMISSIONS}?size=10&page=2")).await;
    assert_eq!(followed.status, StatusCode::OK, "{:?}", followed.body);
    assert_eq!(followed.body["pages"]["current"], json!(2));
    assert_eq!(second.body["elements"], followed.body["elements"]);
    let last = env.get(&format!("{COMMISSIONS}?size=10&page=3")).await;
    assert_eq!(last.body["elements"].as_array().expect("elements").len(), 5);
    assert!(
        last.body["pages"].get("next_cursor").is_none(),
        "{:?}",
        last.body
    );
}

// ---------------------------------------------------------------------------
// 9. Access
// ---------------------------------------------------------------------------

#[tokio::test]
async fn every_route_checks_key_scope_and_tenant() {
    let env = TestEnv::new().await;
    create_default_group(&env).await;
    let ann = ann(&env).await;
    let referral = customer(&env, "c@example.com", "ann").await;
    let original = create(&env, sale(&referral, "299.9", "evt_access")).await;
    let id = id_of(&original);
    let item = commission_path(&id);
    let create_body = sale(&referral, "10", "evt_access_2");
    let routes = [
        Route::collection(Method::GET, COMMISSIONS, "commissions:read"),
        Route::collection(Method::POST, COMMISSIONS, "commissions:write")
            .with_body(create_body.clone()),
        Route::object(Method::GET, &item, "commissions:read"),
        Route::object(Method::PUT, &item, "commissions:write")
            .with_body(json!({"commission": {"internal_note": "checked"}})),
        Route::object(
            Method::POST,
            commission_action_path(&id, "approve"),
            "commissions:write",
        ),
        Route::object(
            Method::POST,
            commission_action_path(&id, "deny"),
            "commissions:write",
        ),
        Route::object(
            Method::POST,
            commission_action_path(&id, "fulfil"),
            "commissions:write",
        ),
        Route::collection(Method::POST, BULK_APPROVE, "commissions:write")
            .with_body(json!({"ids": [id]})),
        Route::collection(Method::POST, BULK_DENY, "commissions:write")
            .with_body(json!({"ids": [id]})),
    ];
    let wrong = env.key_with_scopes(&["partners:*"]).await;
    let read_only = env.key_with_scopes(&["commissions:read"]).await;
    let before = env.item_count().await;
    assert_keys_are_required(&env, &routes).await;
    assert_scopes_are_enforced(&env, &routes, &wrong, &read_only).await;
    assert_other_accounts_get_404(&env, &routes, "commission not found").await;

    // Account B cannot credit A's referral or partner.
    let as_b = |path: &'static str, body: Value| {
        env.call(Method::POST, path, Some(&env.key_b), Some(body))
    };
    let reply = as_b(COMMISSIONS, create_body).await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        reply.body
    );
    assert_eq!(reply.fields(), ["commission.referral_id"]);
    let reply = as_b(COMMISSIONS, custom(&ann, "25", "evt_access_3")).await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        reply.body
    );
    assert_eq!(reply.fields(), ["commission.partner_id"]);

    // Nor approve or deny A's commissions in bulk.
    for path in [BULK_APPROVE, BULK_DENY] {
        let reply = as_b(path, json!({"ids": [id]})).await;
        assert_eq!(
            reply.status,
            StatusCode::CONFLICT,
            "{path}: {:?}",
            reply.body
        );
        assert_eq!(reply.error_code(), "invalid_transition", "{path}");
        assert!(reply.message().contains(&id), "{path}: {:?}", reply.body);
    }

    assert_eq!(env.item_count().await, before, "nothing was written");
    let mine = read_commission(&env, &id).await;
    assert_eq!(mine, original, "A's commission is untouched");
    let (ids, _) = walk(&env, "").await;
    assert_eq!(ids, vec![id]);
}

// ---------------------------------------------------------------------------
// 10. Bad input
// ---------------------------------------------------------------------------

#[tokio::test]
async fn bad_input_names_the_field_and_writes_nothing() {
    let env = TestEnv::new().await;
    create_default_group(&env).await;
    let ann = ann(&env).await;
    let referral = customer(&env, "c@example.com", "ann").await;
    let before = env.item_count().await;

    let with = |mut body: Value, field: &str, value: Value| {
        body["commission"][field] = value;
        body
    };
    let without = |mut body: Value, field: &str| {
        body["commission"].as_object_mut().unwrap().remove(field);
        body
    };
    let good_sale = seed::commission_firstpromoter_sale(&referral);
    let good_custom = seed::commission_firstpromoter_custom(&ann);
    let promotekit = seed::commission_promotekit(&referral);
    let cases = [
        (
            with(good_sale.clone(), "sale_amount", json!(0)),
            "commission.sale_amount",
        ),
        (
            with(good_sale.clone(), "sale_amount", json!(-5)),
            "commission.sale_amount",
        ),
        (
            without(good_sale.clone(), "sale_amount"),
            "commission.sale_amount",
        ),
        (
            with(good_sale.clone(), "amount", json!(0)),
            "commission.amount",
        ),
        (
            with(promotekit.clone(), "commission_amount", json!(0)),
            "commission.commission_amount",
        ),
        (
            with(promotekit.clone(), "commission_amount", json!(-1)),
            "commission.commission_amount",
        ),
        (
            with(good_sale.clone(), "unit", json!("bitcoin")),
            "commission.unit",
        ),
        (
            with(good_sale.clone(), "billing_period", json!("weekly")),
            "commission.billing_period",
        ),
        (
            with(good_sale.clone(), "commission_type", json!("refund")),
            "commission.commission_type",
        ),
        (
            with(good_sale.clone(), "event_date", json!("yesterday")),
            "commission.event_date",
        ),
        (
            with(
                promotekit.clone(),
                "referral_date",
                json!("2026-13-01T00:00:00Z"),
            ),
            "commission.referral_date",
        ),
        (
            with(good_sale.clone(), "currency", json!("EURO")),
            "commission.currency",
        ),
        (
            without(good_sale.clone(), "referral_id"),
            "commission.referral_id",
        ),
        (
            with(good_sale.clone(), "referral_id", json!(NOWHERE)),
            "commission.referral_id",
        ),
        (
            without(good_custom.clone(), "partner_id"),
            "commission.partner_id",
        ),
        (
            with(good_custom.clone(), "partner_id", json!(NOWHERE)),
            "commission.partner_id",
        ),
        (without(good_custom.clone(), "amount"), "commission.amount"),
        (
            with(good_custom.clone(), "amount", json!(0)),
            "commission.amount",
        ),
        (
            with(good_custom.clone(), "amount", json!(-25)),
            "commission.amount",
        ),
        (
            with(good_sale.clone(), "coupon", json!("SPRING")),
            "commission.coupon",
        ),
        (json!({}), "commission"),
    ];
    env.assert_each_refused(Method::POST, COMMISSIONS, &env.key_a, &cases)
        .await;

    let malformed = env
        .send(
            Request::post(COMMISSIONS)
                .header("authorization", format!("Bearer {}", env.key_a))
                .header("content-type", "application/json")
                .body(Body::from("{\"commission\": "))
                .unwrap(),
        )
        .await;
    assert_eq!(
        malformed.status,
        StatusCode::BAD_REQUEST,
        "{:?}",
        malformed.body
    );

    for query in [
        "status=gone",
        "payout_status=maybe",
        "partner_id=nope",
        "referral_id=nope",
        "from=yesterday",
        "to=2026-02-30T00:00:00Z",
        "size=0",
        "size=101",
        "cursor=forged",
    ] {
        let reply = env.get(&format!("{COMMISSIONS}?{query}")).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {:?}",
            reply.body
        );
    }
    let unknown = env.get(&commission_path(NOWHERE)).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{:?}", unknown.body);
    assert_eq!(unknown.message(), "commission not found");
    assert_eq!(env.item_count().await, before, "nothing was written");
}

// ---------------------------------------------------------------------------
// 11. Request budget
// ---------------------------------------------------------------------------

/// At most two `BatchGetItem`s, exactly one `TransactWriteItems`, nothing else.
fn assert_create_budget(ops: &[String], what: &str) {
    let reads = ops.iter().filter(|op| *op == "BatchGetItem").count();
    let writes = ops.iter().filter(|op| *op == "TransactWriteItems").count();
    assert!(reads <= 2, "{what}: {ops:?}");
    assert_eq!(writes, 1, "{what}: {ops:?}");
    assert_eq!(reads + writes, ops.len(), "{what}: nothing else: {ops:?}");
}

#[tokio::test]
async fn a_priced_create_costs_two_reads_and_one_transaction() {
    let env = TestEnv::new().await;
    create_default_group(&env).await;
    let twenty = campaign(&env, twenty_percent()).await;
    ann(&env).await;
    let plain = customer(&env, "c1@example.com", "ann").await;
    let through_campaign = id_of(
        &create_referral(
            &env,
            json!({"referral": {"email": "c2@example.com", "code": "ann", "campaign_id": twenty}}),
        )
        .await,
    );

    env.counter.take();
    let c = create(&env, sale(&plain, "299.9", "evt_budget_1")).await;
    assert_eq!(pricing(&c), priced_at("29.99", "10", "default_group"));
    assert_create_budget(&env.counter.take(), "priced by the default group");

    let c = create(&env, sale(&through_campaign, "299.9", "evt_budget_2")).await;
    assert_eq!(pricing(&c), priced_at("59.98", "20", "campaign"));
    assert_create_budget(&env.counter.take(), "priced by the campaign");
}

#[tokio::test]
async fn a_get_is_one_request_and_a_list_page_at_most_two() {
    let env = TestEnv::new().await;
    create_default_group(&env).await;
    let ann = ann(&env).await;
    let referral = customer(&env, "c@example.com", "ann").await;
    let ids = sales(&env, &referral, 3, "budget").await;
    env.counter.take();

    let read = env.get(&commission_path(&ids[0])).await;
    assert_eq!(read.status, StatusCode::OK, "{:?}", read.body);
    assert_eq!(env.counter.take(), ["BatchGetItem"]);

    for query in [
        "size=2".to_string(),
        format!("size=2&partner_id={ann}"),
        format!("size=2&referral_id={referral}"),
    ] {
        let first = env.get(&format!("{COMMISSIONS}?{query}")).await;
        assert_eq!(first.status, StatusCode::OK, "{:?}", first.body);
        let ops = env.counter.take();
        assert!(ops.len() <= 2, "{query}: {ops:?}");
        let cursor = first.body["pages"]["next_cursor"]
            .as_str()
            .unwrap_or_else(|| panic!("{query}: a next cursor: {:?}", first.body))
            .to_string();
        let deep = env
            .get(&format!("{COMMISSIONS}?{query}&cursor={cursor}"))
            .await;
        assert_eq!(deep.status, StatusCode::OK, "{:?}", deep.body);
        let ops = env.counter.take();
        assert!(ops.len() <= 2, "{query}, second page: {ops:?}");
    }
}
