//! Payment events against the emulator: Stripe deliveries shaped like real
//! events and signed with the documented scheme (and every way a signature
//! fails), sales becoming priced commissions once, refunds reducing or
//! clawing back, replays and reordering, subscription ends, the
//! billing-agnostic sale and refund events, access control, and a property
//! test over random delivery sequences asserting SPEC §4 invariants 1 and 2
//! and that partner statistics add up to their commissions.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use axum::Router;
use axum::body::Body;
use chrono::{Duration, Utc};
use futures::future::join_all;
use harness::iam::acting_as;
use harness::json::id_of;
use harness::objects::{
    self, create_default_group, create_group, create_partner, create_referral, read_commission,
    read_partner,
};
use harness::paths::{COMMISSIONS, REFUNDS, SALES, webhook_path};
use harness::stripe::{StripePayment, Version};
use harness::{Reply, TestEnv, seed};
use http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use ledger_core::model::Id;
use ledger_core::stripe::sign;
use ledger_store::{Key, accounts};
use ledger_telemetry::metrics::captured::Records;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tower::ServiceExt;

const SECRET: &str = "whsec_test_secret";

fn dec(value: &Value) -> Decimal {
    match value {
        Value::Number(n) => n.to_string().parse().expect("a decimal"),
        Value::Null => Decimal::ZERO,
        other => panic!("not a number: {other}"),
    }
}

fn d(text: &str) -> Decimal {
    text.parse().expect("a decimal")
}

/// Account A (in EUR) with a Stripe secret, today's reference rates, a
/// default group paying 10 % and the partner `handle`; the partner's id.
async fn program(env: &TestEnv, handle: &str) -> String {
    env.publish_rates(Utc::now().date_naive()).await;
    let account = Id::parse(&env.account_a).unwrap();
    accounts::set_stripe_webhook_secret(&env.store, &account, SECRET)
        .await
        .unwrap();
    create_default_group(env).await;
    partner(env, handle).await
}

async fn partner(env: &TestEnv, handle: &str) -> String {
    id_of(&create_partner(env, seed::partner_create(handle)).await)
}

/// A customer of the partner with link code `code`, known to Stripe as `customer`.
async fn referred(env: &TestEnv, code: &str, customer: &str) -> String {
    let mut body = seed::referral_create(&format!("{customer}@example.com"), code);
    body["referral"]["stripe_customer_id"] = json!(customer);
    id_of(&create_referral(env, body).await)
}

/// The subscription payment `invoice` seeds, as Stripe records it.
fn payment(invoice: &str, customer: &str, cents: i64) -> StripePayment {
    StripePayment::subscription(invoice, customer, cents, "eur", Utc::now().timestamp())
}

/// `invoice.paid` on a version whose invoices still name their payment.
fn invoice_paid(event: &str, invoice: &str, customer: &str, cents: i64) -> Value {
    payment(invoice, customer, cents).invoice_paid(Version::Acacia, event)
}

/// `charge.refunded` on a current version, its charge refunded `refunded` in all.
fn charge_refunded(event: &str, invoice: &str, customer: &str, cents: i64, refunded: i64) -> Value {
    let payment = payment(invoice, customer, cents);
    let refund = payment.refund_id(0);
    payment.charge_refunded(Version::Clover, event, &[(&refund, refunded)])
}

/// Sends `payload` to the webhook through `function`, signed by `signature`
/// (`None`: the documented scheme with the test secret, now).
async fn deliver_with(
    function: &Router,
    account: &str,
    payload: &[u8],
    signature: Option<String>,
) -> Reply {
    let mut request = Request::builder()
        .method(Method::POST)
        .uri(webhook_path(account))
        .header("content-type", "application/json");
    if let Some(signature) = signature {
        request = request.header("stripe-signature", signature);
    }
    let request = request.body(Body::from(payload.to_vec())).unwrap();
    let response = acting_as("payment-events", function.clone().oneshot(request))
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Reply { status, body }
}

async fn deliver(function: &Router, env: &TestEnv, event: &Value) -> Reply {
    let payload = event.to_string();
    let signature = sign(payload.as_bytes(), SECRET, Utc::now());
    deliver_with(
        function,
        &env.account_a,
        payload.as_bytes(),
        Some(signature),
    )
    .await
}

fn outcome(reply: &Reply) -> &str {
    reply.body["outcome"]
        .as_str()
        .or(reply.body["event"]["outcome"].as_str())
        .unwrap_or_default()
}

/// Every commission of the partner, by id.
async fn commissions_of(env: &TestEnv, partner: &str) -> Vec<Value> {
    let query = format!("partner_id={partner}&size=100");
    objects::walk(env, COMMISSIONS, &query).await.0
}

/// The partner's (`ltv_total`, `commissions_total`).
async fn stats(env: &TestEnv, partner: &str) -> (Decimal, Decimal) {
    let p = read_partner(env, partner).await;
    (dec(&p["ltv_total"]), dec(&p["commissions_total"]))
}

/// Marks a commission paid straight in the table, as a payout would.
async fn mark_paid(env: &TestEnv, commission: &str) {
    let key = Key::commission(
        &Id::parse(&env.account_a).unwrap(),
        &Id::parse(commission).unwrap(),
    );
    env.store
        .client()
        .update_item()
        .table_name(env.store.table())
        .set_key(Some(key.item_key()))
        .update_expression("SET payout_status = :paid, payout_id = :payout")
        .expression_attribute_values(":paid", AttributeValue::S("paid".into()))
        .expression_attribute_values(
            ":payout",
            AttributeValue::S(Id::generate(Utc::now()).to_string()),
        )
        .condition_expression("attribute_exists(pk)")
        .send()
        .await
        .expect("the commission exists");
}

// ---------------------------------------------------------------------------
// Stripe: signatures
// ---------------------------------------------------------------------------

