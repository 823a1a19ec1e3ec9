//! Lambda entry point for click tracking.

use ledger_store::Store;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    ledger_telemetry::init();
    let store = Store::from_env().await?;
    lambda_http::run(clicks::router(store, clicks::Cookies::from_env())).await
}
