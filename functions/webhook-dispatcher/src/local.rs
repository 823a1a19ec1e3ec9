//! The dispatcher as `make run` and the integration tests run it: the same
//! [`Dispatcher`] the Lambda function runs, fed by polling the emulator's
//! stream on the table instead of by an event source mapping, and sweeping
//! due retries every half second instead of every minute.
//!
//! The stream is read through the DynamoDB Streams JSON API (at
//! `AWS_ENDPOINT_URL_DYNAMODB_STREAMS`, else the table's endpoint) with a plain
//! HTTP client rather than `aws-sdk-dynamodbstreams`: only this local loop
//! reads a stream (in AWS, Lambda does), and that SDK would add a second
//! generated client to every build for four calls. The emulator (moto)
//! routes a request to its Streams backend by the credential scope of the
//! `Authorization` header, which it does not verify.
//!
//! It reads each shard from its oldest record (`TRIM_HORIZON`): a
//! dispatcher killed and started again sees every event again, and the
//! deliveries it already recorded are skipped, so nothing is lost and
//! nothing is sent twice by the restart.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::Utc;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use ledger_app::webhook_dispatch::{Courier, Dispatcher};
use serde_json::{Value, json};

/// How often the stream is read.
const POLL: Duration = Duration::from_millis(100);
/// How often due retries are swept.
const SWEEP: Duration = Duration::from_millis(500);

struct StreamsApi {
    client: Client<HttpConnector, Full<Bytes>>,
    endpoint: String,
    region: String,
}

impl StreamsApi {
    async fn call(&self, operation: &str, body: Value) -> Result<Value, String> {
        self.call_as("DynamoDBStreams_20120810", operation, body)
            .await
    }

    /// One call of the JSON API `service` (its `X-Amz-Target` prefix).
    async fn call_as(&self, service: &str, operation: &str, body: Value) -> Result<Value, String> {
        let scope = format!(
            "AWS4-HMAC-SHA256 Credential=local/{}/{}/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
            Utc::now().format("%Y%m%d"),
            self.region
        );
        let request = http::Request::post(&self.endpoint)
            .header("x-amz-target", format!("{service}.{operation}"))
            .header(http::header::CONTENT_TYPE, "application/x-amz-json-1.0")
            .header(http::header::AUTHORIZATION, scope)
            .body(Full::new(Bytes::from(body.to_string())))
            .map_err(|e| e.to_string())?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| format!("{operation}: {e}"))?;
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("{operation}: {e}"))?
            .to_bytes();
        if !status.is_success() {
            return Err(format!(
                "{operation}: {status}: {}",
                String::from_utf8_lossy(&bytes)
            ));
        }
        serde_json::from_slice(&bytes).map_err(|e| format!("{operation}: {e}"))
    }

    /// An iterator at the oldest record of each of the stream's shards.
    async fn iterators(&self, stream: &str) -> Result<Vec<String>, String> {
        let described = self
            .call("DescribeStream", json!({"StreamArn": stream}))
            .await?;
        let shards = described["StreamDescription"]["Shards"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let mut iterators = Vec::with_capacity(shards.len());
        for shard in shards {
            let answer = self
                .call(
                    "GetShardIterator",
                    json!({"StreamArn": stream, "ShardId": shard["ShardId"], "ShardIteratorType": "TRIM_HORIZON"}),
                )
                .await?;
            if let Some(iterator) = answer["ShardIterator"].as_str() {
                iterators.push(iterator.to_string());
            }
        }
        Ok(iterators)
    }
}

/// Polls the table's stream and sweeps due deliveries until the process ends.
pub async fn run<C: Courier + Send + 'static>(
    dispatcher: Arc<Dispatcher<C>>,
) -> Result<(), String> {
    // The Streams endpoint variable the AWS SDKs read, else the table's.
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB_STREAMS")
        .or_else(|_| std::env::var("AWS_ENDPOINT_URL_DYNAMODB"))
        .map_err(|_| {
            "--local-stream reads the emulator's stream: set AWS_ENDPOINT_URL_DYNAMODB".to_string()
        })?;
    let region = std::env::var("AWS_REGION").unwrap_or_else(|_| "eu-west-1".into());
    let api = StreamsApi {
        client: Client::builder(TokioExecutor::new()).build_http(),
        endpoint,
        region,
    };
    let table = api
        .call_as(
            "DynamoDB_20120810",
            "DescribeTable",
            json!({"TableName": dispatcher.store.table()}),
        )
        .await?;
    let stream = table["Table"]["LatestStreamArn"]
        .as_str()
        .ok_or("the table has no stream (template.yaml's StreamSpecification)")?
        .to_string();
    let mut iterators = api.iterators(&stream).await?;
    tracing::info!(%stream, shards = iterators.len(), "webhook dispatcher polling the local stream");
    let mut sweep = tokio::time::interval(SWEEP);
    let mut poll = tokio::time::interval(POLL);
    loop {
        tokio::select! {
            _ = sweep.tick() => {
                // Sweeps may overlap: a delivery one of them claimed is not
                // due for the others, so a slow endpoint holds up no sweep.
                let dispatcher = dispatcher.clone();
                tokio::spawn(async move {
                    let report = dispatcher.sweep(Utc::now()).await;
                    crate::record(&report, "sweep");
                });
            }
            _ = poll.tick() => {
                let mut next = Vec::with_capacity(iterators.len());
                for iterator in &iterators {
                    let mut answer = api.call("GetRecords", json!({"ShardIterator": iterator})).await?;
                    let records = answer["Records"].take();
                    if records.as_array().is_some_and(|records| !records.is_empty()) {
                        let dispatcher = dispatcher.clone();
                        tokio::spawn(async move {
                            let report = crate::on_records(&dispatcher, &records).await;
                            crate::record(&report, "stream");
                        });
                    }
                    if let Some(iterator) = answer["NextShardIterator"].as_str() {
                        next.push(iterator.to_string());
                    }
                }
                iterators = next;
            }
        }
    }
}