#[tokio::test]
async fn every_signature_failure_is_a_400_that_writes_nothing() {
    let env = TestEnv::new().await;
    let code_partner = program(&env, "ann").await;
    referred(&env, "ann", "cus_sig").await;
    let function = payment_events::router(env.store.clone());
    let payload = invoice_paid("evt_sig", "in_sig", "cus_sig", 10_000).to_string();
    let bytes = payload.as_bytes();
    let now = Utc::now();
    let good = sign(bytes, SECRET, now);
    let t = now.timestamp();
    let v1 = good.split_once(",v1=").unwrap().1.to_string();
    let before = env.item_count().await;
    let cases: Vec<(&str, Option<String>, Vec<u8>)> = vec![
        ("missing header", None, bytes.to_vec()),
        ("no v1", Some(format!("t={t}")), bytes.to_vec()),
        ("no timestamp", Some(format!("v1={v1}")), bytes.to_vec()),
        ("not hex", Some(format!("t={t},v1=zz")), bytes.to_vec()),
        (
            "older than 300 s",
            Some(sign(bytes, SECRET, now - Duration::seconds(301))),
            bytes.to_vec(),
        ),
        (
            // Well past the edge (the unit tests hold the exact 300 s one):
            // the cases before it may take seconds under injected faults.
            "from the future",
            Some(sign(bytes, SECRET, now + Duration::seconds(360))),
            bytes.to_vec(),
        ),
        (
            "another secret",
            Some(sign(bytes, "whsec_other", now)),
            bytes.to_vec(),
        ),
        (
            "tampered body",
            Some(good.clone()),
            payload.replace("10000", "99999").into_bytes(),
        ),
        (
            "timestamp moved",
            Some(format!("t={},v1={v1}", t - 1)),
            bytes.to_vec(),
        ),
    ];
    for (case, signature, body) in cases {
        let reply = deliver_with(&function, &env.account_a, &body, signature).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{case}: {:?}",
            reply.body
        );
        assert_eq!(
            reply.body["error"]["message"],
            json!(
                "the delivery could not be verified: check the endpoint URL and its signing secret"
            ),
            "{case}: one answer for every unverifiable delivery"
        );
    }
    let other_account = deliver_with(&function, &env.account_b, bytes, Some(good.clone())).await;
    assert_eq!(
        other_account.status,
        StatusCode::BAD_REQUEST,
        "account B has no secret: {:?}",
        other_account.body
    );
    assert_eq!(
        env.item_count().await,
        before,
        "no failed delivery wrote anything"
    );
    assert!(commissions_of(&env, &code_partner).await.is_empty());

    let rolled = format!("t={t},v1={},v1={v1}", "ab".repeat(32));
    let reply = deliver_with(&function, &env.account_a, bytes, Some(rolled)).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "any matching v1 signs: {:?}",
        reply.body
    );
    assert_eq!(outcome(&reply), "recorded");
}

#[tokio::test]
async fn a_rolled_secret_takes_effect_on_the_next_delivery() {
    let env = TestEnv::new().await;
    program(&env, "ann").await;
    referred(&env, "ann", "cus_roll").await;
    let function = payment_events::router(env.store.clone());
    let first = deliver(
        &function,
        &env,
        &invoice_paid("evt_r1", "in_r1", "cus_roll", 5_000),
    )
    .await;
    assert_eq!(first.status, StatusCode::OK, "{:?}", first.body);

    let account = Id::parse(&env.account_a).unwrap();
    accounts::set_stripe_webhook_secret(&env.store, &account, "whsec_rolled")
        .await
        .unwrap();
    let signed_with = |secret: &str, event: &str, invoice: &str| {
        let payload = invoice_paid(event, invoice, "cus_roll", 5_000).to_string();
        let signature = sign(payload.as_bytes(), secret, Utc::now());
        (payload, signature)
    };
    let (payload, signature) = signed_with("whsec_rolled", "evt_r2", "in_r2");
    let fresh = deliver_with(
        &function,
        &env.account_a,
        payload.as_bytes(),
        Some(signature),
    )
    .await;
    assert_eq!(
        fresh.status,
        StatusCode::OK,
        "the new secret signs at once, though the container remembered the old one: {:?}",
        fresh.body
    );
    assert_eq!(outcome(&fresh), "recorded");

    let before = env.item_count().await;
    let (payload, signature) = signed_with(SECRET, "evt_r3", "in_r3");
    let stale = deliver_with(
        &function,
        &env.account_a,
        payload.as_bytes(),
        Some(signature),
    )
    .await;
    assert_eq!(
        stale.status,
        StatusCode::BAD_REQUEST,
        "the old secret no longer signs: {:?}",
        stale.body
    );
    assert_eq!(env.item_count().await, before);
}

