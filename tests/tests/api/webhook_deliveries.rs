//! Webhook deliveries end to end: the dispatcher binary polling the table's
//! stream (as `make run` runs it), outbox items written to the table, and
//! receivers on 127.0.0.1 that verify every delivery with the
//! `standardwebhooks` PyPI package. Exactly one delivery per event, retries
//! with one `webhook-id`, a slow endpoint holding up no other, a killed
//! dispatcher losing nothing; and, in process, an endpoint disabled once a
//! delivery spends its retries.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use harness::iam::acting_as;
use harness::json::{exact, id_of};
use harness::objects::{self, create_default_group, create_partner};
use harness::paths::{COMMISSIONS, commission_action_path};
use harness::webhooks::{Receiver, listen, settled_log, start_dispatcher, write_outbox_event};
use harness::{TestEnv, seed};
use http::StatusCode;
use ledger_app::events;
use ledger_app::webhook_dispatch::{Courier, Dispatcher, Posted};
use ledger_core::model::{Actor, ApiToken, Commission, Decision, EventType, Id};
use ledger_core::webhooks::{DeliveryStatus, RetrySchedule};
use ledger_store::{Key, commissions};
use serde_json::{Value, json};

/// The retry schedule's first wait in these tests: 50 ms, then 200 ms, ...
const FAST_RETRIES_MS: u64 = 50;

/// Waits for `receiver`'s next delivery and asserts it verified.
async fn verified(receiver: &mut Receiver) -> harness::webhooks::Received {
    let delivery = receiver.next().await;
    assert!(
        delivery.verified,
        "standardwebhooks refused a delivery: {:?}",
        delivery.error
    );
    delivery
}

#[tokio::test]
async fn a_commission_receiver_gets_exactly_one_verified_delivery_per_event() {
    let env = TestEnv::new().await;
    let _dispatcher = start_dispatcher(&env, FAST_RETRIES_MS).await;
    let (endpoint_a, mut receiver_a) =
        listen(&env, &env.account_a, &["commission.*"], "200", "0").await;
    let (endpoint_b, mut receiver_b) = listen(&env, &env.account_b, &["*"], "200", "0").await;

    let written = Instant::now();
    let (first, first_body) = write_outbox_event(&env, &env.account_a, "commission.created").await;
    let delivery = verified(&mut receiver_a).await;
    let latency = written.elapsed();
    assert!(
        latency < Duration::from_secs(1),
        "the first delivery took {latency:?}"
    );
    assert_eq!(delivery.webhook_id, first, "webhook-id is the event id");
    assert_eq!(
        delivery.body, first_body,
        "the body is the event's JSON, byte for byte"
    );

    let (payout, _) = write_outbox_event(&env, &env.account_a, "payout.paid").await;
    let (second, _) = write_outbox_event(&env, &env.account_a, "commission.approved").await;
    let (third, _) = write_outbox_event(&env, &env.account_a, "commission.paid").await;
    let (of_b, _) = write_outbox_event(&env, &env.account_b, "partner.created").await;
    let mut ids = BTreeSet::from([first.clone()]);
    for _ in 0..2 {
        ids.insert(verified(&mut receiver_a).await.webhook_id);
    }
    assert_eq!(
        ids,
        BTreeSet::from([first, second, third]),
        "the commission events, not {payout}"
    );
    assert_eq!(
        verified(&mut receiver_b).await.webhook_id,
        of_b,
        "B's endpoint gets B's event"
    );

    let log = settled_log(&env, &env.account_a, &endpoint_a).await;
    assert_eq!(log.len(), 3, "one delivery recorded per commission event");
    assert!(
        log.iter()
            .all(|d| d.status == DeliveryStatus::Succeeded && d.attempts.len() == 1),
        "{log:?}"
    );
    assert_eq!(
        settled_log(&env, &env.account_b, &endpoint_b).await.len(),
        1
    );
    // Every delivery is recorded as done: nothing may come again.
    assert!(
        receiver_a
            .next_within(Duration::from_secs(2))
            .await
            .is_none(),
        "a second delivery of an event"
    );
    assert!(
        receiver_b
            .next_within(Duration::from_millis(200))
            .await
            .is_none()
    );
}

