//! The request's log lines: a line logged while a routed request is served
//! carries the invocation's `requestId` and the request span's fields at its
//! top level (the flat JSON lines of `ledger_telemetry`).

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::routing::get;
use lambda_http::lambda_runtime::Context;
use lambda_http::lambda_runtime::layers::trace::request_span;
use ledger_telemetry::captured_lines::CapturedLines as Captured;
use ledger_telemetry::subscriber;
use serde_json::Value;
use tower::ServiceExt;
use tracing::Instrument;

/// The last line logged with `message`.
fn line<'a>(lines: &'a [Value], message: &str) -> &'a Value {
    lines
        .iter()
        .rev()
        .find(|l| l["message"] == message)
        .unwrap_or_else(|| panic!("no {message:?} line in {lines:?}"))
}

#[tokio::test]
async fn a_line_logged_in_a_request_carries_the_invocation_request_id_at_the_top() {
    let logs = Captured::default();
    let _default = tracing::subscriber::set_default(subscriber(None, true, logs.clone()));
    let router: Router = crate::finish(Router::new().route(
        "/partners/{id}",
        get(|| async {
            tracing::info!(partners = 3, "counted");
            "ok"
        }),
    ));
    // tracing caches each callsite's interest for every thread, and the tests
    // beside this one meet the request span's callsite at the same moment on
    // threads with no subscriber. Once a first request has surely registered
    // it, the interest is asked again, with this thread's subscriber in place.
    let warm_up = Request::get("/partners/0").body(Body::empty()).unwrap();
    router.clone().oneshot(warm_up).await.unwrap();
    tracing::callsite::rebuild_interest_cache();
    let mut invocation = Context::default();
    invocation.request_id = "8f5c1a2e-4b7d-4e0a-9c61-2d3e4f5a6b7c".into();
    let request = Request::get("/partners/7").body(Body::empty()).unwrap();
    let response = router
        .oneshot(request)
        .instrument(request_span(&invocation))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    tracing::info!("between invocations");

    let lines = logs.lines();
    let counted = line(&lines, "counted");
    assert_eq!(counted["requestId"], "8f5c1a2e-4b7d-4e0a-9c61-2d3e4f5a6b7c");
    assert_eq!(
        (&counted["level"], &counted["partners"], &counted["route"]),
        (
            &Value::from("INFO"),
            &Value::from(3),
            &Value::from("/partners/{id}")
        )
    );
    assert!(
        chrono::DateTime::parse_from_rfc3339(counted["timestamp"].as_str().unwrap()).is_ok(),
        "{counted}"
    );
    assert!(
        counted.get("span").is_none() && counted.get("spans").is_none(),
        "{counted}"
    );
    let handled = line(&lines, "handled");
    assert_eq!(handled["requestId"], counted["requestId"]);
    assert_eq!(handled["status"], 200);
    assert!(
        line(&lines, "between invocations")
            .get("requestId")
            .is_none()
    );
}
