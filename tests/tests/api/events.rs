//! The activity log against the emulator: each change's event is written
//! once, in the change's transaction, with its actor and `previous`
//! fields; rejected, repeated and replayed changes write none; a bulk
//! decision's events share one item yet list and get one by one; filters,
//! newest-first order, cursor paging and time ranges; 404s, tenancy and
//! scopes. Run under `PARTNER_LEDGER_FAULTS=harsh` too, the concurrent
//! decisions still leave exactly one event per change.

use axum::Router;
use axum::body::Body;
use chrono::{Duration, Utc};
use futures::future::join_all;
use harness::access::{
    Route, assert_keys_are_required, assert_other_accounts_get_404, assert_scopes_are_enforced,
};
use harness::iam::acting_as;
use harness::json::{exact, id_of};
use harness::objects::{self, create_default_group, create_partner, create_referral};
use harness::paths::{COMMISSIONS, SALES, commission_action_path, webhook_path};
use harness::stripe::{StripePayment, Version};
use harness::{Reply, TestEnv, seed};
use http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use ledger_core::model::{ApiToken, Id};
use ledger_core::stripe::sign;
use ledger_store::accounts;
use serde_json::{Value, json};
use tower::ServiceExt;

const EVENTS: &str = "/2026-02-01/events.json";
const BULK_APPROVE: &str = "/2026-02-01/commissions/approve.json";
const SECRET: &str = "whsec_events_secret";

fn event_path(id: &str) -> String {
    format!("/2026-02-01/events/{id}.json")
}

/// The key id inside an API token: what its changes' events name.
fn key_id(token: &str) -> String {
    ApiToken::parse(token).expect("a token").key_id.to_string()
}

async fn partner(env: &TestEnv, handle: &str) -> String {
    id_of(&create_partner(env, seed::partner_create(handle)).await)
}

async fn custom(env: &TestEnv, partner: &str, amount: &str, event_id: &str) -> String {
    let body = json!({"commission": {
        "commission_type": "custom",
        "partner_id": partner,
        "amount": exact(amount),
        "event_id": event_id
    }});
    id_of(&objects::create(env, COMMISSIONS, "commission", body).await)
}

/// Every event `query` selects, following the cursor; and the first page.
async fn events(env: &TestEnv, query: &str) -> (Vec<Value>, Value) {
    objects::walk(env, EVENTS, query).await
}

fn ids(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["id"].as_str().expect("an event id").to_string())
        .collect()
}

fn objects_of(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| {
            e["data"]["object"]["id"]
                .as_str()
                .expect("an object id")
                .to_string()
        })
        .collect()
}

/// How many items of the table hold events, and how many events they hold.
async fn stored_events(env: &TestEnv) -> (usize, usize) {
    let items: Vec<_> = env
        .items()
        .await
        .into_iter()
        .filter(|item| item["sk"].as_s().is_ok_and(|sk| sk.starts_with("EVENT#")))
        .collect();
    let events = items
        .iter()
        .map(|item| item["events"].as_l().expect("a list of events").len())
        .sum();
    (items.len(), events)
}

