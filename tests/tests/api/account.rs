//! The account endpoint group against the emulator: the settings' round trip
//! (the webhook secret write-only, the default pointers untouched, bad input
//! writing nothing, the secret verifying real deliveries), API keys created,
//! listed and deleted (the token shown once and never stored, a deleted key
//! refused on the very next request, no key creating or deleting a key more
//! powerful than itself), access control and the request budget.

use aws_sdk_dynamodb::types::AttributeValue;
use axum::body::Body;
use chrono::Utc;
use futures::future::join;
use harness::access::{
    Route, assert_keys_are_required, assert_other_accounts_get_404, assert_scopes_are_enforced,
};
use harness::objects::create_default_group;
use harness::paths::{ACCOUNT, CAMPAIGNS, KEYS, PARTNERS, webhook_path};
use harness::{Reply, TestEnv};
use http::{Method, Request, StatusCode};
use ledger_core::model::{ApiToken, Id};
use ledger_core::money::Currency;
use ledger_core::stripe::sign;
use ledger_store::{Item, Key, api_keys};
use rust_decimal::Decimal;
use serde_json::{Value, json};

fn key_path(id: &str) -> String {
    format!("/2026-02-01/api_keys/{id}.json")
}

/// The key id inside a token: `plk_<account>_<key>_<secret>`.
fn key_id(token: &str) -> String {
    token.split('_').nth(2).expect("a token").to_string()
}

/// Account A's item as stored.
async fn stored_account(env: &TestEnv) -> Item {
    let account = Id::parse(&env.account_a).unwrap();
    env.store
        .get(&Key::account(&account))
        .await
        .unwrap()
        .expect("account A exists")
}

async fn put_account(env: &TestEnv, settings: Value) -> Reply {
    env.put(ACCOUNT, json!({"account": settings})).await
}

