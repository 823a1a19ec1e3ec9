//! The Webhook Endpoints API end to end against the emulator: the secret
//! shown at creation and rotation only, URLs that could reach internal
//! networks refused, partial updates, deletes, the delivery log and a retry
//! by hand, access control and another account's key.

use chrono::{TimeDelta, Utc};
use futures::future::join_all;
use harness::TestEnv;
use harness::access::{
    Route, assert_keys_are_required, assert_other_accounts_get_404, assert_scopes_are_enforced,
};
use harness::json::id_of;
use harness::objects;
use harness::paths::NOWHERE;
use http::{Method, StatusCode};
use ledger_core::model::Id;
use ledger_core::webhooks::{Attempt, RetrySchedule, SigningSecret, WebhookDelivery};
use ledger_store::webhook_deliveries;
use serde_json::{Value, json};

const ENDPOINTS: &str = "/2026-02-01/webhook_endpoints.json";

fn endpoint_path(id: &str) -> String {
    format!("/2026-02-01/webhook_endpoints/{id}.json")
}

fn action_path(id: &str, action: &str) -> String {
    format!("/2026-02-01/webhook_endpoints/{id}/{action}.json")
}

fn retry_path(id: &str, event: &str) -> String {
    format!("/2026-02-01/webhook_endpoints/{id}/deliveries/{event}/retry.json")
}

fn draft(url: &str, events: Value) -> Value {
    json!({"webhookEndpoint": {"url": url, "events": events, "description": "Accounting sync"}})
}

async fn create(env: &TestEnv) -> Value {
    objects::create(
        env,
        ENDPOINTS,
        "webhookEndpoint",
        draft(
            "https://hooks.example.com/partner-ledger",
            json!(["commission.*"]),
        ),
    )
    .await
}

/// A delivery of a made-up event to `endpoint` of account A, with one
/// failed attempt, as the dispatcher records one.
async fn seed_delivery(env: &TestEnv, endpoint: &str) -> WebhookDelivery {
    let now = Utc::now();
    let account = Id::parse(&env.account_a).expect("account id");
    let endpoint = Id::parse(endpoint).expect("endpoint id");
    let event = Id::generate(now);
    let mut delivery = WebhookDelivery::claimed(
        &endpoint,
        &event,
        "commission.created",
        r#"{"id":"x"}"#,
        now,
        TimeDelta::seconds(20),
    );
    assert!(
        webhook_deliveries::record_new(&env.store, &account, &delivery)
            .await
            .expect("recorded")
    );
    let read_at = delivery.version;
    delivery.record(
        Attempt {
            attempt: 1,
            at: now,
            status_code: Some(500),
            latency_ms: 12,
            error: Some("answered 500".into()),
        },
        &RetrySchedule::default(),
        0.5,
    );
    assert!(
        webhook_deliveries::save(&env.store, &account, &delivery, read_at)
            .await
            .expect("saved")
    );
    delivery
}

#[tokio::test]
async fn the_secret_is_shown_at_creation_and_rotation_only() {
    let env = TestEnv::new().await;
    let created = create(&env).await;
    let id = id_of(&created);
    let secret = created["secret"].as_str().expect("a secret").to_string();
    assert!(SigningSecret::parse(&secret).is_some(), "{secret}");
    assert_eq!(
        (
            &created["url"],
            &created["events"],
            &created["enabled"],
            &created["description"]
        ),
        (
            &json!("https://hooks.example.com/partner-ledger"),
            &json!(["commission.*"]),
            &json!(true),
            &json!("Accounting sync")
        )
    );

    let got = env.get(&endpoint_path(&id)).await;
    assert_eq!(got.status, StatusCode::OK, "{:?}", got.body);
    let mut expected = created.clone();
    expected.as_object_mut().unwrap().remove("secret");
    assert_eq!(got.body["webhookEndpoint"], expected);
    let list = env.get(ENDPOINTS).await;
    assert_eq!(list.body["entities"], "WebhookEndpoint");
    assert_eq!(list.body["elements"], json!([expected]));

    let rotated = env
        .post(&action_path(&id, "rotate_secret"), json!({}))
        .await;
    assert_eq!(rotated.status, StatusCode::OK, "{:?}", rotated.body);
    let new_secret = rotated.body["webhookEndpoint"]["secret"]
        .as_str()
        .expect("secret");
    assert_ne!(new_secret, secret);
    assert!(SigningSecret::parse(new_secret).is_some());
    let after = env.get(&endpoint_path(&id)).await;
    assert_eq!(after.body["webhookEndpoint"].get("secret"), None);
    assert!(!after.body.to_string().contains(new_secret));
}