/// Issue 18's bar, through the real outbox: the API approves a commission,
/// and a receiver registered for `commission.*` gets exactly one verified
/// `commission.approved` delivery, which the activity log lists with the
/// approving key as its actor.
#[tokio::test]
async fn an_approval_through_the_api_is_delivered_once_and_logged_with_its_key() {
    let env = TestEnv::new().await;
    let _dispatcher = start_dispatcher(&env, FAST_RETRIES_MS).await;
    create_default_group(&env).await;
    let partner = id_of(&create_partner(&env, seed::partner_create("ann")).await);
    let created = objects::create(
        &env,
        COMMISSIONS,
        "commission",
        json!({"commission": {
            "commission_type": "custom",
            "partner_id": partner,
            "amount": exact("12.5"),
            "event_id": "evt_approved_once"
        }}),
    )
    .await;
    let commission = id_of(&created);
    let (endpoint, mut receiver) =
        listen(&env, &env.account_a, &["commission.approved"], "200", "0").await;

    let reply = env
        .post(&commission_action_path(&commission, "approve"), json!({}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);

    let delivery = verified(&mut receiver).await;
    let event: Value = serde_json::from_str(&delivery.body).expect("a JSON event");
    assert_eq!(event["type"], "commission.approved");
    assert_eq!(event["data"]["object"]["id"], json!(commission));
    assert_eq!(event["data"]["object"]["status"], "approved");
    assert_eq!(event["data"]["previous"]["status"], "pending");
    assert_eq!(
        delivery.webhook_id, event["id"],
        "webhook-id is the event id"
    );
    let key = ApiToken::parse(&env.key_a).expect("a token").key_id;
    assert_eq!(
        event["actor"],
        json!({"type": "api_key", "id": key.to_string()})
    );

    let (logged, _) =
        objects::walk(&env, "/2026-02-01/events.json", "type=commission.approved").await;
    assert_eq!(
        logged,
        [event],
        "the activity log lists the delivered event, byte for byte the same"
    );
    let log = settled_log(&env, &env.account_a, &endpoint).await;
    assert_eq!(log.len(), 1, "one delivery: {log:?}");
    assert_eq!(log[0].status, DeliveryStatus::Succeeded);
    assert!(
        receiver.next_within(Duration::from_secs(1)).await.is_none(),
        "the commission's creation is not a commission.approved event"
    );
}

#[tokio::test]
async fn a_receiver_failing_twice_gets_the_event_three_times_with_one_webhook_id() {
    let env = TestEnv::new().await;
    let _dispatcher = start_dispatcher(&env, FAST_RETRIES_MS).await;
    let (endpoint, mut receiver) =
        listen(&env, &env.account_a, &["commission.*"], "500,500,200", "0").await;
    let (event, body) = write_outbox_event(&env, &env.account_a, "commission.created").await;
    for attempt in 1..=3 {
        let delivery = verified(&mut receiver).await;
        assert_eq!(
            delivery.webhook_id, event,
            "attempt {attempt} has the event's id"
        );
        assert_eq!(
            delivery.body, body,
            "attempt {attempt} has the event's body"
        );
    }
    assert!(
        receiver.next_within(Duration::from_secs(2)).await.is_none(),
        "a fourth delivery"
    );
    settled_log(&env, &env.account_a, &endpoint).await;
    let log = env
        .get(&format!(
            "/2026-02-01/webhook_endpoints/{}/deliveries.json",
            endpoint.id
        ))
        .await;
    assert_eq!(log.status, StatusCode::OK, "{:?}", log.body);
    let element = &log.body["elements"][0];
    assert_eq!(element["event_id"], json!(event));
    assert_eq!(element["status"], json!("succeeded"));
    let statuses: Vec<_> = element["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status_code"].clone())
        .collect();
    assert_eq!(statuses, [json!(500), json!(500), json!(200)]);
    assert_eq!(element["attempts"][2]["attempt"], json!(3));
    assert_eq!(element["attempts"][0]["error"], json!("answered 500"));
}

#[tokio::test]
async fn a_slow_endpoint_delays_no_other_endpoint() {
    let env = TestEnv::new().await;
    let _dispatcher = start_dispatcher(&env, FAST_RETRIES_MS).await;
    let (_, mut slow) = listen(&env, &env.account_a, &["*"], "200", "4").await;
    let (_, mut fast) = listen(&env, &env.account_a, &["*"], "200", "0").await;
    let (first, _) = write_outbox_event(&env, &env.account_a, "commission.created").await;
    let slow_first = verified(&mut slow).await;
    assert_eq!(verified(&mut fast).await.webhook_id, first);
    // The next event reaches the fast endpoint while the slow one still
    // holds the first delivery (it answers 4 s after it arrived).
    let (second, _) = write_outbox_event(&env, &env.account_a, "commission.approved").await;
    let fast_second = verified(&mut fast).await;
    assert_eq!(fast_second.webhook_id, second);
    assert!(
        fast_second.at < slow_first.at + 4.0,
        "the fast endpoint waited for the slow one: {} s after the slow one's first delivery",
        fast_second.at - slow_first.at
    );
    assert_eq!(
        verified(&mut slow).await.webhook_id,
        second,
        "the slow endpoint gets it too"
    );
}

