//! One record per HTTP request: its route and method (the dimensions), its
//! status class, its latency and how many DynamoDB requests it made.
//!
//! The count lives in a tokio task-local the request's middleware opens, and
//! [`DynamoRequestCount`], an interceptor on the store's client, adds one for
//! each request it transmits (every attempt, as the tests' counter does).
//! The handler's future runs in the middleware's task, so each request
//! counts its own requests however many are served at once; a request sent
//! outside one (the payout run, a test's setup) counts nowhere.

use std::cell::Cell;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use http::StatusCode;
use metrique::unit::{Count, Millisecond};
use metrique::unit_of_work::metrics;

tokio::task_local! {
    /// DynamoDB requests sent so far by the HTTP request in flight.
    static DYNAMO_REQUESTS: Cell<u64>;
}

/// What one HTTP request did.
#[metrics(emf::dimension_sets = [["Route", "Method"]], rename_all = "PascalCase")]
struct HttpRequest {
    /// The route's pattern (`/2026-02-01/partners/{id}`), never the path.
    route: String,
    method: String,
    /// `2xx`, `4xx`, `5xx`: a property, so the request is not split by it.
    status_class: &'static str,
    #[metrics(name = "DynamoDBRequests", unit = Count)]
    dynamo_requests: u64,
    #[metrics(unit = Millisecond)]
    latency: Duration,
}

/// Middleware recording each request; `http::finish` layers it on every
/// route, where the matched route is known.
pub async fn record(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let method = request.method().to_string();
    DYNAMO_REQUESTS
        .scope(Cell::new(0), async move {
            let response = next.run(request).await;
            let record = HttpRequest {
                route,
                method,
                status_class: status_class(response.status()),
                dynamo_requests: DYNAMO_REQUESTS.with(Cell::get),
                latency: started.elapsed(),
            };
            drop(record.append_on_drop(super::sink()));
            response
        })
        .await
}

fn status_class(status: StatusCode) -> &'static str {
    match status.as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// Counts each DynamoDB request the client transmits against the HTTP
/// request in flight, if any.
#[derive(Clone, Copy, Debug, Default)]
pub struct DynamoRequestCount;

impl Intercept for DynamoRequestCount {
    fn name(&self) -> &'static str {
        "DynamoRequestCount"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _config: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // Outside an HTTP request there is nothing to count against.
        let _ = DYNAMO_REQUESTS.try_with(|count| count.set(count.get() + 1));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::routing::post;
    use serde_json::json;
    use tower::ServiceExt;

    use super::*;
    use crate::http::ApiError;
    use crate::metrics::captured::Records;

    /// Stands for two DynamoDB requests, as the interceptor would count them.
    async fn two_requests() -> Result<&'static str, ApiError> {
        for _ in 0..2 {
            DYNAMO_REQUESTS.with(|count| count.set(count.get() + 1));
        }
        Err(ApiError::NotFound("partner"))
    }

    #[tokio::test]
    async fn a_request_is_one_record_dimensioned_by_its_route_and_method() {
        let (records, _guard) = Records::capture();
        let router: Router = crate::http::finish(Router::new().route(
            "/2026-02-01/partners/{partner}/ban.json",
            post(two_requests),
        ));
        let request = Request::post("/2026-02-01/partners/par_1/ban.json")
            .body(Body::empty())
            .unwrap();
        let response = router.oneshot(request).await.unwrap();
        assert_eq!(response.status(), 404);

        let lines = records.lines();
        assert_eq!(lines.len(), 1, "{lines:?}");
        let line = &lines[0];
        let directive = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "partner-ledger");
        assert_eq!(directive["Dimensions"], json!([["Route", "Method"]]));
        assert_eq!(
            directive["Metrics"],
            json!([
                {"Name": "DynamoDBRequests", "Unit": "Count"},
                {"Name": "Latency", "Unit": "Milliseconds"}
            ])
        );
        assert_eq!(line["Route"], "/2026-02-01/partners/{partner}/ban.json");
        assert_eq!(line["Method"], "POST");
        assert_eq!(line["StatusClass"], "4xx");
        assert_eq!(line["DynamoDBRequests"], 2);
        assert!(
            line["Latency"].as_f64().is_some_and(|ms| ms >= 0.0),
            "{line}"
        );
    }
}
