//! Click tracking against the emulator: the public link's redirect, cookie
//! and count; its fallback to the campaign's website; unknown links; the
//! bot rule; banned partners; a burst counted exactly; reported clicks and
//! their scope; the per-day list and its bounds; tenancy.

use std::collections::HashSet;

use axum::body::Body;
use chrono::{Duration, Utc};
use futures::future::join_all;
use harness::access::{
    Route, assert_keys_are_required, assert_other_accounts_get_404, assert_scopes_are_enforced,
};
use harness::json::id_of;
use harness::objects::{create, create_default_group, create_partner, read_partner};
use harness::paths::{CAMPAIGNS, partner_path};
use harness::{Reply, TestEnv};
use http::{HeaderMap, Method, Request, StatusCode};
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
use lambda_http::request::RequestContext;
use ledger_core::model::click::Visit;
use ledger_core::model::{Click, Id, Partner};
use ledger_store::{Key, clicks, partners};
use serde_json::{Value, json};

const CLICKS: &str = "/2026-02-01/clicks.json";
const BROWSER: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";
const WEBSITE: &str = "https://shop.example.com/welcome";

/// Account A with a default group, a default campaign (a 7-day cookie,
/// `WEBSITE`) and Ann: link `ann` to her own URL, link `ann-site` with no
/// URL (so to the campaign's website). Ann's and the campaign's ids.
async fn with_links(env: &TestEnv) -> (String, String) {
    create_default_group(env).await;
    let campaign = create(
        env,
        CAMPAIGNS,
        "campaign",
        json!({"campaign": {"name": "Launch", "website_url": WEBSITE, "cookie_duration": 7, "is_default": true}}),
    )
    .await;
    let ann = create_partner(
        env,
        json!({"partner": {"email": "ann@example.com", "links": [
            {"url": "https://example.com/pricing?via=ann", "code": "ann"},
            {"code": "ann-site"}]}}),
    )
    .await;
    (id_of(&ann), id_of(&campaign))
}

fn link(account: &str, code: &str) -> String {
    format!("/r/{account}/{code}")
}

fn days_path(partner: &str, query: &str) -> String {
    format!("/2026-02-01/partners/{partner}/clicks.json{query}")
}

/// Follows `path` with `user_agent` (if any) and `extra` headers.
async fn follow_with(
    env: &TestEnv,
    method: Method,
    path: &str,
    user_agent: Option<&str>,
    extra: &[(&str, &str)],
) -> (Reply, HeaderMap) {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(agent) = user_agent {
        request = request.header("user-agent", agent);
    }
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    env.send_with_headers(request.body(Body::empty()).unwrap())
        .await
}

async fn follow(env: &TestEnv, path: &str) -> (Reply, HeaderMap) {
    follow_with(env, Method::GET, path, Some(BROWSER), &[]).await
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).map(|value| value.to_str().unwrap())
}

/// The click id a counted redirect carries: in `pl_click` and the cookie alike.
fn click_of(reply: &Reply, headers: &HeaderMap) -> String {
    assert_eq!(reply.status, StatusCode::FOUND, "{:?}", reply.body);
    let location = header(headers, "location").unwrap();
    let (_, id) = location.rsplit_once("pl_click=").expect("a pl_click");
    let cookie = header(headers, "set-cookie").expect("a cookie");
    assert!(cookie.starts_with(&format!("pl_ref={id};")), "{cookie}");
    id.to_string()
}

async fn clicks_of(env: &TestEnv, partner: &str) -> Value {
    read_partner(env, partner).await["clicks"].clone()
}

async fn today(env: &TestEnv, partner: &str) -> Value {
    let day = Utc::now().date_naive();
    let reply = env
        .get(&days_path(partner, &format!("?from={day}&to={day}")))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body["clicks"]["days"][0]["clicks"].clone()
}

