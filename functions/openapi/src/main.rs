//! Lambda entry point for the OpenAPI document.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    lambda_http::run(openapi::router()).await
}
