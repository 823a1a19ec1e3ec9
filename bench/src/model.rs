//! A DynamoDB model for benchmarks: a discrete-event simulation in virtual
//! time, served as an HTTP proxy in front of the emulator. It owns the
//! senders' virtual clocks, the order requests run in, and what each costs
//! in virtual time; the per-item rules (conflicts, throughput) are
//! [`rules`]'. The emulator only stores the data, one request at a time.
//!
//! Each simulated sender has a listener of its own ([`Model::client`] is an
//! SDK client for it), so the model knows whose request arrives.
//!
//! # Assumptions
//!
//! - **Virtual time.** A sender's clock is the virtual time of its last
//!   answer. After an error answer, a request arrives at that clock plus the
//!   real time since the answer was delivered: the app's or the SDK's retry
//!   sleep. After a successful one, at that clock: the functions' own
//!   computing between two requests is not modelled (a fraction of a
//!   millisecond in the release build; in the bench's dev build on this
//!   2-core machine, 64 senders' gaps were mostly waiting for a CPU, ~40 to
//!   100 ms, which would have been counted as DynamoDB's). Requests run strictly in virtual-arrival
//!   order, each only once no other sender could still send an earlier one
//!   (every other sender is waiting on a later request, finished, or has
//!   computed past it). A request at virtual time `t` is answered at
//!   `t + latency`, rejections included.
//! - **State at `t`.** The emulator applies a request when it runs, so its
//!   effect is visible from its virtual start `t`, not from some moment
//!   within `[t, t + latency)` as in DynamoDB. Reads in flight beside a
//!   write may thus see it early; conflicts and capacity are decided on the
//!   virtual intervals, not on this.
//! - **Latency** ([`Latency`]): 8 ms a transaction, 4 ms a read, 6 ms a
//!   single-item or batch write (it waits for two of three replicas where a
//!   read waits for one; typical in-region figures lie between the two).
//!   No variance: every request of a kind takes the same time.
//! - **Conflicts**, per item, as the AWS developer guide's "Transaction
//!   conflict handling in DynamoDB" lists them: a PutItem, UpdateItem or
//!   DeleteItem on an item in an ongoing TransactWriteItems fails with
//!   TransactionConflictException; a TransactWriteItems with an item in
//!   another ongoing TransactWriteItems is cancelled, and a TransactGetItems
//!   with an item in an ongoing write of any kind, each with
//!   `TransactionConflict` at that item's index. Ongoing means the virtual
//!   interval `[t, t + latency)`. Reads never conflict; BatchWriteItem never
//!   fails on a conflict (it holds its items against TransactGetItems).
//! - **Throughput**, per item (one item lives in one partition, whose
//!   ceilings are 3,000 RCU and 1,000 WCU a second): units counted in virtual
//!   one-second windows `[n, n + 1)`, no burst credit carried over. 1 WCU per
//!   KB written, 2 in a transaction (ConditionCheck included); per 4 KB, 0.5
//!   RCU an eventually consistent read, 1 a strongly consistent one, 2 a
//!   transactional one. An item's size is its JSON size on the wire (larger
//!   than DynamoDB's count, so it errs towards throttling), as last written
//!   or read; unknown, it is one unit. A Query or Scan is charged its
//!   returned items' bytes after it ran, and throttled (its answer discarded)
//!   if that takes one over. Above a ceiling: ProvisionedThroughputExceeded
//!   for the whole request, which consumes nothing.
//! - **Not modelled**: partitions holding many items (their shared ceilings,
//!   splits, adaptive capacity), GSI write capacity and its back-pressure on
//!   the table, capacity consumed by rejected requests, and the table-level
//!   on-demand ceilings. Each of these would only slow a design down, so the
//!   model flatters hot partitions and indexes (not hot items).

#[cfg(test)]
mod published;
mod rules;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::{Credentials, Region, SharedCredentialsProvider};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use harness::RequestCounter;
use harness::dynamodb_proxy::read_request;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;

