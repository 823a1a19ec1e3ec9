//! HTTP plumbing shared by every function: auth and scopes, the error
//! envelope, JSON bodies, `.json` ids, the list envelope, OpenAPI pieces, and
//! the finishing touches every router gets.

pub mod auth;
pub mod body;
pub mod error;
pub mod filters;
pub mod list;
pub mod openapi;
pub mod path;
pub mod portal;
#[cfg(test)]
mod request_log_lines;
mod request_metrics;
pub mod routes;

use std::panic::AssertUnwindSafe;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use futures::FutureExt;
use tracing::Instrument;

use ledger_store::Store;

pub use auth::{Caller, RequiredScope, scopes};
pub use body::{JsonBody, OptionalJsonBody, RawBody};
pub use error::ApiError;
pub use filters::Filters;
pub use list::{CursorPaging, ListEnvelope, Paging};
pub use path::{JsonId, PathId};
pub use portal::{Portal, PortalCaller};
pub use routes::{Routes, VERSION};

/// Adds what every group's router needs: one span per request (method,
/// route, account) and one metrics record (`request_metrics`), JSON 404/405 answers for anything unrouted, the 256 KiB
/// body limit for every body extractor, and a JSON 500 for a handler that
/// panicked, so the process goes on serving the next request.
pub fn finish<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    router
        .route_layer(middleware::from_fn(request_span))
        .route_layer(middleware::from_fn(request_metrics::record))
        .fallback(|| async { ApiError::NotFound("route") })
        .method_not_allowed_fallback(|| async { ApiError::NotFound("route") })
        .layer(DefaultBodyLimit::max(body::MAX_BODY_BYTES))
        .layer(middleware::from_fn(catch_panic))
}

/// [`finish`] for a group whose routes take API keys: a request its handler
/// refuses before verifying the key waits for the key's verdict first
/// ([`auth::authenticate_first`]).
pub fn finish_keyed<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    store: &Store,
) -> Router<S> {
    finish(router.route_layer(middleware::from_fn_with_state(
        store.clone(),
        auth::authenticate_first,
    )))
}

/// Answers a panic in the handler with the API's JSON 500, logged with its
/// message, instead of ending the process with the request.
async fn catch_panic(request: Request, next: Next) -> Response {
    match AssertUnwindSafe(next.run(request)).catch_unwind().await {
        Ok(response) => response,
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!(panic = %message, "handler panicked");
            ApiError::Panicked.into_response()
        }
    }
}

async fn request_span(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let span = tracing::info_span!("request", method = %request.method(), route, account = tracing::field::Empty);
    async move {
        let response = next.run(request).await;
        tracing::info!(status = response.status().as_u16(), "handled");
        response
    }
    .instrument(span)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::{Body, to_bytes};
    use axum::routing::get;
    use tower::ServiceExt;

    async fn boom() -> &'static str {
        let words: Vec<&'static str> = Vec::new();
        words[0]
    }

    #[tokio::test]
    async fn a_panicking_handler_is_a_json_500_and_the_router_serves_on() {
        let router: Router = finish(
            Router::new()
                .route("/boom", get(boom))
                .route("/fine", get(|| async { "fine" })),
        );
        let request = |path| Request::builder().uri(path).body(Body::empty()).unwrap();
        let crashed = router.clone().oneshot(request("/boom")).await.unwrap();
        assert_eq!(crashed.status(), 500);
        let body = to_bytes(crashed.into_body(), 1024).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"]["code"], "internal_error");
        let served = router.oneshot(request("/fine")).await.unwrap();
        assert_eq!(served.status(), 200);
    }
}
