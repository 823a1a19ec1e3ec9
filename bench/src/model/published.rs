//! The DynamoDB model against two published DynamoDB behaviours, through
//! the SDK and the emulator (run with the emulator at
//! `AWS_ENDPOINT_URL_DYNAMODB`, as `make test` and `make bench` start it).

use std::collections::BTreeMap;
use std::time::Duration;

use super::{Config, Latency, Model};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use harness::TestEnv;
use harness::app::emulator_endpoint;

fn key(sk: &str) -> [(String, AttributeValue); 2] {
    [
        ("pk".to_string(), AttributeValue::S("A#model".into())),
        ("sk".to_string(), AttributeValue::S(sk.into())),
    ]
}

/// A transaction writing an item of its own (index 0) and adding 1 to the
/// shared item `hot` (index 1).
async fn own_then_hot(client: &Client, table: &str, own: &str) -> Result<(), Vec<String>> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(key(own).into_iter().collect()))
        .build()
        .expect("a put");
    let update = Update::builder()
        .table_name(table)
        .set_key(Some(key("hot").into_iter().collect()))
        .update_expression("ADD n :one")
        .expression_attribute_values(":one", AttributeValue::N("1".into()))
        .build()
        .expect("an update");
    let sent = client
        .transact_write_items()
        .transact_items(TransactWriteItem::builder().put(put).build())
        .transact_items(TransactWriteItem::builder().update(update).build())
        .send()
        .await;
    match sent.map_err(|e| e.into_service_error()) {
        Ok(_) => Ok(()),
        Err(TransactWriteItemsError::TransactionCanceledException(cancelled)) => Err(cancelled
            .cancellation_reasons()
            .iter()
            .map(|r| r.code().unwrap_or_default().to_string())
            .collect()),
        Err(other) => panic!("unexpected error: {other:?}"),
    }
}

async fn counter(env: &TestEnv, sk: &str) -> u64 {
    let item = env
        .store
        .client()
        .get_item()
        .table_name(env.store.table())
        .set_key(Some(key(sk).into_iter().collect()))
        .consistent_read(true)
        .send()
        .await
        .expect("read the counter")
        .item
        .unwrap_or_default();
    item.get("n")
        .and_then(|n| n.as_n().ok())
        .map_or(0, |n| n.parse().expect("a count"))
}

/// "Transaction conflict handling in DynamoDB" (AWS developer guide): a
/// TransactWriteItems is cancelled with TransactionConflict when "an item
/// within a TransactWriteItems request is part of another ongoing
/// TransactWriteItems request". Two senders start one each at virtual time
/// zero (a 1 s transaction latency makes them overlap however the real
/// threads are scheduled): exactly one commits, the other is cancelled at
/// the shared item's index only, and once the first has ended the loser's
/// second attempt commits.
#[tokio::test]
async fn concurrent_transactions_on_one_item_cancel_exactly_one() {
    let env = TestEnv::new().await;
    let config = Config {
        latency: Latency {
            transaction: Duration::from_secs(1),
            ..Latency::default()
        },
        ..Config::default()
    };
    let model = Model::start(config, 2, &emulator_endpoint())
        .await
        .expect("the model starts");
    let table = env.store.table();
    let send = |sender: usize| {
        let (client, model) = (model.client(sender), &model);
        async move {
            let first = own_then_hot(&client, table, &format!("own{sender}")).await;
            let again = match &first {
                Ok(()) => None,
                Err(_) => Some(own_then_hot(&client, table, &format!("own{sender}")).await),
            };
            model.finish(sender);
            (first, again)
        }
    };
    let (a, b) = tokio::join!(send(0), send(1));
    let outcomes = [a, b];
    let cancelled: Vec<_> = outcomes
        .iter()
        .filter(|(first, _)| first.is_err())
        .collect();
    assert_eq!(cancelled.len(), 1, "exactly one cancelled: {outcomes:?}");
    let (first, again) = cancelled[0];
    assert_eq!(
        first.as_ref().expect_err("cancelled"),
        &vec!["None".to_string(), "TransactionConflict".to_string()]
    );
    assert_eq!(again, &Some(Ok(())), "after the first ended, it commits");
    assert_eq!(counter(&env, "hot").await, 2);
    assert_eq!(model.tally().conflicts, 1);
}

/// "Each partition on a DynamoDB table is subject to a hard limit of 1,000
/// write capacity units and 3,000 read capacity units" (AWS developer guide,
/// "Burst and adaptive capacity"; an item lives in one partition): 64
/// senders add to one counter item, offering about ten times that, for two
/// virtual seconds. Each second takes at most 1,000 writes and, so
/// over-offered, close to 1,000; the rest are throttled. The emulator's
/// count is every write a sender saw succeed, no more.
#[tokio::test]
async fn one_item_sustains_at_most_1000_writes_per_second() {
    const SENDERS: usize = 64;
    const SPAN: Duration = Duration::from_secs(2);
    let env = TestEnv::new().await;
    let config = Config::default();
    let model = Model::start(config, SENDERS, &emulator_endpoint())
        .await
        .expect("the model starts");
    let table = env.store.table();
    let senders = (0..SENDERS).map(|sender| {
        let (client, model) = (model.client(sender), &model);
        async move {
            let mut succeeded = Vec::new();
            while model.now(sender) < SPAN {
                let sent = client
                    .update_item()
                    .table_name(table)
                    .set_key(Some(key("counter").into_iter().collect()))
                    .update_expression("ADD n :one")
                    .expression_attribute_values(":one", AttributeValue::N("1".into()))
                    .send()
                    .await;
                if sent.is_ok() {
                    // Answered one write latency after it ran.
                    succeeded.push(model.now(sender) - config.latency.write);
                }
            }
            model.finish(sender);
            succeeded
        }
    });
    let succeeded: Vec<Duration> = futures::future::join_all(senders)
        .await
        .into_iter()
        .flatten()
        .collect();
    let mut per_second: BTreeMap<u64, usize> = BTreeMap::new();
    for at in &succeeded {
        *per_second.entry(at.as_secs()).or_default() += 1;
    }
    for second in 0..SPAN.as_secs() {
        let writes = per_second.get(&second).copied().unwrap_or(0);
        assert!(
            (950..=1000).contains(&writes),
            "second {second}: {writes} writes ({per_second:?})"
        );
    }
    assert!(
        per_second.values().all(|writes| *writes <= 1000),
        "{per_second:?}"
    );
    assert!(model.tally().throttles > 0, "{:?}", model.tally());
    assert_eq!(counter(&env, "counter").await, succeeded.len() as u64);
}
