//! Click tracking: the public link `GET /r/{account_id}/{code}`, which
//! counts the click, sets the `pl_ref` attribution cookie and redirects to
//! the link's destination; and `POST /clicks.json`, the click the
//! merchant's own site reports without a redirect.

mod routes;
mod views;

use std::sync::Arc;

use axum::Router;
use ledger_http::{Routes, keyed, keyless};
use ledger_store::Store;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    tags((name = "Clicks", description = "Clicks on partners' links: the public redirect that counts them and sets the attribution cookie, and the clicks a merchant's site reports. Bots are not counted."))
)]
struct ApiDoc;

/// This group's routes, each declared by its handler's `#[utoipa::path]`.
fn route_table() -> Routes<App> {
    Routes::new(ApiDoc::openapi())
        .unversioned(keyless!(routes::follow_link))
        .route(keyed!(routes::report_click))
}

/// This group's part of the OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    route_table().openapi()
}

/// How the attribution cookie is set.
#[derive(Clone, Debug, Default)]
pub struct Cookies {
    /// The cookie's `Domain` (`CLICK_COOKIE_DOMAIN`), e.g. the merchant's
    /// domain when the API is served on a subdomain of it.
    pub domain: Option<String>,
    /// Leaves `Secure` off (`CLICKS_ALLOW_INSECURE_COOKIE=1`): only for a
    /// local API on plain HTTP (`make run`), never in AWS.
    pub insecure: bool,
}

impl Cookies {
    pub const DOMAIN_VARIABLE: &str = "CLICK_COOKIE_DOMAIN";
    pub const INSECURE_VARIABLE: &str = "CLICKS_ALLOW_INSECURE_COOKIE";

    /// The settings the environment gives.
    pub fn from_env() -> Self {
        Self {
            domain: std::env::var(Self::DOMAIN_VARIABLE)
                .ok()
                .filter(|domain| !domain.trim().is_empty()),
            insecure: std::env::var(Self::INSECURE_VARIABLE).is_ok_and(|value| value == "1"),
        }
    }
}

/// What the handlers share.
#[derive(Clone)]
struct App {
    store: Store,
    cookies: Arc<Cookies>,
}

/// This group's routes, ready for `lambda_http::run` or an in-process test.
pub fn router(store: Store, cookies: Cookies) -> Router {
    ledger_http::finish_keyed(route_table().router(), &store).with_state(App {
        store,
        cookies: Arc::new(cookies),
    })
}
