//! `TestEnv`: one fresh table, two bootstrapped accounts, and helpers to call
//! the real routers with a key, the way API Gateway would.

use std::collections::HashMap;
use std::fmt::Display;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::{Credentials, Region};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use axum::Router;
use axum::body::Body;
use chrono::NaiveDate;
use http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use ledger_core::model::{FxRates, Id};
use ledger_core::money::Currency;
use ledger_store::request_count::DynamoRequestCount;
use ledger_store::{Store, fx_rates};
use partner_ledger_admin::schema::TableSchema;
use partner_ledger_admin::{bootstrap_account, issue_key};
use serde_json::Value;
use tower::ServiceExt;

use crate::counter::RequestCounter;
use crate::harsh::{self, Faults};
use crate::iam::{ActionRecorder, acting_as};

/// The emulator's address: `make test` exports it.
pub fn emulator_endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL_DYNAMODB")
        .expect("AWS_ENDPOINT_URL_DYNAMODB is not set: run the integration tests through `make test`, which starts the emulator")
}

/// The workspace root, where `template.yaml` lives.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A DynamoDB client for the emulator, counting its requests, retrying
/// as `Store::from_env`'s does.
pub async fn client(counter: &RequestCounter) -> Client {
    client_with(counter.clone())
}

/// A DynamoDB client for the emulator with `interceptor`, retrying and
/// counting requests for the metrics as production's does. Its requests made
/// while the harness acts as a function are recorded as that function's (`iam`).
pub fn client_with(interceptor: impl Intercept + 'static) -> Client {
    let config = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .http_client(ledger_store::https_client())
        .region(Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::SharedCredentialsProvider::new(
            Credentials::new("test", "test", None, None, "tests"),
        ))
        .endpoint_url(emulator_endpoint())
        .retry_config(ledger_store::retries())
        .build();
    let dynamo = aws_sdk_dynamodb::config::Builder::from(&config)
        .interceptor(DynamoRequestCount)
        .interceptor(interceptor)
        .interceptor(ActionRecorder)
        .build();
    Client::from_conf(dynamo)
}

/// A fresh table named uniquely, created from `template.yaml` (read once a
/// process: every test makes a table of its own).
pub async fn fresh_table(client: &Client) -> String {
    static SCHEMA: OnceLock<TableSchema> = OnceLock::new();
    let mut suffix = [0u8; 6];
    getrandom::fill(&mut suffix).expect("random source");
    let table = format!("test-{}", hex::encode(suffix));
    SCHEMA
        .get_or_init(|| {
            TableSchema::from_template(&workspace_root().join("template.yaml"))
                .expect("template.yaml declares the table")
        })
        .create(client, &table)
        .await
        .expect("the emulator creates the table");
    table
}

/// An answer from a router: status and parsed JSON body (`Null` if empty).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
}

