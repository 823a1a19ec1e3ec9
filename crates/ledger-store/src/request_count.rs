//! How many DynamoDB requests a unit of work sent: [`counting`] opens a
//! tokio task-local count around a future, and [`DynamoRequestCount`], an
//! interceptor on the store's client, adds one for each request it transmits
//! (every attempt). The future runs in the caller's task, so each unit of
//! work counts its own requests however many run at once; a request sent
//! outside one (the payout run, a test's setup) counts nowhere.

use std::cell::Cell;

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;

tokio::task_local! {
    /// DynamoDB requests sent so far by the unit of work in flight.
    static DYNAMO_REQUESTS: Cell<u64>;
}

/// Runs `work`, answering its output and the DynamoDB requests it sent.
pub async fn counting<F: Future>(work: F) -> (F::Output, u64) {
    DYNAMO_REQUESTS
        .scope(Cell::new(0), async move {
            let output = work.await;
            (output, DYNAMO_REQUESTS.with(Cell::get))
        })
        .await
}

/// Adds one to the count of the unit of work in flight, if any.
pub fn count_one() {
    // Outside a unit of work there is nothing to count against.
    let _ = DYNAMO_REQUESTS.try_with(|count| count.set(count.get() + 1));
}

/// Counts each DynamoDB request the client transmits against the unit of
/// work in flight, if any.
#[derive(Clone, Copy, Debug, Default)]
pub struct DynamoRequestCount;

impl Intercept for DynamoRequestCount {
    fn name(&self) -> &'static str {
        "DynamoRequestCount"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _config: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        count_one();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn each_unit_of_work_counts_only_its_own_requests() {
        let one = counting(async {
            count_one();
            count_one();
        });
        let other = counting(async { count_one() });
        let ((_, two), (_, single)) = tokio::join!(one, other);
        assert_eq!((two, single), (2, 1));
        count_one();
    }
}
