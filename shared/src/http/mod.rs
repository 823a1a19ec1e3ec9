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
pub use body::{JsonBody, OptionalJsonBody};
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
/// (a condition on state it read no longer held, or another transaction held
/// an item, such as a busy tally). Attempts back off with jitter so racing
/// writers spread out. After the last attempt the race is reported as a 409
/// rather than a server error.
pub async fn retry_contended<T, F, Fut>(mut attempt: F) -> Result<T, ApiError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    const ATTEMPTS: u32 = 5;
    for round in 1..ATTEMPTS {
        match attempt().await {
            Err(ApiError::Internal(e)) if e.is_contention() => {
                tokio::time::sleep(backoff(round)).await;
            }
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

/// A random wait of up to 10 ms × 2^round ("full jitter").
fn backoff(round: u32) -> std::time::Duration {
    let mut random = [0u8; 2];
    getrandom::fill(&mut random).expect("the operating system's random source is available");
    let ceiling = 10u64 << round;
    std::time::Duration::from_millis(u64::from(u16::from_le_bytes(random)) % ceiling)
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
