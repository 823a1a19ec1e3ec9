//! The Partner Groups document's examples, end to end, plus the default-group
//! invariant and partial updates, against the emulator.

use futures::future::join_all;
use harness::objects;
use harness::paths::{GROUPS, SIMULATE};
use harness::{TestEnv, seed, snapshot};
use http::StatusCode;
use serde_json::{Value, json};

fn group_path(id: &str) -> String {
    format!("/2026-02-01/partners/groups/{id}.json")
}

fn minimal_group(name: &str, default: bool) -> Value {
    json!({"partnerGroup": {"name": name, "default": default, "rules": [{"type": "recurring", "percentage": 10}]}})
}

async fn create(env: &TestEnv, body: Value) -> String {
    let group = objects::create(env, GROUPS, "group", body).await;
    group["id"].as_str().expect("id").to_string()
}

async fn defaults(env: &TestEnv) -> Vec<String> {
    let list = env.get(GROUPS).await;
    assert_eq!(list.status, StatusCode::OK);
    list.body["elements"]
        .as_array()
        .expect("elements")
        .iter()
        .filter(|g| g["default"] == json!(true))
        .map(|g| g["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn seed_create_answers_201_with_only_the_id() {
    let env = TestEnv::new().await;
    let reply = env.post(GROUPS, seed::group_create()).await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let id = reply.body["group"]["id"].as_str().expect("id");
    assert_eq!(reply.body, json!({"group": {"id": id}}));
    assert_eq!(id.len(), 24);
    assert!(
        id.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
}

#[tokio::test]
async fn seed_list_uses_the_documented_envelope() {
    let env = TestEnv::new().await;
    let id = create(&env, seed::group_create()).await;
    let reply = env.get(GROUPS).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.body,
        json!({
            "entities": "PartnerGroup",
            "count": 1,
            "per_page": 100,
            "pages": {"current": 1, "max": 1},
            "elements": [{"id": id, "name": "Performance Agencies", "external_id": "P-GROUP-PERF", "default": true}]
        })
    );
}

#[tokio::test]
async fn seed_get_returns_rules_tags_and_description() {
    let env = TestEnv::new().await;
    let id = create(&env, seed::group_create()).await;
    let reply = env.get(&group_path(&id)).await;
    assert_eq!(reply.status, StatusCode::OK);
    let group = &reply.body;
    assert_eq!(group["id"], json!(id));
    assert_eq!(
        group["rules"],
        seed::group_create()["partnerGroup"]["rules"]
    );
    // The whole group: name, external id, tags, description, rules and the
    // flags the seed's create leaves at their defaults.
    insta::assert_snapshot!(
        "seed_group_read_back",
        snapshot::redacted(group, &[(&id, "[group]")])
    );
}

#[tokio::test]
async fn seed_update_renames_replaces_rules_and_takes_the_default() {
    let env = TestEnv::new().await;
    let first = create(&env, minimal_group("First", false)).await;
    let id = create(&env, seed::group_create()).await;
    let reply = env.put(&group_path(&id), seed::group_update()).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body, json!({"group": {"id": id}}));

    let group = env.get(&group_path(&id)).await.body;
    assert_eq!(group["name"], json!("Performance Agencies v2"));
    assert_eq!(
        group["rules"],
        json!([{"type": "recurring", "percentage": 14}])
    );
    assert_eq!(
        group["tags"],
        json!("managed,performance"),
        "fields not given are kept"
    );
    assert_eq!(group["default"], json!(true));
    assert_eq!(defaults(&env).await, vec![id]);
    assert_eq!(
        env.get(&group_path(&first)).await.body["default"],
        json!(false)
    );
}

#[tokio::test]
async fn seed_delete_answers_deleted_and_a_later_get_is_404() {
    let env = TestEnv::new().await;
    create(&env, minimal_group("Default", false)).await;
    let id = create(&env, seed::group_create()).await;
    let reply = env.delete(&group_path(&id)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, json!({"group": {"id": id, "deleted": true}}));
    let gone = env.get(&group_path(&id)).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.error_code(), "not_found");
    assert_eq!(
        env.delete(&group_path(&id)).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn seed_simulation_gives_74_98() {
    let env = TestEnv::new().await;
    let reply = env.post(SIMULATE, seed::simulation()).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let result = &reply.body["result"];
    assert_eq!(result["final_fee"].to_string(), "74.98");
    // The whole answer, each number as the server prints it: `success`, the
    // 25 % tier applied (no bonus, no limit reached), in EUR.
    insta::assert_snapshot!("seed_simulation", snapshot::redacted(&reply.body, &[]));
    assert_eq!(env.item_count().await, 4, "simulation stores nothing");
}

#[tokio::test]
async fn simulation_rounds_in_the_requested_currency() {
    let env = TestEnv::new().await;
    let reply = env
        .post(
            SIMULATE,
            json!({"partnerGroupSimulation": {
                "rules": [{"type": "recurring", "percentage": 12.5}],
                "simulation": {"charge_amount": 1001, "currency": "JPY"}
            }}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(
        reply.body["result"]["final_fee"].to_string(),
        "125",
        "125.125 JPY rounds to 125"
    );
}

#[tokio::test]
async fn the_first_group_becomes_the_default_and_later_ones_do_not() {
    let env = TestEnv::new().await;
    let first = create(&env, minimal_group("First", false)).await;
    let second = create(&env, minimal_group("Second", false)).await;
    assert_eq!(defaults(&env).await, vec![first.clone()]);
    let third = create(&env, minimal_group("Third", true)).await;
    assert_eq!(defaults(&env).await, vec![third]);
    assert_ne!(first, second);
}

#[tokio::test]
async fn the_default_group_cannot_be_deleted_or_unset() {
    let env = TestEnv::new().await;
    let id = create(&env, minimal_group("Only", false)).await;
    let delete = env.delete(&group_path(&id)).await;
    assert_eq!(delete.status, StatusCode::CONFLICT);
    assert_eq!(delete.error_code(), "default_group");
    let unset = env
        .put(
            &group_path(&id),
            json!({"partnerGroup": {"default": false}}),
        )
        .await;
    assert_eq!(unset.status, StatusCode::CONFLICT);
    assert_eq!(defaults(&env).await, vec![id]);
}

#[tokio::test]
async fn concurrent_first_creates_leave_exactly_one_default() {
    let env = TestEnv::new().await;
    let creates = (0..6).map(|i| env.post(GROUPS, minimal_group(&format!("G{i}"), false)));
    let replies = join_all(creates).await;
    assert!(
        replies.iter().all(|r| r.status == StatusCode::CREATED),
        "{replies:?}"
    );
    assert_eq!(defaults(&env).await.len(), 1);
}

#[tokio::test]
async fn concurrent_default_switches_leave_exactly_one_default() {
    let env = TestEnv::new().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(create(&env, minimal_group(&format!("G{i}"), false)).await);
    }
    let bodies: Vec<(String, Value)> = ids
        .iter()
        .map(|id| (group_path(id), json!({"partnerGroup": {"default": true}})))
        .collect();
    let switches = bodies
        .iter()
        .map(|(path, body)| env.put(path, body.clone()));
    let replies = join_all(switches).await;
    assert!(replies.iter().any(|r| r.status == StatusCode::OK));
    assert!(
        replies
            .iter()
            .all(|r| r.status == StatusCode::OK || r.status == StatusCode::CONFLICT),
        "{replies:?}"
    );
    let winners = defaults(&env).await;
    assert_eq!(winners.len(), 1, "{winners:?}");
}

#[tokio::test]
async fn a_partial_update_changes_only_what_it_names() {
    let env = TestEnv::new().await;
    let id = create(&env, seed::group_create()).await;
    let reply = env
        .put(
            &group_path(&id),
            json!({"partnerGroup": {"description": "Renamed tier"}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let group = env.get(&group_path(&id)).await.body;
    assert_eq!(group["description"], json!("Renamed tier"));
    assert_eq!(group["name"], json!("Performance Agencies"));
    assert_eq!(
        group["rules"],
        seed::group_create()["partnerGroup"]["rules"]
    );
}

#[tokio::test]
async fn an_invalid_update_changes_nothing() {
    let env = TestEnv::new().await;
    let id = create(&env, seed::group_create()).await;
    let before = env.get(&group_path(&id)).await.body;
    let reply = env
        .put(
            &group_path(&id),
            json!({"partnerGroup": {"name": "Changed", "rules": [{"type": "new_customer_time_tier", "max_months": 3, "percentage": 20}]}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        reply.body["error"]["fields"][0]["field"],
        json!("partnerGroup.rules")
    );
    assert_eq!(env.get(&group_path(&id)).await.body, before);
}

#[tokio::test]
async fn decimals_round_trip_exactly_through_the_table() {
    let env = TestEnv::new().await;
    let body = json!({"partnerGroup": {"name": "Exact", "rules": [
        {"type": "recurring", "percentage": 12.345678901234567},
        {"type": "charge_threshold_bonus", "min_charge_total": 299.9, "bonus": 0.1}
    ]}});
    let id = create(&env, body.clone()).await;
    let rules = env.get(&group_path(&id)).await.body["rules"].clone();
    assert_eq!(rules[0]["percentage"].to_string(), "12.345678901234567");
    assert_eq!(rules[1]["min_charge_total"].to_string(), "299.9");
    assert_eq!(rules[1]["bonus"].to_string(), "0.1");
}

#[tokio::test]
async fn list_pages_with_size_and_page() {
    let env = TestEnv::new().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(create(&env, minimal_group(&format!("G{i}"), false)).await);
    }
    let page = env.get(&format!("{GROUPS}?size=2&page=3")).await.body;
    assert_eq!(page["count"], json!(5));
    assert_eq!(page["per_page"], json!(2));
    assert_eq!(page["pages"], json!({"current": 3, "max": 3}));
    let elements: Vec<&str> = page["elements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_str().unwrap())
        .collect();
    assert_eq!(elements, vec![ids[4].as_str()], "ids sort by creation time");
}

#[tokio::test]
async fn routes_stay_within_their_dynamodb_request_budget() {
    let env = TestEnv::new().await;
    let id = create(&env, seed::group_create()).await;
    env.counter.take();
    env.get(&group_path(&id)).await;
    assert_eq!(env.counter.take(), vec!["BatchGetItem"], "get: 1 request");
    env.get(GROUPS).await;
    assert_eq!(
        env.counter.take(),
        vec!["BatchGetItem", "Query"],
        "list page: 2 requests"
    );
    env.post(GROUPS, minimal_group("Another", false)).await;
    assert_eq!(
        env.counter.take(),
        vec!["BatchGetItem", "TransactWriteItems"],
        "create: 1 read + 1 transaction"
    );
}
