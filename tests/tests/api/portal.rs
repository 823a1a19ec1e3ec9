//! Portal sessions end to end: a merchant's key with `partners:write` mints
//! a short-lived partner token (bounded lifetime, stored hashed with a
//! `ttl`, refused for a banned partner or another account's); that token
//! opens no API-key route of the route table, and the portal's routes answer
//! only its own partner's data, to no API key, expired or banned session.

use aws_sdk_dynamodb::types::AttributeValue;
use axum::body::Body;
use chrono::{DateTime, Duration, Utc};
use harness::TestEnv;
use harness::deployment::route_table;
use harness::json::{id_of, num};
use harness::objects::{self, create_commission, create_group, create_partner, create_referral};
use harness::paths::{COMMISSIONS, PAYOUT_RUN, commission_action_path};
use harness::seed;
use http::{Method, Request, StatusCode};
use ledger_core::model::PortalToken;
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

/// A fresh portal token of `partner`.
async fn portal_token(env: &TestEnv, partner: &str) -> String {
    mint(env, partner, None).await["token"]
        .as_str()
        .expect("a token")
        .to_string()
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
        token.starts_with(&format!("plp_{}_{partner}_", env.account_a)),
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
    let cases = [
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
    ];
    env.assert_each_refused(Method::POST, &sessions_path(&partner), &env.key_a, &cases)
        .await;
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
    let token = portal_token(&env, &partner).await;
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
async fn no_portal_answer_is_stored_by_a_cache() {
    let env = TestEnv::new().await;
    let ann = partner(&env, "ann@example.com").await;
    let token = portal_token(&env, &ann).await;
    for (method, path) in portal_routes() {
        if method != Method::GET {
            continue;
        }
        for credential in [Some(token.as_str()), None] {
            let mut request = Request::builder().method(method.clone()).uri(&path);
            if let Some(token) = credential {
                request = request.header("authorization", format!("Bearer {token}"));
            }
            let (reply, headers) = env
                .send_with_headers(request.body(Body::empty()).unwrap())
                .await;
            assert_eq!(
                headers.get("cache-control").and_then(|v| v.to_str().ok()),
                Some("private, no-store"),
                "{path} ({}): {:?}",
                reply.status,
                reply.body
            );
        }
    }
}

#[tokio::test]
async fn each_partners_token_reads_only_that_partner() {
    let env = TestEnv::new().await;
    let ann = partner(&env, "ann@example.com").await;
    let bob = id_of(&create_partner(&env, json!({"partner": {"email": "bob@example.com"}})).await);
    for (own, other) in [(&ann, &bob), (&bob, &ann)] {
        let token = portal_token(&env, own).await;
        let reply = env.call(Method::GET, OWN_PARTNER, Some(&token), None).await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        let merchant_view = env.get(&format!("/2026-02-01/partners/{own}.json")).await;
        assert_eq!(reply.body["partner"], merchant_view.body["partner"]);
        for (method, path) in portal_routes() {
            if method != Method::GET {
                continue;
            }
            let reply = env.call(method, &path, Some(&token), None).await;
            assert_eq!(reply.status, StatusCode::OK, "{path}: {:?}", reply.body);
            assert!(
                !reply.body.to_string().contains(other.as_str()),
                "{path}: {:?}",
                reply.body
            );
        }
    }
}

#[tokio::test]
async fn the_portal_takes_no_api_key_and_no_session_of_a_banned_partner() {
    let env = TestEnv::new().await;
    let ann = partner(&env, "ann@example.com").await;
    let token = portal_token(&env, &ann).await;
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
        for (method, path) in portal_routes() {
            let body = (method != Method::GET)
                .then(|| json!({"partner": {"payout_email": "x@example.com"}}));
            let reply = env.call(method, &path, credential, body).await;
            assert_eq!(
                reply.status,
                StatusCode::UNAUTHORIZED,
                "{path} with {credential:?}: {:?}",
                reply.body
            );
            assert_eq!(reply.error_code(), "unauthorized");
            assert_names_the_portal_session(&reply.body, &path);
        }
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
    assert_names_the_portal_session(&refused.body, "a banned partner's session");
}

/// A portal 401 tells the partner what to do about their session, and
/// speaks of no API key (a partner has none).
fn assert_names_the_portal_session(body: &Value, context: &str) {
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("portal session token") && !message.contains("API key"),
        "{context}: {message:?}"
    );
}

