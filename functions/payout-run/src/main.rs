//! Lambda entry point for the scheduled payout run.

use lambda_http::{LambdaEvent, service_fn};
use ledger_store::Store;
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    ledger_telemetry::init();
    let store = Store::from_env().await?;
    lambda_http::lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let store = store.clone();
        async move { payout_run::handle(&store, &event.context).await }
    }))
    .await
}