#[tokio::test]
async fn urls_that_could_reach_internal_networks_are_refused_and_nothing_is_written() {
    let env = TestEnv::new().await;
    let before = env.item_count().await;
    for url in [
        "http://hooks.example.com/",
        "https://169.254.169.254/latest/meta-data/",
        "https://10.0.0.5/hook",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[fd00::1]/hook",
        "https://100.64.0.1/",
        "https://localhost/hook",
        "https://user:secret@example.com/",
        "not a url",
    ] {
        let reply = env.post(ENDPOINTS, draft(url, json!(["*"]))).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{url}: {:?}",
            reply.body
        );
        reply.assert_names("webhookEndpoint.url", url);
    }
    for (events, field) in [
        (json!([]), "webhookEndpoint.events"),
        (json!(["invoice.*"]), "webhookEndpoint.events[0]"),
        (
            json!(["*", "commission.exploded"]),
            "webhookEndpoint.events[1]",
        ),
    ] {
        let reply = env
            .post(ENDPOINTS, draft("https://example.com/", events.clone()))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{events}: {:?}",
            reply.body
        );
        reply.assert_names(field, &events);
    }
    let unknown = env
        .post(ENDPOINTS, json!({"webhookEndpoint": {"url": "https://example.com/", "events": ["*"], "secret": "whsec_x"}}))
        .await;
    assert_eq!(
        unknown.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        unknown.body
    );
    assert_eq!(env.item_count().await, before, "nothing was written");
}

