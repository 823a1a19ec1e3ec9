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
    use crate::captured_lines::CapturedLines as Captured;
    use crate::subscriber;

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
