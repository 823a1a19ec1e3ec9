//! Lambda entry point for the partner portal.

use ledger_store::Store;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    ledger_telemetry::init();
    let store = Store::from_env().await?;
    lambda_http::run(portal::router(store)).await
}