// ---------------------------------------------------------------------------
// Stripe: sales, refunds, subscriptions
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_paid_invoice_becomes_one_priced_commission() {
    let env = TestEnv::new().await;
    let ann = program(&env, "ann").await;
    let referral = referred(&env, "ann", "cus_inv").await;
    let function = payment_events::router(env.store.clone());
    let (records, _capture) = Records::capture();
    let paid = invoice_paid("evt_inv", "in_inv", "cus_inv", 29_990);

    let reply = deliver(&function, &env, &paid).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body, json!({"received": true, "outcome": "recorded"}));
    let all = commissions_of(&env, &ann).await;
    assert_eq!(all.len(), 1);
    let c = &all[0];
    assert_eq!(c["referral_id"], json!(referral));
    let stripe_payment = payment("in_inv", "cus_inv", 29_990);
    assert_eq!(
        c["stripe_payment_id"],
        json!(stripe_payment.payment_intent),
        "a payment is known by its payment intent"
    );
    assert_eq!(c["event_id"], json!("evt_inv"));
    assert_eq!(c["rule_source"], json!("default_group"));
    assert_eq!(
        (dec(&c["sale_amount"]), dec(&c["amount"])),
        (d("299.90"), d("29.99"))
    );
    assert_eq!(c["status"], json!("pending"));

    let items = env.item_count().await;
    let again = deliver(&function, &env, &paid).await;
    assert_eq!(again.body["outcome"], json!("replayed"), "{:?}", again.body);
    let mut same_invoice = invoice_paid("evt_inv_retry", "in_inv", "cus_inv", 29_990);
    same_invoice["data"]["object"]["amount_paid"] = json!(1);
    let other_event = deliver(&function, &env, &same_invoice).await;
    assert_eq!(
        other_event.body["outcome"],
        json!("replayed"),
        "the invoice is the business key"
    );
    for (version, its_event) in [
        (
            Version::Acacia,
            stripe_payment.charge_succeeded(Version::Acacia, "evt_ch_old"),
        ),
        (
            Version::Clover,
            stripe_payment.charge_succeeded(Version::Clover, "evt_ch"),
        ),
        (
            Version::Clover,
            stripe_payment.payment_intent_succeeded(Version::Clover, "evt_pi"),
        ),
    ] {
        let reply = deliver(&function, &env, &its_event).await;
        assert_eq!(
            reply.body["outcome"],
            json!("replayed"),
            "{version:?}: the invoice's own payment is no second sale: {:?}",
            reply.body
        );
    }
    assert_eq!(env.item_count().await, items, "replays wrote nothing");
    assert_eq!(stats(&env, &ann).await, (d("299.90"), d("29.99")));

    let stranger = deliver(
        &function,
        &env,
        &invoice_paid("evt_x", "in_x", "cus_stranger", 5_000),
    )
    .await;
    assert_eq!(stranger.status, StatusCode::OK);
    assert_eq!(stranger.body["outcome"], json!("not_referred"));
    let unknown = deliver(
        &function,
        &env,
        &json!({"id": "evt_u", "type": "customer.created", "data": {"object": {"id": "cus_new"}}}),
    )
    .await;
    assert_eq!(unknown.body["outcome"], json!("ignored"));
    assert_eq!(env.item_count().await, items);

    let records = records.lines();
    let mut outcomes: HashMap<String, u64> = HashMap::new();
    for webhook in records.iter().filter(|r| r.get("StripeWebhooks").is_some()) {
        *outcomes
            .entry(webhook["Outcome"].as_str().expect("an outcome").to_string())
            .or_default() += webhook["StripeWebhooks"].as_u64().expect("a count");
    }
    let expected = [
        ("recorded", 1),
        ("replayed", 5),
        ("not_referred", 1),
        ("ignored", 1),
    ];
    assert_eq!(
        outcomes,
        expected.map(|(o, n)| (o.to_string(), n)).into(),
        "one webhook record per delivery, under its outcome"
    );
    let created: Vec<_> = records
        .iter()
        .filter(|r| r.get("CommissionsCreated").is_some())
        .collect();
    assert_eq!(created.len(), 1, "{created:?}");
    assert_eq!(
        (&created[0]["Source"], &created[0]["Currency"]),
        (&json!("Stripe"), &json!("EUR"))
    );
    assert_eq!(created[0]["CommissionAmount"].as_f64(), Some(29.99));
}

#[tokio::test]
async fn a_current_invoice_and_its_invoice_payment_make_one_sale_in_either_order() {
    let env = TestEnv::new().await;
    let ann = program(&env, "ann").await;
    referred(&env, "ann", "cus_basil").await;
    let function = payment_events::router(env.store.clone());
    for (n, invoice_first) in [(1, true), (2, false)] {
        let stripe_payment = payment(&format!("in_basil_{n}"), "cus_basil", 10_000 * n);
        let invoice = stripe_payment.invoice_paid(Version::Clover, &format!("evt_in_{n}"));
        let link = stripe_payment
            .invoice_payment_paid(Version::Clover, &format!("evt_inpay_{n}"))
            .expect("clover has invoice payments");
        let (first, second) = if invoice_first {
            (invoice, link)
        } else {
            (link, invoice)
        };
        let half = deliver(&function, &env, &first).await;
        assert_eq!(half.body["outcome"], json!("linked"), "{:?}", half.body);
        assert_eq!(
            deliver(&function, &env, &first).await.body["outcome"],
            json!("linked"),
            "a replayed half changes nothing"
        );
        let both = deliver(&function, &env, &second).await;
        assert_eq!(both.body["outcome"], json!("recorded"), "{:?}", both.body);
        for again in [
            second,
            stripe_payment.charge_succeeded(Version::Clover, &format!("evt_ch_{n}")),
            stripe_payment.payment_intent_succeeded(Version::Basil, &format!("evt_pi_{n}")),
        ] {
            let reply = deliver(&function, &env, &again).await;
            assert_eq!(reply.body["outcome"], json!("replayed"), "{:?}", reply.body);
        }
        let sales: Vec<Value> = commissions_of(&env, &ann)
            .await
            .into_iter()
            .filter(|c| c["stripe_payment_id"] == json!(stripe_payment.payment_intent))
            .collect();
        assert_eq!(sales.len(), 1, "invoice first: {invoice_first}");
        assert_eq!(dec(&sales[0]["sale_amount"]), Decimal::new(10_000 * n, 2));
    }
}