#[tokio::test]
async fn a_killed_dispatcher_loses_nothing() {
    let env = TestEnv::new().await;
    let mut dispatcher = start_dispatcher(&env, FAST_RETRIES_MS).await;
    // The first request is held 3 s: the dispatcher is killed in the middle of it.
    let (endpoint, mut receiver) = listen(&env, &env.account_a, &["*"], "200", "3,0").await;
    let (interrupted, _) = write_outbox_event(&env, &env.account_a, "commission.created").await;
    assert_eq!(verified(&mut receiver).await.webhook_id, interrupted);
    dispatcher.kill().await.expect("kill -9 the dispatcher");
    let (while_down, _) = write_outbox_event(&env, &env.account_a, "payout.paid").await;

    let _dispatcher = start_dispatcher(&env, FAST_RETRIES_MS).await;
    let mut seen = BTreeSet::new();
    while seen.len() < 2 {
        seen.insert(verified(&mut receiver).await.webhook_id);
    }
    assert_eq!(
        seen,
        BTreeSet::from([interrupted.clone(), while_down.clone()])
    );
    let log = settled_log(&env, &env.account_a, &endpoint).await;
    let ids: Vec<String> = log.iter().map(|d| d.event_id.to_string()).collect();
    assert_eq!(ids, [interrupted, while_down]);
    assert!(
        log.iter().all(|d| d.status == DeliveryStatus::Succeeded),
        "{log:?}"
    );
    assert!(
        receiver.next_within(Duration::from_secs(2)).await.is_none(),
        "a delivery more than the interrupted one's retry"
    );
}

/// A bulk decision of 100 stages its events on the commissions it decides;
/// a request killed after its transaction, having released only half of
/// them, loses none: the dispatcher releases the rest from the stream, and
/// each approval is delivered once, verified, and listed in the log.
#[tokio::test]
async fn a_full_bulk_decision_killed_before_releasing_its_events_loses_none() {
    let env = TestEnv::new().await;
    create_default_group(&env).await;
    let partner = id_of(&create_partner(&env, seed::partner_create("ann")).await);
    let account = Id::parse(&env.account_a).expect("an account id");
    let mut before = Vec::with_capacity(100);
    for k in 0..100 {
        let created = objects::create(
            &env,
            COMMISSIONS,
            "commission",
            json!({"commission": {
                "commission_type": "custom",
                "partner_id": partner,
                "amount": exact("1"),
                "event_id": format!("evt_staged_{k}")
            }}),
        )
        .await;
        let id = Id::parse(&id_of(&created)).expect("a commission id");
        let item = env
            .store
            .get(&Key::commission(&account, &id))
            .await
            .expect("read")
            .expect("the commission");
        before.push(commissions::from_item(item).expect("a commission"));
    }
    // What the bulk approval's request decided, and its transaction wrote.
    let now = Utc::now();
    let after: Vec<Commission> = before
        .iter()
        .map(|commission| {
            let mut decided = commission.clone();
            assert!(decided.decide(Decision::Approve, now).expect("pending"));
            decided
        })
        .collect();
    let changes: Vec<_> = before.iter().map(Some).zip(&after).collect();
    let actor = Actor::ApiKey {
        id: ApiToken::parse(&env.key_a).expect("a token").key_id,
    };
    let approvals = events::of_commissions(
        EventType::CommissionApproved,
        &account,
        &actor,
        now,
        &changes,
    )
    .expect("the events");
    let stages = commissions::decide_all(&env.store, &account, &before, &after, &approvals)
        .await
        .expect("the decisions' transaction");
    assert_eq!(stages.len(), 100, "a full transaction stages every event");
    // Killed after releasing half of them.
    assert!(
        events::release_all(&env.store, &stages[..50])
            .await
            .is_empty()
    );
    let approved =
        |events: &Value| -> usize { events["count"].as_u64().expect("a count") as usize };
    let listed = env
        .get("/2026-02-01/events.json?type=commission.approved&size=1")
        .await;
    assert_eq!(approved(&listed.body), 50, "{:?}", listed.body);

    let (endpoint, mut receiver) =
        listen(&env, &env.account_a, &["commission.approved"], "200", "0").await;
    let _dispatcher = start_dispatcher(&env, FAST_RETRIES_MS).await;
    let mut delivered = BTreeSet::new();
    while delivered.len() < 100 {
        let delivery = verified(&mut receiver).await;
        assert!(
            delivered.insert(delivery.webhook_id.clone()),
            "{} delivered twice",
            delivery.webhook_id
        );
    }
    let expected: BTreeSet<String> = approvals.iter().map(|e| e.id.to_string()).collect();
    assert_eq!(delivered, expected);
    assert_eq!(
        settled_log(&env, &env.account_a, &endpoint).await.len(),
        100
    );
    let listed = env
        .get("/2026-02-01/events.json?type=commission.approved&size=1")
        .await;
    assert_eq!(approved(&listed.body), 100, "{:?}", listed.body);
    let staged = env
        .items()
        .await
        .into_iter()
        .filter(|item| item.contains_key(ledger_store::events::STAGED))
        .count();
    assert_eq!(staged, 0, "stages left behind");
    assert!(
        receiver.next_within(Duration::from_secs(1)).await.is_none(),
        "a delivery more than the hundred approvals"
    );
}

