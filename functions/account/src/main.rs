//! Lambda entry point for the account endpoint group.

use partner_ledger::store::Store;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    partner_ledger::telemetry::init();
    let store = Store::from_env().await?;
    lambda_http::run(account::router(store)).await
}