/// Creates a key with `key` and answers the create's `apiKey` object.
async fn create_key(env: &TestEnv, key: &str, scopes: &[&str]) -> Value {
    let reply = env
        .call(
            Method::POST,
            KEYS,
            Some(key),
            Some(json!({"apiKey": {"name": "Made by test", "scopes": scopes}})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.body["apiKey"].clone()
}

fn token_of(created: &Value) -> String {
    created["key"].as_str().expect("the token").to_string()
}

async fn get_with(env: &TestEnv, path: &str, key: &str) -> Reply {
    env.call(Method::GET, path, Some(key), None).await
}

async fn delete_with(env: &TestEnv, id: &str, key: &str) -> Reply {
    env.call(Method::DELETE, &key_path(id), Some(key), None)
        .await
}

#[tokio::test]
async fn get_shows_the_settings_and_never_the_secret() {
    let env = TestEnv::new().await;
    let reply = env.get(ACCOUNT).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let created_at = reply.body["account"]["created_at"].clone();
    assert!(created_at.is_string());
    assert_eq!(
        reply.body,
        json!({"account": {
            "id": env.account_a,
            "name": "Account A",
            "currency": "EUR",
            "hold_days": 30,
            "min_payout": 50,
            "stripe_webhook_secret_set": false,
            "portal_allowed_origins": [],
            "portal_hide_earnings": false,
            "created_at": created_at,
        }})
    );

    let secret = "whsec_never_shown_again";
    let set = put_account(&env, json!({"stripe_webhook_secret": secret})).await;
    assert_eq!(set.status, StatusCode::OK, "{:?}", set.body);
    assert_eq!(
        set.body["account"]["stripe_webhook_secret_set"],
        json!(true)
    );
    let got = env.get(ACCOUNT).await;
    assert_eq!(got.body, set.body, "PUT answers what GET shows");
    for body in [&set.body, &got.body] {
        assert!(!body.to_string().contains(secret), "{body}");
        assert!(body["account"].get("stripe_webhook_secret").is_none());
    }
    assert_eq!(
        stored_account(&env).await["stripe_webhook_secret"],
        AttributeValue::S(secret.into())
    );

    let cleared = put_account(&env, json!({"stripe_webhook_secret": null})).await;
    assert_eq!(cleared.status, StatusCode::OK, "{:?}", cleared.body);
    assert_eq!(
        cleared.body["account"]["stripe_webhook_secret_set"],
        json!(false)
    );
    assert!(
        !stored_account(&env)
            .await
            .contains_key("stripe_webhook_secret")
    );
}

#[tokio::test]
async fn an_update_changes_only_the_given_settings() {
    let env = TestEnv::new().await;
    let before = env.get(ACCOUNT).await.body["account"].clone();
    let reply: Reply = env
        .call(
            Method::PUT,
            ACCOUNT,
            Some(&env.key_a),
            Some(
                serde_json::from_str(
                    r#"{"account": {"name": " Acme GmbH ", "min_payout": 10.50, "hold_days": 0}}"#,
                )
                .unwrap(),
            ),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let mut expected = before.clone();
    expected["name"] = json!("Acme GmbH");
    expected["min_payout"] = serde_json::from_str("10.50").unwrap();
    expected["hold_days"] = json!(0);
    assert_eq!(reply.body["account"], expected);
    assert_eq!(
        reply.body["account"]["min_payout"].to_string(),
        "10.50",
        "the decimal keeps its exact digits"
    );
    assert_eq!(env.get(ACCOUNT).await.body["account"], expected);

    let usd = put_account(&env, json!({"currency": "USD", "hold_days": 365})).await;
    assert_eq!(usd.status, StatusCode::OK, "{:?}", usd.body);
    expected["currency"] = json!("USD");
    expected["hold_days"] = json!(365);
    assert_eq!(usd.body["account"], expected);

    let yen = put_account(&env, json!({"currency": "JPY", "min_payout": 5000})).await;
    assert_eq!(yen.status, StatusCode::OK, "{:?}", yen.body);
    assert_eq!(
        (
            &yen.body["account"]["currency"],
            &yen.body["account"]["min_payout"]
        ),
        (&json!("JPY"), &json!(5000))
    );
}

#[tokio::test]
async fn the_portal_settings_round_trip_and_an_empty_list_clears_the_origins() {
    let env = TestEnv::new().await;
    let set = put_account(
        &env,
        json!({"portal_allowed_origins": ["https://Partners.Example.com", "http://localhost:8080"],
               "portal_hide_earnings": true}),
    )
    .await;
    assert_eq!(set.status, StatusCode::OK, "{:?}", set.body);
    assert_eq!(
        (
            &set.body["account"]["portal_allowed_origins"],
            &set.body["account"]["portal_hide_earnings"]
        ),
        (
            &json!(["https://partners.example.com", "http://localhost:8080"]),
            &json!(true)
        ),
        "origins are kept in lower case"
    );
    assert_eq!(
        env.get(ACCOUNT).await.body,
        set.body,
        "PUT answers what GET shows"
    );
    assert_eq!(
        stored_account(&env).await["portal_hide_earnings"],
        AttributeValue::Bool(true)
    );

    let renamed = put_account(&env, json!({"name": "Renamed"})).await;
    assert_eq!(
        renamed.body["account"]["portal_allowed_origins"],
        set.body["account"]["portal_allowed_origins"],
        "an update without the setting keeps it"
    );
    let cleared = put_account(
        &env,
        json!({"portal_allowed_origins": [], "portal_hide_earnings": false}),
    )
    .await;
    assert_eq!(cleared.status, StatusCode::OK, "{:?}", cleared.body);
    let got = env.get(ACCOUNT).await.body;
    assert_eq!(got["account"]["portal_allowed_origins"], json!([]));
    assert_eq!(got["account"]["portal_hide_earnings"], json!(false));
}

#[tokio::test]
async fn an_update_leaves_the_default_pointers_and_other_attributes_alone() {
    let env = TestEnv::new().await;
    let group = create_default_group(&env).await;
    let campaign = env
        .post(
            CAMPAIGNS,
            json!({"campaign": {"name": "Main", "is_default": true}}),
        )
        .await;
    assert_eq!(campaign.status, StatusCode::CREATED, "{:?}", campaign.body);
    let campaign = campaign.body["campaign"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut item = stored_account(&env).await;

    let reply = put_account(
        &env,
        json!({"name": "Renamed", "currency": "USD", "hold_days": 14, "min_payout": 25,
               "stripe_webhook_secret": "whsec_pointer_test"}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);

    for (name, value) in [
        ("name", AttributeValue::S("Renamed".into())),
        ("currency", AttributeValue::S("USD".into())),
        ("hold_days", AttributeValue::N("14".into())),
        ("min_payout", AttributeValue::S("25".into())),
        (
            "stripe_webhook_secret",
            AttributeValue::S("whsec_pointer_test".into()),
        ),
    ] {
        item.insert(name.into(), value);
    }
    assert_eq!(
        stored_account(&env).await,
        item,
        "only the given settings changed"
    );
    let got_group = env
        .get(&format!("/2026-02-01/partners/groups/{group}.json"))
        .await;
    assert_eq!(
        got_group.body["default"],
        json!(true),
        "{:?}",
        got_group.body
    );
    let got_campaign = env
        .get(&format!("/2026-02-01/campaigns/{campaign}.json"))
        .await;
    assert_eq!(got_campaign.body["campaign"]["is_default"], json!(true));
    let partner = env
        .post(PARTNERS, json!({"partner": {"email": "ann@example.com"}}))
        .await;
    assert_eq!(partner.status, StatusCode::CREATED, "{:?}", partner.body);
    assert_eq!(
        (
            &partner.body["partner"]["group_id"],
            &partner.body["partner"]["campaign_id"]
        ),
        (&json!(group), &json!(campaign)),
        "new partners still join the defaults"
    );
}

#[tokio::test]
async fn an_empty_update_answers_the_account_and_writes_nothing() {
    let env = TestEnv::new().await;
    let item = stored_account(&env).await;
    let current = env.get(ACCOUNT).await.body;
    for settings in [
        json!({}),
        json!({"name": null, "currency": null, "hold_days": null, "min_payout": null}),
    ] {
        env.counter.take();
        let reply = put_account(&env, settings.clone()).await;
        assert_eq!(reply.status, StatusCode::OK, "{settings}: {:?}", reply.body);
        assert_eq!(reply.body, current, "{settings}");
        assert_eq!(env.counter.take(), vec!["BatchGetItem"], "{settings}");
    }
    assert_eq!(stored_account(&env).await, item);
}

#[tokio::test]
async fn invalid_updates_name_the_field_and_write_nothing() {
    let env = TestEnv::new().await;
    let odd = put_account(
        &env,
        serde_json::from_str(r#"{"min_payout": 10.5}"#).unwrap(),
    )
    .await;
    assert_eq!(odd.status, StatusCode::OK, "{:?}", odd.body);
    let item = stored_account(&env).await;
    let count = env.item_count().await;
    let long_secret = format!("whsec_{}", "a".repeat(250));
    let cases = [
        (json!({"account": {"name": ""}}), "account.name"),
        (
            json!({"account": {"name": "n".repeat(201)}}),
            "account.name",
        ),
        (json!({"account": {"name": 7}}), "account.name"),
        (json!({"account": {"currency": "eur"}}), "account.currency"),
        (json!({"account": {"currency": "EURO"}}), "account.currency"),
        (json!({"account": {"currency": 12}}), "account.currency"),
        (json!({"account": {"currency": "JPY"}}), "account.currency"),
        (json!({"account": {"hold_days": -1}}), "account.hold_days"),
        (json!({"account": {"hold_days": 366}}), "account.hold_days"),
        (json!({"account": {"hold_days": 1.5}}), "account.hold_days"),
        (json!({"account": {"hold_days": "30"}}), "account.hold_days"),
        (json!({"account": {"min_payout": -1}}), "account.min_payout"),
        (
            serde_json::from_str(r#"{"account": {"min_payout": 10.505}}"#).unwrap(),
            "account.min_payout",
        ),
        (
            json!({"account": {"currency": "KWD", "min_payout": 1.2345}}),
            "account.min_payout",
        ),
        (
            json!({"account": {"min_payout": "ten"}}),
            "account.min_payout",
        ),
        (
            json!({"account": {"stripe_webhook_secret": "sk_live_123"}}),
            "account.stripe_webhook_secret",
        ),
        (
            json!({"account": {"stripe_webhook_secret": "whsec_"}}),
            "account.stripe_webhook_secret",
        ),
        (
            json!({"account": {"stripe_webhook_secret": "whsec_a b"}}),
            "account.stripe_webhook_secret",
        ),
        (
            json!({"account": {"stripe_webhook_secret": long_secret}}),
            "account.stripe_webhook_secret",
        ),
        (
            json!({"account": {"stripe_webhook_secret": 42}}),
            "account.stripe_webhook_secret",
        ),
        (json!({"account": {"colour": "blue"}}), "account.colour"),
        (json!({"account": {"id": "x"}}), "account.id"),
        (
            json!({"account": {"created_at": "2026-01-01T00:00:00Z"}}),
            "account.created_at",
        ),
        (
            json!({"account": {"stripe_webhook_secret_set": true}}),
            "account.stripe_webhook_secret_set",
        ),
        (
            json!({"account": {"default_group_id": "68f76721a1b2c3d4e5f60718"}}),
            "account.default_group_id",
        ),
        (
            json!({"account": {"portal_allowed_origins": ["https://ok.example.com", "https://a.example.com", "https://b.example.com/path"]}}),
            "account.portal_allowed_origins[2]",
        ),
        (
            json!({"account": {"portal_allowed_origins": ["*"]}}),
            "account.portal_allowed_origins[0]",
        ),
        (
            json!({"account": {"portal_allowed_origins": ["https://a.example.com", "https://A.example.com"]}}),
            "account.portal_allowed_origins[1]",
        ),
        (
            json!({"account": {"portal_allowed_origins": (0..11).map(|i| format!("https://{i}.example.com")).collect::<Vec<_>>()}}),
            "account.portal_allowed_origins",
        ),
        (
            json!({"account": {"portal_allowed_origins": "https://a.example.com"}}),
            "account.portal_allowed_origins",
        ),
        (
            json!({"account": {"portal_hide_earnings": "yes"}}),
            "account.portal_hide_earnings",
        ),
        (json!({"name": "Unwrapped"}), "name"),
        (json!({}), "account"),
    ];
    for (body, field) in cases {
        let reply = env.put(ACCOUNT, body.clone()).await;
        reply.assert_names(field, &body);
    }
    let both = put_account(&env, json!({"name": " ", "hold_days": 400, "name_x": 1})).await;
    assert_eq!(
        both.fields(),
        vec!["account.name_x"],
        "unknown fields first"
    );
    let both = put_account(&env, json!({"name": " ", "hold_days": 400})).await;
    assert_eq!(both.fields(), vec!["account.name", "account.hold_days"]);
    for (content_type, body) in [
        ("application/json", r#"{"account": {"name": "x""#),
        ("text/plain", r#"{"account": {"name": "x"}}"#),
    ] {
        let request = Request::builder()
            .method(Method::PUT)
            .uri(ACCOUNT)
            .header("authorization", format!("Bearer {}", env.key_a))
            .header("content-type", content_type)
            .body(Body::from(body))
            .unwrap();
        let reply = env.send(request).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{content_type}");
    }
    assert_eq!(stored_account(&env).await, item, "nothing was written");
    assert_eq!(env.item_count().await, count);
}

#[tokio::test]
async fn concurrent_updates_never_leave_a_minimum_the_currency_cannot_pay() {
    let env = TestEnv::new().await;
    for round in 0..3 {
        let reset = put_account(&env, json!({"currency": "EUR", "min_payout": 50})).await;
        assert_eq!(reset.status, StatusCode::OK, "{:?}", reset.body);
        let (yen, cents) = join(
            put_account(&env, json!({"currency": "JPY"})),
            put_account(
                &env,
                serde_json::from_str(r#"{"min_payout": 10.5}"#).unwrap(),
            ),
        )
        .await;
        let mut statuses = vec![yen.status, cents.status];
        statuses.sort();
        assert_eq!(
            statuses,
            vec![StatusCode::OK, StatusCode::UNPROCESSABLE_ENTITY],
            "round {round}: exactly one wins: {:?} / {:?}",
            yen.body,
            cents.body
        );
        let account = env.get(ACCOUNT).await.body["account"].clone();
        let currency = Currency::parse(account["currency"].as_str().unwrap()).unwrap();
        let min_payout: Decimal = account["min_payout"].to_string().parse().unwrap();
        assert!(
            currency.fits(min_payout),
            "round {round}: {currency} cannot pay {min_payout}"
        );
    }
}

/// A delivery of an event partner-ledger acknowledges without acting on it,
/// signed with `secret`.
async fn deliver(env: &TestEnv, secret: &str) -> Reply {
    let payload = json!({"id": "evt_account_test", "object": "event", "type": "customer.created",
                         "created": Utc::now().timestamp(), "data": {"object": {"id": "cus_1"}}})
    .to_string();
    let request = Request::builder()
        .method(Method::POST)
        .uri(webhook_path(&env.account_a))
        .header("content-type", "application/json")
        .header(
            "stripe-signature",
            sign(payload.as_bytes(), secret, Utc::now()),
        )
        .body(Body::from(payload))
        .unwrap();
    env.send(request).await
}

#[tokio::test]
async fn a_secret_set_through_the_api_verifies_stripe_deliveries() {
    let env = TestEnv::new().await;
    let secret = "whsec_set_through_the_api";
    let unset = deliver(&env, secret).await;
    assert_eq!(unset.status, StatusCode::BAD_REQUEST, "{:?}", unset.body);

    let set = put_account(&env, json!({"stripe_webhook_secret": secret})).await;
    assert_eq!(set.status, StatusCode::OK, "{:?}", set.body);
    let delivered = deliver(&env, secret).await;
    assert_eq!(delivered.status, StatusCode::OK, "{:?}", delivered.body);
    assert_eq!(
        delivered.body,
        json!({"received": true, "outcome": "ignored"})
    );
    let forged = deliver(&env, "whsec_someone_else").await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST, "{:?}", forged.body);

    let removed = put_account(&env, json!({"stripe_webhook_secret": null})).await;
    assert_eq!(removed.status, StatusCode::OK, "{:?}", removed.body);
    let refused = deliver(&env, secret).await;
    assert_eq!(
        refused.status,
        StatusCode::BAD_REQUEST,
        "{:?}",
        refused.body
    );
    assert_eq!(
        refused.body, forged.body,
        "a removed secret reads as every other unverifiable delivery"
    );
}

#[tokio::test]
async fn a_created_key_is_shown_once_works_for_its_scopes_and_is_never_stored() {
    let env = TestEnv::new().await;
    let reply = env
        .post(
            KEYS,
            json!({"apiKey": {"name": " Reporting ", "scopes": ["partners:read", "campaigns:*"]}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    let created = reply.body["apiKey"].clone();
    let token = token_of(&created);
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(
        created,
        json!({"id": id, "name": "Reporting", "scopes": ["partners:read", "campaigns:*"],
               "key": token, "created_at": created["created_at"]})
    );
    assert!(token.starts_with(&format!("plk_{}_{id}_", env.account_a)));

    assert_eq!(
        get_with(&env, PARTNERS, &token).await.status,
        StatusCode::OK
    );
    assert_eq!(
        get_with(&env, CAMPAIGNS, &token).await.status,
        StatusCode::OK
    );
    let campaign = env
        .call(
            Method::POST,
            CAMPAIGNS,
            Some(&token),
            Some(json!({"campaign": {"name": "By the new key"}})),
        )
        .await;
    assert_eq!(
        campaign.status,
        StatusCode::CREATED,
        "campaigns:* writes too"
    );
    for (method, path, scope) in [
        (Method::POST, PARTNERS, "partners:write"),
        (Method::GET, ACCOUNT, "account:read"),
        (Method::GET, KEYS, "api_keys:read"),
    ] {
        let body = (method == Method::POST).then(|| json!({"partner": {"email": "x@example.com"}}));
        let reply = env.call(method, path, Some(&token), body).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{path}");
        assert!(reply.message().contains(scope), "{:?}", reply.body);
    }

    let secret = token.rsplit('_').next().unwrap();
    for item in env.items().await {
        for (name, value) in &item {
            if let AttributeValue::S(text) = value {
                assert!(
                    !text.contains(secret),
                    "{name} holds the token's secret: {item:?}"
                );
            }
        }
    }
    let account = Id::parse(&env.account_a).unwrap();
    let stored = env
        .store
        .get(&Key::api_key(&account, &Id::parse(&id).unwrap()))
        .await
        .unwrap()
        .expect("the key item");
    let stored = api_keys::from_item(stored).unwrap();
    assert_eq!(stored.secret_hash.len(), 64, "a hex SHA-256");
    assert!(
        stored.is_presented_by(&ApiToken::parse(&token).unwrap()),
        "the stored hash is the token's"
    );
}

#[tokio::test]
async fn listing_keys_shows_neither_tokens_nor_hashes() {
    let env = TestEnv::new().await;
    let created = create_key(&env, &env.key_a, &["partners:read"]).await;
    let token = token_of(&created);
    let reply = env.get(KEYS).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let bootstrap = key_id(&env.key_a);
    let first = reply.body["elements"][0].clone();
    assert_eq!(
        reply.body,
        json!({
            "entities": "ApiKey",
            "count": 2,
            "per_page": 100,
            "pages": {"current": 1, "max": 1},
            "elements": [
                {"id": bootstrap, "name": "bootstrap", "scopes": ["*"], "created_at": first["created_at"]},
                {"id": created["id"], "name": "Made by test", "scopes": ["partners:read"],
                 "created_at": created["created_at"]}
            ]
        })
    );
    let text = reply.body.to_string();
    let account = Id::parse(&env.account_a).unwrap();
    for key in api_keys::list(&env.store, &account).await.unwrap() {
        assert!(!text.contains(&key.secret_hash), "a hash is listed: {text}");
    }
    for secret in [&token, &env.key_a] {
        assert!(!text.contains(secret.rsplit('_').next().unwrap()));
    }

    let second = env.get(&format!("{KEYS}?size=1&page=2")).await;
    assert_eq!(
        (
            &second.body["count"],
            &second.body["pages"]["max"],
            &second.body["elements"][0]["id"]
        ),
        (&json!(2), &json!(2), &created["id"])
    );
    let out_of_range = env.get(&format!("{KEYS}?size=0")).await;
    assert_eq!(out_of_range.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn invalid_key_creates_name_the_field_and_write_nothing() {
    let env = TestEnv::new().await;
    let count = env.item_count().await;
    let too_many: Vec<String> = (0..=ledger_core::model::ApiKey::MAX_SCOPES)
        .map(|i| format!("scope{i}:read"))
        .collect();
    let cases = [
        (
            json!({"apiKey": {"name": " ", "scopes": ["partners:read"]}}),
            "apiKey.name",
        ),
        (
            json!({"apiKey": {"name": "k", "scopes": []}}),
            "apiKey.scopes",
        ),
        (json!({"apiKey": {"name": "k"}}), "apiKey.scopes"),
        (
            json!({"apiKey": {"scopes": ["partners:read"]}}),
            "apiKey.name",
        ),
        (
            json!({"apiKey": {"name": "k", "scopes": too_many}}),
            "apiKey.scopes",
        ),
        (
            json!({"apiKey": {"name": "k", "scopes": ["partners:read", "nope:read"]}}),
            "apiKey.scopes[1]",
        ),
        (
            json!({"apiKey": {"name": "k", "scopes": ["partners:admin"]}}),
            "apiKey.scopes[0]",
        ),
        (
            json!({"apiKey": {"name": "k", "scopes": ["partners:read", "*", "partners:read"]}}),
            "apiKey.scopes[2]",
        ),
        (
            json!({"apiKey": {"name": "k", "scopes": [7]}}),
            "apiKey.scopes[0]",
        ),
        (
            json!({"apiKey": {"name": "k", "scopes": ["*"], "key": "plk_mine"}}),
            "apiKey.key",
        ),
        (
            json!({"api_key": {"name": "k", "scopes": ["*"]}}),
            "api_key",
        ),
    ];
    for (body, field) in cases {
        let reply = env.post(KEYS, body.clone()).await;
        reply.assert_names(field, &body);
    }
    assert_eq!(env.item_count().await, count, "nothing was written");
}

#[tokio::test]
async fn a_key_cannot_create_a_key_more_powerful_than_itself() {
    let env = TestEnv::new().await;
    let restricted = env
        .key_with_scopes(&["api_keys:*", "partners:read", "campaigns:read"])
        .await;
    let count = env.item_count().await;
    for (scopes, missing) in [
        (
            vec!["*"],
            vec![
                "`partner_groups:read`",
                "`partners:write`",
                "`account:write`",
            ],
        ),
        (
            vec!["commissions:*"],
            vec!["`commissions:read`", "`commissions:write`"],
        ),
        (vec!["partners:*"], vec!["`partners:write`"]),
        (
            vec!["partners:read", "payouts:write"],
            vec!["`payouts:write`"],
        ),
    ] {
        let reply = env
            .call(
                Method::POST,
                KEYS,
                Some(&restricted),
                Some(json!({"apiKey": {"name": "escalation", "scopes": scopes}})),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "{scopes:?}: {:?}",
            reply.body
        );
        assert_eq!(reply.error_code(), "scopes_not_held", "{scopes:?}");
        for scope in missing {
            assert!(
                reply.message().contains(scope),
                "{scopes:?}: {scope} named in {:?}",
                reply.message()
            );
        }
        assert!(
            !reply.message().contains("`partners:read`"),
            "{scopes:?}: held scopes are not named: {:?}",
            reply.message()
        );
    }
    assert_eq!(env.item_count().await, count, "no key was created");

    let narrower = create_key(&env, &restricted, &["partners:read", "api_keys:read"]).await;
    assert_eq!(
        narrower["scopes"],
        json!(["partners:read", "api_keys:read"])
    );
    let read_write = env
        .key_with_scopes(&["partners:read", "partners:write", "api_keys:write"])
        .await;
    let wildcard = create_key(&env, &read_write, &["partners:*"]).await;
    let made = token_of(&wildcard);
    create_default_group(&env).await;
    let partner = env
        .call(
            Method::POST,
            PARTNERS,
            Some(&made),
            Some(json!({"partner": {"email": "ann@example.com"}})),
        )
        .await;
    assert_eq!(partner.status, StatusCode::CREATED, "{:?}", partner.body);
    let everything = create_key(&env, &env.key_a, &["*"]).await;
    assert_eq!(
        get_with(&env, ACCOUNT, &token_of(&everything)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_deleted_key_is_refused_on_the_very_next_request() {
    let env = TestEnv::new().await;
    let created = create_key(&env, &env.key_a, &["partners:read"]).await;
    let token = token_of(&created);
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(
        get_with(&env, PARTNERS, &token).await.status,
        StatusCode::OK
    );

    let deleted = env.delete(&key_path(&id)).await;
    assert_eq!(deleted.status, StatusCode::OK, "{:?}", deleted.body);
    assert_eq!(
        deleted.body,
        json!({"apiKey": {"id": id, "name": "Made by test", "scopes": ["partners:read"],
                          "created_at": created["created_at"], "deleted": true}})
    );
    let refused = get_with(&env, PARTNERS, &token).await;
    assert_eq!(
        refused.status,
        StatusCode::UNAUTHORIZED,
        "{:?}",
        refused.body
    );
    let again = env.delete(&key_path(&id)).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(again.message(), "api key not found");
    let listed = env.get(KEYS).await;
    assert_eq!(listed.body["count"], json!(1), "{:?}", listed.body);

    let own = create_key(&env, &env.key_a, &["api_keys:write"]).await;
    let own_token = token_of(&own);
    let own_id = own["id"].as_str().unwrap();
    let revoked = delete_with(&env, own_id, &own_token).await;
    assert_eq!(revoked.status, StatusCode::OK, "a key may delete itself");
    let after = delete_with(&env, own_id, &own_token).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_key_cannot_delete_a_key_more_powerful_than_itself() {
    let env = TestEnv::new().await;
    let restricted = env
        .key_with_scopes(&["api_keys:write", "partners:read"])
        .await;
    let count = env.item_count().await;
    let bootstrap = key_id(&env.key_a);
    let broader = create_key(&env, &env.key_a, &["partners:*"]).await;
    let broader_id = broader["id"].as_str().unwrap().to_string();
    for (id, missing) in [
        (bootstrap.as_str(), "`partners:write`"),
        (broader_id.as_str(), "`partners:write`"),
    ] {
        let reply = delete_with(&env, id, &restricted).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{:?}", reply.body);
        assert_eq!(reply.error_code(), "scopes_not_held");
        assert!(reply.message().contains(missing), "{:?}", reply.body);
    }
    assert_eq!(env.item_count().await, count + 1, "nothing was deleted");
    assert_eq!(
        env.get(ACCOUNT).await.status,
        StatusCode::OK,
        "A's key still works"
    );
    assert_eq!(
        get_with(&env, PARTNERS, &token_of(&broader)).await.status,
        StatusCode::OK
    );

    let narrower = create_key(&env, &env.key_a, &["partners:read"]).await;
    let reply = delete_with(&env, narrower["id"].as_str().unwrap(), &restricted).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
}

fn routes(key: &str) -> Vec<Route> {
    vec![
        Route::collection(Method::GET, ACCOUNT, "account:read"),
        Route::collection(Method::PUT, ACCOUNT, "account:write")
            .with_body(json!({"account": {"name": "Y"}})),
        Route::collection(Method::GET, KEYS, "api_keys:read"),
        Route::collection(Method::POST, KEYS, "api_keys:write")
            .with_body(json!({"apiKey": {"name": "k", "scopes": ["partners:read"]}})),
        Route::object(Method::DELETE, key_path(key), "api_keys:write"),
    ]
}

#[tokio::test]
async fn every_route_requires_a_key_and_its_scope() {
    let env = TestEnv::new().await;
    let target = create_key(&env, &env.key_a, &["partners:read"]).await;
    let wrong = env.key_with_scopes(&["partners:*", "campaigns:*"]).await;
    let read_only = env
        .key_with_scopes(&["account:read", "api_keys:read"])
        .await;
    let routes = routes(target["id"].as_str().unwrap());
    assert_keys_are_required(&env, &routes).await;
    assert_scopes_are_enforced(&env, &routes, &wrong, &read_only).await;
}

#[tokio::test]
async fn another_account_sees_only_its_own_account_and_keys() {
    let env = TestEnv::new().await;
    let target = create_key(&env, &env.key_a, &["partners:read"]).await;
    let target_token = token_of(&target);
    let routes = routes(target["id"].as_str().unwrap());
    let objects: Vec<Route> = routes.into_iter().filter(|r| r.names_object).collect();
    assert_other_accounts_get_404(&env, &objects, "api key not found").await;
    assert_eq!(
        get_with(&env, PARTNERS, &target_token).await.status,
        StatusCode::OK,
        "A's key survived B's delete"
    );
    let a_bootstrap = delete_with(&env, &key_id(&env.key_a), &env.key_b).await;
    assert_eq!(a_bootstrap.status, StatusCode::NOT_FOUND);
    let b_bootstrap = env.delete(&key_path(&key_id(&env.key_b))).await;
    assert_eq!(
        b_bootstrap.status,
        StatusCode::NOT_FOUND,
        "nor may A delete B's"
    );

    let account_b = get_with(&env, ACCOUNT, &env.key_b).await;
    assert_eq!(account_b.body["account"]["id"], json!(env.account_b));
    assert_eq!(account_b.body["account"]["name"], json!("Account B"));
    let renamed = env
        .call(
            Method::PUT,
            ACCOUNT,
            Some(&env.key_b),
            Some(json!({"account": {"name": "B renamed"}})),
        )
        .await;
    assert_eq!(renamed.body["account"]["id"], json!(env.account_b));
    assert_eq!(
        env.get(ACCOUNT).await.body["account"]["name"],
        json!("Account A")
    );
    let keys_b = get_with(&env, KEYS, &env.key_b).await;
    assert_eq!(
        (&keys_b.body["count"], &keys_b.body["elements"][0]["id"]),
        (&json!(1), &json!(key_id(&env.key_b)))
    );
    let made_by_b = create_key(&env, &env.key_b, &["partners:read"]).await;
    assert!(
        token_of(&made_by_b).starts_with(&format!("plk_{}_", env.account_b)),
        "B's keys belong to B"
    );
    assert_eq!(
        env.get(KEYS).await.body["count"],
        json!(2),
        "A's list is A's"
    );
}

#[tokio::test]
async fn requests_stay_within_the_budget() {
    let env = TestEnv::new().await;
    env.counter.take();
    assert_eq!(env.get(ACCOUNT).await.status, StatusCode::OK);
    assert_eq!(
        env.counter.take(),
        vec!["BatchGetItem"],
        "a get is one request"
    );
    assert_eq!(
        put_account(&env, json!({"hold_days": 7})).await.status,
        StatusCode::OK
    );
    assert_eq!(
        env.counter.take(),
        vec!["BatchGetItem", "TransactWriteItems"]
    );
    let created = create_key(&env, &env.key_a, &["partners:read"]).await;
    assert_eq!(
        env.counter.take(),
        vec!["BatchGetItem", "TransactWriteItems"]
    );
    assert_eq!(env.get(KEYS).await.status, StatusCode::OK);
    assert_eq!(env.counter.take(), vec!["BatchGetItem", "Query"]);
    let deleted = env.delete(&key_path(created["id"].as_str().unwrap())).await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert_eq!(
        env.counter.take(),
        vec!["BatchGetItem", "TransactWriteItems"]
    );
}