/// A courier whose every delivery fails, as an endpoint that is down.
struct Unreachable;

impl Courier for Unreachable {
    async fn post(&self, _: &str, _: &[(&'static str, String)], _: &str) -> Posted {
        Posted {
            status_code: Some(503),
            error: Some("answered 503".into()),
            latency: Duration::from_millis(1),
        }
    }

    fn timeout(&self) -> Duration {
        Duration::from_secs(5)
    }
}

#[tokio::test]
async fn an_endpoint_failing_for_a_day_is_disabled_and_receives_nothing_more() {
    let env = TestEnv::new().await;
    let (endpoint, _receiver) = listen(&env, &env.account_a, &["*"], "200", "0").await;
    let (event, _) = write_outbox_event(&env, &env.account_a, "commission.created").await;
    let dispatcher = Dispatcher {
        store: env.store.clone(),
        courier: Unreachable,
        schedule: RetrySchedule::default(),
    };
    let outbox_event = ledger_core::webhooks::OutboxEvent::parse(
        &json!({"id": event, "type": "commission.created", "account_id": env.account_a})
            .to_string(),
    )
    .unwrap();
    acting_as("webhook-dispatcher", async {
        let first = dispatcher
            .dispatch(std::slice::from_ref(&outbox_event))
            .await;
        assert_eq!(first.retrying, 1, "{first:?}");
        // Each sweep looks two days ahead, so every retry is due at once: the
        // schedule's nine retries run without waiting a day.
        let later = Utc::now() + TimeDelta::days(2);
        let mut disabled = Vec::new();
        for _ in 0..9 {
            disabled.extend(
                dispatcher
                    .sweep_account(&Id::parse(&env.account_a).unwrap(), later)
                    .await
                    .disabled,
            );
        }
        assert_eq!(
            disabled,
            [(Id::parse(&env.account_a).unwrap(), endpoint.id.clone())]
        );
        let again = dispatcher
            .sweep_account(&Id::parse(&env.account_a).unwrap(), later)
            .await;
        assert_eq!(
            (again.delivered, again.retrying, again.disabled.len()),
            (0, 0, 0),
            "{again:?}"
        );
        let replay = dispatcher
            .dispatch(std::slice::from_ref(&outbox_event))
            .await;
        assert_eq!((replay.delivered, replay.retrying), (0, 0), "{replay:?}");
    })
    .await;
    let got = env
        .get(&format!(
            "/2026-02-01/webhook_endpoints/{}.json",
            endpoint.id
        ))
        .await;
    assert_eq!(got.body["webhookEndpoint"]["enabled"], json!(false));
    assert!(
        got.body["webhookEndpoint"]["disabled_reason"]
            .as_str()
            .unwrap()
            .contains(&event)
    );
    let log = settled_log(&env, &env.account_a, &endpoint).await;
    assert_eq!(log[0].status, DeliveryStatus::Failed);
    assert_eq!(log[0].attempts.len(), 10);
}