#[tokio::test]
async fn a_followed_link_redirects_counts_and_sets_the_attribution_cookie() {
    let env = TestEnv::new().await;
    let (ann, campaign) = with_links(&env).await;
    let (reply, headers) = follow(&env, &link(&env.account_a, "ANN")).await;
    let id = click_of(&reply, &headers);
    assert_eq!(
        header(&headers, "location").unwrap(),
        format!("https://example.com/pricing?via=ann&pl_click={id}")
    );
    assert_eq!(
        header(&headers, "set-cookie").unwrap(),
        format!("pl_ref={id}; Max-Age=604800; Path=/; SameSite=Lax; Secure"),
        "the campaign's 7 days, readable by the merchant's script"
    );
    assert_eq!(header(&headers, "cache-control"), Some("no-store"));

    let (reply, headers) = follow(&env, &link(&env.account_a, "ann-site")).await;
    let second = click_of(&reply, &headers);
    assert_eq!(
        header(&headers, "location").unwrap(),
        format!("{WEBSITE}?pl_click={second}"),
        "a link without a url leads to the campaign's website"
    );
    assert_eq!(clicks_of(&env, &ann).await, json!(2));
    assert_eq!(today(&env, &ann).await, json!(2));

    let account = Id::parse(&env.account_a).unwrap();
    let stored = env
        .store
        .read(&clicks::at(&account, &Id::parse(&id).unwrap()))
        .await
        .unwrap()
        .expect("the click is kept");
    assert_eq!(stored.partner_id.to_string(), ann);
    assert_eq!(stored.campaign_id.map(|c| c.to_string()), Some(campaign));
    assert_eq!(stored.code, "ann");
    assert_eq!(stored.expires_at - stored.at, Duration::days(7));
    let item = env
        .store
        .get(&Key::click(&account, &stored.id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        item[clicks::TTL_ATTRIBUTE].as_n().unwrap(),
        &stored.expires_at.timestamp().to_string()
    );
}

#[tokio::test]
async fn the_visitors_address_is_stored_only_as_a_hash() {
    let env = TestEnv::new().await;
    with_links(&env).await;
    let mut context = ApiGatewayV2httpRequestContext::default();
    context.http.source_ip = Some("198.51.100.23".into());
    let mut request = Request::builder()
        .uri(link(&env.account_a, "ann"))
        .header("user-agent", BROWSER)
        .body(Body::empty())
        .unwrap();
    request
        .extensions_mut()
        .insert(RequestContext::ApiGatewayV2(context));
    let (reply, headers) = env.send_with_headers(request).await;
    let id = Id::parse(&click_of(&reply, &headers)).unwrap();
    let account = Id::parse(&env.account_a).unwrap();
    let item = env
        .store
        .get(&Key::click(&account, &id))
        .await
        .unwrap()
        .unwrap();
    assert!(!format!("{item:?}").contains("198.51.100.23"), "{item:?}");
    let hash = item["ip_hash"].as_s().unwrap();
    assert_eq!(hash.len(), 64);
}

#[tokio::test]
async fn an_unknown_link_is_a_404_that_counts_nothing() {
    let env = TestEnv::new().await;
    let (ann, _) = with_links(&env).await;
    let before = env.item_count().await;
    let huge = "a".repeat(5000);
    for path in [
        link(&env.account_a, "bob"),
        link(&env.account_b, "ann"),
        link("not-an-account", "ann"),
        link(&Id::generate(Utc::now()).to_string(), "ann"),
        link(&env.account_a, &huge),
        link(&env.account_a, "ann%00"),
        link(&env.account_a, "%C3%A9t%C3%A9"),
        link(&env.account_a, "%FF%FE"),
        format!("/r/{}", env.account_a),
        format!("/r/{}/ann/more", env.account_a),
    ] {
        let (reply, headers) = follow(&env, &path).await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{path}: {:?}",
            reply.body
        );
        assert_eq!(reply.error_code(), "not_found", "{path}");
        assert!(header(&headers, "location").is_none(), "{path}");
        assert!(header(&headers, "set-cookie").is_none(), "{path}");
    }
    assert_eq!(env.item_count().await, before, "nothing was written");
    assert_eq!(clicks_of(&env, &ann).await, json!(0));
}