pub use rules::{ItemKey, Kind, Limits, Refusal, Rejections};

/// The virtual round trip of each kind of request.
#[derive(Clone, Copy, Debug)]
pub struct Latency {
    pub transaction: Duration,
    pub read: Duration,
    pub write: Duration,
}

impl Default for Latency {
    fn default() -> Self {
        Self {
            transaction: Duration::from_millis(8),
            read: Duration::from_millis(4),
            write: Duration::from_millis(6),
        }
    }
}

impl Latency {
    fn of(&self, kind: Kind) -> Duration {
        match kind {
            Kind::Transaction => self.transaction,
            Kind::Read => self.read,
            Kind::Write => self.write,
        }
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub struct Config {
    pub latency: Latency,
    pub limits: Limits,
}

/// The requests the model ran and refused, and the time senders slept
/// before retrying after an error answer (counted as virtual time).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub requests: u64,
    pub conflicts: u64,
    pub throttles: u64,
    pub backing_off: Duration,
}

/// A running model: listeners, one per sender, and the coordinator.
pub struct Model {
    shared: Arc<Shared>,
    endpoints: Vec<String>,
    tasks: Vec<JoinHandle<()>>,
}

struct Shared {
    config: Config,
    state: Mutex<Clocks>,
    wake: Notify,
    upstream: String,
    http: HttpClient<HttpConnector, Full<Bytes>>,
}

/// Everything the coordinator decides on.
struct Clocks {
    senders: Vec<Sender>,
    /// Requests waiting to run, by virtual arrival and then by arrival order.
    queue: BTreeMap<(Duration, u64), Pending>,
    arrivals: u64,
    items: rules::Items,
    tally: Tally,
}

struct Sender {
    /// The virtual time of the last answer delivered.
    clock: Duration,
    /// When (real) that answer was delivered.
    since: Instant,
    /// Whether that answer was an error, after which the app or the SDK
    /// may sleep before it tries again.
    refused: bool,
    in_flight: usize,
    done: bool,
}

impl Sender {
    /// The earliest virtual time this sender can still send at.
    fn now(&self) -> Duration {
        self.clock + self.gap()
    }

    /// The virtual time since the last answer: the real time since it was
    /// delivered after an error (a retry's backoff sleep), none otherwise.
    fn gap(&self) -> Duration {
        if self.refused {
            self.since.elapsed()
        } else {
            Duration::ZERO
        }
    }
}

struct Pending {
    sender: usize,
    operation: String,
    parts: http::request::Parts,
    body: Bytes,
    reply: oneshot::Sender<Response>,
}

/// What the coordinator does next.
enum Next {
    Run(Duration, Box<Pending>),
    /// Wait for an arrival, or at most this long (real time).
    Wait(Option<Duration>),
}

impl Model {
    /// Starts a model for `senders` senders in front of the emulator at
    /// `upstream`; every sender's clock is at zero from now.
    pub async fn start(config: Config, senders: usize, upstream: &str) -> Result<Self, String> {
        let now = Instant::now();
        let shared = Arc::new(Shared {
            config,
            state: Mutex::new(Clocks {
                senders: (0..senders)
                    .map(|_| Sender {
                        clock: Duration::ZERO,
                        since: now,
                        refused: false,
                        in_flight: 0,
                        done: false,
                    })
                    .collect(),
                queue: BTreeMap::new(),
                arrivals: 0,
                items: rules::Items::new(config.limits),
                tally: Tally::default(),
            }),
            wake: Notify::new(),
            upstream: upstream.trim_end_matches('/').to_string(),
            http: HttpClient::builder(TokioExecutor::new()).build_http(),
        });
        let mut endpoints = Vec::with_capacity(senders);
        let mut tasks = Vec::with_capacity(senders + 1);
        for sender in 0..senders {
            let listener = TcpListener::bind("127.0.0.1:0")
                .await
                .map_err(|e| format!("bind a model listener: {e}"))?;
            let address = listener.local_addr().map_err(|e| e.to_string())?;
            endpoints.push(format!("http://{address}"));
            let app = Router::new()
                .fallback(arrive)
                .with_state((shared.clone(), sender));
            tasks.push(tokio::spawn(async move {
                // Serving ends only when the model is dropped (the task aborted).
                let _ = axum::serve(listener, app).await;
            }));
        }
        tasks.push(tokio::spawn(coordinate(shared.clone())));
        Ok(Self {
            shared,
            endpoints,
            tasks,
        })
    }

