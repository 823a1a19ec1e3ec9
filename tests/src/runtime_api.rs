//! A local AWS Lambda Runtime API, served in-process, so the real function
//! binaries can be driven with API Gateway events as Lambda drives them.
//!
//! It speaks the real protocol (version `2018-06-01`): the function long-polls
//! `GET /runtime/invocation/next` and receives the event with Lambda's headers,
//! then posts `/runtime/invocation/{id}/response` or `/runtime/invocation/{id}/error`;
//! a function that fails to start posts `/runtime/init/error`.
//!
//! Usage: `RuntimeApi::start()`, then `spawn_function(binary, &api.address(), env)`,
//! then `api.invoke(event)` for the API Gateway response JSON
//! (`tests/tests/api/lambda_events.rs` shows it end to end).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use tokio::process::{Child, Command};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// How long [`RuntimeApi::invoke`] waits for the function's answer.
pub const INVOKE_TIMEOUT: Duration = Duration::from_secs(30);

/// The deadline announced with each event: the template's `Timeout`.
const FUNCTION_TIMEOUT: Duration = Duration::from_secs(10);

/// Lambda's ceiling on a synchronous response payload.
const MAX_PAYLOAD: usize = 6 * 1024 * 1024;

const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:local";

/// The function's answer to one invocation: its response, or the error it posted.
type Outcome = Result<Value, String>;

/// An event waiting for the function's next poll.
struct Invocation {
    id: String,
    event: Value,
}

/// Who waits for which invocation, and whether the function failed to start.
#[derive(Default)]
struct Waiters {
    by_id: HashMap<String, oneshot::Sender<Outcome>>,
    init_error: Option<String>,
}

struct Shared {
    queue: tokio::sync::Mutex<mpsc::UnboundedReceiver<Invocation>>,
    waiters: Mutex<Waiters>,
}

impl Shared {
    fn waiters(&self) -> std::sync::MutexGuard<'_, Waiters> {
        self.waiters.lock().expect("runtime API lock")
    }

    fn settle(&self, id: &str, outcome: Outcome) -> StatusCode {
        match self.waiters().by_id.remove(id) {
            Some(waiter) => {
                let _ = waiter.send(outcome);
                StatusCode::ACCEPTED
            }
            None => StatusCode::BAD_REQUEST,
        }
    }
}

/// A running Runtime API on `127.0.0.1`, stopped when dropped.
pub struct RuntimeApi {
    address: SocketAddr,
    events: mpsc::UnboundedSender<Invocation>,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

impl RuntimeApi {
    /// Binds a free port and starts serving.
    pub async fn start() -> Self {
        let (events, queue) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            queue: tokio::sync::Mutex::new(queue),
            waiters: Mutex::default(),
        });
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .layer(DefaultBodyLimit::max(MAX_PAYLOAD))
            .with_state(shared.clone());
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the runtime API");
        let address = listener.local_addr().expect("runtime API address");
        let server = tokio::spawn(async move {
            axum::serve(listener, app)
                .await
                .expect("runtime API server");
        });
        Self {
            address,
            events,
            shared,
            server,
        }
    }

    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> String {
        self.address.to_string()
    }

    /// Queues `event` for the function and waits, at most [`INVOKE_TIMEOUT`],
    /// for its response. `Err` carries the error the function posted (for the
    /// invocation or its initialisation), or says that no answer came.
    pub async fn invoke(&self, event: Value) -> Result<Value, String> {
        let id = request_id();
        let (waiter, answer) = oneshot::channel();
        {
            let mut waiters = self.shared.waiters();
            if let Some(error) = &waiters.init_error {
                return Err(format!("the function failed to initialise: {error}"));
            }
            waiters.by_id.insert(id.clone(), waiter);
        }
        self.events
            .send(Invocation {
                id: id.clone(),
                event,
            })
            .expect("the runtime API holds its queue");
        match tokio::time::timeout(INVOKE_TIMEOUT, answer).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_)) => Err("the runtime API dropped the invocation".into()),
            Err(_) => {
                self.shared.waiters().by_id.remove(&id);
                Err(format!(
                    "no response to invocation {id} within {INVOKE_TIMEOUT:?}"
                ))
            }
        }
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Starts `binary` as Lambda starts a function: only Lambda's environment
/// (memory 256 MB and JSON logs, as `template.yaml` sets them) plus `env`,
/// which overrides it and must carry the table, endpoint and credentials.
/// The function's stdout (its logs) goes to this process's stderr. The child
/// is killed when dropped.
pub fn spawn_function(binary: &Path, runtime_api: &str, env: &[(&str, &str)]) -> Child {
    spawn(binary, runtime_api, env, Stdio::from(std::io::stderr()))
}