#[tokio::test]
async fn a_link_leading_nowhere_is_a_404() {
    let env = TestEnv::new().await;
    create_default_group(&env).await;
    let bob = create_partner(
        &env,
        json!({"partner": {"email": "bob@example.com", "links": [{"code": "bob"}]}}),
    )
    .await;
    let before = env.item_count().await;
    let (reply, _) = follow(&env, &link(&env.account_a, "bob")).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{:?}", reply.body);
    assert_eq!(env.item_count().await, before);
    assert_eq!(clicks_of(&env, &id_of(&bob)).await, json!(0));
}

/// Request headers beyond the user agent.
type Headers<'a> = &'a [(&'a str, &'a str)];

#[tokio::test]
async fn bots_are_redirected_but_not_counted() {
    let env = TestEnv::new().await;
    let (ann, _) = with_links(&env).await;
    let path = link(&env.account_a, "ann");
    let before = env.item_count().await;
    let visits: [(Method, Option<&str>, Headers); 8] = [
        (Method::GET, None, &[]),
        (Method::GET, Some(""), &[]),
        (
            Method::GET,
            Some("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"),
            &[],
        ),
        (
            Method::GET,
            Some("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"),
            &[],
        ),
        (Method::GET, Some("python-requests/2.32.3"), &[]),
        (Method::HEAD, Some(BROWSER), &[]),
        (Method::GET, Some(BROWSER), &[("purpose", "prefetch")]),
        (
            Method::GET,
            Some(BROWSER),
            &[("sec-purpose", "prefetch;prerender")],
        ),
    ];
    for (method, agent, extra) in visits {
        let label = format!("{method} {agent:?} {extra:?}");
        let (reply, headers) = follow_with(&env, method, &path, agent, extra).await;
        assert_eq!(reply.status, StatusCode::FOUND, "{label}: {:?}", reply.body);
        assert_eq!(
            header(&headers, "location"),
            Some("https://example.com/pricing?via=ann"),
            "{label}: redirected, without a click id"
        );
        assert!(header(&headers, "set-cookie").is_none(), "{label}");
        assert_eq!(header(&headers, "cache-control"), Some("no-store"));
    }
    assert_eq!(
        env.item_count().await,
        before,
        "no bot's visit was recorded"
    );
    assert_eq!(clicks_of(&env, &ann).await, json!(0));
    let (reply, headers) = follow_with(&env, Method::GET, &path, Some("curl/8.5.0"), &[]).await;
    click_of(&reply, &headers);
    assert_eq!(clicks_of(&env, &ann).await, json!(1), "curl is counted");
}

#[tokio::test]
async fn a_banned_or_unapproved_partners_link_redirects_without_counting() {
    let env = TestEnv::new().await;
    let (ann, _) = with_links(&env).await;
    let path = link(&env.account_a, "ann");
    let ban = env
        .post(&format!("/2026-02-01/partners/{ann}/ban.json"), json!({}))
        .await;
    assert_eq!(ban.status, StatusCode::OK, "{:?}", ban.body);
    let banned = env.item_count().await;
    let (reply, headers) = follow(&env, &path).await;
    assert_eq!(reply.status, StatusCode::FOUND);
    assert_eq!(
        header(&headers, "location"),
        Some("https://example.com/pricing?via=ann")
    );
    assert!(header(&headers, "set-cookie").is_none());
    assert_eq!(env.item_count().await, banned, "banned: nothing recorded");
    let unban = env
        .put(
            &partner_path(&ann),
            json!({"partner": {"banned": false, "approved": false}}),
        )
        .await;
    assert_eq!(unban.status, StatusCode::OK, "{:?}", unban.body);
    let after_unban = env.item_count().await;
    let (reply, headers) = follow(&env, &path).await;
    assert_eq!(reply.status, StatusCode::FOUND);
    assert!(
        header(&headers, "set-cookie").is_none(),
        "not approved: not counted"
    );
    assert_eq!(env.item_count().await, after_unban);
    assert_eq!(clicks_of(&env, &ann).await, json!(0));
}