#[tokio::test]
async fn approving_a_commission_records_one_event_naming_the_key() {
    let env = TestEnv::new().await;
    create_default_group(&env).await;
    let ann = partner(&env, "ann").await;
    let commission = custom(&env, &ann, "12.5", "evt_one").await;
    let actor = json!({"type": "api_key", "id": key_id(&env.key_a)});

    let (created, envelope) = events(&env, "type=commission.created").await;
    assert_eq!(envelope["count"], json!(1), "{envelope}");
    assert_eq!(envelope["entities"], json!("Event"));
    assert_eq!(objects_of(&created), std::slice::from_ref(&commission));
    assert_eq!(created[0]["actor"], actor);
    assert_eq!(created[0]["account_id"], json!(env.account_a));
    assert_eq!(created[0]["data"]["previous"], json!({}));
    assert_eq!(created[0]["data"]["object"]["amount"], exact("12.5"));

    let reply = env
        .post(&commission_action_path(&commission, "approve"), json!({}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let shown = objects::read_commission(&env, &commission).await;
    let (approved, _) = events(&env, "type=commission.approved").await;
    assert_eq!(approved.len(), 1, "{approved:?}");
    let event = &approved[0];
    assert_eq!(event["type"], json!("commission.approved"));
    assert_eq!(event["actor"], actor);
    assert_eq!(
        event["data"]["object"], shown,
        "the object as its GET shows it"
    );
    let previous = event["data"]["previous"].as_object().expect("previous");
    assert_eq!(previous["status"], json!("pending"));
    assert_eq!(
        previous["status_updated_at"],
        created[0]["data"]["object"]["status_updated_at"]
    );
    assert!(!previous.contains_key("amount"), "{previous:?}");
    assert!(!previous.contains_key("id"), "{previous:?}");

    // One by one, byte for byte as stored.
    let id = event["id"].as_str().unwrap();
    let got = env.get(&event_path(id)).await;
    assert_eq!(got.status, StatusCode::OK, "{:?}", got.body);
    assert_eq!(&got.body, event);

    // Approving again changes nothing and records nothing; denying is refused.
    let again = env
        .post(&commission_action_path(&commission, "approve"), json!({}))
        .await;
    assert_eq!(again.status, StatusCode::OK, "{:?}", again.body);
    let denied = env
        .post(&commission_action_path(&commission, "deny"), json!({}))
        .await;
    assert_eq!(denied.status, StatusCode::CONFLICT, "{:?}", denied.body);
    let (all, envelope) = events(&env, "").await;
    assert_eq!(envelope["count"], json!(3), "{all:?}");
    assert_eq!(stored_events(&env).await, (3, 3));

    // Newest first.
    assert_eq!(
        all.iter().map(|e| e["type"].clone()).collect::<Vec<_>>(),
        [
            json!("commission.approved"),
            json!("commission.created"),
            json!("partner.created")
        ]
    );
}

/// The approvals the log lists, walked `size` at a time: one for each of
/// `commissions`, newest first, and the first, middle and last read back
/// by id as listed.
async fn approvals_of(env: &TestEnv, commissions: &[String], size: usize) -> Vec<Value> {
    let (approved, envelope) = events(env, &format!("type=commission.approved&size={size}")).await;
    assert_eq!(envelope["count"], json!(commissions.len()));
    let mut decided = objects_of(&approved);
    decided.sort();
    let mut expected = commissions.to_vec();
    expected.sort();
    assert_eq!(decided, expected);
    let listed = ids(&approved);
    let mut newest_first = listed.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    assert_eq!(listed, newest_first, "newest first");
    for event in [
        &approved[0],
        &approved[approved.len() / 2],
        &approved[approved.len() - 1],
    ] {
        let got = env.get(&event_path(event["id"].as_str().unwrap())).await;
        assert_eq!(got.status, StatusCode::OK, "{:?}", got.body);
        assert_eq!(&got.body, event);
    }
    approved
}

#[tokio::test]
async fn a_bulk_decision_shares_one_item_yet_lists_and_gets_each_event() {
    let env = TestEnv::new().await;
    create_default_group(&env).await;
    let ann = partner(&env, "ann").await;
    let mut commissions = Vec::new();
    for k in 0..99 {
        commissions.push(custom(&env, &ann, "1", &format!("evt_bulk_{k}")).await);
    }
    let refused_before = stored_events(&env).await;
    let taken: Vec<&str> = commissions.iter().map(String::as_str).collect();

    // One id unknown: nothing is decided, and nothing recorded.
    let mut with_unknown = taken[..98].to_vec();
    with_unknown.push("68f76721000000000000abcd");
    let reply = env.post(BULK_APPROVE, json!({ "ids": with_unknown })).await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{:?}", reply.body);
    assert_eq!(stored_events(&env).await, refused_before);

    let reply = env.post(BULK_APPROVE, json!({ "ids": taken })).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    // The partner and 99 creations, one item each; 99 approvals in one item.
    assert_eq!(stored_events(&env).await, (101, 199));

    approvals_of(&env, &commissions, 10).await;

    // Filtered by one commission: its creation and its approval.
    let (about, envelope) = events(&env, &format!("object_id={}", commissions[42])).await;
    assert_eq!(envelope["count"], json!(2), "{about:?}");
    assert_eq!(
        about.iter().map(|e| e["type"].clone()).collect::<Vec<_>>(),
        [json!("commission.approved"), json!("commission.created")]
    );
    assert_eq!(
        objects_of(&about),
        [commissions[42].clone(), commissions[42].clone()]
    );
}

/// A hundred decisions fill a transaction on their own: each approval is
/// staged on its commission in the decisions' transaction, then released
/// into an item of its own, and no stage is left.
#[tokio::test]
async fn a_full_bulk_decision_stages_each_event_and_releases_it() {
    let env = TestEnv::new().await;
    create_default_group(&env).await;
    let ann = partner(&env, "ann").await;
    let mut commissions = Vec::new();
    for k in 0..100 {
        commissions.push(custom(&env, &ann, "1", &format!("evt_full_{k}")).await);
    }
    assert_eq!(stored_events(&env).await, (101, 101));

    let reply = env.post(BULK_APPROVE, json!({ "ids": commissions })).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    // The partner, 100 creations and 100 approvals: one item each.
    assert_eq!(stored_events(&env).await, (201, 201));
    let staged: Vec<_> = env
        .items()
        .await
        .into_iter()
        .filter(|item| item.contains_key(ledger_store::events::STAGED))
        .collect();
    assert!(staged.is_empty(), "stages left behind: {staged:?}");

    let approved = approvals_of(&env, &commissions, 100).await;
    for event in &approved {
        assert_eq!(event["actor"]["type"], "api_key");
        assert_eq!(event["data"]["object"]["status"], "approved");
        assert_eq!(event["data"]["previous"]["status"], "pending");
    }

    // A hundred and one ids are refused, and nothing is recorded.
    let mut too_many: Vec<String> = commissions.clone();
    too_many.push("68f76721000000000000abcd".into());
    let reply = env.post(BULK_APPROVE, json!({ "ids": too_many })).await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        reply.body
    );
    assert_eq!(stored_events(&env).await, (201, 201));
}

#[tokio::test]
async fn cursor_pages_and_time_ranges_read_newest_first() {
    let env = TestEnv::new().await;
    create_default_group(&env).await;
    let ann = partner(&env, "ann").await;
    let mut commissions = Vec::new();
    for k in 0..5 {
        commissions.push(custom(&env, &ann, "2", &format!("evt_page_{k}")).await);
    }
    let (all, envelope) = events(&env, "type=commission.created&size=2").await;
    assert_eq!(envelope["count"], json!(5));
    assert_eq!(envelope["pages"]["max"], json!(3));
    assert!(envelope["pages"]["next_cursor"].is_string(), "{envelope}");
    let mut newest_first = commissions.clone();
    newest_first.reverse();
    assert_eq!(objects_of(&all), newest_first);

    // `page` without a cursor reads the same pages.
    let second = env
        .get(&format!("{EVENTS}?type=commission.created&size=2&page=2"))
        .await;
    assert_eq!(
        objects_of(second.body["elements"].as_array().unwrap()),
        newest_first[2..4]
    );

    // from/to: a range holding the third and fourth events only.
    let at = |event: &Value| event["created_at"].as_str().unwrap().to_string();
    let (from, to) = (at(&all[3]), at(&all[1]));
    let query = format!("type=commission.created&from={from}&to={to}");
    let (ranged, _) = events(&env, &query.replace('+', "%2B")).await;
    assert!(
        ranged.iter().all(|e| at(e) >= from && at(e) <= to),
        "{ranged:?}"
    );
    assert!(objects_of(&ranged).contains(&commissions[1]));
    assert!(objects_of(&ranged).contains(&commissions[3]));
    assert!(!objects_of(&ranged).contains(&commissions[4]));
    let future = (Utc::now() + Duration::days(1)).format("%Y-%m-%dT%H:%M:%SZ");
    let (none, envelope) = events(&env, &format!("from={future}")).await;
    assert!(none.is_empty());
    assert_eq!(envelope["count"], json!(0));

    let reply = env
        .get(&format!("{EVENTS}?from={future}&to=2020-01-01T00:00:00Z"))
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    reply.assert_names("to", "to before from");
    let reply = env.get(&format!("{EVENTS}?type=commission.exploded")).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn concurrent_decisions_record_exactly_one_event_each() {
    let env = TestEnv::new().await;
    create_default_group(&env).await;
    let ann = partner(&env, "ann").await;
    let mut commissions = Vec::new();
    for k in 0..4 {
        commissions.push(custom(&env, &ann, "3", &format!("evt_race_{k}")).await);
    }
    // Each commission approved by three racing requests and denied by one.
    let env = &env;
    let mut calls = Vec::new();
    for commission in &commissions {
        for action in ["approve", "approve", "approve", "deny"] {
            calls.push(async move {
                let path = commission_action_path(commission, action);
                (action, env.post(&path, json!({})).await)
            });
        }
    }
    for (action, reply) in join_all(calls).await {
        assert!(
            [StatusCode::OK, StatusCode::CONFLICT].contains(&reply.status),
            "{action}: {:?}",
            reply.body
        );
    }
    let (decided, _) = events(env, "").await;
    let decisions: Vec<&Value> = decided
        .iter()
        .filter(|e| [json!("commission.approved"), json!("commission.denied")].contains(&e["type"]))
        .collect();
    let mut about: Vec<String> = decisions
        .iter()
        .map(|e| e["data"]["object"]["id"].as_str().unwrap().to_string())
        .collect();
    about.sort();
    let mut expected = commissions.clone();
    expected.sort();
    assert_eq!(about, expected, "one decision event per commission");
    for event in decisions {
        let id = event["data"]["object"]["id"].as_str().unwrap();
        let shown = objects::read_commission(env, id).await;
        assert_eq!(event["data"]["object"], shown);
        assert_eq!(event["data"]["previous"]["status"], json!("pending"));
    }
    let (created, _) = events(env, "type=commission.created").await;
    assert_eq!(created.len(), commissions.len());
}

/// Sends a signed Stripe delivery of `event` to account A's webhook.
async fn deliver(function: &Router, env: &TestEnv, event: &Value) -> Reply {
    let payload = event.to_string();
    let request = Request::builder()
        .method(Method::POST)
        .uri(webhook_path(&env.account_a))
        .header("content-type", "application/json")
        .header(
            "stripe-signature",
            sign(payload.as_bytes(), SECRET, Utc::now()),
        )
        .body(Body::from(payload))
        .unwrap();
    let response = acting_as("payment-events", function.clone().oneshot(request))
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    }
}

#[tokio::test]
async fn a_stripe_sale_names_its_event_and_a_replay_records_nothing() {
    let env = TestEnv::new().await;
    env.publish_rates(Utc::now().date_naive()).await;
    let account = Id::parse(&env.account_a).unwrap();
    accounts::set_stripe_webhook_secret(&env.store, &account, SECRET)
        .await
        .unwrap();
    create_default_group(&env).await;
    partner(&env, "ann").await;
    let mut body = seed::referral_create("cus_ev@example.com", "ann");
    body["referral"]["stripe_customer_id"] = json!("cus_ev");
    id_of(&create_referral(&env, body).await);
    let function = payment_events::router(env.store.clone());
    let payment =
        StripePayment::subscription("in_ev", "cus_ev", 5_000, "eur", Utc::now().timestamp());
    let sale = payment.invoice_paid(Version::Acacia, "evt_stripe_sale");

    let first = deliver(&function, &env, &sale).await;
    assert_eq!(first.status, StatusCode::OK, "{:?}", first.body);
    let replay = deliver(&function, &env, &sale).await;
    assert_eq!(replay.status, StatusCode::OK, "{:?}", replay.body);
    assert_eq!(
        replay.body["outcome"],
        json!("replayed"),
        "{:?}",
        replay.body
    );

    let (created, envelope) = events(&env, "type=commission.created").await;
    assert_eq!(envelope["count"], json!(1), "{created:?}");
    assert_eq!(
        created[0]["actor"],
        json!({"type": "stripe_event", "id": "evt_stripe_sale"})
    );
    let (commissions, _) = objects::walk(&env, COMMISSIONS, "").await;
    assert_eq!(objects_of(&created), ids(&commissions));

    // The billing-agnostic sale event: once, however often it is sent.
    let referral = created[0]["data"]["object"]["referral_id"].clone();
    let sale =
        json!({"event": {"event_id": "bill_1", "referral_id": referral, "amount": exact("80")}});
    for _ in 0..2 {
        let reply = env.post(SALES, sale.clone()).await;
        assert!(reply.status.is_success(), "{:?}", reply.body);
    }
    let (created, _) = events(&env, "type=commission.created").await;
    assert_eq!(created.len(), 2, "{created:?}");
    assert_eq!(
        created[0]["actor"],
        json!({"type": "api_key", "id": key_id(&env.key_a)})
    );
    // The partner, the referral and the two sales.
    assert_eq!(stored_events(&env).await, (4, 4));
}

#[tokio::test]
async fn unknown_events_are_404_and_other_accounts_see_none() {
    let env = TestEnv::new().await;
    create_default_group(&env).await;
    let ann = partner(&env, "ann").await;
    custom(&env, &ann, "4", "evt_tenant").await;
    let (mine, _) = events(&env, "").await;
    let id = mine[0]["id"].as_str().unwrap().to_string();

    let unknown = env.get(&event_path("68f76721000000000000abcd")).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{:?}", unknown.body);
    let malformed = env.get(&event_path("not-an-id")).await;
    assert_eq!(
        malformed.status,
        StatusCode::NOT_FOUND,
        "{:?}",
        malformed.body
    );

    let theirs = env.call(Method::GET, EVENTS, Some(&env.key_b), None).await;
    assert_eq!(theirs.status, StatusCode::OK, "{:?}", theirs.body);
    assert_eq!(theirs.body["count"], json!(0));
    assert_eq!(theirs.body["elements"], json!([]));

    let routes = [
        Route::collection(Method::GET, EVENTS, "events:read"),
        Route::object(Method::GET, event_path(&id), "events:read"),
    ];
    assert_keys_are_required(&env, &routes).await;
    assert_other_accounts_get_404(&env, &routes, "event not found").await;
    let wrong = env
        .key_with_scopes(&["events:write", "commissions:*"])
        .await;
    let read_only = env.key_with_scopes(&["events:read"]).await;
    assert_scopes_are_enforced(&env, &routes, &wrong, &read_only).await;
}

#[tokio::test]
async fn partner_and_referral_changes_record_their_events() {
    let env = TestEnv::new().await;
    create_default_group(&env).await;
    let ann = partner(&env, "ann").await;
    let actor = json!({"type": "api_key", "id": key_id(&env.key_a)});
    let action = |verb: &str| format!("/2026-02-01/partners/{ann}/{verb}.json");

    let renamed = env
        .put(
            &format!("/2026-02-01/partners/{ann}.json"),
            json!({"partner": {"first_name": "Annie"}}),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{:?}", renamed.body);
    for verb in ["ban", "ban", "unban"] {
        let reply = env.post(&action(verb), json!({})).await;
        assert_eq!(reply.status, StatusCode::OK, "{verb}: {:?}", reply.body);
    }
    // A refused create (the email is Ann's) records nothing.
    let taken = env
        .post("/2026-02-01/partners.json", seed::partner_create("ann"))
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT, "{:?}", taken.body);
    let referral =
        id_of(&create_referral(&env, seed::referral_create("carol@example.com", "ann")).await);

    let (all, _) = events(&env, "").await;
    let kinds: Vec<&str> = all.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "referral.created",
            "partner.updated",
            "partner.banned",
            "partner.updated",
            "partner.created"
        ],
        "newest first, the repeated ban recording nothing"
    );
    assert!(all.iter().all(|e| e["actor"] == actor), "{all:?}");
    assert_eq!(all[0]["data"]["object"]["id"], json!(referral));
    assert_eq!(all[0]["data"]["previous"], json!({}));
    assert_eq!(all[1]["data"]["previous"]["banned"], json!(true));
    assert_eq!(all[2]["data"]["previous"]["banned"], json!(false));
    assert_eq!(
        all[3]["data"]["previous"]["first_name"],
        all[4]["data"]["object"]["first_name"]
    );
    assert_eq!(all[3]["data"]["object"]["first_name"], json!("Annie"));
    let shown = objects::read_partner(&env, &ann).await;
    assert_eq!(all[1]["data"]["object"], shown);
    let (about_ann, _) = events(&env, &format!("object_id={ann}&type=partner.banned")).await;
    assert_eq!(
        ids(&about_ann),
        [all[2]["id"].as_str().unwrap().to_string()]
    );
}
