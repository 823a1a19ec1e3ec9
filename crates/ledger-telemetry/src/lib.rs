//! Logging for every function: Lambda's level and format controls
//! (`AWS_LAMBDA_LOG_LEVEL`, else `RUST_LOG`; `AWS_LAMBDA_LOG_FORMAT=JSON`), as
//! `lambda_http`'s default subscriber reads them, with one difference: no
//! allowed level lets a secret into the logs.
//!
//! At `debug` and `trace`, the Lambda runtime logs each raw event (the
//! `Authorization` header, request bodies holding `stripe_webhook_secret`),
//! and the AWS SDK and HTTP stack log requests and answers (API key hashes
//! and webhook secrets travel to and from the table). Those crates are
//! therefore held at `info` whatever the level; partner-ledger's own code,
//! which never logs a header or a body, follows the level asked for.
//!
//! JSON lines are flat ([`json_lines`]): the invocation's `requestId` and the
//! request span's fields sit at the top level of every line, beside the
//! event's own fields.

pub mod captured_lines;
mod json_lines;
pub mod metrics;

use std::str::FromStr;

use tracing::Subscriber;
use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::JsonFields;
use tracing_subscriber::layer::SubscriberExt;

use json_lines::JsonLines;

/// Crates whose verbose logs carry raw events, headers or table items.
const HELD_AT_INFO: [&str; 12] = [
    "lambda_runtime",
    "lambda_runtime_api_client",
    "lambda_http",
    "aws_smithy_runtime",
    "aws_smithy_runtime_api",
    "aws_smithy_http_client",
    "aws_sdk_dynamodb",
    "aws_config",
    "aws_sigv4",
    "hyper",
    "hyper_util",
    "h2",
];

/// The filter for `level` (`"trace"`, `"DEBUG"`, ...; INFO when absent or unknown).
fn filter(level: Option<&str>) -> Targets {
    let level = level
        .and_then(|l| LevelFilter::from_str(l).ok())
        .unwrap_or(LevelFilter::INFO);
    Targets::new()
        .with_default(level)
        .with_targets(HELD_AT_INFO.map(|target| (target, LevelFilter::INFO)))
}

/// Installs the subscriber and the metrics sink (`metrics::init`), both
/// writing to stdout (CloudWatch, under Lambda).
pub fn init() {
    init_with_writer(std::io::stdout);
    crate::metrics::init();
}

/// [`init`], writing to `writer`.
pub fn init_with_writer<W>(writer: W)
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok();
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    // Not `SubscriberInitExt::init`: with tracing-subscriber's `tracing-log`
    // feature (which a dependency turns on) it would also route the `log`
    // crate's records, from crates not held at info, into the logs.
    tracing::subscriber::set_global_default(subscriber(level.as_deref(), json, writer))
        .expect("the subscriber is installed once per process");
}

/// The subscriber [`init`] installs: at `level`, as JSON lines or as text.
pub fn subscriber<W>(
    level: Option<&str>,
    json: bool,
    writer: W,
) -> Box<dyn Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt().with_writer(writer);
    if json {
        Box::new(
            builder
                .fmt_fields(JsonFields::new())
                .event_format(JsonLines)
                .finish()
                .with(filter(level)),
        )
    } else {
        Box::new(
            builder
                .with_target(false)
                .without_time()
                .finish()
                .with(filter(level)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use tracing::Level;

    #[test]
    fn the_runtime_and_the_sdk_stay_at_info_whatever_the_level() {
        for level in ["trace", "TRACE", "debug"] {
            let filter = filter(Some(level));
            for target in HELD_AT_INFO {
                let module = format!("{target}::client");
                assert!(
                    filter.would_enable(&module, &Level::INFO),
                    "{level}: {module}"
                );
                assert!(
                    !filter.would_enable(&module, &Level::DEBUG),
                    "{level}: {module}"
                );
            }
            assert!(
                filter.would_enable("ledger_app::sales", &Level::DEBUG),
                "{level}"
            );
        }
        for level in [None, Some("nonsense")] {
            let filter = filter(level);
            assert!(
                filter.would_enable("ledger_app::sales", &Level::INFO),
                "{level:?}"
            );
            assert!(
                !filter.would_enable("ledger_app::sales", &Level::DEBUG),
                "{level:?}"
            );
        }
        assert!(!filter(Some("debug")).would_enable("ledger_app::sales", &Level::TRACE));
    }
}