#[tokio::test]
async fn a_partner_changes_only_their_payout_email_recorded_as_the_session() {
    let env = TestEnv::new().await;
    let ann = partner(&env, "ann@example.com").await;
    let session = mint(&env, &ann, None).await;
    let token = session["token"].as_str().expect("a token").to_string();
    let cases = [
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
    ];
    env.assert_each_refused(Method::PUT, OWN_PARTNER, &token, &cases)
        .await;

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
    let session_id = PortalToken::parse(&token).expect("a token").session_id;
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

/// The portal's API routes, from the route table: what a partner token opens
/// (the page's routes are public).
fn portal_routes() -> Vec<(Method, String)> {
    let routes: Vec<(Method, String)> = route_table()
        .into_iter()
        .filter(|route| route.binary == "portal" && route.path.starts_with("/2026-02-01/portal/"))
        .map(|route| (route.method.parse().expect("a method"), route.path))
        .collect();
    assert!(routes.len() >= 7, "{routes:?}");
    routes
}

/// A partner of a campaign that hides customer emails and greets them,
/// with link code `handle`: its id and the campaign's.
async fn campaign_partner(env: &TestEnv, handle: &str, hide_emails: bool) -> (String, String) {
    create_group(
        env,
        "Default",
        json!([{"type": "recurring", "percentage": 10}]),
    )
    .await;
    let mut campaign = seed::campaign_create(&format!("Program of {handle}"));
    campaign["campaign"]["hide_emails"] = json!(hide_emails);
    campaign["campaign"]["welcome_message"] = json!("Welcome aboard");
    campaign["campaign"]["dashboard_text"] = json!("Payouts go out monthly.");
    let campaign =
        id_of(&objects::create(env, "/2026-02-01/campaigns.json", "campaign", campaign).await);
    let mut body = seed::partner_create(handle);
    body["partner"]["campaign_id"] = json!(campaign);
    (id_of(&create_partner(env, body).await), campaign)
}

async fn portal_get(env: &TestEnv, path: &str, token: &str) -> Value {
    let reply = env.call(Method::GET, path, Some(token), None).await;
    assert_eq!(reply.status, StatusCode::OK, "{path}: {:?}", reply.body);
    reply.body
}

#[tokio::test]
async fn the_portal_shows_the_program_referrals_commissions_payouts_and_earnings_the_merchant_sees()
{
    let env = TestEnv::new().await;
    let (ann, campaign) = campaign_partner(&env, "annlee", true).await;
    let referral = id_of(
        &create_referral(
            &env,
            seed::referral_create("carla.customer@example.org", "annlee"),
        )
        .await,
    );
    // Above the account's minimum payout (50), so the run pays it.
    let paid = create_commission(&env, &referral, "62.34", "py_portal_1").await;
    create_commission(&env, &referral, "5.01", "py_portal_2").await;
    let approved = env
        .call(
            Method::POST,
            &commission_action_path(&paid, "approve"),
            Some(&env.key_a),
            None,
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{:?}", approved.body);
    let run = env
        .call(Method::POST, PAYOUT_RUN, Some(&env.key_a), None)
        .await;
    assert_eq!(run.status, StatusCode::OK, "{:?}", run.body);
    let token = portal_token(&env, &ann).await;

    let own = portal_get(&env, OWN_PARTNER, &token).await;
    let program = &own["program"];
    assert_eq!(program["campaign_id"], json!(campaign));
    assert_eq!(program["welcome_message"], json!("Welcome aboard"));
    assert_eq!(program["dashboard_text"], json!("Payouts go out monthly."));
    assert_eq!(program["hide_emails"], json!(true));
    assert_eq!(program["cookie_duration"], json!(30));

    let referrals = portal_get(&env, "/2026-02-01/portal/referrals.json", &token).await;
    assert_eq!(referrals["count"], json!(1));
    assert_eq!(referrals["elements"][0]["id"], json!(referral));
    assert_eq!(referrals["elements"][0]["email"], json!("c***@e***.org"));
    assert!(
        !referrals.to_string().contains("carla"),
        "the masked email leaks nothing: {referrals}"
    );

    let commissions = portal_get(&env, "/2026-02-01/portal/commissions.json", &token).await;
    assert_eq!(commissions["count"], json!(2));
    let (merchant, _) = objects::walk(&env, COMMISSIONS, &format!("partner_id={ann}")).await;
    let standing =
        |c: &Value| ["id", "status", "payout_status", "amount"].map(|field| c[field].clone());
    let shown: Vec<[Value; 4]> = commissions["elements"]
        .as_array()
        .expect("elements")
        .iter()
        .map(standing)
        .collect();
    assert_eq!(shown, merchant.iter().map(standing).collect::<Vec<_>>());
    for internal in [
        "internal_note",
        "fraud_check",
        "applied_rules",
        "stripe_payment_id",
    ] {
        assert!(
            commissions["elements"][0].get(internal).is_none(),
            "{internal} stays the merchant's"
        );
    }

    let payouts = portal_get(&env, "/2026-02-01/portal/payouts.json", &token).await;
    assert_eq!(payouts["count"], json!(1), "{payouts}");
    let payout = &payouts["elements"][0];
    assert_eq!(num(&payout["amount"]), "62.34");
    assert_eq!(payout["status"], json!("pending"));
    assert!(payout.get("payout_email").is_none());

    let earnings = portal_get(&env, "/2026-02-01/portal/earnings.json?months=3", &token).await;
    let months = earnings["earnings"]["months"].as_array().expect("months");
    assert_eq!(months.len(), 3);
    let this_month = Utc::now().format("%Y-%m").to_string();
    assert_eq!(earnings["earnings"]["to"], json!(this_month));
    assert_eq!(earnings["earnings"]["complete"], json!(true));
    assert_eq!(months[2]["month"], json!(this_month));
    let line = &months[2]["currencies"][0];
    assert_eq!(line["currency"], json!("EUR"));
    assert_eq!(num(&line["pending"]), "5.01");
    assert_eq!(num(&line["approved"]), "0");
    assert_eq!(num(&line["paid"]), "62.34");
    assert_eq!(num(&line["total"]), "67.35");
    assert_eq!(months[0]["currencies"], json!([]));
}

#[tokio::test]
async fn customer_emails_show_when_the_campaign_allows_them() {
    let env = TestEnv::new().await;
    let (ann, _) = campaign_partner(&env, "annlee", false).await;
    create_referral(
        &env,
        seed::referral_create("carla.customer@example.org", "annlee"),
    )
    .await;
    let token = portal_token(&env, &ann).await;
    let referrals = portal_get(&env, "/2026-02-01/portal/referrals.json", &token).await;
    assert_eq!(
        referrals["elements"][0]["email"],
        json!("carla.customer@example.org")
    );
}

#[tokio::test]
async fn an_earnings_range_out_of_bounds_is_a_422_naming_months() {
    let env = TestEnv::new().await;
    let ann = partner(&env, "ann@example.com").await;
    let token = portal_token(&env, &ann).await;
    for months in ["0", "25", "4294967296", "-1", "twelve"] {
        let path = format!("/2026-02-01/portal/earnings.json?months={months}");
        let reply = env.call(Method::GET, &path, Some(&token), None).await;
        assert!(reply.status.is_client_error(), "{months}: {:?}", reply.body);
        reply.assert_names("months", months);
    }
    let unknown = env
        .call(
            Method::GET,
            "/2026-02-01/portal/earnings.json?partner_id=68f76721000000000000abcd",
            Some(&token),
            None,
        )
        .await;
    unknown.assert_names("partner_id", "another partner's id");
}

#[tokio::test]
async fn hostile_paging_of_the_portal_lists_is_a_4xx_and_a_cursor_pages_only_its_own_list() {
    let env = TestEnv::new().await;
    let (ann, _) = campaign_partner(&env, "annlee", false).await;
    for n in 0..3 {
        create_referral(
            &env,
            seed::referral_create(&format!("c{n}@example.org"), "annlee"),
        )
        .await;
    }
    let token = portal_token(&env, &ann).await;
    let first = portal_get(&env, "/2026-02-01/portal/referrals.json?size=2", &token).await;
    let cursor = first["pages"]["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_string();
    let second = portal_get(
        &env,
        &format!("/2026-02-01/portal/referrals.json?size=2&cursor={cursor}"),
        &token,
    )
    .await;
    assert_eq!(
        second["elements"].as_array().map(Vec::len),
        Some(1),
        "{second}"
    );
    let before = env.item_count().await;
    for list in ["referrals", "commissions", "payouts"] {
        for query in [
            "size=0".to_string(),
            "size=101".to_string(),
            "size=-1".to_string(),
            "size=1e3".to_string(),
            "page=99999999999999999999".to_string(),
            "cursor=not-a-cursor".to_string(),
            format!("cursor={}", "\u{1F600}".repeat(500)),
        ] {
            let path = format!("/2026-02-01/portal/{list}.json?{query}");
            let reply = env.call(Method::GET, &path, Some(&token), None).await;
            assert!(
                reply.status.is_client_error(),
                "{path}: {} {:?}",
                reply.status,
                reply.body
            );
        }
        if list != "referrals" {
            let path = format!("/2026-02-01/portal/{list}.json?cursor={cursor}&size=2");
            let reply = env.call(Method::GET, &path, Some(&token), None).await;
            assert!(
                reply.status.is_client_error(),
                "another list's cursor on {list}: {} {:?}",
                reply.status,
                reply.body
            );
        }
    }
    assert_eq!(env.item_count().await, before, "nothing was written");
}