    pub fn senders(&self) -> usize {
        self.endpoints.len()
    }

    /// An SDK client whose requests are `sender`'s, retrying as
    /// production's does (`ledger_store::retries`).
    pub fn client(&self, sender: usize) -> Client {
        Client::new(&self.sdk_config(sender))
    }

    /// [`Model::client`], whose requests `counter` also names (as the
    /// harness's clients do).
    pub fn counted_client(&self, sender: usize, counter: &RequestCounter) -> Client {
        let config = aws_sdk_dynamodb::config::Builder::from(&self.sdk_config(sender))
            .interceptor(counter.clone())
            .build();
        Client::from_conf(config)
    }

    fn sdk_config(&self, sender: usize) -> aws_config::SdkConfig {
        aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .http_client(ledger_store::https_client())
            .region(Region::new("us-east-1"))
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                "test", "test", None, None, "model",
            )))
            .endpoint_url(&self.endpoints[sender])
            .retry_config(ledger_store::retries())
            .build()
    }

    /// `sender`'s virtual time now: its last answer's, plus the real time
    /// since when that answer was an error (see the module's assumptions).
    pub fn now(&self, sender: usize) -> Duration {
        self.shared.lock().senders[sender].now()
    }

    /// `sender` will send nothing more.
    pub fn finish(&self, sender: usize) {
        self.shared.lock().senders[sender].done = true;
        self.shared.wake.notify_one();
    }

    pub fn tally(&self) -> Tally {
        self.shared.lock().tally
    }

    /// Rejections per item, most first.
    pub fn rejections(&self) -> Vec<(ItemKey, Rejections)> {
        self.shared.lock().items.rejections()
    }
}

impl Drop for Model {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Clocks> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `pending` at virtual time `at` and delivers its answer.
    async fn run(&self, at: Duration, pending: Pending) {
        let latency = self.config.latency.of(rules::kind(&pending.operation));
        let body: Value = serde_json::from_slice(&pending.body).unwrap_or(Value::Null);
        let refused = self
            .lock()
            .items
            .admit(&pending.operation, &body, at, at + latency);
        let (response, refusal) = match refused {
            Some(rejection) => (answer(&rejection), Some(rejection.refusal)),
            None => {
                let (status, headers, bytes) = self.forward(pending.parts, pending.body).await;
                let observed = if status == StatusCode::OK {
                    let returned: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                    self.lock()
                        .items
                        .observe(&pending.operation, &body, &returned, at)
                } else {
                    None
                };
                match observed {
                    Some(rejection) => (answer(&rejection), Some(rejection.refusal)),
                    None => {
                        let mut response = Response::new(Body::from(bytes));
                        *response.status_mut() = status;
                        *response.headers_mut() = headers;
                        (response, None)
                    }
                }
            }
        };
        let mut state = self.lock();
        state.tally.requests += 1;
        match refusal {
            Some(Refusal::Conflict) => state.tally.conflicts += 1,
            Some(Refusal::Throttle) => state.tally.throttles += 1,
            None => {}
        }
        let sender = &mut state.senders[pending.sender];
        sender.clock = at + latency;
        sender.since = Instant::now();
        sender.refused = response.status() != StatusCode::OK;
        sender.in_flight -= 1;
        // A sender that gave up waiting has nobody to answer.
        let _ = pending.reply.send(response);
    }

