//! A DynamoDB client that dies after its k-th write, the way a Lambda
//! killed mid-run does: the k-th write reaches the table, its answer never
//! reaches the caller, and every request after it fails.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use ledger_store::Store;

use crate::app::client_with;

const WRITES: [&str; 5] = [
    "TransactWriteItems",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "BatchWriteItem",
];

/// Kills its client after `after` writes (`None`: never), and counts writes.
#[derive(Debug, Clone)]
pub struct KillSwitch {
    after: Option<usize>,
    writes: Arc<AtomicUsize>,
    killed: Arc<AtomicBool>,
}

impl KillSwitch {
    /// A store on `table` whose client dies after its `after`-th write.
    /// It retries as production's does (throttling, in the harsh world);
    /// once dead, every request fails at once, and a failure the
    /// interceptor raises is never retried: a dead process does not retry.
    pub fn store(table: &str, after: Option<usize>) -> (Store, KillSwitch) {
        let switch = KillSwitch {
            after,
            writes: Arc::default(),
            killed: Arc::default(),
        };
        let client = client_with(switch.clone());
        (Store::new(client, table.to_string()), switch)
    }

    /// Writes that reached the table.
    pub fn writes(&self) -> usize {
        self.writes.load(Ordering::SeqCst)
    }

    pub fn killed(&self) -> bool {
        self.killed.load(Ordering::SeqCst)
    }
}

fn operation(config: &ConfigBag) -> &str {
    config.load::<Metadata>().map_or("unknown", |m| m.name())
}

impl Intercept for KillSwitch {
    fn name(&self) -> &'static str {
        "KillSwitch"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _config: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if self.killed() {
            return Err("the process was killed".into());
        }
        Ok(())
    }

    fn read_after_transmit(
        &self,
        _context: &BeforeDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        config: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if !WRITES.contains(&operation(config)) {
            return Ok(());
        }
        let written = self.writes.fetch_add(1, Ordering::SeqCst) + 1;
        if self.after == Some(written) {
            self.killed.store(true, Ordering::SeqCst);
            return Err(format!("killed after write {written}").into());
        }
        Ok(())
    }
}