#[tokio::test]
async fn a_standalone_charge_is_a_sale_and_a_guest_charge_is_not() {
    let env = TestEnv::new().await;
    let ann = program(&env, "ann").await;
    referred(&env, "ann", "cus_ch").await;
    let function = payment_events::router(env.store.clone());
    let charge = |event: &str, customer: Value| {
        json!({
            "id": event, "type": "charge.succeeded", "created": Utc::now().timestamp(),
            "api_version": Version::Clover.as_str(),
            "data": {"object": {"id": format!("ch_{event}"), "object": "charge", "customer": customer,
                "amount": 1_000, "amount_refunded": 0, "currency": "usd",
                "created": Utc::now().timestamp(), "payment_intent": null}}
        })
    };
    let reply = deliver(&function, &env, &charge("evt_c1", json!("cus_ch"))).await;
    assert_eq!(reply.body["outcome"], json!("recorded"), "{:?}", reply.body);
    let guest = deliver(&function, &env, &charge("evt_c2", Value::Null)).await;
    assert_eq!(guest.body["outcome"], json!("ignored"));
    let all = commissions_of(&env, &ann).await;
    assert_eq!(all.len(), 1);
    // 10.00 USD is 9.25 EUR at 1.0812, of which 10 % is 0.93 EUR.
    assert_eq!(
        (
            all[0]["currency"].clone(),
            dec(&all[0]["sale_amount"]),
            dec(&all[0]["amount"])
        ),
        (json!("EUR"), d("9.25"), d("0.93"))
    );
    assert_eq!(all[0]["original_sale_currency"], json!("USD"));
    assert_eq!(all[0]["stripe_payment_id"], json!("ch_evt_c1"));
}

#[tokio::test]
async fn refunds_reduce_an_unpaid_commission_to_its_share_and_a_full_one_refunds_it() {
    let env = TestEnv::new().await;
    let ann = program(&env, "ann").await;
    referred(&env, "ann", "cus_ref").await;
    let function = payment_events::router(env.store.clone());
    deliver(
        &function,
        &env,
        &invoice_paid("evt_s", "in_s", "cus_ref", 29_990),
    )
    .await;
    let id = commissions_of(&env, &ann).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let partial = deliver(
        &function,
        &env,
        &charge_refunded("evt_p", "in_s", "cus_ref", 29_990, 10_000),
    )
    .await;
    assert_eq!(
        partial.body["outcome"],
        json!("recorded"),
        "{:?}",
        partial.body
    );
    let c = read_commission(&env, &id).await;
    assert_eq!(
        (
            dec(&c["amount"]),
            dec(&c["refunded_amount"]),
            dec(&c["earned_amount"])
        ),
        (d("19.99"), d("100.00"), d("29.99")),
        "29.99 × (1 − 100/299.90) = 19.99"
    );
    assert_eq!(c["status"], json!("pending"));
    assert_eq!(stats(&env, &ann).await, (d("199.90"), d("19.99")));

    let items = env.item_count().await;
    let replay = deliver(
        &function,
        &env,
        &charge_refunded("evt_p", "in_s", "cus_ref", 29_990, 10_000),
    )
    .await;
    assert_eq!(replay.body["outcome"], json!("replayed"));
    let same_total = deliver(
        &function,
        &env,
        &charge_refunded("evt_p2", "in_s", "cus_ref", 29_990, 10_000),
    )
    .await;
    assert_eq!(
        same_total.body["outcome"],
        json!("replayed"),
        "the charge's refunded total is the business key"
    );
    assert_eq!(env.item_count().await, items);

    let full = deliver(
        &function,
        &env,
        &charge_refunded("evt_f", "in_s", "cus_ref", 29_990, 29_990),
    )
    .await;
    assert_eq!(full.body["outcome"], json!("recorded"));
    let late = deliver(
        &function,
        &env,
        &charge_refunded("evt_late", "in_s", "cus_ref", 29_990, 5_000),
    )
    .await;
    assert_eq!(
        late.body["outcome"],
        json!("nothing_to_reverse"),
        "an older total arriving late reverses nothing"
    );
    let c = read_commission(&env, &id).await;
    assert_eq!(
        (dec(&c["amount"]), c["status"].clone()),
        (d("0"), json!("refunded"))
    );
    assert_eq!(
        stats(&env, &ann).await,
        (d("0"), d("0")),
        "a full refund nets to zero"
    );
    let refunded = env.get(&format!("{COMMISSIONS}?status=refunded")).await;
    assert_eq!(
        refunded.body["elements"][0]["id"],
        json!(id),
        "the status list moved"
    );
}

#[tokio::test]
async fn a_refund_after_the_payout_claws_back_the_increase() {
    let env = TestEnv::new().await;
    let ann = program(&env, "ann").await;
    referred(&env, "ann", "cus_paid").await;
    let function = payment_events::router(env.store.clone());
    deliver(
        &function,
        &env,
        &invoice_paid("evt_s", "in_p", "cus_paid", 20_000),
    )
    .await;
    let id = commissions_of(&env, &ann).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    mark_paid(&env, &id).await;

    let partial = deliver(
        &function,
        &env,
        &charge_refunded("evt_1", "in_p", "cus_paid", 20_000, 5_000),
    )
    .await;
    assert_eq!(
        partial.body["outcome"],
        json!("recorded"),
        "{:?}",
        partial.body
    );
    let full = deliver(
        &function,
        &env,
        &charge_refunded("evt_2", "in_p", "cus_paid", 20_000, 20_000),
    )
    .await;
    assert_eq!(full.body["outcome"], json!("recorded"));
    let again = deliver(
        &function,
        &env,
        &charge_refunded("evt_2", "in_p", "cus_paid", 20_000, 20_000),
    )
    .await;
    assert_eq!(again.body["outcome"], json!("replayed"));

    let all = commissions_of(&env, &ann).await;
    let original = all.iter().find(|c| c["id"] == json!(id)).unwrap();
    assert_eq!(
        (
            dec(&original["amount"]),
            original["payout_status"].clone(),
            dec(&original["refunded_amount"])
        ),
        (d("20.00"), json!("paid"), d("200.00")),
        "a paid commission keeps what was paid"
    );
    let mut clawbacks: Vec<(Decimal, Value, Value)> = all
        .iter()
        .filter(|c| c["commission_type"] == json!("clawback"))
        .map(|c| {
            (
                dec(&c["amount"]),
                c["clawback_of"].clone(),
                c["status"].clone(),
            )
        })
        .collect();
    clawbacks.sort_by_key(|c| c.0);
    assert_eq!(
        clawbacks,
        [
            (d("-15.00"), json!(id), json!("approved")),
            (d("-5.00"), json!(id), json!("approved")),
        ],
        "one clawback per refund, each the increase only, ready for the next payout to net"
    );
    assert_eq!(stats(&env, &ann).await, (d("0"), d("0")));
}

