//! The metrics records real requests through the routers make: one per HTTP
//! request, its DynamoDB requests counted as the tests' own interceptor
//! (`harness::counter`) counts them, even for requests served at once.

use harness::{TestEnv, seed};
use ledger_telemetry::metrics::captured::Records;
use serde_json::{Value, json};

/// The records of HTTP requests among everything recorded.
fn http_requests(entries: Vec<Value>) -> Vec<Value> {
    entries
        .into_iter()
        .filter(|entry| entry.get("Route").is_some())
        .collect()
}

fn dynamo_requests(entry: &Value) -> usize {
    let count = entry["DynamoDBRequests"].as_u64().expect("a count");
    usize::try_from(count).expect("a small count")
}

#[tokio::test]
async fn each_request_is_one_record_counting_its_own_dynamodb_requests() {
    let env = TestEnv::new().await;
    let (records, _capture) = Records::capture();
    let group = env
        .post("/2026-02-01/partners/groups.json", seed::group_create())
        .await;
    assert_eq!(group.status, 201, "{:?}", group.body);
    env.counter.take();
    let earlier = records.lines().len();
    let since = || records.lines().split_off(earlier);

    let created = env
        .post("/2026-02-01/partners.json", seed::partner_create("ann"))
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let sent = env.counter.take();
    let records = http_requests(since());
    assert_eq!(records.len(), 1, "{records:?}");
    let record = &records[0];
    assert_eq!(
        (&record["Route"], &record["Method"], &record["StatusClass"]),
        (
            &json!("/2026-02-01/partners.json"),
            &json!("POST"),
            &json!("2xx")
        )
    );
    assert!(sent.len() >= 2, "a create reads and writes: {sent:?}");
    assert_eq!(dynamo_requests(record), sent.len(), "{sent:?}");

    let partner = created.body["partner"]["id"].as_str().expect("an id");
    let path = format!("/2026-02-01/partners/{partner}.json");
    assert_eq!(env.get(&path).await.status, 200);
    let lone_get = env.counter.take().len();
    let custom = seed::commission_firstpromoter_custom(partner);
    let (got, granted) = futures::join!(
        env.get(&path),
        env.post("/2026-02-01/commissions.json", custom)
    );
    assert_eq!(
        (got.status.as_u16(), granted.status.as_u16()),
        (200, 201),
        "{:?}",
        granted.body
    );
    let sent_at_once = env.counter.take().len();

    let entries = since();
    let records = http_requests(entries.clone());
    assert_eq!(records.len(), 4, "{records:?}");
    let by_method = |method: &str| {
        records[2..]
            .iter()
            .find(|record| record["Method"] == method)
            .unwrap_or_else(|| panic!("no {method} record: {records:?}"))
    };
    let (get, create) = (by_method("GET"), by_method("POST"));
    assert_eq!(get["Route"], "/2026-02-01/partners/{partner}");
    assert_eq!(create["Route"], "/2026-02-01/commissions.json");
    assert_eq!(
        dynamo_requests(get),
        lone_get,
        "the get counts only its own"
    );
    assert_eq!(
        dynamo_requests(get) + dynamo_requests(create),
        sent_at_once,
        "between them, every request sent"
    );
    let commissions: Vec<&Value> = entries
        .iter()
        .filter(|entry| entry["Source"] == "Api")
        .collect();
    assert_eq!(commissions.len(), 1, "{entries:?}");
    assert_eq!(commissions[0]["CommissionsCreated"], 1);
    assert_eq!(commissions[0]["CommissionAmount"].as_f64(), Some(25.0));
    assert_eq!(commissions[0]["PartnerId"], partner);
}
