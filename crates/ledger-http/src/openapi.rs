//! OpenAPI pieces every endpoint group shares: the bearer-key security
//! scheme (registered once, by the document's base; [`crate::keyed!`] names
//! it on each keyed operation), the error envelope schema and the standard
//! error responses.

use std::collections::BTreeMap;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{IntoResponses, Modify};

/// The security scheme's name, as each keyed operation's requirement names it.
pub const API_KEY: &str = "api_key";

/// The portal's security scheme: a portal session's token, which the
/// portal routes' `#[utoipa::path]` name (`security(("portal_token" = []))`).
pub const PORTAL_TOKEN: &str = "portal_token";

/// Registers the `Authorization: Bearer <api key>` scheme, and the portal token's.
pub struct BearerKey;

impl Modify for BearerKey {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            API_KEY,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API key of the account, sent as `Authorization: Bearer <key>`.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            PORTAL_TOKEN,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A partner's portal session token (`plp_...`), minted with `POST /partners/{id}/portal_sessions.json`, sent as `Authorization: Bearer <token>`. Opens only the `/portal/` routes.",
                    ))
                    .build(),
            ),
        );
    }
}

fn error_response(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorEnvelope")))
                .build(),
        )
        .build()
        .into()
}

fn errors(statuses: &[u16]) -> BTreeMap<String, RefOr<Response>> {
    statuses
        .iter()
        .map(|status| {
            let description = match status {
                400 => "Malformed JSON or wrong content type.",
                401 => "Missing, unknown or revoked API key.",
                403 => "The API key lacks the route's scope (or, creating or deleting an API key, a scope that key covers).",
                404 => "Unknown id (including another account's).",
                409 => "Conflict with the current state.",
                413 => "Request body larger than 256 KiB.",
                _ => "Validation failed; `fields` names each offending field.",
            };
            (status.to_string(), error_response(description))
        })
        .collect()
}

/// Errors a list route can answer.
pub struct ListErrors;
/// Errors a read of one object can answer.
pub struct ReadErrors;
/// Errors a write can answer.
pub struct WriteErrors;
/// Errors a signed webhook delivery can answer (there is no API key).
pub struct WebhookErrors;
/// Errors a public link can answer (there is no API key).
pub struct LinkErrors;
/// Errors a portal read of one object can answer (a portal token, never an API key: no 403).
pub struct PortalReadErrors;
/// Errors a portal list can answer.
pub struct PortalListErrors;
/// Errors a portal write can answer.
pub struct PortalWriteErrors;

/// `errors(statuses)`, its 401 the portal token's.
fn portal_errors(statuses: &[u16]) -> BTreeMap<String, RefOr<Response>> {
    let mut responses = errors(statuses);
    responses.insert(
        "401".into(),
        error_response(
            "Missing, malformed, unknown or expired portal session token, or its partner is banned.",
        ),
    );
    responses
}

impl IntoResponses for PortalReadErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        portal_errors(&[401])
    }
}

impl IntoResponses for PortalListErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        portal_errors(&[401, 422])
    }
}

impl IntoResponses for PortalWriteErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        portal_errors(&[400, 401, 404, 409, 413, 422])
    }
}

impl IntoResponses for LinkErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        BTreeMap::from([(
            "404".to_string(),
            error_response(
                "No such account, no link with this code in it, or a link leading nowhere (no `url`, no campaign `website_url`).",
            ),
        )])
    }
}

impl IntoResponses for ListErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        errors(&[401, 403, 422])
    }
}

impl IntoResponses for ReadErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        errors(&[401, 403, 404])
    }
}

impl IntoResponses for WriteErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        errors(&[400, 401, 403, 404, 409, 413, 422])
    }
}

impl IntoResponses for WebhookErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let mut responses = errors(&[404, 409, 413, 422]);
        responses.insert(
            "400".into(),
            error_response(
                "Missing, malformed, stale or mismatched Stripe-Signature (nothing is written), no endpoint secret set, or an event that is not as Stripe sends it.",
            ),
        );
        responses
    }
}