#[tokio::test]
async fn a_refund_before_its_sale_is_retryable_and_lands_once_the_sale_does() {
    let env = TestEnv::new().await;
    let ann = program(&env, "ann").await;
    referred(&env, "ann", "cus_ooo").await;
    let function = payment_events::router(env.store.clone());
    let refund = charge_refunded("evt_early", "in_o", "cus_ooo", 10_000, 10_000);
    let items = env.item_count().await;
    let early = deliver(&function, &env, &refund).await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{:?}", early.body);
    assert_eq!(early.body["error"]["code"], json!("sale_not_recorded"));
    assert_eq!(
        env.item_count().await,
        items,
        "nothing written, nothing dropped: Stripe sends it again"
    );

    let stranger = deliver(
        &function,
        &env,
        &charge_refunded("evt_s", "in_z", "cus_nobody", 100, 100),
    )
    .await;
    assert_eq!(
        stranger.body["outcome"],
        json!("not_referred"),
        "a customer nobody referred is not retried"
    );

    deliver(
        &function,
        &env,
        &invoice_paid("evt_sale", "in_o", "cus_ooo", 10_000),
    )
    .await;
    let redelivered = deliver(&function, &env, &refund).await;
    assert_eq!(
        redelivered.body["outcome"],
        json!("recorded"),
        "{:?}",
        redelivered.body
    );
    let c = &commissions_of(&env, &ann).await[0];
    assert_eq!(
        (c["status"].clone(), dec(&c["amount"])),
        (json!("refunded"), d("0"))
    );
}

#[tokio::test]
async fn a_deleted_subscription_cancels_the_referral() {
    let env = TestEnv::new().await;
    program(&env, "ann").await;
    let referral = referred(&env, "ann", "cus_sub").await;
    let function = payment_events::router(env.store.clone());
    let deleted = json!({
        "id": "evt_del", "type": "customer.subscription.deleted", "created": Utc::now().timestamp(),
        "api_version": Version::Basil.as_str(),
        "data": {"object": {"id": "sub_1", "object": "subscription", "customer": "cus_sub", "status": "canceled"}}
    });
    let reply = deliver(&function, &env, &deleted).await;
    assert_eq!(reply.body["outcome"], json!("recorded"), "{:?}", reply.body);
    let r = env
        .get(&format!("/2026-02-01/referrals/{referral}.json"))
        .await;
    assert_eq!(r.body["referral"]["subscription_status"], json!("canceled"));
    let again = deliver(&function, &env, &deleted).await;
    assert_eq!(again.body["outcome"], json!("replayed"));
}

// ---------------------------------------------------------------------------
// Billing-agnostic sale and refund events
// ---------------------------------------------------------------------------

fn sale_by(field: &str, value: &str, event: &str, amount: &str) -> Value {
    let mut body = json!({"event": {"event_id": event, "amount": serde_json::from_str::<Value>(amount).unwrap()}});
    body["event"][field] = json!(value);
    body
}

fn refund(event: &str, sale_event: &str, amount: &str) -> Value {
    json!({"event": {"event_id": event, "sale_event_id": sale_event,
        "amount": serde_json::from_str::<Value>(amount).unwrap()}})
}

#[tokio::test]
async fn sale_events_name_the_customer_three_ways_and_replay_exactly_once() {
    let env = TestEnv::new().await;
    let ann = program(&env, "ann").await;
    let referral = referred(&env, "ann", "cus_ev").await;

    for (field, value, event) in [
        ("referral_id", referral.as_str(), "sale_1"),
        ("stripe_customer_id", "cus_ev", "sale_2"),
        ("email", "CUS_EV@example.com", "sale_3"),
    ] {
        let reply = env.post(SALES, sale_by(field, value, event, "100")).await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "{field}: {:?}",
            reply.body
        );
        assert_eq!(reply.body["event"]["outcome"], json!("recorded"));
        let c = &reply.body["event"]["commission"];
        assert_eq!(
            (c["referral_id"].clone(), c["event_id"].clone()),
            (json!(referral), json!(event))
        );
        assert_eq!(dec(&c["amount"]), d("10"), "{field}");
    }
    let items = env.item_count().await;
    let replay = env
        .post(SALES, sale_by("referral_id", &referral, "sale_1", "100"))
        .await;
    assert_eq!(replay.status, StatusCode::OK, "{:?}", replay.body);
    assert_eq!(replay.body["event"]["outcome"], json!("replayed"));
    let conflict = env
        .post(SALES, sale_by("referral_id", &referral, "sale_1", "101"))
        .await;
    assert_eq!(conflict.status, StatusCode::CONFLICT);
    assert_eq!(conflict.error_code(), "idempotency_conflict");
    let nobody = env
        .post(
            SALES,
            sale_by("email", "nobody@example.com", "sale_4", "100"),
        )
        .await;
    assert_eq!(nobody.status, StatusCode::OK);
    assert_eq!(
        nobody.body["event"],
        json!({"event_id": "sale_4", "outcome": "not_referred", "commission": null})
    );
    assert_eq!(
        env.item_count().await,
        items,
        "replays and strangers wrote nothing"
    );
    assert_eq!(stats(&env, &ann).await, (d("300"), d("30")));

    let concurrent = join_all((0..10).map(|_| {
        env.post(
            SALES,
            sale_by("stripe_customer_id", "cus_ev", "sale_c", "50"),
        )
    }))
    .await;
    let created = concurrent
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    let replayed = concurrent
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .count();
    assert_eq!(
        (created, replayed),
        (1, 9),
        "{:?}",
        concurrent.iter().map(|r| &r.body).collect::<Vec<_>>()
    );
    assert_eq!(stats(&env, &ann).await, (d("350"), d("35")));
}