    /// The emulator's answer to the request, as sent.
    async fn forward(
        &self,
        mut parts: http::request::Parts,
        body: Bytes,
    ) -> (StatusCode, http::HeaderMap, Bytes) {
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        parts.uri = match format!("{}{path}", self.upstream).parse() {
            Ok(uri) => uri,
            Err(e) => return bad_gateway(e),
        };
        parts.headers.remove(header::HOST);
        let request = http::Request::from_parts(parts, Full::new(body));
        let response = match self.http.request(request).await {
            Ok(response) => response,
            Err(e) => return bad_gateway(e),
        };
        let (parts, body) = response.into_parts();
        match body.collect().await {
            Ok(collected) => (parts.status, parts.headers, collected.to_bytes()),
            Err(e) => bad_gateway(e),
        }
    }
}

impl Clocks {
    /// The earliest request, if no sender could still send one earlier.
    fn next(&mut self) -> Next {
        let Some(&(at, _)) = self.queue.keys().next() else {
            return Next::Wait(None);
        };
        let behind = self
            .senders
            .iter()
            .filter(|s| !s.done && s.in_flight == 0)
            .map(Sender::now)
            .filter(|now| *now < at)
            .min();
        match behind {
            Some(now) => Next::Wait(Some(at - now)),
            None => match self.queue.pop_first() {
                Some(((at, _), pending)) => Next::Run(at, Box::new(pending)),
                None => Next::Wait(None),
            },
        }
    }
}

/// The coordinator: runs requests one at a time, in virtual-arrival order.
async fn coordinate(shared: Arc<Shared>) {
    loop {
        let next = shared.lock().next();
        match next {
            Next::Run(at, pending) => shared.run(at, *pending).await,
            Next::Wait(None) => shared.wake.notified().await,
            Next::Wait(Some(wait)) => {
                tokio::select! {
                    () = shared.wake.notified() => {}
                    () = tokio::time::sleep(wait) => {}
                }
            }
        }
    }
}

/// A request arriving at `sender`'s listener: queued at the sender's
/// virtual time, answered once the coordinator ran it.
async fn arrive(
    State((shared, sender)): State<(Arc<Shared>, usize)>,
    request: Request,
) -> Response {
    let (parts, body, operation) = match read_request(request).await {
        Ok((parts, body, operation)) => (parts, body, operation.unwrap_or_default()),
        Err(answer) => return answer,
    };
    let (reply, answered) = oneshot::channel();
    {
        let mut state = shared.lock();
        let gap = state.senders[sender].gap();
        let at = state.senders[sender].clock + gap;
        state.senders[sender].in_flight += 1;
        state.tally.backing_off += gap;
        let arrival = state.arrivals;
        state.arrivals += 1;
        state.queue.insert(
            (at, arrival),
            Pending {
                sender,
                operation,
                parts,
                body,
                reply,
            },
        );
    }
    shared.wake.notify_one();
    answered.await.unwrap_or_else(|_| {
        (
            StatusCode::BAD_GATEWAY,
            "the model stopped before answering",
        )
            .into_response()
    })
}

/// DynamoDB's answer for `rejection`: HTTP 400, its JSON error.
fn answer(rejection: &rules::Rejection) -> Response {
    let mut response = Response::new(Body::from(rejection.body.to_string()));
    *response.status_mut() = StatusCode::BAD_REQUEST;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/x-amz-json-1.0"),
    );
    headers.insert(
        "x-amzn-errortype",
        http::HeaderValue::from_static(rejection.error_type),
    );
    response
}

fn bad_gateway(error: impl std::fmt::Display) -> (StatusCode, http::HeaderMap, Bytes) {
    (
        StatusCode::BAD_GATEWAY,
        http::HeaderMap::new(),
        Bytes::from(error.to_string()),
    )
}