#[tokio::test]
async fn a_burst_of_clicks_on_one_link_counts_exactly() {
    let env = TestEnv::new().await;
    let (ann, _) = with_links(&env).await;
    const BURST: usize = 120;
    let paths: Vec<String> = (0..BURST)
        .map(|n| link(&env.account_a, if n % 2 == 0 { "ann" } else { "ANN-SITE" }))
        .collect();
    let replies = join_all(paths.iter().map(|path| follow(&env, path))).await;
    let ids: HashSet<String> = replies
        .iter()
        .map(|(reply, headers)| click_of(reply, headers))
        .collect();
    assert_eq!(ids.len(), BURST, "every click has an id of its own");
    assert_eq!(clicks_of(&env, &ann).await, json!(BURST));
    assert_eq!(today(&env, &ann).await, json!(BURST));
    let list = env
        .get(&format!("{}?size=10", harness::paths::PARTNERS))
        .await;
    assert_eq!(
        list.body["elements"][0]["clicks"],
        json!(BURST),
        "the list sums the shards too"
    );
}

#[tokio::test]
async fn a_reported_click_is_counted_and_answers_its_id() {
    let env = TestEnv::new().await;
    let (ann, campaign) = with_links(&env).await;
    let script = env.key_with_scopes(&["clicks:write"]).await;
    let report = |body: Value, agent: Option<&'static str>| {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(CLICKS)
            .header("authorization", format!("Bearer {script}"))
            .header("content-type", "application/json");
        if let Some(agent) = agent {
            request = request.header("user-agent", agent);
        }
        let request = request.body(Body::from(body.to_string())).unwrap();
        let env = &env;
        async move { env.send_with_headers(request).await.0 }
    };
    let reply = report(
        json!({"click": {"code": "Ann", "landing_url": "https://shop.example.com/?via=ann"}}),
        Some(BROWSER),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    let click = &reply.body["click"];
    assert_eq!(click["counted"], json!(true));
    assert_eq!(click["id"], click["click_id"]);
    assert_eq!(click["partner_id"], json!(ann));
    assert_eq!(click["campaign_id"], json!(campaign));
    assert_eq!(click["code"], json!("ann"));
    assert_eq!(clicks_of(&env, &ann).await, json!(1));

    let by_body = report(
        json!({"click": {"code": "ann", "user_agent": BROWSER, "ip": "2001:db8::1"}}),
        None,
    )
    .await;
    assert_eq!(
        by_body.status,
        StatusCode::CREATED,
        "the body's user agent counts: {:?}",
        by_body.body
    );
    let before = env.item_count().await;
    let bot = report(
        json!({"click": {"code": "ann", "user_agent": "AhrefsBot/7.0"}}),
        Some(BROWSER),
    )
    .await;
    assert_eq!(bot.status, StatusCode::OK, "{:?}", bot.body);
    assert_eq!(bot.body["click"]["counted"], json!(false));
    assert_eq!(bot.body["click"]["reason"], json!("bot"));
    assert_eq!(bot.body["click"]["id"], Value::Null);
    for (body, field) in [
        (json!({"click": {"code": "bob"}}), "click.code"),
        (json!({"click": {"code": "a".repeat(10_000)}}), "click.code"),
        (json!({"click": {"code": "ann\u{0}"}}), "click.code"),
        (
            json!({"click": {"code": "ann", "landing_url": "javascript:alert(1)"}}),
            "click.landing_url",
        ),
        (
            json!({"click": {"code": "ann", "ip": "300.1.1.1"}}),
            "click.ip",
        ),
        (json!({"click": {"code": "ann", "extra": 1}}), "click.extra"),
        (json!({"click": {}}), "click.code"),
    ] {
        let reply = report(body.clone(), Some(BROWSER)).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {:?}",
            reply.body
        );
        reply.assert_names(field, &body);
    }
    assert_eq!(
        env.item_count().await,
        before,
        "nothing refused was written"
    );
    assert_eq!(clicks_of(&env, &ann).await, json!(2));
}

/// A click of `partner` recorded straight in the table, `days_ago` days
/// back, with a `window` of that many days.
async fn stored_click(env: &TestEnv, partner: &str, days_ago: i64, window: u32) -> Click {
    let account = Id::parse(&env.account_a).unwrap();
    let partner: Partner = env
        .store
        .read(&partners::at(&account, &Id::parse(partner).unwrap()))
        .await
        .unwrap()
        .unwrap();
    let visit = Visit {
        user_agent: Some(BROWSER),
        ..Visit::default()
    };
    let at = Utc::now() - Duration::days(days_ago);
    let click = Click::new(
        &account,
        &partner,
        &partner.links[0],
        window,
        &visit,
        None,
        at,
    );
    env.store
        .transact(clicks::record(&env.store, &account, &click).unwrap())
        .await
        .unwrap();
    click
}

