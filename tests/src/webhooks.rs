//! Webhook delivery in the tests: receivers on 127.0.0.1 that verify every
//! delivery with the `standardwebhooks` PyPI package
//! (`tests/receiver/webhook_receiver.py`), the dispatcher binary run as
//! `make run` runs it (polling the table's stream), endpoints registered for
//! a local receiver, and outbox items.
//!
//! [`write_outbox_event`] writes an outbox item of the contract's shape
//! (`pk = A#<account>`, `sk` beginning with `EVENT#`, `events` an L of S
//! holding the event's JSON) directly, so a delivery test picks any event
//! type without making the change behind it; the dispatcher reads the same
//! stream records as from the changes' own transactions, which
//! `webhook_deliveries::an_approval_through_the_api_is_delivered_once_and_logged_with_its_key`
//! covers end to end.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::Utc;
use ledger_core::model::Id;
use ledger_core::webhooks::{
    DeliveryStatus, Destinations, WebhookDelivery, WebhookEndpoint, WebhookEndpointDraft,
};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

use ledger_store::{PageRequest, webhook_deliveries, webhook_endpoints};

use crate::app::{TestEnv, emulator_endpoint, workspace_root};
use crate::dynamodb_proxy;

/// How long a test waits for a delivery it expects before failing: long
/// enough for a dispatcher that first releases a full bulk decision's staged
/// events on two cores shared with make test's other lanes (30 s timed out
/// there under load); a passing test never waits for it.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// One delivery as a receiver saw it.
#[derive(Clone, Debug)]
pub struct Received {
    pub webhook_id: String,
    pub verified: bool,
    pub error: Option<String>,
    pub body: String,
    /// Unix seconds, when the request arrived.
    pub at: f64,
}

/// A receiver process on 127.0.0.1; killed when dropped.
pub struct Receiver {
    pub url: String,
    deliveries: mpsc::UnboundedReceiver<Received>,
    _process: Child,
}

/// The interpreter with the test requirements (`infra/local/requirements-test.txt`):
/// `PARTNER_LEDGER_PYTHON`, else the project's `.venv`, which `make test` builds.
fn python() -> PathBuf {
    std::env::var_os("PARTNER_LEDGER_PYTHON")
        .map_or_else(|| workspace_root().join(".venv/bin/python"), PathBuf::from)
}

impl Receiver {
    /// Starts a receiver verifying with `secret`, answering the n-th request
    /// `statuses[n]` after `delays[n]` seconds (the last of each repeating).
    pub async fn start(secret: &str, statuses: &str, delays: &str) -> Self {
        let script = workspace_root().join("tests/receiver/webhook_receiver.py");
        let mut process = Command::new(python())
            .arg(script)
            .args([secret, statuses, delays])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the webhook receiver starts (is the test venv built?)");
        let mut lines = BufReader::new(process.stdout.take().expect("piped")).lines();
        let first = tokio::time::timeout(PATIENCE, lines.next_line())
            .await
            .expect("the receiver announces its port")
            .expect("the receiver's stdout")
            .expect("a first line");
        let port = serde_json::from_str::<Value>(&first).expect("JSON")["port"]
            .as_u64()
            .expect("a port");
        let (sender, deliveries) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                let line: Value = serde_json::from_str(&line).expect("the receiver prints JSON");
                let received = Received {
                    webhook_id: line["webhook_id"].as_str().unwrap_or_default().to_string(),
                    verified: line["verified"] == json!(true),
                    error: line["error"].as_str().map(str::to_string),
                    body: line["body"].as_str().unwrap_or_default().to_string(),
                    at: line["at"].as_f64().unwrap_or_default(),
                };
                if sender.send(received).is_err() {
                    break;
                }
            }
        });
        Self {
            url: format!("http://127.0.0.1:{port}/webhooks"),
            deliveries,
            _process: process,
        }
    }

    /// The next delivery, waiting at most `within` for it.
    pub async fn next_within(&mut self, within: Duration) -> Option<Received> {
        tokio::time::timeout(within, self.deliveries.recv())
            .await
            .ok()
            .flatten()
    }

    /// The next delivery; fails the test if none comes within [`PATIENCE`].
    pub async fn next(&mut self) -> Received {
        self.next_within(PATIENCE)
            .await
            .expect("a delivery reached the receiver")
    }
}

