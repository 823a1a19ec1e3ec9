//! Lambda entry point for the scheduled fetch of the ECB's reference rates.

use lambda_http::{LambdaEvent, service_fn};
use ledger_store::Store;
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    ledger_telemetry::init();
    let store = Store::from_env().await?;
    let url = fx_rates_fetch::source();
    lambda_http::lambda_runtime::run(service_fn(|_: LambdaEvent<Value>| {
        let (store, url) = (store.clone(), url.clone());
        async move {
            fx_rates_fetch::fetch_and_save(&store, &url)
                .await
                .map_err(lambda_http::Error::from)
        }
    }))
    .await
}
