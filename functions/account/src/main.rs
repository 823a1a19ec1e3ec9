//! Lambda entry point for the account endpoint group.

use partner_ledger::store::Store;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let store = Store::from_env().await?;
    lambda_http::run(account::router(store)).await
}
