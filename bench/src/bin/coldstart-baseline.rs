//! The cold-start baseline of DESIGN.md §5: a minimal `lambda_http` function
//! that builds the DynamoDB client once, from the standard AWS environment
//! and the functions' HTTPS client (`ledger_store::https_client`),
//! and does one GetItem per request. It logs as the functions do
//! (`ledger_telemetry`).

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::{Body, Error, Request, Response, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    ledger_telemetry::init_with_writer(std::io::stdout);
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(ledger_store::https_client())
        .load()
        .await;
    let client = Client::new(&config);
    let table = std::env::var("TABLE_NAME").map_err(|_| "TABLE_NAME is not set")?;
    run(service_fn(|_: Request| get_one(&client, &table))).await
}

async fn get_one(client: &Client, table: &str) -> Result<Response<Body>, Error> {
    let output = client
        .get_item()
        .table_name(table)
        .key("pk", AttributeValue::S("baseline".into()))
        .key("sk", AttributeValue::S("baseline".into()))
        .send()
        .await?;
    let body = format!(r#"{{"found":{}}}"#, output.item.is_some());
    Ok(Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(body.into())?)
}