#[tokio::test]
async fn the_per_day_list_counts_each_day_and_refuses_bad_ranges() {
    let env = TestEnv::new().await;
    let (ann, _) = with_links(&env).await;
    for days_ago in [2, 2, 1] {
        stored_click(&env, &ann, days_ago, 30).await;
    }
    follow(&env, &link(&env.account_a, "ann")).await;
    let day = |ago: i64| (Utc::now() - Duration::days(ago)).date_naive().to_string();
    let reply = env
        .get(&days_path(&ann, &format!("?from={}&to={}", day(3), day(0))))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(
        reply.body["clicks"]["days"],
        json!([
            {"date": day(3), "clicks": 0},
            {"date": day(2), "clicks": 2},
            {"date": day(1), "clicks": 1},
            {"date": day(0), "clicks": 1},
        ])
    );
    assert_eq!(reply.body["clicks"]["total"], json!(4));
    assert_eq!(clicks_of(&env, &ann).await, json!(4));
    let default = env.get(&days_path(&ann, "")).await;
    assert_eq!(default.body["clicks"]["days"].as_array().unwrap().len(), 30);
    assert_eq!(default.body["clicks"]["to"], json!(day(0)));

    let before = env.item_count().await;
    let long = "9".repeat(5000);
    for (query, field) in [
        ("?from=2026-13-01".to_string(), "from"),
        ("?to=yesterday".to_string(), "to"),
        (format!("?from={long}"), "from"),
        ("?from=2026-02-02&to=2026-02-01".to_string(), "to"),
        ("?from=2024-01-01&to=2025-01-01".to_string(), "from"),
        ("?from=%FF%FE".to_string(), "from"),
    ] {
        let reply = env.get(&days_path(&ann, &query)).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {:?}",
            reply.body
        );
        reply.assert_names(field, &query);
    }
    let year = env
        .get(&days_path(&ann, "?from=2024-01-01&to=2024-12-31"))
        .await;
    assert_eq!(
        year.status,
        StatusCode::OK,
        "366 days is the most: {:?}",
        year.body
    );
    let unknown = env
        .get(&days_path(&Id::generate(Utc::now()).to_string(), ""))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(env.item_count().await, before);
}

#[tokio::test]
async fn the_click_routes_need_their_keys_and_scopes_and_keep_accounts_apart() {
    let env = TestEnv::new().await;
    let (ann, _) = with_links(&env).await;
    let routes = [
        Route::collection(Method::POST, CLICKS, "clicks:write")
            .with_body(json!({"click": {"code": "ann", "user_agent": BROWSER}})),
        Route::object(Method::GET, days_path(&ann, ""), "partners:read"),
    ];
    let wrong = env.key_with_scopes(&["referrals:*", "campaigns:*"]).await;
    let read_only = env.key_with_scopes(&["partners:read", "clicks:read"]).await;
    assert_keys_are_required(&env, &routes).await;
    let before = env.item_count().await;
    for route in &routes {
        let refused = route.call(&env, Some(&wrong)).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", route.label());
        assert!(refused.message().contains(route.scope), "{}", route.label());
    }
    assert_scopes_are_enforced(&env, &routes[1..], &wrong, &read_only).await;
    let reading = routes[0].call(&env, Some(&read_only)).await;
    assert_eq!(
        reading.status,
        StatusCode::FORBIDDEN,
        "clicks:read cannot report a click"
    );
    assert_eq!(env.item_count().await, before);
    assert_other_accounts_get_404(&env, &routes[1..], "partner not found").await;
    let foreign = routes[0].call(&env, Some(&env.key_b)).await;
    assert_eq!(
        foreign.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        foreign.body
    );
    foreign.assert_names("click.code", "account B reports A's code");
    assert_eq!(
        env.item_count().await,
        before,
        "account B counted nothing of A's"
    );
    assert_eq!(clicks_of(&env, &ann).await, json!(0));
}
