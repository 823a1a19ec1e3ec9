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

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::middleware::{self, Next};
use axum::response::Response;
use tracing::Instrument;

pub use auth::{Caller, RequiredScope, scopes};
pub use body::JsonBody;
pub use error::ApiError;
pub use filters::Filters;
pub use list::{CursorPaging, ListEnvelope, Paging};
pub use path::{JsonId, PathId};

/// Adds what every group's router needs: one span per request (method,
/// route, account), JSON 404/405 answers for anything unrouted.
pub fn finish<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    router
        .route_layer(middleware::from_fn(request_span))
        .fallback(|| async { ApiError::NotFound("route") })
        .method_not_allowed_fallback(|| async { ApiError::NotFound("route") })
}

/// Runs a read-decide-write `attempt` again when its transaction lost a race
/// (a condition on state it read no longer held). After the last attempt the
/// race is reported as a 409 rather than a server error.
pub async fn retry_contended<T, F, Fut>(mut attempt: F) -> Result<T, ApiError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    const ATTEMPTS: usize = 3;
    for _ in 1..ATTEMPTS {
        match attempt().await {
            Err(ApiError::Internal(e)) if e.is_contention() => continue,
            done => return done,
        }
    }
    attempt().await.map_err(|err| match err {
        ApiError::Internal(e) if e.is_contention() => ApiError::conflict(
            "concurrent_modification",
            "the object was changed concurrently; retry the request",
        ),
        other => other,
    })
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
