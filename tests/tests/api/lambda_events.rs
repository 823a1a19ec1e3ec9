//! The API Gateway v2 fixtures in `infra/events/` sent through the real Lambda
//! entry points: the debug binaries, started as Lambda starts them, talking to
//! a local Runtime API. This proves the `.json` routing, the `$default` stage
//! and base64 bodies survive the real event format. The scheduled functions
//! (the payout run, the ECB rates fetch) take EventBridge's event the same way.

use std::path::PathBuf;

use harness::TestEnv;
use harness::app::workspace_root;
use harness::dynamodb_proxy;
use harness::objects::create_default_group;
use harness::runtime_api::{RuntimeApi, spawn_function, spawn_function_logged};
use harness::stub_server;
use ledger_core::model::Id;
use ledger_store::accounts;
use serde_json::{Value, json};

/// A function's debug binary; `make test` builds the workspace before testing.
fn binary(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace_root().join("target"), PathBuf::from);
    let path = target.join("debug").join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --workspace` first (make test does)",
        path.display()
    );
    path
}

/// A fixture with `__API_KEY__` and the `__GROUP_ID__`-style id placeholders filled in.
fn fixture_with(name: &str, key: &str, ids: &[(&str, &str)]) -> Value {
    let path = workspace_root().join("infra/events").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let text = ids.iter().fold(
        text.replace("__API_KEY__", key),
        |text, (placeholder, id)| text.replace(placeholder, id),
    );
    serde_json::from_str(&text).expect("fixture is JSON")
}

fn fixture(name: &str, key: &str, group: &str) -> Value {
    fixture_with(name, key, &[("__GROUP_ID__", group)])
}

/// Starts a function's debug binary against the test table, as Lambda would.
async fn start(env: &TestEnv, runtime: &RuntimeApi, name: &str) -> tokio::process::Child {
    let vars = table_env(env, name).await;
    spawn_function(&binary(name), &runtime.address(), &borrowed(&vars))
}

fn borrowed<'a>(vars: &'a [(&'a str, String)]) -> Vec<(&'a str, &'a str)> {
    vars.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// What the function `binary` needs to reach the test table: the emulator,
/// through a proxy recording its requests as the binary's (`iam`).
async fn table_env(env: &TestEnv, binary: &str) -> [(&'static str, String); 4] {
    [
        ("TABLE_NAME", env.store.table().to_string()),
        (
            "AWS_ENDPOINT_URL_DYNAMODB",
            dynamodb_proxy::endpoint_for(binary).await,
        ),
        ("AWS_ACCESS_KEY_ID", "test".into()),
        ("AWS_SECRET_ACCESS_KEY", "test".into()),
    ]
}

/// Invokes and unpacks an API Gateway v2 response: status and parsed body.
async fn invoke(runtime: &RuntimeApi, event: Value) -> (u64, Value) {
    let response = runtime.invoke(event).await.expect("the function answers");
    let status = response["statusCode"].as_u64().expect("statusCode");
    let body = response["body"]
        .as_str()
        .map_or(Value::Null, |b| serde_json::from_str(b).expect("JSON body"));
    (status, body)
}

#[tokio::test]
async fn partner_group_fixtures_go_through_the_real_entry_point() {
    let env = TestEnv::new().await;
    let runtime = RuntimeApi::start().await;
    let _function = start(&env, &runtime, "partner-groups").await;
    let key = env.key_a.clone();
    let default_id = create_default_group(&env).await;

    let (status, body) = invoke(&runtime, fixture("create-group.json", &key, "")).await;
    assert_eq!(status, 201, "base64 body decoded: {body}");
    let id = body["group"]["id"].as_str().expect("id").to_string();

    let (status, body) = invoke(&runtime, fixture("get-group.json", &key, &id)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["name"], json!("Performance Agencies"));
    assert_eq!(
        body["rules"][0],
        json!({"type": "new_customer_time_tier", "max_months": 6, "percentage": 30})
    );

    let (status, body) = invoke(&runtime, fixture("list-groups.json", &key, "")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["count"].clone(), body["per_page"].clone()),
        (json!(2), json!(10)),
        "query string survived"
    );

    let (status, body) = invoke(&runtime, fixture("update-group.json", &key, &id)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        env.get(&format!("/2026-02-01/partners/groups/{id}.json"))
            .await
            .body["name"],
        json!("Performance Agencies v2")
    );

    let (status, body) = invoke(&runtime, fixture("simulate-rules.json", &key, "")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["final_fee"].to_string(), "74.98");

    let restore = env
        .put(
            &format!("/2026-02-01/partners/groups/{default_id}.json"),
            json!({"partnerGroup": {"default": true}}),
        )
        .await;
    assert_eq!(restore.status, 200);
    let (status, body) = invoke(&runtime, fixture("delete-group.json", &key, &id)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"group": {"id": id, "deleted": true}}));

    let (status, _) = invoke(&runtime, fixture("get-group.json", "not-a-key", &id)).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn partner_fixtures_go_through_the_real_entry_point() {
    let env = TestEnv::new().await;
    create_default_group(&env).await;
    let runtime = RuntimeApi::start().await;
    let _function = start(&env, &runtime, "partners").await;
    let key = env.key_a.clone();

    let (status, body) = invoke(&runtime, fixture_with("create-partner.json", &key, &[])).await;
    assert_eq!(status, 201, "base64 body decoded: {body}");
    assert_eq!(body["partner"]["links"][0]["code"], json!("ann"));
    let id = body["partner"]["id"].as_str().expect("id").to_string();
    let ids = [("__PARTNER_ID__", id.as_str())];

    let (status, body) = invoke(&runtime, fixture_with("get-partner.json", &key, &ids)).await;
    assert_eq!(
        (status, body["partner"]["email"].clone()),
        (200, json!("ann@example.com"))
    );
    let (status, body) = invoke(&runtime, fixture_with("list-partners.json", &key, &ids)).await;
    assert_eq!(
        (status, body["count"].clone(), body["per_page"].clone()),
        (200, json!(1), json!(10))
    );
    let (status, body) = invoke(&runtime, fixture_with("update-partner.json", &key, &ids)).await;
    assert_eq!(
        (status, body["partner"]["first_name"].clone()),
        (200, json!("Annie"))
    );
    let (status, body) = invoke(&runtime, fixture_with("ban-partner.json", &key, &ids)).await;
    assert_eq!(
        (status, body["partner"]["banned"].clone()),
        (200, json!(true))
    );
    let (status, body) = invoke(&runtime, fixture_with("unban-partner.json", &key, &ids)).await;
    assert_eq!(
        (status, body["partner"]["banned"].clone()),
        (200, json!(false))
    );
    let (status, body) = invoke(&runtime, fixture_with("approve-partner.json", &key, &ids)).await;
    assert_eq!(
        (status, body["partner"]["approved"].clone()),
        (200, json!(true))
    );
}

#[tokio::test]
async fn campaign_fixtures_go_through_the_real_entry_point() {
    let env = TestEnv::new().await;
    let runtime = RuntimeApi::start().await;
    let _function = start(&env, &runtime, "campaigns").await;
    let key = env.key_a.clone();

    let (status, body) = invoke(&runtime, fixture_with("create-campaign.json", &key, &[])).await;
    assert_eq!(status, 201, "base64 body decoded: {body}");
    assert_eq!(body["campaign"]["is_default"], json!(true));
    let id = body["campaign"]["id"].as_str().expect("id").to_string();
    let ids = [("__CAMPAIGN_ID__", id.as_str())];

    let (status, body) = invoke(&runtime, fixture_with("get-campaign.json", &key, &ids)).await;
    assert_eq!(
        (status, body["campaign"]["name"].clone()),
        (200, json!("Launch partners"))
    );
    let (status, body) = invoke(&runtime, fixture_with("list-campaigns.json", &key, &ids)).await;
    assert_eq!((status, body["count"].clone()), (200, json!(1)));
    let (status, body) = invoke(&runtime, fixture_with("update-campaign.json", &key, &ids)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["campaign"]["commission_amount"].to_string(), "22.5");
}

#[tokio::test]
async fn referral_fixtures_go_through_the_real_entry_point() {
    let env = TestEnv::new().await;
    create_default_group(&env).await;
    let partner = env
        .post(
            "/2026-02-01/partners.json",
            json!({"partner": {"email": "ann@example.com", "links": [{"url": "https://example.com/?via=ann", "code": "ann"}]}}),
        )
        .await;
    assert_eq!(partner.status, 201, "{:?}", partner.body);
    let partner = partner.body["partner"]["id"].as_str().unwrap().to_string();
    let runtime = RuntimeApi::start().await;
    let _function = start(&env, &runtime, "referrals").await;
    let key = env.key_a.clone();

    let (status, body) = invoke(&runtime, fixture_with("create-referral.json", &key, &[])).await;
    assert_eq!(status, 201, "base64 body decoded: {body}");
    assert_eq!(body["referral"]["partner_id"], json!(partner));
    let id = body["referral"]["id"].as_str().expect("id").to_string();
    let ids = [
        ("__REFERRAL_ID__", id.as_str()),
        ("__PARTNER_ID__", partner.as_str()),
    ];

    let (status, body) = invoke(&runtime, fixture_with("get-referral.json", &key, &ids)).await;
    assert_eq!(
        (status, body["referral"]["ip"].clone()),
        (200, json!("198.51.100.7"))
    );
    let (status, body) = invoke(&runtime, fixture_with("list-referrals.json", &key, &ids)).await;
    assert_eq!(
        (status, body["count"].clone()),
        (200, json!(1)),
        "partner filter survived: {body}"
    );
    let (status, body) = invoke(&runtime, fixture_with("update-referral.json", &key, &ids)).await;
    assert_eq!(
        (status, body["referral"]["subscription_status"].clone()),
        (200, json!("active"))
    );
}

/// A fixture whose base64 body also holds placeholders: decoded, filled in
/// and encoded again, with `content-length` kept true.
fn fixture_with_body(name: &str, key: &str, ids: &[(&str, &str)]) -> Value {
    let mut event = fixture_with(name, key, ids);
    let encoded = event["body"].as_str().expect("a body");
    let decoded = aws_smithy_types::base64::decode(encoded).expect("base64 body");
    let text = String::from_utf8(decoded).expect("UTF-8 body");
    let text = ids.iter().fold(text, |text, (placeholder, id)| {
        text.replace(placeholder, id)
    });
    assert!(!text.contains("__"), "every placeholder filled: {text}");
    event["headers"]["content-length"] = json!(text.len().to_string());
    event["body"] = json!(aws_smithy_types::base64::encode(text.as_bytes()));
    event
}

#[tokio::test]
async fn commission_fixtures_go_through_the_real_entry_point() {
    let env = TestEnv::new().await;
    create_default_group(&env).await;
    let partner = env
        .post(
            "/2026-02-01/partners.json",
            json!({"partner": {"email": "ann@example.com", "links": [{"url": "https://example.com/?via=ann", "code": "ann"}]}}),
        )
        .await;
    assert_eq!(partner.status, 201, "{:?}", partner.body);
    let partner = partner.body["partner"]["id"].as_str().unwrap().to_string();
    let referral = env
        .post(
            "/2026-02-01/referrals.json",
            json!({"referral": {"email": "customer@example.org", "partner_id": partner}}),
        )
        .await;
    assert_eq!(referral.status, 201, "{:?}", referral.body);
    let referral = referral.body["referral"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let runtime = RuntimeApi::start().await;
    let _function = start(&env, &runtime, "commissions").await;
    let key = env.key_a.clone();

    let ids = [("__REFERRAL_ID__", referral.as_str())];
    let (status, body) = invoke(
        &runtime,
        fixture_with_body("create-commission.json", &key, &ids),
    )
    .await;
    assert_eq!(status, 201, "base64 body decoded: {body}");
    assert_eq!(body["commission"]["referral"]["id"], json!(referral));
    assert_eq!(body["commission"]["event_id"], json!("evt_1QxSaleJan2026"));
    assert_eq!(
        body["commission"]["amount"]
            .to_string()
            .trim_end_matches('0'),
        "29.99",
        "priced by the default group's 10 %"
    );
    let id = body["commission"]["id"].as_str().expect("id").to_string();
    let ids = [("__COMMISSION_ID__", id.as_str())];

    let (status, body) = invoke(&runtime, fixture_with("get-commission.json", &key, &ids)).await;
    assert_eq!(
        (status, body["commission"]["id"].clone()),
        (200, json!(id)),
        "{body}"
    );
    let (status, body) = invoke(&runtime, fixture_with("list-commissions.json", &key, &ids)).await;
    assert_eq!(
        (status, body["count"].clone(), body["per_page"].clone()),
        (200, json!(1), json!(10)),
        "query string survived: {body}"
    );
    let (status, body) = invoke(
        &runtime,
        fixture_with("update-commission-notes.json", &key, &ids),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (
            body["commission"]["internal_note"].clone(),
            body["commission"]["external_note"].clone()
        ),
        (json!("checked"), json!("Thanks!"))
    );
    let (status, body) = invoke(
        &runtime,
        fixture_with("approve-commission.json", &key, &ids),
    )
    .await;
    assert_eq!(
        (status, body["commission"]["status"].clone()),
        (200, json!("approved")),
        "{body}"
    );

    // Bulk deny a second, still pending commission.
    let second = env
        .post(
            "/2026-02-01/commissions.json",
            json!({"commission": {"referral_id": referral, "sale_amount": 100, "event_id": "evt_second"}}),
        )
        .await;
    assert_eq!(second.status, 201, "{:?}", second.body);
    let second = second.body["commission"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, body) = invoke(
        &runtime,
        fixture_with(
            "bulk-deny-commissions.json",
            &key,
            &[("__COMMISSION_ID__", second.as_str())],
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["commissions"],
        json!([{"id": second, "status": "denied"}])
    );
    let (status, body) = invoke(&runtime, fixture_with("list-commissions.json", &key, &ids)).await;
    assert_eq!((status, body["count"].clone()), (200, json!(0)), "{body}");

    let (status, _) = invoke(
        &runtime,
        fixture_with("get-commission.json", "not-a-key", &ids),
    )
    .await;
    assert_eq!(status, 401);
}

/// The `stripe-webhook.json` fixture for `account`, signed now with
/// `secret` over its decoded body, as Stripe signs a delivery.
fn signed_webhook(account: &str, secret: &str) -> Value {
    let mut event = fixture_with("stripe-webhook.json", "", &[("__ACCOUNT_ID__", account)]);
    assert_eq!(event["isBase64Encoded"], json!(true));
    let encoded = event["body"].as_str().expect("a body");
    let payload = aws_smithy_types::base64::decode(encoded).expect("base64 body");
    let signature = ledger_core::stripe::sign(&payload, secret, chrono::Utc::now());
    event["headers"]["stripe-signature"] = json!(signature);
    event
}

#[tokio::test]
async fn payment_event_fixtures_go_through_the_real_entry_point() {
    let env = TestEnv::new().await;
    create_default_group(&env).await;
    let partner = env
        .post(
            "/2026-02-01/partners.json",
            json!({"partner": {"email": "ann@example.com", "links": [{"url": "https://example.com/?via=ann", "code": "ann"}]}}),
        )
        .await;
    assert_eq!(partner.status, 201, "{:?}", partner.body);
    let partner = partner.body["partner"]["id"].as_str().unwrap().to_string();
    let referral = env
        .post(
            "/2026-02-01/referrals.json",
            json!({"referral": {"email": "customer@example.org", "partner_id": partner,
                                "stripe_customer_id": "cus_NffrFeUfNV2Hib"}}),
        )
        .await;
    assert_eq!(referral.status, 201, "{:?}", referral.body);
    let referral = referral.body["referral"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let account = env.account_a.clone();
    let secret = "whsec_fixture_secret";
    accounts::set_stripe_webhook_secret(&env.store, &Id::parse(&account).unwrap(), secret)
        .await
        .expect("set the endpoint secret");
    let runtime = RuntimeApi::start().await;
    let _function = start(&env, &runtime, "payment-events").await;
    let key = env.key_a.clone();
    let commissions = format!("/2026-02-01/commissions.json?referral_id={referral}");

    // Signed by another secret: refused, nothing written.
    let (status, body) = invoke(&runtime, signed_webhook(&account, "whsec_not_it")).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(env.get(&commissions).await.body["count"], json!(0));

    // The signature is verified on the base64-decoded raw body.
    let (status, body) = invoke(&runtime, signed_webhook(&account, secret)).await;
    assert_eq!(status, 200, "signed base64 body verified: {body}");
    assert_eq!(body, json!({"received": true, "outcome": "recorded"}));
    let listed = env.get(&commissions).await;
    assert_eq!(listed.body["count"], json!(1), "{:?}", listed.body);
    let commission = &listed.body["elements"][0];
    assert_eq!(
        commission["stripe_payment_id"],
        json!("pi_1QxFixturePaymentIntent"),
        "the invoice's payment intent names the payment"
    );
    assert_eq!(commission["event_id"], json!("evt_1QxInvoicePaidFixture"));
    assert_eq!(
        commission["amount"].to_string().trim_end_matches('0'),
        "29.99",
        "299.90 EUR priced by the default group's 10 %"
    );

    // Stripe delivering it again changes nothing.
    let (status, body) = invoke(&runtime, signed_webhook(&account, secret)).await;
    assert_eq!(
        (status, body["outcome"].clone()),
        (200, json!("replayed")),
        "{body}"
    );
    assert_eq!(env.get(&commissions).await.body["count"], json!(1));

    let ids = [("__REFERRAL_ID__", referral.as_str())];
    let (status, body) = invoke(&runtime, fixture_with("sale-event.json", &key, &ids)).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["event"]["event_id"], json!("sale_2026_0042"));
    assert_eq!(body["event"]["outcome"], json!("recorded"));
    assert_eq!(
        body["event"]["commission"]["referral"]["id"],
        json!(referral)
    );
    assert_eq!(
        body["event"]["commission"]["amount"]
            .to_string()
            .trim_end_matches('0'),
        "29.99"
    );
    let sale = body["event"]["commission"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let (status, body) = invoke(&runtime, fixture_with("refund-event.json", &key, &[])).await;
    assert_eq!(status, 201, "base64 body decoded: {body}");
    assert_eq!(body["event"]["event_id"], json!("refund_2026_0007"));
    assert_eq!(body["event"]["outcome"], json!("recorded"));
    assert_eq!(
        body["event"]["commission"]["id"],
        json!(sale),
        "an unpaid commission is reduced in place"
    );
    assert_eq!(
        body["event"]["commission"]["amount"]
            .to_string()
            .trim_end_matches('0'),
        "19.99",
        "100 of 299.9 refunded"
    );

    let (status, _) = invoke(&runtime, fixture_with("sale-event.json", "not-a-key", &ids)).await;
    assert_eq!(status, 401);
}

/// A pending commission of `amount` on `referral`, approved, so a run pays it.
async fn approved_commission(env: &TestEnv, referral: &str, amount: &str, payment: &str) -> String {
    let created = env
        .post(
            "/2026-02-01/commissions.json",
            json!({"commission": {"referral_id": referral, "revenue_amount": 500,
                                  "commission_amount": serde_json::from_str::<Value>(amount).unwrap(),
                                  "stripe_payment_id": payment}}),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let id = created.body["commission"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let approved = env
        .post(
            &format!("/2026-02-01/commissions/{id}/approve.json"),
            json!({}),
        )
        .await;
    assert_eq!(approved.status, 200, "{:?}", approved.body);
    id
}

/// The default group, Ann (link code `ann`) and a customer she referred;
/// the referral's id.
async fn ann_and_a_customer(env: &TestEnv) -> String {
    create_default_group(env).await;
    let partner = env
        .post(
            "/2026-02-01/partners.json",
            json!({"partner": {"email": "ann@example.com", "links": [{"url": "https://example.com/?via=ann", "code": "ann"}]}}),
        )
        .await;
    assert_eq!(partner.status, 201, "{:?}", partner.body);
    let referral = env
        .post(
            "/2026-02-01/referrals.json",
            json!({"referral": {"email": "customer@example.org", "code": "ann"}}),
        )
        .await;
    assert_eq!(referral.status, 201, "{:?}", referral.body);
    referral.body["referral"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn payout_fixtures_go_through_the_real_entry_point() {
    let env = TestEnv::new().await;
    let referral = ann_and_a_customer(&env).await;
    let commissions = [
        approved_commission(&env, &referral, "40", "py_fixture_1").await,
        approved_commission(&env, &referral, "12.5", "py_fixture_2").await,
    ];
    let runtime = RuntimeApi::start().await;
    let _function = start(&env, &runtime, "payouts").await;
    let key = env.key_a.clone();

    // Run inside a real invocation, with its deadline: the run finishes in time.
    let (status, body) = invoke(&runtime, fixture_with("run-payouts.json", &key, &[])).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (
            &body["payoutRun"]["payouts"],
            &body["payoutRun"]["commissions_paid"],
            &body["payoutRun"]["complete"]
        ),
        (&json!(1), &json!(2), &json!(true)),
        "{body}"
    );

    let (status, body) = invoke(&runtime, fixture_with("list-payouts.json", &key, &[])).await;
    assert_eq!(
        (status, body["count"].clone(), body["per_page"].clone()),
        (200, json!(1), json!(10)),
        "query string survived: {body}"
    );
    let id = body["elements"][0]["id"].as_str().expect("id").to_string();
    let ids = [("__PAYOUT_ID__", id.as_str())];
    let (status, body) = invoke(&runtime, fixture_with("get-payout.json", &key, &ids)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["payout"]["amount"].to_string(), "52.5");
    assert_eq!(body["payout"]["payment_count"], json!(2));

    let (status, body) = invoke(
        &runtime,
        fixture_with("mark-payout-failed.json", &key, &ids),
    )
    .await;
    assert_eq!(
        (status, body["payout"]["status"].clone()),
        (200, json!("failed")),
        "{body}"
    );
    for commission in &commissions {
        let reply = env
            .get(&format!("/2026-02-01/commissions/{commission}.json"))
            .await;
        assert_eq!(
            reply.body["commission"]["payout_status"],
            json!("not_paid"),
            "released"
        );
    }

    // The next run pays them again, into a new payout.
    let (status, body) = invoke(&runtime, fixture_with("run-payouts.json", &key, &[])).await;
    assert_eq!(
        (status, body["payoutRun"]["commissions_paid"].clone()),
        (200, json!(2)),
        "{body}"
    );
    let (_, body) = invoke(&runtime, fixture_with("list-payouts.json", &key, &[])).await;
    let new = body["elements"][0]["id"].as_str().expect("id").to_string();
    assert_ne!(new, id);
    let ids = [("__PAYOUT_ID__", new.as_str())];
    let (status, body) = invoke(&runtime, fixture_with("mark-payout-paid.json", &key, &ids)).await;
    assert_eq!(
        (status, body["payout"]["status"].clone()),
        (200, json!("paid")),
        "{body}"
    );

    let (status, _) = invoke(&runtime, fixture_with("get-payout.json", "not-a-key", &ids)).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn the_scheduled_event_runs_the_payout_run_in_every_account() {
    let env = TestEnv::new().await;
    let referral = ann_and_a_customer(&env).await;
    approved_commission(&env, &referral, "40", "py_scheduled_1").await;
    approved_commission(&env, &referral, "12.5", "py_scheduled_2").await;
    let runtime = RuntimeApi::start().await;
    let _function = start(&env, &runtime, "payout-run").await;
    let scheduled = fixture_with("scheduled-payout-run.json", "", &[]);

    let run_in = |answer: &Value, account: &str| {
        answer["runs"]
            .as_array()
            .and_then(|runs| runs.iter().find(|r| r["account_id"] == json!(account)))
            .cloned()
            .unwrap_or_else(|| panic!("no run for {account}: {answer}"))
    };
    let first = runtime
        .invoke(scheduled.clone())
        .await
        .expect("the run answers");
    let (a, b) = (
        run_in(&first, &env.account_a),
        run_in(&first, &env.account_b),
    );
    assert_eq!(
        (&a["payouts"], &a["commissions_paid"], &a["complete"]),
        (&json!(1), &json!(2), &json!(true)),
        "{first}"
    );
    assert_eq!(
        (&b["commissions_paid"], &b["complete"]),
        (&json!(0), &json!(true))
    );
    let listed = env.get("/2026-02-01/payouts.json").await;
    assert_eq!(listed.body["elements"][0]["amount"].to_string(), "52.5");

    let second = runtime.invoke(scheduled).await.expect("the run answers");
    assert_eq!(
        run_in(&second, &env.account_a)["commissions_paid"],
        json!(0),
        "{second}"
    );
    assert_eq!(
        env.get("/2026-02-01/payouts.json").await.body["count"],
        json!(1)
    );
}

#[tokio::test]
async fn account_fixtures_go_through_the_real_entry_point() {
    let env = TestEnv::new().await;
    let runtime = RuntimeApi::start().await;
    let _function = start(&env, &runtime, "account").await;
    let key = env.key_a.clone();

    let (status, body) = invoke(&runtime, fixture_with("get-account.json", &key, &[])).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["account"]["id"], json!(env.account_a));

    let (status, body) = invoke(&runtime, fixture_with("update-account.json", &key, &[])).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (
            body["account"]["name"].clone(),
            body["account"]["hold_days"].clone(),
            body["account"]["min_payout"].to_string()
        ),
        (json!("Acme GmbH"), json!(14), "25.50".to_string()),
        "plain text body read with its exact decimal"
    );

    let (status, body) = invoke(&runtime, fixture_with("create-api-key.json", &key, &[])).await;
    assert_eq!(status, 201, "base64 body decoded: {body}");
    assert_eq!(
        body["apiKey"]["scopes"],
        json!(["events:write", "referrals:read"])
    );
    let created = body["apiKey"]["key"]
        .as_str()
        .expect("the token")
        .to_string();
    let id = body["apiKey"]["id"].as_str().expect("id").to_string();
    let ids = [("__KEY_ID__", id.as_str())];

    let (status, body) = invoke(&runtime, fixture_with("list-api-keys.json", &key, &[])).await;
    assert_eq!(
        (status, body["count"].clone(), body["per_page"].clone()),
        (200, json!(2), json!(10)),
        "query string survived: {body}"
    );
    let (status, body) = invoke(&runtime, fixture_with("get-account.json", &created, &[])).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (403, json!("forbidden"))
    );

    let (status, body) = invoke(&runtime, fixture_with("delete-api-key.json", &key, &ids)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["apiKey"]["deleted"], json!(true));
    let (status, _) = invoke(&runtime, fixture_with("get-account.json", &created, &[])).await;
    assert_eq!(status, 401, "the deleted key is refused at once");
    let (status, _) = invoke(&runtime, fixture_with("get-account.json", "not-a-key", &[])).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn no_secret_reaches_the_logs_at_the_most_verbose_level() {
    let env = TestEnv::new().await;
    let runtime = RuntimeApi::start().await;
    let table = table_env(&env, "account").await;
    let mut vars = borrowed(&table);
    vars.push(("AWS_LAMBDA_LOG_LEVEL", "TRACE"));
    let function = spawn_function_logged(&binary("account"), &runtime.address(), &vars);
    let key = env.key_with_scopes(&["account:*", "events:write"]).await;
    let secret = "whsec_logcanary0123456789";
    let mut event = fixture_with("update-account.json", &key, &[]);
    event["body"] = json!(format!(
        r#"{{"account": {{"stripe_webhook_secret": "{secret}"}}}}"#
    ));
    event["isBase64Encoded"] = json!(false);
    let (status, body) = invoke(&runtime, event).await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = invoke(&runtime, fixture_with("get-account.json", &key, &[])).await;
    assert_eq!(status, 200);

    let logs = function.logs().await;
    assert!(
        logs.contains("\"status\":200"),
        "the requests were logged at all: {logs}"
    );
    let token_secret = key.rsplit('_').next().expect("a key ends in its secret");
    for (what, secret) in [
        ("the bearer token", token_secret),
        ("the webhook secret", secret),
    ] {
        assert!(!logs.contains(secret), "{what} reached the logs:\n{logs}");
    }
}

#[tokio::test]
async fn each_log_line_of_an_invocation_carries_its_request_id_at_the_top_level() {
    let env = TestEnv::new().await;
    let runtime = RuntimeApi::start().await;
    let table = table_env(&env, "account").await;
    let function = spawn_function_logged(&binary("account"), &runtime.address(), &borrowed(&table));
    for _ in 0..2 {
        let (status, _) = invoke(&runtime, fixture_with("get-account.json", &env.key_a, &[])).await;
        assert_eq!(status, 200);
    }

    let logs = function.logs().await;
    let handled: Vec<Value> = logs
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["message"] == "handled")
        .collect();
    let ids: Vec<&str> = handled
        .iter()
        .map(|line| line["requestId"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(ids.len(), 2, "one line per request: {logs}");
    assert!(
        ids.iter().all(|id| id.len() == 36) && ids[0] != ids[1],
        "each line names its own invocation: {logs}"
    );
    assert!(
        handled
            .iter()
            .all(|line| line["route"] == "/2026-02-01/account.json"),
        "the request span's fields are top-level too: {logs}"
    );
}

#[tokio::test]
async fn the_openapi_fixture_goes_through_the_real_entry_point() {
    let runtime = RuntimeApi::start().await;
    let _function = spawn_function(&binary("openapi"), &runtime.address(), &[]);
    let (status, body) = invoke(&runtime, fixture("openapi.json", "", "")).await;
    assert_eq!(status, 200);
    assert_eq!(body["openapi"], json!("3.1.0"));
    let paths = body["paths"].as_object().expect("paths");
    for path in [
        "/2026-02-01/partners/groups.json",
        "/2026-02-01/partners/groups/{groupId}.json",
        "/2026-02-01/partners/groups/simulate-rules.json",
        "/2026-02-01/partners.json",
        "/2026-02-01/partners/{partnerId}.json",
        "/2026-02-01/partners/{partnerId}/ban.json",
        "/2026-02-01/campaigns.json",
        "/2026-02-01/campaigns/{campaignId}.json",
        "/2026-02-01/referrals.json",
        "/2026-02-01/referrals/{referralId}.json",
        "/2026-02-01/commissions.json",
        "/2026-02-01/commissions/{commissionId}.json",
        "/2026-02-01/commissions/{commissionId}/approve.json",
        "/2026-02-01/commissions/{commissionId}/deny.json",
        "/2026-02-01/commissions/approve.json",
        "/2026-02-01/commissions/deny.json",
        "/2026-02-01/webhooks/stripe/{accountId}.json",
        "/2026-02-01/events/sale.json",
        "/2026-02-01/events/refund.json",
        "/2026-02-01/payouts.json",
        "/2026-02-01/payouts/{payoutId}.json",
        "/2026-02-01/payouts/{payoutId}/paid.json",
        "/2026-02-01/payouts/{payoutId}/failed.json",
        "/2026-02-01/payouts/run.json",
        "/2026-02-01/account.json",
        "/2026-02-01/api_keys.json",
        "/2026-02-01/api_keys/{apiKeyId}.json",
    ] {
        assert!(paths.contains_key(path), "{path} documented");
    }
}

#[tokio::test]
async fn the_scheduled_event_fetches_the_ecb_rates() {
    let env = TestEnv::new().await;
    let runtime = RuntimeApi::start().await;
    let url = stub_server::serve("200 OK", stub_server::ecb_daily()).await;
    let mut vars = table_env(&env, "fx-rates-fetch").await.to_vec();
    vars.push(("ECB_RATES_URL", url));
    let _function = spawn_function(
        &binary("fx-rates-fetch"),
        &runtime.address(),
        &borrowed(&vars),
    );
    let scheduled = fixture_with("scheduled-fx-rates-fetch.json", "", &[]);
    let saved = runtime.invoke(scheduled).await.expect("the fetch answers");
    assert_eq!(saved, json!(["2026-11-20"]));
    let reply = env.get("/2026-02-01/fx_rates.json?date=2026-11-20").await;
    assert_eq!(reply.body["fxRates"]["rates"]["USD"].to_string(), "1.0812");
}
