//! Portal sessions end to end: a merchant's key with `partners:write` mints
//! a short-lived partner token (bounded lifetime, stored hashed with a
//! `ttl`, refused for a banned partner or another account's); that token
//! opens no API-key route of the route table, and the portal's routes answer
//! only its own partner's data, to no API key, expired or banned session.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Duration, Utc};
use harness::TestEnv;
use harness::deployment::route_table;
use harness::json::id_of;
use harness::objects::{create_group, create_partner};
use http::{Method, StatusCode};
use serde_json::{Value, json};

fn sessions_path(partner: &str) -> String {
    format!("/2026-02-01/partners/{partner}/portal_sessions.json")
}

/// A partner of account A, in its default group.
async fn partner(env: &TestEnv, email: &str) -> String {
    create_group(
        env,
        "Default",
        json!([{"type": "recurring", "percentage": 10}]),
    )
    .await;
    id_of(&create_partner(env, json!({"partner": {"email": email}})).await)
}

/// Mints a portal session of `partner` with account A's key; its object.
async fn mint(env: &TestEnv, partner: &str, body: Option<Value>) -> Value {
    let reply = env
        .call(
            Method::POST,
            &sessions_path(partner),
            Some(&env.key_a),
            body,
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.body["portalSession"].clone()
}

fn expiry(session: &Value) -> DateTime<Utc> {
    session["expires_at"]
        .as_str()
        .and_then(|at| at.parse().ok())
        .expect("expires_at is a time")
}

/// The stored portal session items.
async fn stored_sessions(env: &TestEnv) -> Vec<ledger_store::Item> {
    env.items()
        .await
        .into_iter()
        .filter(|item| {
            matches!(item.get("sk"), Some(AttributeValue::S(sk)) if sk.starts_with("PORTAL_SESSION#"))
        })
        .collect()
}

#[tokio::test]
async fn a_minted_session_answers_its_token_once_and_stores_only_its_hash() {
    let env = TestEnv::new().await;
    let partner = partner(&env, "ann@example.com").await;
    let before = Utc::now();
    let session = mint(&env, &partner, None).await;
    let token = session["token"].as_str().expect("a token").to_string();
    assert!(
        token.starts_with(&format!("plp_{}_", env.account_a)),
        "{token}"
    );
    let expires_at = expiry(&session);
    assert!(
        expires_at >= before + Duration::seconds(3600)
            && expires_at <= Utc::now() + Duration::seconds(3600),
        "an hour by default: {expires_at}"
    );
    assert_eq!(
        session["url"],
        json!(format!(
            "https://localhost/portal/{}#token={token}",
            env.account_a
        ))
    );

    let items = stored_sessions(&env).await;
    assert_eq!(items.len(), 1);
    let item = &items[0];
    assert_eq!(
        item.get("ttl"),
        Some(&AttributeValue::N(expires_at.timestamp().to_string()))
    );
    assert_eq!(
        item.get("partner_id"),
        Some(&AttributeValue::S(partner.clone()))
    );
    let plaintext = format!("{item:?}").contains(&token);
    assert!(!plaintext, "the token itself is never stored");

    let short = mint(
        &env,
        &partner,
        Some(json!({"portalSession": {"expires_in": 60}})),
    )
    .await;
    assert!(expiry(&short) <= Utc::now() + Duration::seconds(60));
    assert_ne!(short["token"], session["token"]);
}

#[tokio::test]
async fn a_lifetime_out_of_bounds_or_an_unknown_field_is_refused_and_nothing_written() {
    let env = TestEnv::new().await;
    let partner = partner(&env, "ann@example.com").await;
    let before = env.item_count().await;
    for (body, field) in [
        (
            json!({"portalSession": {"expires_in": 59}}),
            "portalSession.expires_in",
        ),
        (
            json!({"portalSession": {"expires_in": 86_401}}),
            "portalSession.expires_in",
        ),
        (
            json!({"portalSession": {"expires_in": "soon"}}),
            "portalSession.expires_in",
        ),
        (
            json!({"portalSession": {"scopes": ["*"]}}),
            "portalSession.scopes",
        ),
    ] {
        let reply = env
            .call(
                Method::POST,
                &sessions_path(&partner),
                Some(&env.key_a),
                Some(body.clone()),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {:?}",
            reply.body
        );
        reply.assert_names(field, &body);
    }
    assert_eq!(env.item_count().await, before, "nothing was written");
    mint(
        &env,
        &partner,
        Some(json!({"portalSession": {"expires_in": 86_400}})),
    )
    .await;
}

#[tokio::test]
async fn a_banned_partner_gets_no_session() {
    let env = TestEnv::new().await;
    let partner = partner(&env, "ann@example.com").await;
    let banned = env
        .call(
            Method::POST,
            &format!("/2026-02-01/partners/{partner}/ban.json"),
            Some(&env.key_a),
            None,
        )
        .await;
    assert_eq!(banned.status, StatusCode::OK, "{:?}", banned.body);
    let before = env.item_count().await;
    let reply = env
        .call(
            Method::POST,
            &sessions_path(&partner),
            Some(&env.key_a),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{:?}", reply.body);
    assert_eq!(reply.error_code(), "partner_banned");
    assert_eq!(env.item_count().await, before);
}

/// A route's path with each `{placeholder}` filled in.
fn concrete(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some((before, after)) = rest.split_once('{') {
        out.push_str(before);
        rest = after.split_once('}').map_or("", |(_, tail)| tail);
        out.push_str("68f76721000000000000abcd");
    }
    out.push_str(rest);
    out
}

#[tokio::test]
async fn a_portal_token_opens_no_route_an_api_key_opens() {
    let env = TestEnv::new().await;
    let partner = partner(&env, "ann@example.com").await;
    let token = mint(&env, &partner, None).await["token"]
        .as_str()
        .expect("a token")
        .to_string();
    let before = env.item_count().await;
    let mut keyed = 0;
    for route in route_table()
        .into_iter()
        .filter(|route| route.binary != "portal")
    {
        let path = concrete(&route.path);
        let method: Method = route.method.parse().expect("a method");
        let body = (method != Method::GET).then(|| json!({}));
        let anonymous = env.call(method.clone(), &path, None, body.clone()).await;
        let with_token = env.call(method, &path, Some(&token), body).await;
        let label = format!("{} {}", route.method, route.path);
        if anonymous.status == StatusCode::UNAUTHORIZED {
            keyed += 1;
            assert!(
                [StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN].contains(&with_token.status),
                "{label} with a portal token: {} {:?}",
                with_token.status,
                with_token.body
            );
        } else {
            assert_eq!(
                with_token.status, anonymous.status,
                "{label}: a portal token gains nothing on a route that takes no key"
            );
        }
    }
    assert!(keyed > 30, "the walk met the keyed routes: {keyed}");
    assert_eq!(env.item_count().await, before, "the token wrote nothing");
}

const OWN_PARTNER: &str = "/2026-02-01/portal/partner.json";

#[tokio::test]
async fn each_partners_token_reads_only_that_partner() {
    let env = TestEnv::new().await;
    let ann = partner(&env, "ann@example.com").await;
    let bob = id_of(&create_partner(&env, json!({"partner": {"email": "bob@example.com"}})).await);
    for (own, other) in [(&ann, &bob), (&bob, &ann)] {
        let token = mint(&env, own, None).await["token"]
            .as_str()
            .expect("a token")
            .to_string();
        let reply = env.call(Method::GET, OWN_PARTNER, Some(&token), None).await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        let merchant_view = env.get(&format!("/2026-02-01/partners/{own}.json")).await;
        assert_eq!(reply.body["partner"], merchant_view.body["partner"]);
        assert!(
            !reply.body.to_string().contains(other.as_str()),
            "{:?}",
            reply.body
        );
    }
}

#[tokio::test]
async fn the_portal_takes_no_api_key_and_no_session_of_a_banned_partner() {
    let env = TestEnv::new().await;
    let ann = partner(&env, "ann@example.com").await;
    let token = mint(&env, &ann, None).await["token"]
        .as_str()
        .expect("a token")
        .to_string();
    let unknown = format!(
        "plp_{}_{}_{}",
        env.account_a,
        "68f76721000000000000abcd",
        "0".repeat(64)
    );
    let forged = format!(
        "{}{}",
        &token[..token.len() - 1],
        if token.ends_with('0') { '1' } else { '0' }
    );
    for credential in [
        None,
        Some(env.key_a.as_str()),
        Some(unknown.as_str()),
        Some(forged.as_str()),
        Some("plp_"),
    ] {
        let reply = env.call(Method::GET, OWN_PARTNER, credential, None).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{credential:?}: {:?}",
            reply.body
        );
        assert_eq!(reply.error_code(), "unauthorized");
    }
    let live = env.call(Method::GET, OWN_PARTNER, Some(&token), None).await;
    assert_eq!(live.status, StatusCode::OK, "{:?}", live.body);
    let banned = env
        .call(
            Method::POST,
            &format!("/2026-02-01/partners/{ann}/ban.json"),
            Some(&env.key_a),
            None,
        )
        .await;
    assert_eq!(banned.status, StatusCode::OK, "{:?}", banned.body);
    let refused = env.call(Method::GET, OWN_PARTNER, Some(&token), None).await;
    assert_eq!(
        refused.status,
        StatusCode::UNAUTHORIZED,
        "{:?}",
        refused.body
    );
}

#[tokio::test]
async fn a_partner_changes_only_their_payout_email_recorded_as_the_session() {
    let env = TestEnv::new().await;
    let ann = partner(&env, "ann@example.com").await;
    let session = mint(&env, &ann, None).await;
    let token = session["token"].as_str().expect("a token").to_string();
    let before = env.item_count().await;
    for (body, field) in [
        (
            json!({"partner": {"payout_email": "a@b.example.com", "email": "x@example.com"}}),
            "partner.email",
        ),
        (
            json!({"partner": {"first_name": "Mallory"}}),
            "partner.first_name",
        ),
        (
            json!({"partner": {"payout_email": "not an email"}}),
            "partner.payout_email",
        ),
    ] {
        let reply = env
            .call(Method::PUT, OWN_PARTNER, Some(&token), Some(body.clone()))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {:?}",
            reply.body
        );
        reply.assert_names(field, &body);
    }
    assert_eq!(env.item_count().await, before, "nothing was written");

    let body = json!({"partner": {"payout_email": "payouts@ann.example.com"}});
    let refused = env
        .call(
            Method::PUT,
            OWN_PARTNER,
            Some(&env.key_a),
            Some(body.clone()),
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNAUTHORIZED,
        "an API key: {:?}",
        refused.body
    );
    let reply = env
        .call(Method::PUT, OWN_PARTNER, Some(&token), Some(body))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(
        reply.body["partner"]["payout_email"],
        json!("payouts@ann.example.com")
    );
    let merchant_view = env.get(&format!("/2026-02-01/partners/{ann}.json")).await;
    assert_eq!(merchant_view.body["partner"], reply.body["partner"]);

    let events = env
        .get("/2026-02-01/events.json?type=partner.updated")
        .await;
    assert_eq!(events.status, StatusCode::OK, "{:?}", events.body);
    let elements = events.body["elements"].as_array().expect("elements");
    assert_eq!(elements.len(), 1, "{elements:?}");
    let session_id = token.split('_').nth(2).expect("the session id");
    assert_eq!(
        elements[0]["actor"],
        json!({"type": "portal_session", "id": session_id})
    );
    let previous = elements[0]["data"]["previous"]
        .as_object()
        .expect("previous values");
    let changed: Vec<&str> = previous.keys().map(String::as_str).collect();
    assert_eq!(
        changed,
        ["payout_email", "updated_at"],
        "only the payout email changed"
    );
    assert_eq!(previous["payout_email"], json!(null));
}
