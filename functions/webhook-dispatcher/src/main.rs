//! Lambda entry point for the webhook dispatcher; `--local-stream` runs it
//! against the emulator's stream instead (make run, the tests).

use std::sync::Arc;

use lambda_http::{LambdaEvent, service_fn};
use ledger_app::webhook_dispatch::Dispatcher;
use ledger_core::webhooks::{Destinations, RetrySchedule};
use ledger_store::Store;
use serde_json::Value;
use webhook_dispatcher::courier::HttpCourier;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    ledger_telemetry::init();
    let dispatcher = Arc::new(Dispatcher {
        store: Store::from_env().await?,
        courier: HttpCourier::new(Destinations::from_env())?,
        schedule: RetrySchedule::from_env(),
    });
    if std::env::args().any(|arg| arg == "--local-stream") {
        return Ok(webhook_dispatcher::local::run(dispatcher).await?);
    }
    lambda_http::lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let dispatcher = dispatcher.clone();
        async move { webhook_dispatcher::handle(&dispatcher, event.payload).await }
    }))
    .await
}
