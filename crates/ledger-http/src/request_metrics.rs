//! One record per HTTP request: its route and method (the dimensions), its
//! status class, its latency and how many DynamoDB requests it made.
//!
//! The middleware counts the handler's DynamoDB requests with the store's
//! `request_count::counting`, so each request counts its own however many
//! are served at once.

use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use http::StatusCode;
use ledger_store::request_count::counting;
use metrique::unit::{Count, Millisecond};
use metrique::unit_of_work::metrics;

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
    let (response, dynamo_requests) = counting(next.run(request)).await;
    let record = HttpRequest {
        route,
        method,
        status_class: status_class(response.status()),
        dynamo_requests,
        latency: started.elapsed(),
    };
    drop(record.append_on_drop(ledger_telemetry::metrics::sink()));
    response
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

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::routing::post;
    use serde_json::json;
    use tower::ServiceExt;

    use super::*;
    use crate::ApiError;
    use ledger_telemetry::metrics::captured::Records;

    /// Stands for two DynamoDB requests, as the interceptor would count them.
    async fn two_requests() -> Result<&'static str, ApiError> {
        for _ in 0..2 {
            ledger_store::request_count::count_one();
        }
        Err(ApiError::NotFound("partner"))
    }

    #[tokio::test]
    async fn a_request_is_one_record_dimensioned_by_its_route_and_method() {
        let (records, _guard) = Records::capture();
        let router: Router = crate::finish(Router::new().route(
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