/// [`spawn_function`] with its stdout (its logs, as CloudWatch would get
/// them) piped to the test, to read once the child is killed.
pub fn spawn_function_logged(
    binary: &Path,
    runtime_api: &str,
    env: &[(&str, &str)],
) -> LoggedFunction {
    let mut child = spawn(binary, runtime_api, env, Stdio::piped());
    let mut stdout = child.stdout.take().expect("stdout is piped");
    // Read as it is written, so a full pipe never blocks the function.
    let reader = tokio::spawn(async move {
        let mut logs = String::new();
        stdout.read_to_string(&mut logs).await.map(|_| logs)
    });
    LoggedFunction { child, reader }
}

/// A function process whose stdout (its logs) is read as it runs.
pub struct LoggedFunction {
    child: Child,
    reader: JoinHandle<std::io::Result<String>>,
}

impl LoggedFunction {
    /// Stops the function and answers everything it logged.
    pub async fn logs(mut self) -> String {
        self.child.kill().await.expect("the function stops");
        self.reader
            .await
            .expect("the reader ends with the function")
            .expect("the logs are text")
    }
}

fn spawn(binary: &Path, runtime_api: &str, env: &[(&str, &str)], stdout: Stdio) -> Child {
    let name = binary
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("function");
    let task_root = binary.parent().unwrap_or(Path::new("."));
    Command::new(binary)
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", runtime_api)
        .env("AWS_LAMBDA_FUNCTION_NAME", name)
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
        .env("AWS_LAMBDA_LOG_LEVEL", "INFO")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}"))
        .env(
            "AWS_LAMBDA_LOG_STREAM_NAME",
            format!("local/[$LATEST]{}", request_id()),
        )
        .env("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("LAMBDA_TASK_ROOT", task_root)
        .env("LAMBDA_RUNTIME_DIR", "/var/runtime")
        .env("_HANDLER", "bootstrap")
        .env("TZ", ":UTC")
        .env("LANG", "en_US.UTF-8")
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .envs(env.iter().copied())
        .current_dir(task_root)
        .stdin(Stdio::null())
        .stdout(stdout)
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()))
}

/// Long-polls until an event is queued, then hands it over with Lambda's headers.
async fn next(State(shared): State<Arc<Shared>>) -> Response {
    // Receiving is cancel-safe: a poll abandoned by a dying function loses no event.
    let Some(Invocation { id, event }) = shared.queue.lock().await.recv().await else {
        return StatusCode::GONE.into_response();
    };
    let deadline = SystemTime::now() + FUNCTION_TIMEOUT;
    let deadline_ms = deadline
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis();
    let headers = [
        (
            header::CONTENT_TYPE.as_str(),
            "application/json".to_string(),
        ),
        ("lambda-runtime-aws-request-id", id),
        ("lambda-runtime-deadline-ms", deadline_ms.to_string()),
        (
            "lambda-runtime-invoked-function-arn",
            FUNCTION_ARN.to_string(),
        ),
        ("lambda-runtime-trace-id", trace_id()),
    ];
    (headers, event.to_string()).into_response()
}

async fn response(
    State(shared): State<Arc<Shared>>,
    UrlPath(id): UrlPath<String>,
    body: Bytes,
) -> StatusCode {
    let payload = serde_json::from_slice(&body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into()));
    shared.settle(&id, Ok(payload))
}

async fn error(
    State(shared): State<Arc<Shared>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    shared.settle(&id, Err(describe_error(&headers, &body)))
}

/// Records the failure and fails every invocation, waiting or to come.
async fn init_error(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let error = describe_error(&headers, &body);
    let mut waiters = shared.waiters();
    for (_, waiter) in waiters.by_id.drain() {
        let _ = waiter.send(Err(format!("the function failed to initialise: {error}")));
    }
    waiters.init_error = Some(error);
    StatusCode::ACCEPTED
}

/// `<Lambda-Runtime-Function-Error-Type>: <body>`, as the function posted them.
fn describe_error(headers: &HeaderMap, body: &[u8]) -> String {
    let kind = headers
        .get("lambda-runtime-function-error-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("Unknown");
    format!("{kind}: {}", String::from_utf8_lossy(body))
}

/// A UUID-shaped request id, as Lambda's.
fn request_id() -> String {
    let hex = random_hex(16);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// An X-Ray trace header, as Lambda passes it.
fn trace_id() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();
    format!(
        "Root=1-{now:08x}-{};Parent={};Sampled=0",
        random_hex(12),
        random_hex(8)
    )
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("random source");
    hex::encode(buf)
}
