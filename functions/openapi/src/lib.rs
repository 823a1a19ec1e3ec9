//! The API's OpenAPI 3.1 document: every endpoint group's paths merged under
//! one info block, served without a key at `GET /2026-02-01/openapi.json`.

use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use ledger_http::error::{ErrorBody, ErrorEnvelope, FieldIssue};
use utoipa::OpenApi;

pub const PATH: &str = "/2026-02-01/openapi.json";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "partner-ledger",
        version = "2026-02-01",
        description = "Partner (affiliate) program backend: partner groups and their commission rules engine, partners, campaigns, referrals, commissions, payment events (signed Stripe webhooks and billing-agnostic sale and refund events), payouts and the scheduled payout run, and the account's settings and API keys."
    ),
    components(schemas(ErrorEnvelope, ErrorBody, FieldIssue))
)]
struct Base;

/// The whole document, built from the groups' own annotations.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = Base::openapi();
    doc.merge(partner_groups::openapi());
    doc.merge(partners::openapi());
    doc.merge(campaigns::openapi());
    doc.merge(referrals::openapi());
    doc.merge(commissions::openapi());
    doc.merge(payment_events::openapi());
    doc.merge(payouts::openapi());
    doc.merge(account::openapi());
    doc
}

/// Serves the document, rendered once per cold start.
pub fn router() -> Router {
    let body = document()
        .to_json()
        .expect("the OpenAPI document serializes");
    let routes = Router::new().route(
        PATH,
        get(move || {
            let body = body.clone();
            async move { ([(CONTENT_TYPE, "application/json")], body).into_response() }
        }),
    );
    ledger_http::finish(routes)
}
