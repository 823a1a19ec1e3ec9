//! Currencies against the emulator: the account's base currency, sales in
//! other currencies converted at the reference rate of their date (kept on
//! the commission with what was paid), refunds at the sale's own rate, no
//! rate guessed, the base currency locked once commissions exist, the rates
//! resource (upload, in force, scopes), the shipped ECB snapshot read
//! through the ECB parser, and rewards in units other than
//! cash kept out of payouts and cash statistics.

use chrono::{Duration, NaiveDate, Utc};
use harness::access::{Route, assert_keys_are_required, assert_scopes_are_enforced};
use harness::app::workspace_root;
use harness::json::{exact, id_of, num};
use harness::objects::{
    create_default_group, create_partner, create_referral, read_commission, read_partner,
};
use harness::paths::{ACCOUNT, COMMISSIONS, PAYOUT_RUN, REFUNDS, SALES, commission_action_path};
use harness::{Reply, TestEnv, seed};
use http::{Method, StatusCode};
use partner_ledger_admin::load_fx_rates;
use serde_json::{Value, json};

const RATES: &str = "/2026-02-01/fx_rates.json";

fn rates_path(day: NaiveDate) -> String {
    format!("/2026-02-01/fx_rates/{day}.json")
}

/// A day some time back, so its rates may be uploaded and a sale dated on it.
fn days_ago(days: i64) -> NaiveDate {
    (Utc::now() - Duration::days(days)).date_naive()
}

async fn put_rates(env: &TestEnv, day: NaiveDate, rates: Value) -> Reply {
    env.put(
        &rates_path(day),
        json!({"fxRates": {"base": "EUR", "rates": rates}}),
    )
    .await
}

