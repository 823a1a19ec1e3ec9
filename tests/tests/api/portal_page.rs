//! The embeddable portal page as the portal function serves it: public (no
//! token), its Content-Security-Policy framed only by the account's
//! `portal_allowed_origins` (an unknown, malformed or absent account: by
//! nobody), `portal_hide_earnings` carried into the HTML, the headers every
//! answer has, the assets the HTML names served with their types and
//! caching, and one read per page.

use axum::body::Body;
use harness::TestEnv;
use http::{HeaderMap, Method, Request, StatusCode};
use serde_json::{Value, json};

const STRICT: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors";

/// GETs `path` with no key: status, body text and headers.
async fn open(env: &TestEnv, path: &str) -> (StatusCode, String, HeaderMap) {
    let request = Request::builder()
        .method(Method::GET)
        .uri(path)
        .body(Body::empty())
        .unwrap();
    let (reply, headers) = env.send_with_headers(request).await;
    let text = match reply.body {
        Value::String(text) => text,
        other => panic!("{path}: not text: {other:?}"),
    };
    (reply.status, text, headers)
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no {name} header"))
}

/// The page's `frame-ancestors` sources, after asserting the rest of its
/// policy and headers.
fn frame_ancestors(headers: &HeaderMap) -> String {
    let policy = header(headers, "content-security-policy");
    let ancestors = policy
        .strip_prefix(STRICT)
        .unwrap_or_else(|| panic!("not the strict policy: {policy}"));
    assert_eq!(header(headers, "content-type"), "text/html; charset=utf-8");
    assert_eq!(header(headers, "cache-control"), "no-cache");
    assert_eq!(header(headers, "x-content-type-options"), "nosniff");
    assert_eq!(header(headers, "referrer-policy"), "no-referrer");
    ancestors.trim().to_string()
}

fn page_path(account: &str) -> String {
    format!("/portal/{account}")
}

async fn set_portal(env: &TestEnv, key: &str, settings: Value) {
    let reply = env
        .call(
            Method::PUT,
            "/2026-02-01/account.json",
            Some(key),
            Some(json!({"account": settings})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
}

#[tokio::test]
async fn the_page_is_framed_only_by_the_accounts_allowed_origins() {
    let env = TestEnv::new().await;
    let (status, html, headers) = open(&env, &page_path(&env.account_a)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(frame_ancestors(&headers), "'none'", "no origins: nobody");
    assert!(html.contains(r#"data-hide-earnings="false""#), "{html}");

    set_portal(
        &env,
        &env.key_a,
        json!({"portal_allowed_origins": ["https://Partners.Example.com", "http://localhost:8080"],
               "portal_hide_earnings": true}),
    )
    .await;
    set_portal(
        &env,
        &env.key_b,
        json!({"portal_allowed_origins": ["https://b.example.com"]}),
    )
    .await;
    env.counter.take();
    let (status, html, headers) = open(&env, &page_path(&env.account_a)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        env.counter.take(),
        vec!["BatchGetItem"],
        "one read of the account"
    );
    assert_eq!(
        frame_ancestors(&headers),
        "https://partners.example.com http://localhost:8080"
    );
    assert!(html.contains(r#"data-hide-earnings="true""#), "{html}");
    let (_, _, b_headers) = open(&env, &page_path(&env.account_b)).await;
    assert_eq!(frame_ancestors(&b_headers), "https://b.example.com");

    set_portal(&env, &env.key_a, json!({"portal_allowed_origins": []})).await;
    let (_, _, headers) = open(&env, &page_path(&env.account_a)).await;
    assert_eq!(frame_ancestors(&headers), "'none'", "emptied: nobody again");
}

#[tokio::test]
async fn unknown_malformed_or_no_account_gets_the_page_framed_by_nobody() {
    let env = TestEnv::new().await;
    set_portal(
        &env,
        &env.key_a,
        json!({"portal_allowed_origins": ["https://partners.example.com"]}),
    )
    .await;
    let (_, known_html, _) = open(&env, &page_path(&env.account_a)).await;
    for path in [
        page_path("68f76721a1b2c3d4e5f60718"),
        page_path("not-an-account"),
        page_path(&env.account_a.to_uppercase()),
        page_path("%FF%FE"),
        "/portal".to_string(),
    ] {
        let (status, html, headers) = open(&env, &path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(frame_ancestors(&headers), "'none'", "{path}");
        assert_eq!(html, known_html, "{path}: the same page, nothing revealed");
    }
}

#[tokio::test]
async fn the_assets_the_html_names_are_served_typed_and_cacheable() {
    let env = TestEnv::new().await;
    let (_, html, _) = open(&env, &page_path(&env.account_a)).await;
    for (asset, content_type) in [
        ("/portal/assets/portal.css", "text/css; charset=utf-8"),
        ("/portal/assets/portal.js", "text/javascript; charset=utf-8"),
    ] {
        assert!(
            html.contains(&format!("\"{asset}\"")),
            "the HTML names {asset}"
        );
        let (status, body, headers) = open(&env, asset).await;
        assert_eq!(status, StatusCode::OK, "{asset}");
        assert!(!body.is_empty(), "{asset}");
        assert_eq!(header(&headers, "content-type"), content_type);
        assert_eq!(header(&headers, "cache-control"), "public, max-age=300");
        assert_eq!(header(&headers, "x-content-type-options"), "nosniff");
        assert_eq!(header(&headers, "referrer-policy"), "no-referrer");
    }
    let other = env
        .call(Method::GET, "/portal/assets/other.js", None, None)
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND, "{:?}", other.body);
}
