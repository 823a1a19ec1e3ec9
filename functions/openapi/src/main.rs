//! Lambda entry point for the OpenAPI document.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    ledger_telemetry::init();
    lambda_http::run(openapi::router()).await
}