/// Sale events priced from the partner's figures (an LTV upgrade from 250)
/// land on different shards of its statistics, yet each is priced with
/// every sale recorded before it: the first three at 10 %, the rest at 15 %.
#[tokio::test]
async fn concurrent_sale_events_priced_from_the_partners_figures_each_see_every_earlier_sale() {
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
    let ann = partner(&env, "ann").await;
    let mut referrals = Vec::new();
    for k in 0..5 {
        referrals.push(referred(&env, "ann", &format!("cus_up{k}")).await);
    }
    let replies = join_all(referrals.iter().enumerate().map(|(k, referral)| {
        env.post(
            SALES,
            sale_by("referral_id", referral, &format!("up_{k}"), "100"),
        )
    }))
    .await;
    let mut amounts: Vec<Decimal> = replies
        .iter()
        .map(|reply| {
            assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
            dec(&reply.body["event"]["commission"]["amount"])
        })
        .collect();
    amounts.sort();
    assert_eq!(amounts, ["10", "10", "10", "15", "15"].map(d));
    assert_eq!(stats(&env, &ann).await, (d("500"), d("60")));
}

#[tokio::test]
async fn refund_events_reverse_by_amount_and_refuse_what_cannot_be() {
    let env = TestEnv::new().await;
    let ann = program(&env, "ann").await;
    let referral = referred(&env, "ann", "cus_rf").await;
    let sale = env
        .post(SALES, sale_by("referral_id", &referral, "sale_r", "200"))
        .await;
    let id = sale.body["event"]["commission"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let early = env
        .post(REFUNDS, refund("refund_0", "sale_unknown", "10"))
        .await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{:?}", early.body);
    assert_eq!(early.error_code(), "sale_not_recorded");

    let first = env.post(REFUNDS, refund("refund_1", "sale_r", "50")).await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    assert_eq!(dec(&first.body["event"]["commission"]["amount"]), d("15"));
    let replay = env.post(REFUNDS, refund("refund_1", "sale_r", "50")).await;
    assert_eq!(replay.status, StatusCode::OK);
    assert_eq!(replay.body["event"]["outcome"], json!("replayed"));
    let changed = env.post(REFUNDS, refund("refund_1", "sale_r", "60")).await;
    assert_eq!(changed.status, StatusCode::CONFLICT);

    let items = env.item_count().await;
    for (body, field) in [
        (refund("refund_2", "sale_r", "150.01"), "event.amount"),
        (refund("refund_2", "sale_r", "0"), "event.amount"),
        (refund("refund_2", "sale_r", "1.001"), "event.amount"),
        (refund("refund_2", "refund_1", "1"), "event.sale_event_id"),
        (refund("", "sale_r", "1"), "event.event_id"),
        (
            json!({"event": {"event_id": "refund_2", "sale_event_id": "sale_r", "amount": 1, "currency": "USD"}}),
            "event.currency",
        ),
        (
            json!({"event": {"event_id": "refund_2", "sale_event_id": "sale_r"}}),
            "event.amount",
        ),
    ] {
        let reply = env.post(REFUNDS, body.clone()).await;
        reply.assert_names_first(field, &body);
    }
    for (body, field) in [
        (
            json!({"event": {"event_id": "s", "amount": 1}}),
            "event.referral_id",
        ),
        (
            json!({"event": {"event_id": "s", "amount": 1, "email": "a@b.c", "stripe_customer_id": "cus_rf"}}),
            "event.referral_id",
        ),
        (sale_by("referral_id", &referral, "s", "-1"), "event.amount"),
        (
            sale_by("referral_id", &referral, "s", "1.001"),
            "event.amount",
        ),
        (
            sale_by("referral_id", "68f76721000000000000abcd", "s", "1"),
            "event.referral_id",
        ),
    ] {
        let reply = env.post(SALES, body.clone()).await;
        reply.assert_names_first(field, &body);
    }
    assert_eq!(
        env.item_count().await,
        items,
        "refused events wrote nothing"
    );

    let rest = env.post(REFUNDS, refund("refund_3", "sale_r", "150")).await;
    assert_eq!(rest.status, StatusCode::CREATED, "{:?}", rest.body);
    let c = read_commission(&env, &id).await;
    assert_eq!(
        (c["status"].clone(), dec(&c["amount"])),
        (json!("refunded"), d("0"))
    );
    assert_eq!(stats(&env, &ann).await, (d("0"), d("0")));
}

#[tokio::test]
async fn events_need_the_events_scope_and_stay_in_their_account() {
    let env = TestEnv::new().await;
    program(&env, "ann").await;
    let referral = referred(&env, "ann", "cus_acl").await;
    env.post(SALES, sale_by("referral_id", &referral, "sale_acl", "10"))
        .await;
    let narrow = env
        .key_with_scopes(&["commissions:write", "events:read"])
        .await;
    let items = env.item_count().await;
    for (path, body) in [
        (SALES, sale_by("referral_id", &referral, "sale_x", "10")),
        (REFUNDS, refund("refund_x", "sale_acl", "1")),
    ] {
        let none = env.call(Method::POST, path, None, Some(body.clone())).await;
        assert_eq!(none.status, StatusCode::UNAUTHORIZED, "{path}");
        let wrong = env
            .call(Method::POST, path, Some(&narrow), Some(body.clone()))
            .await;
        assert_eq!(
            wrong.status,
            StatusCode::FORBIDDEN,
            "{path}: {:?}",
            wrong.body
        );
        let other = env
            .call(Method::POST, path, Some(&env.key_b), Some(body.clone()))
            .await;
        assert!(
            other.status == StatusCode::UNPROCESSABLE_ENTITY
                || other.status == StatusCode::CONFLICT,
            "{path}: account B cannot see A's referral or sale: {:?}",
            other.body
        );
    }
    let b_customer = env
        .call(
            Method::POST,
            SALES,
            Some(&env.key_b),
            Some(sale_by("stripe_customer_id", "cus_acl", "sale_b", "10")),
        )
        .await;
    assert_eq!(
        b_customer.body["event"]["outcome"],
        json!("not_referred"),
        "A's customer is unknown to B"
    );
    let scoped = env.key_with_scopes(&["events:write"]).await;
    assert_eq!(
        env.item_count().await,
        items + 1,
        "only the new key was written"
    );
    let ok = env
        .call(
            Method::POST,
            SALES,
            Some(&scoped),
            Some(sale_by("referral_id", &referral, "sale_ok", "10")),
        )
        .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{:?}", ok.body);
}

// ---------------------------------------------------------------------------
// Property: random delivery sequences
// ---------------------------------------------------------------------------

/// A small deterministic generator (SplitMix64), so a failing sequence is
/// reproduced by its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// What one sequence sends: Stripe deliveries, and payouts taking commissions.
#[derive(Clone)]
enum Step {
    Deliver(Value),
    Pay { payment_intent: String },
}

/// A payment, its refunds and its dispute as Stripe would report them.
struct Planned {
    payment: StripePayment,
    /// The charge's refunded totals, growing.
    refunded: Vec<i64>,
    /// What the dispute took in the end (0 when won, or none).
    disputed: i64,
}

fn chance(rng: &mut Rng, one_in: u64) -> bool {
    rng.below(one_in) == 0
}

/// One payment's deliveries in a random version: some of its payment
/// events (at least one that records it), its refunds as cumulative
/// totals, one by one or both, and maybe a dispute, won or lost.
fn deliveries(rng: &mut Rng, planned: &Planned) -> Vec<Step> {
    let payment = &planned.payment;
    let version = Version::ALL[rng.below(4) as usize];
    let id = payment.invoice.clone().unwrap_or_default();
    let mut steps = Vec::new();
    let mut recorders = 0;
    let invoice_paid = chance(rng, 2);
    if invoice_paid {
        steps.push(payment.invoice_paid(version, &format!("evt_{id}_inv")));
        recorders += usize::from(version.links_charge_to_invoice());
    }
    if let Some(link) = payment.invoice_payment_paid(version, &format!("evt_{id}_inpay"))
        && !chance(rng, 4)
    {
        steps.push(link);
        recorders += usize::from(invoice_paid);
    }
    if chance(rng, 2) {
        steps.push(payment.payment_intent_succeeded(version, &format!("evt_{id}_pi")));
        recorders += 1;
    }
    if recorders == 0 || chance(rng, 2) {
        steps.push(payment.charge_succeeded(version, &format!("evt_{id}_ch")));
    }
    let by_total = planned.refunded.is_empty() || chance(rng, 3) != chance(rng, 3);
    let mut refunds: Vec<(String, i64)> = Vec::new();
    let mut before = 0;
    for (n, total) in planned.refunded.iter().enumerate() {
        let refund = payment.refund_id(n as u32);
        refunds.push((refund.clone(), total - before));
        before = *total;
        if by_total || chance(rng, 2) {
            let so_far: Vec<(&str, i64)> = refunds.iter().map(|(r, a)| (r.as_str(), *a)).collect();
            steps.push(payment.charge_refunded(version, &format!("evt_{id}_r{n}"), &so_far));
        }
        if !by_total {
            let amount = refunds[n].1;
            steps.push(payment.refund_event(
                version,
                "refund.created",
                &format!("evt_{id}_re{n}"),
                &refund,
                amount,
                "succeeded",
            ));
        }
    }
    if planned.disputed > 0 || chance(rng, 4) && planned.refunded.is_empty() {
        let dispute = payment.dispute_id();
        steps.push(payment.dispute_event(
            version,
            "charge.dispute.funds_withdrawn",
            &format!("evt_{id}_dw"),
            &dispute,
            payment.amount,
        ));
        if planned.disputed == 0 {
            steps.push(payment.dispute_event(
                version,
                "charge.dispute.funds_reinstated",
                &format!("evt_{id}_dr"),
                &dispute,
                payment.amount,
            ));
        }
    }
    steps.into_iter().map(Step::Deliver).collect()
}

fn plan(rng: &mut Rng, seq: u64) -> (Vec<Planned>, Vec<Step>) {
    let mut planned = Vec::new();
    for customer in 0..3 {
        for n in 0..=rng.below(2) {
            let cents = 100 + rng.below(50_000) as i64;
            let mut refunded = Vec::new();
            let mut total = 0;
            for _ in 0..rng.below(4) {
                let next = if chance(rng, 4) {
                    cents
                } else {
                    (total + 1 + rng.below(cents as u64) as i64).min(cents)
                };
                if next > total {
                    refunded.push(next);
                    total = next;
                }
            }
            let disputed = if refunded.is_empty() && chance(rng, 4) {
                cents
            } else {
                0
            };
            let currency = ["eur", "usd", "jpy"][rng.below(3) as usize];
            let payment = StripePayment::subscription(
                &format!("{seq}_{customer}_{n}"),
                &format!("cus_{seq}_{customer}"),
                cents,
                currency,
                Utc::now().timestamp(),
            );
            planned.push(Planned {
                payment,
                refunded,
                disputed,
            });
        }
    }
    let mut steps = Vec::new();
    for one in &planned {
        steps.extend(deliveries(rng, one));
        if chance(rng, 2) {
            steps.push(Step::Pay {
                payment_intent: one.payment.payment_intent.clone(),
            });
        }
    }
    for _ in 0..steps.len() / 2 {
        let replay = steps[rng.below(steps.len() as u64) as usize].clone();
        steps.push(replay);
    }
    for i in (1..steps.len()).rev() {
        steps.swap(i, rng.below(i as u64 + 1) as usize);
    }
    (planned, steps)
}

/// Rounded to euro cents, half away from zero.
fn eur_cents(amount: Decimal) -> Decimal {
    amount.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

#[tokio::test]
async fn random_delivery_sequences_keep_money_exact() {
    let env = TestEnv::new().await;
    program(&env, "seed").await;
    let function = payment_events::router(env.store.clone());
    for seq in 1..=12u64 {
        let mut rng = Rng(seq);
        let handle = format!("p{seq}");
        let partner = partner(&env, &handle).await;
        for customer in 0..3 {
            referred(&env, &handle, &format!("cus_{seq}_{customer}")).await;
        }
        let (planned, steps) = plan(&mut rng, seq);
        let mut queue: std::collections::VecDeque<Step> = steps.into();
        let mut rounds = 0;
        while let Some(step) = queue.pop_front() {
            rounds += 1;
            assert!(rounds < 1_000, "seed {seq}: deliveries never settle");
            match &step {
                Step::Deliver(event) => {
                    let reply = deliver(&function, &env, event).await;
                    match reply.status {
                        StatusCode::OK => {}
                        StatusCode::CONFLICT
                            if reply.body["error"]["code"] == json!("sale_not_recorded") =>
                        {
                            queue.push_back(step.clone());
                        }
                        other => panic!("seed {seq}: {other} {:?}", reply.body),
                    }
                }
                Step::Pay { payment_intent } => {
                    let sale = commissions_of(&env, &partner)
                        .await
                        .into_iter()
                        .find(|c| c["stripe_payment_id"] == json!(payment_intent));
                    match sale {
                        Some(c)
                            if c["payout_status"] == json!("not_paid")
                                && c["status"] != json!("refunded") =>
                        {
                            mark_paid(&env, c["id"].as_str().unwrap()).await;
                        }
                        Some(_) => {}
                        None => queue.push_back(step.clone()),
                    }
                }
            }
        }

        let all = commissions_of(&env, &partner).await;
        let by_id: HashMap<String, &Value> = all
            .iter()
            .map(|c| (c["id"].as_str().unwrap().to_string(), c))
            .collect();
        let (mut ltv, mut earned) = (Decimal::ZERO, Decimal::ZERO);
        for c in &all {
            earned += dec(&c["amount"]);
            if c["commission_type"] == json!("sale") {
                let paid = dec(&c["original_sale_amount"]);
                let reversed = (dec(&c["refunded_amount"]) + dec(&c["disputed_amount"])).min(paid);
                let base = dec(&c["sale_amount"]);
                ltv += base - eur_cents(base * reversed / paid);
            }
            if c["clawback_of"] != Value::Null {
                let kind = &c["commission_type"];
                assert!(
                    kind == &json!("clawback") && dec(&c["amount"]) < Decimal::ZERO
                        || kind == &json!("reinstatement") && dec(&c["amount"]) > Decimal::ZERO,
                    "seed {seq}: {c}"
                );
                assert!(
                    by_id.contains_key(c["clawback_of"].as_str().unwrap()),
                    "seed {seq}"
                );
            }
        }
        for one in &planned {
            let intent = &one.payment.payment_intent;
            let sales: Vec<&Value> = all
                .iter()
                .filter(|c| c["stripe_payment_id"] == json!(intent))
                .collect();
            assert_eq!(
                sales.len(),
                1,
                "seed {seq}: invariant 1, one commission per payment ({intent}), whichever events arrived"
            );
            let sale = sales[0];
            let (exponent, rate) = match one.payment.currency.as_str() {
                "eur" => (2, d("1")),
                "usd" => (2, d("1.0812")),
                _ => (0, d("162.45")),
            };
            let sale_amount = Decimal::new(one.payment.amount, exponent);
            assert_eq!(
                (
                    dec(&sale["original_sale_amount"]),
                    dec(&sale["sale_amount"])
                ),
                (sale_amount, eur_cents(sale_amount / rate)),
                "seed {seq}: {intent} converted once, at the day's rate"
            );
            let original = eur_cents(eur_cents(sale_amount / rate) / Decimal::from(10));
            let refunded = Decimal::new(one.refunded.last().copied().unwrap_or(0), exponent);
            assert_eq!(
                dec(&sale["refunded_amount"]),
                refunded,
                "seed {seq}: {intent}"
            );
            let reversed_total = (refunded + Decimal::new(one.disputed, exponent)).min(sale_amount);
            let adjusted: Decimal = all
                .iter()
                .filter(|c| c["clawback_of"] == sale["id"])
                .map(|c| dec(&c["amount"]))
                .sum();
            let net = dec(&sale["amount"]) + adjusted;
            let reversed = eur_cents(original * reversed_total / sale_amount);
            assert_eq!(
                net,
                original - reversed,
                "seed {seq}: invariant 2 for {intent}"
            );
            assert!(
                net >= Decimal::ZERO && net <= original,
                "seed {seq}: reversals never exceed the original"
            );
            if reversed_total == sale_amount {
                assert_eq!(
                    net,
                    Decimal::ZERO,
                    "seed {seq}: a full refund or a lost dispute nets to zero ({intent})"
                );
            }
        }
        assert_eq!(
            stats(&env, &partner).await,
            (ltv, earned),
            "seed {seq}: partner statistics are the sum of the commissions"
        );
    }
}
