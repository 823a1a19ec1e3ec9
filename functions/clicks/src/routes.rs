//! The click handlers: read the visit off the request, hand it to
//! `ledger_app::clicks`, shape the redirect or the answer.

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use lambda_http::request::RequestContext;
use ledger_app::clicks::NotCounted;
use ledger_core::model::Id;
use ledger_core::model::click::{self, Visit};
use ledger_http::openapi::{LinkErrors, WriteErrors};
use ledger_http::scopes::ClicksWrite;
use ledger_http::{ApiError, Caller, JsonBody};

use crate::App;
use crate::views::{ClickResponse, ReportClickRequest, bot_rule, reason_name};

const TAG: &str = "Clicks";
const WRAPPER: &str = "click";

/// Follow a Partner's Link.
///
/// Public, no key: the link a partner shares. Redirects (302) to the link's `url`, else to its
/// partner's campaign's `website_url`, with the click's id added as `pl_click`; counts the click
/// and sets the `pl_ref` cookie (the click's id) for the campaign's `cookie_duration` days, so
/// the latest click is the one a signup is attributed to. Bots (no or a bot-like `User-Agent`,
/// a prefetch, a `HEAD`) and links of a banned or unapproved partner are redirected without
/// counting, a cookie or `pl_click`. Never cached (`Cache-Control: no-store`).
#[utoipa::path(get, path = "/r/{accountId}/{code}", tag = TAG,
    params(
        ("accountId" = String, Path, description = "The account the link belongs to."),
        ("code" = String, Path, description = "The partner's link code, in any case.")),
    responses(
        (status = 302, description = "To the link's destination.", headers(
            ("Location" = String, description = "The destination, with `pl_click=<click id>` when the click was counted."),
            ("Set-Cookie" = String, description = "`pl_ref=<click id>; Max-Age=<cookie_duration in seconds>; Path=/; SameSite=Lax; Secure`, when the click was counted."),
            ("Cache-Control" = String, description = "`no-store`."))),
        LinkErrors))]
pub async fn follow_link(
    State(app): State<App>,
    path: Result<Path<(String, String)>, PathRejection>,
    method: Method,
    headers: HeaderMap,
    context: Option<axum::Extension<RequestContext>>,
) -> Result<Response, ApiError> {
    // A path that is not two UTF-8 segments names no link either.
    let Path((account, code)) = path.map_err(|_| ApiError::NotFound("link"))?;
    let account = Id::parse(&account).ok_or(ApiError::NotFound("link"))?;
    let ip = context.as_ref().and_then(|axum::Extension(c)| source_ip(c));
    let visit = Visit {
        head: method == Method::HEAD,
        ip: ip.as_deref(),
        ..visit(&headers)
    };
    let followed = ledger_app::clicks::follow(&app.store, &account, &code, &visit).await?;
    let location =
        HeaderValue::from_str(&followed.destination).map_err(|_| ApiError::NotFound("link"))?;
    let mut response = (
        StatusCode::FOUND,
        [
            (LOCATION, location),
            (CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
    )
        .into_response();
    match &followed.click {
        Ok(click) => {
            let cookie = click::cookie(click, app.cookies.domain.as_deref(), app.cookies.insecure);
            if let Ok(cookie) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(SET_COOKIE, cookie);
            }
        }
        Err(reason) => not_counted(*reason),
    }
    Ok(response)
}

/// Report a Click.
///
/// The click of a visitor who reached the merchant's site with a partner's link code, recorded
/// and counted as a followed link is, without a redirect: for the site's tracking script. The
/// visitor's `user_agent` and `ip` default to the request's; the bot rule applies to them.
/// Answers the click's id (201), which the script keeps as the visitor's `pl_ref` and a referral
/// names as `click_id`; a visit not counted answers 200 with `counted: false`. Each request is
/// one click.
#[utoipa::path(post, path = "/clicks.json", tag = TAG, request_body = ReportClickRequest,
    responses(
        (status = 201, description = "Click recorded.", body = ClickResponse),
        (status = 200, description = "Not counted: a bot, or a partner who is banned or not approved.", body = ClickResponse),
        WriteErrors))]
pub async fn report_click(
    State(app): State<App>,
    caller: Caller<ClicksWrite>,
    headers: HeaderMap,
    context: Option<axum::Extension<RequestContext>>,
    JsonBody(request): JsonBody<ReportClickRequest>,
) -> Result<(StatusCode, Json<ClickResponse>), ApiError> {
    let ip = context.as_ref().and_then(|axum::Extension(c)| source_ip(c));
    let visit = Visit {
        ip: ip.as_deref(),
        ..visit(&headers)
    };
    let click = ledger_app::clicks::report(&caller, &app.store, request.click, visit)
        .await
        .map_err(ApiError::under(WRAPPER))?;
    let status = match &click {
        Ok(_) => StatusCode::CREATED,
        Err(reason) => {
            not_counted(*reason);
            StatusCode::OK
        }
    };
    Ok((status, Json(ClickResponse::of(&click))))
}

/// The visit as the request's headers show it.
fn visit(headers: &HeaderMap) -> Visit<'_> {
    let text = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    Visit {
        user_agent: text("user-agent"),
        purpose: text("purpose"),
        sec_purpose: text("sec-purpose"),
        ..Visit::default()
    }
}

/// The caller's address as API Gateway saw it (none outside Lambda).
fn source_ip(context: &RequestContext) -> Option<String> {
    match context {
        RequestContext::ApiGatewayV2(context) => context.http.source_ip.clone(),
        _ => None,
    }
}

fn not_counted(reason: NotCounted) {
    let rule = match reason {
        NotCounted::Bot(sign) => bot_rule(sign),
        NotCounted::PartnerRefused => "partner refused",
    };
    tracing::info!(reason = reason_name(reason), rule, "click not counted");
}
