//! The embeddable portal page: one static HTML page, its stylesheet and its
//! script (under `functions/portal/page/`, compiled in), served public and
//! without a token. The page reads the token from its URL's fragment and
//! calls the `/portal/` API itself; the server only decides the headers.
//!
//! The HTML's Content-Security-Policy names the account's
//! `portal_allowed_origins` as its `frame-ancestors`, so only those pages
//! may frame it; the HTML is therefore `no-cache`, the assets, the same for
//! every account, cacheable. An unknown or malformed account id answers the
//! same page, framable by nobody (`frame-ancestors 'none'`), rather than a
//! 404 that would tell which account ids exist; its API calls fail anyway.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::HeaderValue;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
};
use axum::response::{IntoResponse, Response};
use ledger_core::model::{Account, Id};
use ledger_http::ApiError;
use ledger_store::Store;

const TAG: &str = "Portal";
const HTML: &str = include_str!("../page/portal.html");
const STYLESHEET: &str = include_str!("../page/portal.css");
const SCRIPT: &str = include_str!("../page/portal.js");
/// Where the HTML carries the account's `portal_hide_earnings`.
const HIDE_EARNINGS_MARK: &str = "data-hide-earnings=\"false\"";
const ASSET_CACHING: &str = "public, max-age=300";

/// The Partner Portal Page.
///
/// Public, no token: the page a portal session's `url` opens (the token in the fragment, which
/// the page's script reads and removes). Its `Content-Security-Policy` `frame-ancestors` lists
/// the account's `portal_allowed_origins` (none: `'none'`, no page may frame it); an unknown
/// account gets the same page, framable by nobody. `Cache-Control: no-cache`.
#[utoipa::path(get, path = "/portal/{accountId}", tag = TAG,
    params(("accountId" = String, Path, description = "The account whose partners the page serves.")),
    responses((status = 200, description = "The portal page.", content_type = "text/html",
        headers(("Content-Security-Policy" = String, description = "A strict policy; `frame-ancestors` from the account's `portal_allowed_origins`."),
                ("Cache-Control" = String, description = "`no-cache`.")))))]
pub async fn portal_page(
    State(store): State<Store>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    // A segment that is no account id (not even UTF-8) names no account either.
    let account = match path.ok().and_then(|Path(account)| Id::parse(&account)) {
        Some(id) => ledger_app::read_account(&store, &id, ()).await?.0,
        None => None,
    };
    Ok(page(account.as_ref()))
}

/// The Partner Portal Page, Framed by Nobody.
///
/// The page without an account: it works opened on its own, and no page may frame it
/// (`frame-ancestors 'none'`). `Cache-Control: no-cache`.
#[utoipa::path(get, path = "/portal", tag = TAG,
    responses((status = 200, description = "The portal page.", content_type = "text/html")))]
pub async fn unframed_portal_page() -> Response {
    page(None)
}

/// The Portal Page's Stylesheet.
#[utoipa::path(get, path = "/portal/assets/portal.css", tag = TAG,
    responses((status = 200, description = "The stylesheet; `Cache-Control: public, max-age=300`.", content_type = "text/css")))]
pub async fn portal_stylesheet() -> Response {
    asset("text/css; charset=utf-8", STYLESHEET)
}

/// The Portal Page's Script.
#[utoipa::path(get, path = "/portal/assets/portal.js", tag = TAG,
    responses((status = 200, description = "The script; `Cache-Control: public, max-age=300`.", content_type = "text/javascript")))]
pub async fn portal_script() -> Response {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

/// The HTML for `account` (`None`: unknown), with its headers.
fn page(account: Option<&Account>) -> Response {
    let hide_earnings = account.is_some_and(|a| a.portal_hide_earnings);
    let html = HTML.replace(
        HIDE_EARNINGS_MARK,
        &format!("data-hide-earnings=\"{hide_earnings}\""),
    );
    let origins = account.map_or(&[][..], |a| &a.portal_allowed_origins[..]);
    let mut response = (
        [
            (
                CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        html,
    )
        .into_response();
    // Stored origins were checked to be bare `scheme://host[:port]`; one that
    // is not a header value (it cannot be) leaves the page unframable.
    let policy = HeaderValue::from_str(&content_security_policy(origins))
        .unwrap_or_else(|_| HeaderValue::from_static(NOBODY_POLICY));
    let headers = response.headers_mut();
    headers.insert(CONTENT_SECURITY_POLICY, policy);
    secure(headers);
    response
}

/// Only the page's own script, style and API; then who may frame it.
macro_rules! policy {
    ($ancestors:literal) => {
        concat!(
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; ",
            "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors ",
            $ancestors
        )
    };
}
const NOBODY_POLICY: &str = policy!("'none'");

/// The page's policy, framed by `origins` alone (none: by nobody).
fn content_security_policy(origins: &[String]) -> String {
    if origins.is_empty() {
        NOBODY_POLICY.to_string()
    } else {
        format!("{}{}", policy!(""), origins.join(" "))
    }
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut response = (
        [
            (CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (CACHE_CONTROL, HeaderValue::from_static(ASSET_CACHING)),
        ],
        body,
    )
        .into_response();
    secure(response.headers_mut());
    response
}

/// What every answer of the page carries: no type sniffing, no referrer.
fn secure(headers: &mut axum::http::HeaderMap) {
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_origins_frames_nobody_and_origins_are_listed() {
        assert_eq!(content_security_policy(&[]), NOBODY_POLICY);
        let policy = content_security_policy(&[
            "https://partners.example.com".into(),
            "http://localhost:8080".into(),
        ]);
        assert!(
            policy
                .ends_with("; frame-ancestors https://partners.example.com http://localhost:8080"),
            "{policy}"
        );
    }

    #[test]
    fn the_html_carries_the_hide_earnings_mark_once() {
        assert_eq!(HTML.matches(HIDE_EARNINGS_MARK).count(), 1);
    }
}
