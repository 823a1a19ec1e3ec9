//! The harsh test world of SPEC §4.10: faults the local emulator injects
//! into one table's requests (`infra/local/dynamodb_faults.py`), asked for
//! through its `/_faults` control endpoint.
//!
//! `PARTNER_LEDGER_FAULTS=harsh` turns them on for every [`crate::TestEnv`]
//! of a test run: `make test` runs the payment-event, payout-run and
//! concurrency suites a second time that way, and every invariant they
//! assert must still hold.

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::app::emulator_endpoint;

/// How often each fault strikes one table's requests.
#[derive(Clone, Copy, Debug)]
pub struct Faults {
    /// Share of TransactWriteItems cancelled with `TransactionConflict`.
    pub transaction_conflict: f64,
    /// Share of requests refused with `ThrottlingException`.
    pub throttle: f64,
    /// Share of BatchGetItems answered only in part (`UnprocessedKeys`).
    pub unprocessed_keys: f64,
    /// Index queries after a write that still see the item as it was.
    pub index_lag: u32,
}

impl Faults {
    /// Every fault at once, often enough that each suite meets each of them.
    pub const HARSH: Faults = Faults {
        transaction_conflict: 0.2,
        throttle: 0.05,
        unprocessed_keys: 0.3,
        index_lag: 2,
    };

    /// The faults this test run asked for (`PARTNER_LEDGER_FAULTS`), if any.
    pub fn of_this_run() -> Option<Faults> {
        match std::env::var("PARTNER_LEDGER_FAULTS").as_deref() {
            Ok("harsh") => Some(Self::HARSH),
            Ok("") | Err(_) => None,
            Ok(other) => panic!("PARTNER_LEDGER_FAULTS={other:?}: only \"harsh\" is known"),
        }
    }

    /// Injects these faults into `table`'s requests from now on.
    pub async fn apply(&self, table: &str) {
        let config = json!({
            "table": table,
            "transaction_conflict": self.transaction_conflict,
            "throttle": self.throttle,
            "unprocessed_keys": self.unprocessed_keys,
            "index_lag": self.index_lag,
        });
        let (status, body) = control("POST", "/_faults", Some(&config)).await;
        assert_eq!(status, 200, "the emulator takes the faults: {body}");
    }
}

/// Lets `table`'s indexes catch up with its writes (in a harsh run; a
/// no-op otherwise): the faults go on, but nothing written so far lags.
pub async fn settle(table: &str) {
    if Faults::of_this_run().is_some() {
        let (status, body) =
            control("POST", &format!("/_faults?table={table}&settle=1"), None).await;
        assert_eq!(status, 200, "the emulator settles the table: {body}");
    }
}

/// How many faults of each kind the emulator injected into `table`.
pub async fn injected(table: &str) -> Value {
    let (status, body) = control("GET", &format!("/_faults?table={table}"), None).await;
    assert_eq!(status, 200, "{body}");
    body["counters"].clone()
}

/// One HTTP/1.1 request to the emulator's control endpoint.
async fn control(method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
    let endpoint = emulator_endpoint();
    let address = endpoint
        .strip_prefix("http://")
        .expect("the emulator is served over plain HTTP");
    let mut stream = TcpStream::connect(address)
        .await
        .expect("the emulator answers");
    let body = body.map(Value::to_string).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .await
        .expect("the request is sent");
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .await
        .expect("the answer is text");
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}
