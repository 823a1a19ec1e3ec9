//! Lambda entry point for payment events.

use partner_ledger::store::Store;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    partner_ledger::telemetry::init();
    let store = Store::from_env().await?;
    lambda_http::run(payment_events::router(store)).await
}