impl Reply {
    /// The error envelope's `code`, for asserting on failures.
    pub fn error_code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    /// The error envelope's `message`.
    pub fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or_default()
    }

    /// Asserts a 422 `validation_failed` that names `field` among its
    /// fields; `case` (what was sent) labels each failure.
    pub fn assert_names(&self, field: &str, case: impl Display) {
        self.assert_invalid(&case);
        assert_eq!(
            self.error_code(),
            "validation_failed",
            "{case}: {:?}",
            self.body
        );
        let fields = self.fields();
        assert!(
            fields.iter().any(|f| f == field),
            "{case}: expected {field} among {fields:?}"
        );
    }

    /// Asserts a 422 whose first named field is `field`; `case` (what was
    /// sent) labels each failure.
    pub fn assert_names_first(&self, field: &str, case: impl Display) {
        self.assert_invalid(&case);
        assert_eq!(
            self.body["error"]["fields"][0]["field"],
            Value::from(field),
            "{case}: {:?}",
            self.body
        );
    }

    fn assert_invalid(&self, case: &impl Display) {
        assert_eq!(
            self.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{case}: {:?}",
            self.body
        );
    }

    /// The fields a validation failure names, in order.
    pub fn fields(&self) -> Vec<String> {
        self.body["error"]["fields"]
            .as_array()
            .map(|f| {
                f.iter()
                    .map(|e| e["field"].as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A fresh table with two accounts, A and B, each holding a `*` key.
pub struct TestEnv {
    pub store: Store,
    pub counter: RequestCounter,
    pub account_a: String,
    pub key_a: String,
    pub account_b: String,
    pub key_b: String,
    /// Each function's router on this table, built at its first request (as
    /// a function builds it once, at its cold start).
    routers: Mutex<HashMap<String, Router>>,
}

impl TestEnv {
    pub async fn new() -> Self {
        let counter = RequestCounter::default();
        let client = client(&counter).await;
        let table = fresh_table(&client).await;
        let store = Store::new(client, table);
        let a = bootstrap_account(&store, "Account A", Currency::EUR, &["*".into()])
            .await
            .expect("bootstrap A");
        let b = bootstrap_account(&store, "Account B", Currency::EUR, &["*".into()])
            .await
            .expect("bootstrap B");
        counter.take();
        if let Some(faults) = Faults::of_this_run() {
            faults.apply(store.table()).await;
        }
        Self {
            store,
            counter,
            account_a: a.account.id.to_string(),
            key_a: a.api_key,
            account_b: b.account.id.to_string(),
            key_b: b.api_key,
            routers: Mutex::default(),
        }
    }

    /// Publishes reference rates for `day`, as the ECB quotes them against
    /// EUR: one euro buys 1.0812 USD, 0.8512 GBP and 162.45 JPY.
    pub async fn publish_rates(&self, day: NaiveDate) {
        let rates = FxRates {
            date: day,
            base: Currency::EUR,
            rates: [("USD", "1.0812"), ("GBP", "0.8512"), ("JPY", "162.45")]
                .into_iter()
                .map(|(code, quote)| {
                    (
                        Currency::parse(code).expect("a currency"),
                        quote.parse().expect("a quote"),
                    )
                })
                .collect(),
        };
        fx_rates::save(&self.store, &rates)
            .await
            .expect("rates saved");
    }

    /// A second key for account A holding exactly `scopes`.
    pub async fn key_with_scopes(&self, scopes: &[&str]) -> String {
        let scopes: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
        let account = Id::parse(&self.account_a).expect("account id");
        issue_key(&self.store, &account, "scoped", &scopes)
            .await
            .expect("issue key")
    }

    /// The function (its binary) API Gateway would route `path` to (see
    /// template.yaml); `partner-groups` answers paths no function serves.
    pub fn binary_for(path: &str) -> &'static str {
        let under = |prefix: &str| path.starts_with(&format!("/2026-02-01/{prefix}"));
        if path.starts_with(openapi::PATH) {
            "openapi"
        } else if under("partners/groups") {
            "partner-groups"
        } else if under("partners") {
            "partners"
        } else if under("portal/") || path == "/portal" || path.starts_with("/portal/") {
            "portal"
        } else if under("campaigns") {
            "campaigns"
        } else if under("referrals") {
            "referrals"
        } else if under("commissions") {
            "commissions"
        } else if under("webhooks") || under("events/sale.json") || under("events/refund.json") {
            "payment-events"
        } else if under("events") {
            "events"
        } else if under("payouts") {
            "payouts"
        } else if under("account.json") || under("api_keys") || under("fx_rates") {
            "account"
        } else if under("webhook_endpoints") {
            "webhook-endpoints"
        } else if under("clicks.json") || path.starts_with("/r/") {
            "clicks"
        } else {
            "partner-groups"
        }
    }

    /// The router of the HTTP function `binary`, on this table.
    pub fn router_of(&self, binary: &str) -> Option<Router> {
        let mut routers = self
            .routers
            .lock()
            .expect("no test panicked holding the routers");
        if let Some(router) = routers.get(binary) {
            return Some(router.clone());
        }
        let router = self.build_router(binary)?;
        routers.insert(binary.to_string(), router.clone());
        Some(router)
    }

    /// A new router of the HTTP function `binary`, on this table.
    fn build_router(&self, binary: &str) -> Option<Router> {
        let store = self.store.clone();
        Some(match binary {
            "openapi" => openapi::router(),
            "partner-groups" => partner_groups::router(store),
            "partners" => partners::router(store),
            "portal" => portal::router(store),
            "campaigns" => campaigns::router(store),
            "referrals" => referrals::router(store),
            "commissions" => commissions::router(store),
            "payment-events" => payment_events::router(store),
            "events" => events::router(store),
            "payouts" => payouts::router(store),
            "account" => account::router(store),
            "webhook-endpoints" => webhook_endpoints::router(store),
            "clicks" => clicks::router(store, clicks::Cookies::default()),
            _ => return None,
        })
    }

    /// Sends one request with `key` (if any) and an optional JSON body. In
    /// the harsh world the table's indexes catch up first: each step of a
    /// test comes a moment after the one before, as a client's would, while
    /// the request itself meets every lag its own writes cause.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        harsh::settle(self.store.table()).await;
        let mut request = Request::builder().method(method).uri(path);
        if let Some(key) = key {
            request = request.header("authorization", format!("Bearer {key}"));
        }
        let body = match body {
            Some(json) => {
                request = request.header("content-type", "application/json");
                Body::from(json.to_string())
            }
            None => Body::empty(),
        };
        self.send(request.body(body).expect("valid request")).await
    }

    /// Sends each of `cases` (a body and the field its 422 must name) to
    /// `path` with `method` and `key`: each must be refused naming its
    /// field, and none may write anything.
    pub async fn assert_each_refused(
        &self,
        method: Method,
        path: &str,
        key: &str,
        cases: &[(Value, &str)],
    ) {
        let before = self.item_count().await;
        for (body, field) in cases {
            let reply = self
                .call(method.clone(), path, Some(key), Some(body.clone()))
                .await;
            reply.assert_names(field, body);
            assert_eq!(
                self.item_count().await,
                before,
                "{body}: nothing was written"
            );
        }
    }

    /// Sends a raw request through the API.
    pub async fn send(&self, request: Request<Body>) -> Reply {
        let binary = Self::binary_for(request.uri().path());
        let function = self
            .router_of(binary)
            .expect("a routed binary has a router");
        self.send_to(binary, function, request).await
    }

    /// Sends a raw request to `function`, the router of `binary`, as that
    /// function.
    pub async fn send_to(&self, binary: &str, function: Router, request: Request<Body>) -> Reply {
        self.send_to_with_headers(binary, function, request).await.0
    }

    /// Sends a raw request through the API, once the table's indexes caught
    /// up (as [`TestEnv::call`] does); the reply and its headers.
    pub async fn send_with_headers(&self, request: Request<Body>) -> (Reply, http::HeaderMap) {
        harsh::settle(self.store.table()).await;
        let binary = Self::binary_for(request.uri().path());
        let function = self
            .router_of(binary)
            .expect("a routed binary has a router");
        self.send_to_with_headers(binary, function, request).await
    }

    async fn send_to_with_headers(
        &self,
        binary: &str,
        function: Router,
        request: Request<Body>,
    ) -> (Reply, http::HeaderMap) {
        let response = acting_as(binary, function.oneshot(request))
            .await
            .expect("routers are infallible");
        let headers = response.headers().clone();
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        (Reply { status, body }, headers)
    }

    /// POSTs `body` exactly as given, with A's key and `content_type`: for
    /// bodies that are not JSON or not sent as JSON.
    pub async fn post_raw(&self, path: &str, content_type: &str, body: &str) -> Reply {
        let request = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header("authorization", format!("Bearer {}", self.key_a))
            .header("content-type", content_type)
            .body(Body::from(body.to_string()))
            .expect("valid request");
        self.send(request).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, Some(&self.key_a), None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(&self.key_a), Some(body))
            .await
    }

    pub async fn put(&self, path: &str, body: Value) -> Reply {
        self.call(Method::PUT, path, Some(&self.key_a), Some(body))
            .await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.call(Method::DELETE, path, Some(&self.key_a), None)
            .await
    }

    /// Every item in the table (one Scan page: a test's table is small).
    pub async fn items(&self) -> Vec<ledger_store::Item> {
        let out = self
            .store
            .client()
            .scan()
            .table_name(self.store.table())
            .send()
            .await
            .expect("scan");
        out.items.unwrap_or_default()
    }

    /// How many items the table holds, to prove that nothing was written.
    pub async fn item_count(&self) -> usize {
        self.items().await.len()
    }
}
