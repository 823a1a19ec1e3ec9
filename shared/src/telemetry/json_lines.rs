//! The JSON log line: one flat object per event, as CloudWatch Logs Insights
//! and Lambda's own JSON format expect it. `timestamp`, `level`, `requestId`
//! (when the event happens inside an invocation) and `message` come first,
//! then the fields of every span the event is in, outermost first, then the
//! event's own fields; a name set twice keeps the innermost value.
//!
//! The request id is the `requestId` field of the span `lambda_runtime` opens
//! for each invocation ("Lambda runtime invoke"), so it is the invocation's
//! own id even when one process serves several invocations at once.

use std::fmt;

use chrono::{SecondsFormat, Utc};
use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// The field `lambda_runtime` names the invocation's request id with.
const REQUEST_ID: &str = "requestId";

/// Formats each event as one flat JSON line. Span fields must be recorded
/// as JSON ([`JsonFields`]), which is what lets them be merged here.
pub struct JsonLines;

impl<S> FormatEvent<S, JsonFields> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, JsonFields>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut fields = Map::new();
        for span in ctx.event_scope().into_iter().flat_map(|s| s.from_root()) {
            if let Some(recorded) = span.extensions().get::<FormattedFields<JsonFields>>()
                && let Ok(Value::Object(span_fields)) = serde_json::from_str(recorded)
            {
                fields.extend(span_fields);
            }
        }
        event.record(&mut FieldMap(&mut fields));

        let mut line: Vec<(String, Value)> = vec![
            (
                "timestamp".into(),
                Utc::now()
                    .to_rfc3339_opts(SecondsFormat::Millis, true)
                    .into(),
            ),
            ("level".into(), event.metadata().level().as_str().into()),
        ];
        for name in [REQUEST_ID, "message"] {
            if let Some(value) = fields.remove(name) {
                line.push((name.into(), value));
            }
        }
        line.extend(fields);
        write_object(&mut writer, &line)?;
        writeln!(writer)
    }
}

/// Writes `{"k":v,...}` in the order given (a `serde_json::Map` would sort).
fn write_object(writer: &mut Writer<'_>, entries: &[(String, Value)]) -> fmt::Result {
    writer.write_char('{')?;
    for (i, (key, value)) in entries.iter().enumerate() {
        if i > 0 {
            writer.write_char(',')?;
        }
        let key = serde_json::to_string(key).map_err(|_| fmt::Error)?;
        let value = serde_json::to_string(value).map_err(|_| fmt::Error)?;
        write!(writer, "{key}:{value}")?;
    }
    writer.write_char('}')
}

/// Collects an event's fields as JSON values.
struct FieldMap<'a>(&'a mut Map<String, Value>);

impl Visit for FieldMap<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name().into(), format!("{value:?}").into());
    }
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::extract::Request;
    use axum::routing::get;
    use lambda_http::lambda_runtime::Context;
    use lambda_http::lambda_runtime::layers::trace::request_span;
    use tower::ServiceExt;
    use tracing::Instrument;

    use super::*;
    use crate::captured_lines::CapturedLines as Captured;
    use crate::telemetry::subscriber;

    fn line<'a>(lines: &'a [Value], message: &str) -> &'a Value {
        lines
            .iter()
            .find(|l| l["message"] == message)
            .unwrap_or_else(|| panic!("no {message:?} line in {lines:?}"))
    }

    #[tokio::test]
    async fn a_line_logged_in_a_request_carries_the_invocation_request_id_at_the_top() {
        let logs = Captured::default();
        let _default = tracing::subscriber::set_default(subscriber(None, true, logs.clone()));
        let router: Router = crate::http::finish(Router::new().route(
            "/partners/{id}",
            get(|| async {
                tracing::info!(partners = 3, "counted");
                "ok"
            }),
        ));
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

    #[test]
    fn the_leading_fields_come_first_in_their_order() {
        let logs = Captured::default();
        tracing::subscriber::with_default(subscriber(None, true, logs.clone()), || {
            tracing::info_span!("Lambda runtime invoke", requestId = "r-1").in_scope(|| {
                tracing::warn!(amount = "12.50", "paid");
            });
        });
        let text = logs.text();
        let keys: Vec<&str> = [
            "\"timestamp\"",
            "\"level\"",
            "\"requestId\"",
            "\"message\"",
            "\"amount\"",
        ]
        .into_iter()
        .filter(|key| text.contains(key))
        .collect();
        assert_eq!(keys.len(), 5, "{text}");
        let positions: Vec<usize> = keys.iter().map(|key| text.find(key).unwrap()).collect();
        assert!(positions.is_sorted(), "{text}");
        assert!(
            text.starts_with("{\"timestamp\":") && text.ends_with("}\n"),
            "{text}"
        );
    }
}