/// A receiver and the endpoint of `account` registered for it and `events`,
/// as the API registers one in a local run (which allows `http://127.0.0.1`;
/// the API itself is tested in `webhook_endpoints`). The receiver verifies
/// with the endpoint's secret and answers as [`Receiver::start`] says.
pub async fn listen(
    env: &TestEnv,
    account: &str,
    events: &[&str],
    statuses: &str,
    delays: &str,
) -> (WebhookEndpoint, Receiver) {
    let draft = WebhookEndpointDraft {
        url: "https://example.com/replaced-by-the-receivers-url".to_string(),
        events: events.iter().map(|e| e.to_string()).collect(),
        description: None,
    };
    let mut endpoint = WebhookEndpoint::create(draft, Destinations::AlsoLocalHttp, Utc::now())
        .expect("a valid endpoint");
    let receiver = Receiver::start(&endpoint.secret.reveal(), statuses, delays).await;
    endpoint.url = receiver.url.clone();
    let account = Id::parse(account).expect("an account id");
    let insert = webhook_endpoints::insert(&env.store, &account, &endpoint).expect("an item");
    env.store
        .transact(insert)
        .await
        .expect("endpoint registered");
    (endpoint, receiver)
}

/// Writes an outbox item holding one event of `event_type` in `account`
/// (see the module doc) and answers the event's id and JSON text.
pub async fn write_outbox_event(
    env: &TestEnv,
    account: &str,
    event_type: &str,
) -> (String, String) {
    let now = Utc::now();
    let id = Id::generate(now).to_string();
    let event = json!({
        "id": id,
        "type": event_type,
        "created_at": now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "account_id": account,
        "actor": {"type": "api_key", "id": "68f76721000000000000beef"},
        "data": {"object": {"id": "68f76721000000000000cafe", "object": event_type.split('.').next()}, "previous": {}},
    })
    .to_string();
    env.store
        .client()
        .put_item()
        .table_name(env.store.table())
        .item("pk", AttributeValue::S(format!("A#{account}")))
        .item("sk", AttributeValue::S(format!("EVENT#{id}")))
        .item(
            "events",
            AttributeValue::L(vec![AttributeValue::S(event.clone())]),
        )
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await
        .expect("outbox item written");
    (id, event)
}

/// The dispatcher binary, polling the table's stream as `make run` runs it,
/// its DynamoDB requests recorded as `webhook-dispatcher`'s. Retries wait
/// `retry_base_ms` first (the production schedule, shrunk).
pub async fn start_dispatcher(env: &TestEnv, retry_base_ms: u64) -> Child {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace_root().join("target"), PathBuf::from);
    let binary = target.join("debug/webhook-dispatcher");
    assert!(
        binary.exists(),
        "{} is missing: run `cargo build --workspace` first",
        binary.display()
    );
    let table_endpoint = dynamodb_proxy::endpoint_for("webhook-dispatcher").await;
    Command::new(binary)
        .arg("--local-stream")
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("TABLE_NAME", env.store.table())
        .env("AWS_ENDPOINT_URL_DYNAMODB", table_endpoint)
        .env("AWS_ENDPOINT_URL_DYNAMODB_STREAMS", emulator_endpoint())
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "local-testing")
        .env("AWS_SECRET_ACCESS_KEY", "local-testing")
        .env(Destinations::LOCAL_HTTP_VARIABLE, "1")
        .env(
            ledger_core::webhooks::RetrySchedule::BASE_VARIABLE,
            retry_base_ms.to_string(),
        )
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the dispatcher starts")
}

/// The deliveries recorded for `endpoint` of `account`, oldest event first,
/// once none is pending any more: a receiver sees a request before its
/// dispatcher records the answer, so a test reads the log when it settled.
/// Fails the test if it has not settled within [`PATIENCE`].
pub async fn settled_log(
    env: &TestEnv,
    account: &str,
    endpoint: &WebhookEndpoint,
) -> Vec<WebhookDelivery> {
    let account = Id::parse(account).expect("account id");
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let request = PageRequest {
            after: None,
            skip: 0,
            limit: 100,
            filter: None,
        };
        let (log, _) = webhook_deliveries::page(&env.store, &account, &endpoint.id, request)
            .await
            .expect("the delivery log");
        if log.iter().all(|d| d.status != DeliveryStatus::Pending) {
            return log;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "deliveries still pending: {log:?}"
        );
        // Polled: the dispatcher's write is another process's, with nothing to wait on.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
