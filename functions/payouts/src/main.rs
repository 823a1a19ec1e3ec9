//! Lambda entry point for the Payouts endpoint group.

use partner_ledger::store::Store;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let store = Store::from_env().await?;
    lambda_http::run(payouts::router(store)).await
}