/// Publishes the bar's rates (one euro buys 1.0812 USD and 0.8512 GBP) for `day`.
async fn publish(env: &TestEnv, day: NaiveDate) {
    let reply = put_rates(
        env,
        day,
        json!({"USD": exact("1.0812"), "GBP": exact("0.8512")}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
}

/// A default group paying 10 %, Ann (link code `ann`) and one referred
/// customer; returns (partner id, referral id).
async fn ann_and_customer(env: &TestEnv) -> (String, String) {
    create_default_group(env).await;
    let partner = id_of(&create_partner(env, seed::partner_create("ann")).await);
    let referral = create_referral(env, seed::referral_create("c@example.com", "ann")).await;
    (partner, id_of(&referral))
}

/// A sale event for the referral, paid in `currency` on `day`.
fn sale_event(
    referral: &str,
    event_id: &str,
    amount: &str,
    currency: &str,
    day: NaiveDate,
) -> Value {
    json!({"event": {
        "event_id": event_id,
        "referral_id": referral,
        "amount": exact(amount),
        "currency": currency,
        "date": day.to_string(),
    }})
}

#[tokio::test]
async fn a_usd_sale_in_a_eur_account_converts_at_its_days_rate_and_a_full_refund_nets_to_zero() {
    let env = TestEnv::new().await;
    let (partner, referral) = ann_and_customer(&env).await;
    let day = days_ago(3);
    publish(&env, day).await;

    let reply = env
        .post(
            SALES,
            sale_event(&referral, "sale_usd", "299.90", "USD", day),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    let sale = &reply.body["event"]["commission"];
    assert_eq!(num(&sale["original_sale_amount"]), "299.9");
    assert_eq!(sale["original_sale_currency"], "USD");
    assert_eq!(num(&sale["fx_rate"]), "1.0812");
    assert_eq!(sale["fx_rate_date"], day.to_string());
    assert_eq!(
        num(&sale["sale_amount"]),
        "277.38",
        "299.90 / 1.0812, rounded once"
    );
    assert_eq!(num(&sale["amount"]), "27.74", "10 % of 277.38 EUR");
    assert_eq!(sale["currency"], "EUR");
    let figures = read_partner(&env, &partner).await;
    assert_eq!(num(&figures["ltv_total"]), "277.38");
    assert_eq!(num(&figures["commissions_total"]), "27.74");

    // A part refund in the currency paid, then the rest: exactly zero left.
    let refund = |event_id: &str, amount: &str| json!({"event": {"event_id": event_id, "sale_event_id": "sale_usd", "amount": exact(amount), "currency": "USD"}});
    let reply = env.post(REFUNDS, refund("refund_1", "100.01")).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    assert_eq!(
        num(&reply.body["event"]["commission"]["refunded_amount"]),
        "100.01"
    );
    let reply = env.post(REFUNDS, refund("refund_2", "199.89")).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    let refunded = read_commission(&env, &id_of(sale)).await;
    assert_eq!(num(&refunded["amount"]), "0");
    assert_eq!(refunded["status"], "refunded");
    assert_eq!(num(&refunded["refunded_amount"]), "299.9");
    let figures = read_partner(&env, &partner).await;
    assert_eq!(num(&figures["ltv_total"]), "0");
    assert_eq!(num(&figures["commissions_total"]), "0");

    // A refund in the account's currency of a USD sale is refused.
    let reply = env
        .post(
            REFUNDS,
            json!({"event": {"event_id": "refund_eur", "sale_event_id": "sale_usd", "amount": 1, "currency": "EUR"}}),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        reply.body
    );
    assert_eq!(reply.fields(), ["event.currency"]);
}

#[tokio::test]
async fn a_sale_without_a_usable_rate_is_a_retryable_conflict_and_writes_nothing() {
    let env = TestEnv::new().await;
    let (_, referral) = ann_and_customer(&env).await;
    let day = days_ago(20);
    // The rates of eight days before: one day too old. JPY is never quoted.
    publish(&env, day - Duration::days(8)).await;
    let before = env.item_count().await;
    for (event_id, currency) in [("sale_jpy", "JPY"), ("sale_usd", "USD")] {
        let reply = env
            .post(
                SALES,
                sale_event(&referral, event_id, "5000", currency, day),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CONFLICT, "{:?}", reply.body);
        assert_eq!(reply.error_code(), "fx_rate_unavailable");
        assert!(
            reply.message().contains(&day.to_string()),
            "{}",
            reply.message()
        );
    }
    let reply = env
        .post(
            COMMISSIONS,
            json!({"commission": {"referral_id": referral, "sale_amount": 5000, "currency": "JPY",
                "event_date": day.to_string(), "event_id": "evt_jpy"}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{:?}", reply.body);
    assert_eq!(reply.error_code(), "fx_rate_unavailable");
    assert_eq!(env.item_count().await, before, "nothing written");

    // Seven days before is still in force: the same USD sale now converts.
    publish(&env, day - Duration::days(7)).await;
    let reply = env
        .post(SALES, sale_event(&referral, "sale_usd", "5000", "USD", day))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    let sale = &reply.body["event"]["commission"];
    assert_eq!(sale["fx_rate_date"], (day - Duration::days(7)).to_string());
    assert_eq!(num(&sale["sale_amount"]), "4624.49", "5000 / 1.0812");
}

#[tokio::test]
async fn a_cross_rate_comes_from_one_publications_two_quotes() {
    let env = TestEnv::new().await;
    let reply = env
        .put(ACCOUNT, json!({"account": {"currency": "GBP"}}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let (partner, referral) = ann_and_customer(&env).await;
    let day = days_ago(2);
    publish(&env, day).await;
    let reply = env
        .post(
            COMMISSIONS,
            json!({"commission": {"referral_id": referral, "sale_amount": 108.12, "currency": "USD",
                "event_date": day.to_string(), "event_id": "evt_usd"}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    let sale = &reply.body["commission"];
    // 108.12 USD is 100 EUR is 85.12 GBP.
    assert_eq!(num(&sale["sale_amount"]), "85.12");
    assert_eq!(sale["currency"], "GBP");
    assert_eq!(num(&sale["amount"]), "8.51");
    assert_eq!(
        num(&read_partner(&env, &partner).await["ltv_total"]),
        "85.12"
    );
}

#[tokio::test]
async fn the_base_currency_is_locked_once_the_account_has_commissions() {
    let env = TestEnv::new().await;
    let reply = env
        .put(ACCOUNT, json!({"account": {"currency": "ZZZ"}}))
        .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        reply.body
    );
    assert!(reply.message().contains("ZZZ"), "{}", reply.message());
    let reply = env
        .put(ACCOUNT, json!({"account": {"currency": "USD"}}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let (partner, _) = ann_and_customer(&env).await;
    let reply = env
        .post(
            COMMISSIONS,
            json!({"commission": {"commission_type": "custom", "partner_id": partner, "amount": 5}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    assert_eq!(reply.body["commission"]["currency"], "USD");

    let reply = env
        .put(ACCOUNT, json!({"account": {"currency": "EUR"}}))
        .await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{:?}", reply.body);
    assert_eq!(reply.error_code(), "currency_locked");
    let reply = env
        .put(
            ACCOUNT,
            json!({"account": {"currency": "USD", "hold_days": 3}}),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "the same currency is no change: {:?}",
        reply.body
    );
    assert_eq!(reply.body["account"]["hold_days"], 3);

    // A custom commission is granted in the base currency only.
    let reply = env
        .post(
            COMMISSIONS,
            json!({"commission": {"commission_type": "custom", "partner_id": partner, "amount": 5, "currency": "EUR"}}),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        reply.body
    );
    assert_eq!(reply.fields(), ["commission.currency"]);
}

#[tokio::test]
async fn rates_are_uploaded_checked_and_read_as_in_force_for_seven_days() {
    let env = TestEnv::new().await;
    let day = days_ago(10);
    publish(&env, day).await;
    let reply = env
        .get(&format!("{RATES}?date={}", day + Duration::days(7)))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let rates = &reply.body["fxRates"];
    assert_eq!(rates["date"], day.to_string());
    assert_eq!(rates["base"], "EUR");
    assert_eq!(num(&rates["rates"]["USD"]), "1.0812");
    let reply = env
        .get(&format!("{RATES}?date={}", day + Duration::days(8)))
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{:?}", reply.body);
    let reply = env
        .get(&format!("{RATES}?date={}", day - Duration::days(1)))
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{:?}", reply.body);

    // A correction replaces the day; every account sees the same rates.
    let reply = put_rates(&env, day, json!({"USD": exact("1.0815")})).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let as_b = env
        .call(
            Method::GET,
            &format!("{RATES}?date={day}"),
            Some(&env.key_b),
            None,
        )
        .await;
    assert_eq!(as_b.status, StatusCode::OK, "{:?}", as_b.body);
    assert_eq!(num(&as_b.body["fxRates"]["rates"]["USD"]), "1.0815");
    assert!(as_b.body["fxRates"]["rates"]["GBP"].is_null());

    let before = env.item_count().await;
    let bad = [
        (
            rates_path(day),
            json!({"fxRates": {"base": "EUR", "rates": {"ZZZ": 1, "USD": 0, "EUR": 1}}}),
            vec![
                "fxRates.rates.EUR",
                "fxRates.rates.USD",
                "fxRates.rates.ZZZ",
            ],
        ),
        (
            rates_path(day),
            json!({"fxRates": {"base": "XXX", "rates": {"USD": 1}}}),
            vec!["fxRates.base"],
        ),
        (
            rates_path(day),
            json!({"fxRates": {"base": "EUR", "rates": {"USD": exact("1e400")}}}),
            vec!["fxRates.rates.USD"],
        ),
        (
            rates_path(day),
            json!({"fxRates": {"base": "EUR", "rates": {"USD": exact("1000000001"), "GBP": exact("0.0000001")}}}),
            vec!["fxRates.rates.GBP", "fxRates.rates.USD"],
        ),
        (
            format!("/2026-02-01/fx_rates/{}.json", days_ago(-3)),
            json!({"fxRates": {"base": "EUR", "rates": {"USD": 1}}}),
            vec!["date"],
        ),
        (
            "/2026-02-01/fx_rates/2026-02-30.json".to_string(),
            json!({"fxRates": {"base": "EUR", "rates": {"USD": 1}}}),
            vec!["date"],
        ),
    ];
    for (path, body, fields) in bad {
        let reply = env.put(&path, body).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {:?}",
            reply.body
        );
        assert_eq!(reply.fields(), fields, "{path}");
    }
    let reply = env.get(&format!("{RATES}?date=yesterday")).await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        reply.body
    );
    assert_eq!(reply.fields(), ["date"]);
    assert_eq!(env.item_count().await, before, "nothing written");
}

#[tokio::test]
async fn the_rates_routes_check_key_and_scope() {
    let env = TestEnv::new().await;
    let day = days_ago(1);
    publish(&env, day).await;
    let routes = [
        Route::collection(Method::GET, format!("{RATES}?date={day}"), "fx_rates:read"),
        Route::collection(Method::PUT, rates_path(day), "fx_rates:write")
            .with_body(json!({"fxRates": {"base": "EUR", "rates": {"USD": 1.0812}}})),
    ];
    let wrong = env.key_with_scopes(&["account:*"]).await;
    let read_only = env.key_with_scopes(&["fx_rates:read"]).await;
    assert_keys_are_required(&env, &routes).await;
    assert_scopes_are_enforced(&env, &routes, &wrong, &read_only).await;
}

#[tokio::test]
async fn rewards_in_other_units_stay_out_of_payouts_and_cash_totals_until_fulfilled() {
    let env = TestEnv::new().await;
    let (partner, _) = ann_and_customer(&env).await;
    let grant = |event_id: &str, amount: &str, unit: &str| {
        json!({"commission": {"commission_type": "custom", "partner_id": partner,
            "amount": exact(amount), "unit": unit, "event_id": event_id}})
    };
    let mut ids = Vec::new();
    for (event_id, amount, unit) in [
        ("cash", "60", "cash"),
        ("points", "500", "points"),
        ("months", "2", "free_months"),
    ] {
        let reply = env.post(COMMISSIONS, grant(event_id, amount, unit)).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
        ids.push(id_of(&reply.body["commission"]));
    }
    let figures = read_partner(&env, &partner).await;
    assert_eq!(num(&figures["commissions_total"]), "60");
    let totals = &figures["totals_by_unit"];
    assert_eq!(
        (
            num(&totals["cash"]),
            num(&totals["points"]),
            num(&totals["free_months"])
        ),
        ("60".into(), "500".into(), "2".into())
    );
    assert!(totals["credits"].is_null(), "{totals}");

    let reply = env.get(&format!("{COMMISSIONS}?unit=points")).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let listed: Vec<String> = reply.body["elements"]
        .as_array()
        .expect("data")
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(listed, [ids[1].clone()]);

    // Fulfilling waits for approval, and cash is never fulfilled by hand.
    let env = &env;
    let fulfil = |id: &str| {
        let path = commission_action_path(id, "fulfil");
        async move { env.call(Method::POST, &path, Some(&env.key_a), None).await }
    };
    let reply = fulfil(&ids[1]).await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{:?}", reply.body);
    let reply = env
        .post("/2026-02-01/commissions/approve.json", json!({"ids": ids}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let reply = fulfil(&ids[0]).await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{:?}", reply.body);
    assert_eq!(reply.error_code(), "not_fulfillable");

    let reply = env
        .call(Method::POST, PAYOUT_RUN, Some(&env.key_a), None)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(
        reply.body["payoutRun"]["commissions_paid"], 1,
        "{:?}",
        reply.body
    );
    let paid = read_commission(env, &ids[0]).await;
    assert_eq!(paid["payout_status"], "paid");
    for id in &ids[1..] {
        let waiting = read_commission(env, id).await;
        assert_eq!(
            (&waiting["status"], &waiting["payout_status"]),
            (&json!("approved"), &json!("not_paid"))
        );
    }

    let reply = fulfil(&ids[1]).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["commission"]["payout_status"], "fulfilled");
    let again = fulfil(&ids[1]).await;
    assert_eq!(
        again.status,
        StatusCode::OK,
        "fulfilling twice changes nothing: {:?}",
        again.body
    );
    assert_eq!(
        again.body["commission"]["updated_at"],
        reply.body["commission"]["updated_at"]
    );
    let reply = env
        .call(Method::POST, PAYOUT_RUN, Some(&env.key_a), None)
        .await;
    assert_eq!(
        reply.body["payoutRun"]["commissions_paid"], 0,
        "{:?}",
        reply.body
    );
    let reply = env
        .get(&format!(
            "{COMMISSIONS}?unit=points&payout_status=fulfilled"
        ))
        .await;
    assert_eq!(
        reply.body["elements"].as_array().map(Vec::len),
        Some(1),
        "{:?}",
        reply.body
    );
}

#[tokio::test]
async fn the_shipped_ecb_snapshot_loads_through_the_parser_and_prices_a_sale() {
    let env = TestEnv::new().await;
    let xml = std::fs::read_to_string(workspace_root().join("infra/local/ecb-rates.xml"))
        .expect("the snapshot");
    let days = load_fx_rates(&env.store, &xml).await.expect("loaded");
    let last = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    assert_eq!(days.last(), Some(&last));
    assert!(
        days.len() > 100,
        "a few months of business days: {}",
        days.len()
    );

    // Sunday the 22nd is priced by Friday the 20th's rates.
    let reply = env.get(&format!("{RATES}?date=2026-11-22")).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["fxRates"]["date"], "2026-11-20");
    assert_eq!(num(&reply.body["fxRates"]["rates"]["JPY"]), "162.45");
    let (_, referral) = ann_and_customer(&env).await;
    let reply = env
        .post(
            SALES,
            sale_event(&referral, "sale_usd", "299.90", "USD", last),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    let sale = &reply.body["event"]["commission"];
    assert_eq!(num(&sale["fx_rate"]), "1.0812");
    assert_eq!(num(&sale["amount"]), "27.74");
}