#[tokio::test]
async fn an_update_changes_only_the_given_fields_and_a_bad_one_changes_nothing() {
    let env = TestEnv::new().await;
    let created = create(&env).await;
    let id = id_of(&created);
    let updated = env
        .put(
            &endpoint_path(&id),
            json!({"webhookEndpoint": {"enabled": false, "events": ["payout.paid", "partner.*"]}}),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{:?}", updated.body);
    let endpoint = &updated.body["webhookEndpoint"];
    assert_eq!(endpoint["enabled"], json!(false));
    assert_eq!(endpoint["events"], json!(["payout.paid", "partner.*"]));
    assert_eq!(endpoint["url"], created["url"]);
    assert_eq!(endpoint["description"], created["description"]);

    let bad = env
        .put(
            &endpoint_path(&id),
            json!({"webhookEndpoint": {"url": "https://192.168.0.1/", "enabled": true}}),
        )
        .await;
    assert_eq!(
        bad.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        bad.body
    );
    bad.assert_names("webhookEndpoint.url", "a private address");
    let after = env.get(&endpoint_path(&id)).await;
    assert_eq!(after.body["webhookEndpoint"], *endpoint, "unchanged");
}

#[tokio::test]
async fn a_deleted_endpoint_is_gone() {
    let env = TestEnv::new().await;
    let id = id_of(&create(&env).await);
    let deleted = env.delete(&endpoint_path(&id)).await;
    assert_eq!(deleted.status, StatusCode::OK, "{:?}", deleted.body);
    assert_eq!(
        deleted.body,
        json!({"webhookEndpoint": {"id": id, "deleted": true}})
    );
    assert_eq!(
        env.get(&endpoint_path(&id)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        env.delete(&endpoint_path(&id)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(env.get(ENDPOINTS).await.body["count"], json!(0));
}

/// An account holds at most 16 endpoints: the 17th is refused and writes
/// nothing, concurrent creates never pass the limit, a deletion makes room,
/// and another account has its own 16.
#[tokio::test]
async fn an_account_holds_at_most_sixteen_endpoints() {
    let env = TestEnv::new().await;
    let burst = join_all((0..20).map(|k| {
        env.post(
            ENDPOINTS,
            draft(&format!("https://hooks.example.com/{k}"), json!(["*"])),
        )
    }))
    .await;
    let created: Vec<String> = burst
        .iter()
        .filter(|reply| reply.status == StatusCode::CREATED)
        .map(|reply| {
            reply.body["webhookEndpoint"]["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    for reply in burst.iter().filter(|r| r.status != StatusCode::CREATED) {
        assert_eq!(reply.status, StatusCode::CONFLICT, "{:?}", reply.body);
    }
    assert!(created.len() <= 16, "{} endpoints created", created.len());
    assert_eq!(env.get(ENDPOINTS).await.body["count"], json!(created.len()));
    for _ in created.len()..16 {
        create(&env).await;
    }
    let items = env.item_count().await;
    let refused = env
        .post(
            ENDPOINTS,
            draft("https://hooks.example.com/17", json!(["*"])),
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{:?}", refused.body);
    assert_eq!(refused.error_code(), "endpoint_limit_reached");
    assert_eq!(
        env.item_count().await,
        items,
        "a refused create writes nothing"
    );
    assert_eq!(env.get(ENDPOINTS).await.body["count"], json!(16));

    let other = env
        .call(
            Method::POST,
            ENDPOINTS,
            Some(&env.key_b),
            Some(draft("https://hooks.example.com/b", json!(["*"]))),
        )
        .await;
    assert_eq!(other.status, StatusCode::CREATED, "{:?}", other.body);

    let deleted = env.delete(&endpoint_path(&created[0])).await;
    assert_eq!(deleted.status, StatusCode::OK, "{:?}", deleted.body);
    create(&env).await;
    assert_eq!(env.get(ENDPOINTS).await.body["count"], json!(16));
}

#[tokio::test]
async fn the_delivery_log_shows_each_attempt_and_a_retry_makes_it_due_now() {
    let env = TestEnv::new().await;
    let id = id_of(&create(&env).await);
    let delivery = seed_delivery(&env, &id).await;
    let event = delivery.event_id.to_string();

    let log = env.get(&action_path(&id, "deliveries")).await;
    assert_eq!(log.status, StatusCode::OK, "{:?}", log.body);
    assert_eq!(log.body["entities"], "WebhookDelivery");
    assert_eq!(log.body["count"], json!(1));
    let element = &log.body["elements"][0];
    assert_eq!(element["event_id"], json!(event));
    assert_eq!(element["status"], json!("pending"));
    assert_eq!(element["attempts"][0]["attempt"], json!(1));
    assert_eq!(element["attempts"][0]["status_code"], json!(500));
    assert_eq!(element["attempts"][0]["latency_ms"], json!(12));
    assert_eq!(element["attempts"][0]["error"], json!("answered 500"));

    let before = Utc::now();
    let retried = env.post(&retry_path(&id, &event), json!({})).await;
    assert_eq!(retried.status, StatusCode::ACCEPTED, "{:?}", retried.body);
    let due: chrono::DateTime<Utc> =
        serde_json::from_value(retried.body["webhookDelivery"]["next_attempt_at"].clone())
            .expect("a due time");
    assert!(
        due >= before - TimeDelta::seconds(1) && due <= Utc::now(),
        "{due}"
    );

    assert_eq!(
        env.post(&retry_path(&id, NOWHERE), json!({})).await.status,
        StatusCode::NOT_FOUND
    );
    env.put(
        &endpoint_path(&id),
        json!({"webhookEndpoint": {"enabled": false}}),
    )
    .await;
    let disabled = env.post(&retry_path(&id, &event), json!({})).await;
    assert_eq!(disabled.status, StatusCode::CONFLICT, "{:?}", disabled.body);
    assert_eq!(disabled.error_code(), "endpoint_disabled");
}

fn routes(endpoint: &str, event: &str) -> Vec<Route> {
    vec![
        Route::collection(Method::GET, ENDPOINTS, "webhooks:read"),
        Route::collection(Method::POST, ENDPOINTS, "webhooks:write")
            .with_body(draft("https://example.com/x", json!(["*"]))),
        Route::object(Method::GET, endpoint_path(endpoint), "webhooks:read"),
        Route::object(Method::PUT, endpoint_path(endpoint), "webhooks:write")
            .with_body(json!({"webhookEndpoint": {"enabled": false}})),
        Route::object(Method::DELETE, endpoint_path(endpoint), "webhooks:write"),
        Route::object(
            Method::POST,
            action_path(endpoint, "rotate_secret"),
            "webhooks:write",
        ),
        Route::object(
            Method::GET,
            action_path(endpoint, "deliveries"),
            "webhooks:read",
        ),
        Route::object(Method::POST, retry_path(endpoint, event), "webhooks:write"),
    ]
}

#[tokio::test]
async fn every_route_requires_a_key_and_its_scope() {
    let env = TestEnv::new().await;
    let id = id_of(&create(&env).await);
    let event = seed_delivery(&env, &id).await.event_id.to_string();
    let wrong = env.key_with_scopes(&["events:*", "commissions:*"]).await;
    let read_only = env.key_with_scopes(&["webhooks:read"]).await;
    let routes = routes(&id, &event);
    assert_keys_are_required(&env, &routes).await;
    assert_scopes_are_enforced(&env, &routes, &wrong, &read_only).await;
}

#[tokio::test]
async fn another_account_cannot_see_or_touch_an_endpoint() {
    let env = TestEnv::new().await;
    let created = create(&env).await;
    let id = id_of(&created);
    let event = seed_delivery(&env, &id).await.event_id.to_string();
    assert_other_accounts_get_404(&env, &routes(&id, &event), "webhook endpoint not found").await;
    let mut expected = created.clone();
    expected.as_object_mut().unwrap().remove("secret");
    assert_eq!(
        env.get(&endpoint_path(&id)).await.body["webhookEndpoint"],
        expected,
        "A's endpoint is untouched"
    );
}
