//! The API's OpenAPI 3.1 document: every endpoint group's paths merged under
//! one info block, served without a key at `GET /2026-02-01/openapi.json`;
//! and the route table, every HTTP function's routes by its binary.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use ledger_http::error::{ErrorBody, ErrorEnvelope, FieldIssue};
use ledger_http::openapi::BearerKey;
use ledger_http::{Routes, VERSION, keyless};
use utoipa::OpenApi;

/// Where the document is served (the harness routes requests by it).
pub const PATH: &str = "/2026-02-01/openapi.json";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "partner-ledger",
        description = "Partner (affiliate) program backend: partner groups and their commission rules engine, partners, campaigns, referrals, commissions, payment events (signed Stripe webhooks and billing-agnostic sale and refund events), the activity log of every change, payouts and the scheduled payout run, the account's settings and API keys, webhook endpoints with signed deliveries of the account's events, and click tracking on partners' links."
    ),
    modifiers(&BearerKey),
    components(schemas(ErrorEnvelope, ErrorBody, FieldIssue))
)]
struct Base;

/// Each endpoint group's part of the document, by the binary serving it.
fn groups() -> [(&'static str, utoipa::openapi::OpenApi); 12] {
    [
        ("partner-groups", partner_groups::openapi()),
        ("partners", partners::openapi()),
        ("portal", portal::openapi()),
        ("campaigns", campaigns::openapi()),
        ("referrals", referrals::openapi()),
        ("commissions", commissions::openapi()),
        ("payment-events", payment_events::openapi()),
        ("events", events::openapi()),
        ("payouts", payouts::openapi()),
        ("account", account::openapi()),
        ("webhook-endpoints", webhook_endpoints::openapi()),
        ("clicks", clicks::openapi()),
    ]
}

/// The whole document, built from the groups' own annotations; its version
/// is the API version every path but the public link (`/r/...`) starts with.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = Base::openapi();
    doc.info.version = VERSION.trim_start_matches('/').to_string();
    for (_, group) in groups() {
        doc.merge(group);
    }
    doc
}

/// The route table: each HTTP function's binary and its routes, as the
/// paths of its part of the document (this function's own route included,
/// which the document leaves out).
pub fn route_table() -> Vec<(&'static str, utoipa::openapi::OpenApi)> {
    let mut table = groups().to_vec();
    table.push(("openapi", route().openapi()));
    table
}

/// The rendered document.
#[utoipa::path(get, path = "/openapi.json",
    responses((status = 200, description = "This OpenAPI document.", content_type = "application/json")))]
async fn serve_document(State(body): State<Arc<str>>) -> Response {
    ([(CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

fn route() -> Routes<Arc<str>> {
    Routes::new(utoipa::openapi::OpenApi::default()).route(keyless!(serve_document))
}

/// The document as served: [`document`] rendered, and kept beside this
/// crate so that this function's binary holds text, not every handler it
/// describes (their code and the AWS SDK's would be 12 MB of it).
/// `the_served_document_is_the_handlers` fails when it is stale.
const SERVED: &str = include_str!("../openapi.json");

/// Serves the document.
pub fn router() -> Router {
    ledger_http::finish(route().router()).with_state(Arc::from(SERVED))
}

#[cfg(test)]
mod tests {
    /// Set to rewrite `openapi.json` from the handlers' annotations.
    const REWRITE: &str = "PARTNER_LEDGER_WRITE_OPENAPI";

    #[test]
    fn the_served_document_is_the_handlers() {
        let rendered = super::document()
            .to_pretty_json()
            .expect("the OpenAPI document serializes")
            + "\n";
        if std::env::var_os(REWRITE).is_some() {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");
            std::fs::write(path, &rendered).expect("openapi.json is writable");
        } else {
            assert!(
                rendered == super::SERVED,
                "functions/openapi/openapi.json differs from the handlers' annotations: \
                 run `{REWRITE}=1 cargo test -p openapi` and commit it"
            );
        }
    }
}
