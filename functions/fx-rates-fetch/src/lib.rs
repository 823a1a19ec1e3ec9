//! The scheduled fetch of reference rates: every weekday afternoon, after
//! the European Central Bank publishes (around 16:00 CET), an EventBridge
//! schedule invokes it, and it loads the ECB's daily euro reference rates
//! into the table, where every account's conversions read them. Any failure
//! (the ECB unreachable or answering an error, a document that is not
//! reference rates, the table) fails the invocation, which the
//! `FxRatesFetchFailed` alarm reports; nothing is half-written, since each
//! day is one item.

use std::time::Duration;

use bytes::Bytes;
use chrono::NaiveDate;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use ledger_core::ecb::{self, EcbError};
use ledger_store::{Store, StoreError, fx_rates};

/// Where the ECB publishes the day's rates.
pub const ECB_DAILY: &str = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml";

/// The longest the ECB may take to answer.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The largest document read (the daily file is about 2 KB).
const MAX_BYTES: usize = 1 << 20;

/// Why a fetch failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("fetching {url}: {reason}")]
    Http { url: String, reason: String },
    #[error("{url} answered {status}")]
    Status {
        url: String,
        status: http::StatusCode,
    },
    #[error("{url} is not ECB reference rates: {source}")]
    Rates {
        url: String,
        #[source]
        source: EcbError,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The rates' source: `ECB_RATES_URL` when set (a mirror, or a local file
/// server in tests), else the ECB's daily file.
pub fn source() -> String {
    std::env::var("ECB_RATES_URL").unwrap_or_else(|_| ECB_DAILY.to_string())
}

/// Fetches the reference rates at `url` and saves every day they hold; the days saved.
pub async fn fetch_and_save(store: &Store, url: &str) -> Result<Vec<NaiveDate>, FetchError> {
    let xml = fetch(url).await?;
    let days = ecb::parse(&xml).map_err(|source| FetchError::Rates {
        url: url.to_string(),
        source,
    })?;
    for rates in &days {
        fx_rates::save(store, rates).await?;
        tracing::info!(day = %rates.date, quotes = rates.rates.len(), "reference rates saved");
    }
    Ok(days.into_iter().map(|rates| rates.date).collect())
}

/// The body of a GET of `url`, over HTTPS (or plain HTTP, for a local mirror).
async fn fetch(url: &str) -> Result<String, FetchError> {
    let failed = |reason: String| FetchError::Http {
        url: url.to_string(),
        reason,
    };
    // The provider named, as the DynamoDB client names it (ledger-store's
    // https_client), rather than chosen by a hyper-rustls feature that would
    // give rustls, and the AWS SDK above it, a second build.
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_native_roots(rustls::crypto::ring::default_provider())
        .map_err(|e| failed(format!("no root certificates: {e}")))?
        .https_or_http()
        .enable_http1()
        .build();
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new()).build(connector);
    let request = http::Request::get(url)
        .header(http::header::USER_AGENT, "partner-ledger fx-rates-fetch")
        .body(Empty::new())
        .map_err(|e| failed(e.to_string()))?;
    let response = tokio::time::timeout(TIMEOUT, async {
        let response = client
            .request(request)
            .await
            .map_err(|e| failed(causes(&e)))?;
        let status = response.status();
        let body = http_body_util::Limited::new(response.into_body(), MAX_BYTES)
            .collect()
            .await
            .map_err(|e| failed(causes(&*e)))?
            .to_bytes();
        Ok::<_, FetchError>((status, body))
    })
    .await
    .map_err(|_| failed(format!("no answer within {} s", TIMEOUT.as_secs())))??;
    let (status, body) = response;
    if !status.is_success() {
        return Err(FetchError::Status {
            url: url.to_string(),
            status,
        });
    }
    String::from_utf8(body.to_vec()).map_err(|e| failed(format!("not UTF-8: {e}")))
}

/// An error and its causes, `: `-separated: hyper's own message (`client
/// error (Connect)`) leaves out what the alarm's reader needs, a refused
/// connection or an untrusted certificate, which its sources say.
fn causes(error: &dyn std::error::Error) -> String {
    std::iter::successors(Some(error), |error| error.source())
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ")
}
