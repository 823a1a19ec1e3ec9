//! A DynamoDB endpoint in front of the emulator for one spawned function
//! binary: it forwards every request unchanged and records it, read off the
//! wire (the `X-Amz-Target` operation and the JSON body), as that
//! function's (`iam`). A binary has an SDK client of its own, which the
//! test process's interceptors never see.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use tokio::net::TcpListener;

use crate::app::emulator_endpoint;
use crate::iam::{acting_as, record};

#[derive(Clone)]
struct Upstream {
    function: String,
    endpoint: String,
    client: Client<HttpConnector, Full<Bytes>>,
}

/// Serves on a free local port for as long as the test runs, forwarding to
/// the emulator as `function`; the endpoint URL to give the binary.
pub async fn endpoint_for(function: &str) -> String {
    let upstream = Upstream {
        function: function.to_string(),
        endpoint: emulator_endpoint(),
        client: Client::builder(TokioExecutor::new()).build_http(),
    };
    let app = Router::new().fallback(forward).with_state(upstream);
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the DynamoDB proxy");
    let address = listener.local_addr().expect("the proxy's address");
    tokio::spawn(async move {
        axum::serve(listener, app)
            .await
            .expect("the DynamoDB proxy serves");
    });
    format!("http://{address}")
}

/// A DynamoDB request as a proxy takes it: its parts, its body, and the
/// operation its `X-Amz-Target` names, if it names one; or the answer to a
/// body that could not be read.
pub async fn read_request(
    request: Request,
) -> Result<(http::request::Parts, Bytes, Option<String>), Response> {
    let (parts, body) = request.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => return Err((StatusCode::BAD_REQUEST, e.to_string()).into_response()),
    };
    let operation = parts
        .headers
        .get("x-amz-target")
        .and_then(|t| t.to_str().ok())
        .and_then(|t| t.rsplit_once('.'))
        .map(|(_, operation)| operation.to_string());
    Ok((parts, body, operation))
}

async fn forward(State(upstream): State<Upstream>, request: Request) -> Response {
    let (mut parts, body, operation) = match read_request(request).await {
        Ok(read) => read,
        Err(answer) => return answer,
    };
    if let Some(operation) = operation {
        let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let items: Vec<&str> = json["TransactItems"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|item| item.as_object()?.keys().next().map(String::as_str))
            .collect();
        acting_as(&upstream.function, async {
            record(&operation, json.get("IndexName").is_some(), &items);
        })
        .await;
    }
    let uri = format!(
        "{}{}",
        upstream.endpoint,
        parts.uri.path_and_query().map_or("/", |p| p.as_str())
    );
    parts.uri = match uri.parse() {
        Ok(uri) => uri,
        Err(e) => return (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    };
    parts.headers.remove(header::HOST);
    match upstream
        .client
        .request(http::Request::from_parts(parts, Full::new(body)))
        .await
    {
        Ok(response) => response.map(Body::new),
        Err(e) => (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}
