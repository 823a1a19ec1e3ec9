//! Bad input gets the right 4xx, names the field, and writes nothing (SPEC §1, §4 invariant 6).

use harness::TestEnv;
use harness::paths::GROUPS;
use http::StatusCode;
use serde_json::{Value, json};

fn with_rules(rules: Value) -> Value {
    json!({"partnerGroup": {"name": "Bad", "rules": rules}})
}

/// Sends `body` to the create route and checks status, field and that no item was written.
async fn rejected(env: &TestEnv, body: Value, status: StatusCode, field: &str) -> Value {
    let before = env.item_count().await;
    let reply = env.post(GROUPS, body).await;
    assert_eq!(reply.status, status, "{:?}", reply.body);
    let fields: Vec<&str> = reply.body["error"]["fields"]
        .as_array()
        .map(|f| f.iter().map(|e| e["field"].as_str().unwrap()).collect())
        .unwrap_or_default();
    assert!(fields.contains(&field), "expected {field} among {fields:?}");
    assert_eq!(env.item_count().await, before, "nothing was written");
    reply.body
}

#[tokio::test]
async fn a_rule_set_without_recurring_is_rejected() {
    let env = TestEnv::new().await;
    let body = rejected(
        &env,
        with_rules(json!([{"type": "new_customer_time_tier", "max_months": 3, "percentage": 20}])),
        StatusCode::UNPROCESSABLE_ENTITY,
        "partnerGroup.rules",
    )
    .await;
    assert_eq!(body["error"]["code"], json!("validation_failed"));
    assert_eq!(body["error"]["status"], json!(422));
    assert_eq!(
        body["error"]["fields"][0]["message"],
        json!("must include exactly one recurring rule")
    );
}

#[tokio::test]
async fn two_recurring_rules_are_rejected() {
    let env = TestEnv::new().await;
    rejected(
        &env,
        with_rules(json!([{"type": "recurring", "percentage": 10}, {"type": "recurring", "percentage": 12}])),
        StatusCode::UNPROCESSABLE_ENTITY,
        "partnerGroup.rules",
    )
    .await;
}

#[tokio::test]
async fn a_negative_percentage_names_the_rule_and_field() {
    let env = TestEnv::new().await;
    rejected(
        &env,
        with_rules(json!([{"type": "recurring", "percentage": 10}, {"type": "new_customer_time_tier", "max_months": 2, "percentage": -5}])),
        StatusCode::UNPROCESSABLE_ENTITY,
        "partnerGroup.rules[1].percentage",
    )
    .await;
}

#[tokio::test]
async fn an_unknown_rule_type_is_rejected() {
    let env = TestEnv::new().await;
    rejected(
        &env,
        with_rules(
            json!([{"type": "recurring", "percentage": 10}, {"type": "mystery_bonus", "bonus": 5}]),
        ),
        StatusCode::UNPROCESSABLE_ENTITY,
        "partnerGroup.rules[1].type",
    )
    .await;
}

#[tokio::test]
async fn unknown_fields_are_rejected() {
    let env = TestEnv::new().await;
    let mut body = with_rules(json!([{"type": "recurring", "percentage": 10}]));
    body["partnerGroup"]["colour"] = json!("blue");
    rejected(
        &env,
        body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "partnerGroup.colour",
    )
    .await;
    rejected(
        &env,
        with_rules(json!([{"type": "recurring", "percentage": 10, "max_payments": 3}])),
        StatusCode::UNPROCESSABLE_ENTITY,
        "partnerGroup.rules[0].max_payments",
    )
    .await;
}

#[tokio::test]
async fn missing_required_fields_are_named() {
    let env = TestEnv::new().await;
    rejected(
        &env,
        json!({"partnerGroup": {"rules": []}}),
        StatusCode::UNPROCESSABLE_ENTITY,
        "partnerGroup.name",
    )
    .await;
    rejected(
        &env,
        json!({"partnerGroup": {"name": "No rules"}}),
        StatusCode::UNPROCESSABLE_ENTITY,
        "partnerGroup.rules",
    )
    .await;
    rejected(
        &env,
        json!({}),
        StatusCode::UNPROCESSABLE_ENTITY,
        "partnerGroup",
    )
    .await;
    let unwrapped = rejected(
        &env,
        json!({"name": "Unwrapped"}),
        StatusCode::UNPROCESSABLE_ENTITY,
        "name",
    )
    .await;
    let message = unwrapped["error"]["fields"][0]["message"].as_str().unwrap();
    assert!(message.contains("partnerGroup"), "{message}");
    rejected(
        &env,
        with_rules(json!([{"type": "recurring", "percentage": "ten"}])),
        StatusCode::UNPROCESSABLE_ENTITY,
        "partnerGroup.rules[0].percentage",
    )
    .await;
}

#[tokio::test]
async fn malformed_json_is_a_400() {
    let env = TestEnv::new().await;
    let before = env.item_count().await;
    let reply = env
        .post_raw(
            GROUPS,
            "application/json",
            r#"{"partnerGroup": {"name": "x", "rules": [}"#,
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.error_code(), "bad_request");
    assert_eq!(env.item_count().await, before);
}

#[tokio::test]
async fn a_wrong_content_type_is_a_400() {
    let env = TestEnv::new().await;
    let body = with_rules(json!([{"type": "recurring", "percentage": 10}])).to_string();
    let reply = env.post_raw(GROUPS, "text/plain", &body).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_body_over_256_kib_is_a_413() {
    let env = TestEnv::new().await;
    let before = env.item_count().await;
    let mut body = with_rules(json!([{"type": "recurring", "percentage": 10}]));
    body["partnerGroup"]["description"] = json!("x".repeat(300 * 1024));
    let reply = env.post(GROUPS, body).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(env.item_count().await, before);
}

#[tokio::test]
async fn size_and_page_out_of_range_are_422() {
    let env = TestEnv::new().await;
    for query in ["size=0", "size=101", "page=0", "size=abc", "page=-1"] {
        let reply = env.get(&format!("{GROUPS}?{query}")).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        let field = query.split('=').next().unwrap();
        assert_eq!(
            reply.body["error"]["fields"][0]["field"],
            json!(field),
            "{query}"
        );
    }
    for query in ["size=1", "size=100", "page=1&size=50"] {
        assert_eq!(
            env.get(&format!("{GROUPS}?{query}")).await.status,
            StatusCode::OK,
            "{query}"
        );
    }
}

#[tokio::test]
async fn ids_that_cannot_exist_are_404() {
    let env = TestEnv::new().await;
    for path in [
        "/2026-02-01/partners/groups/nope.json",
        "/2026-02-01/partners/groups/68f76721a1b2c3d4e5f60718",
        "/2026-02-01/partners/groups/68F76721A1B2C3D4E5F60718.json",
        "/2026-02-01/partners/groups/68f76721a1b2c3d4e5f60718.json",
    ] {
        assert_eq!(env.get(path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn simulation_errors_name_rules_and_context_fields_together() {
    let env = TestEnv::new().await;
    let reply = env
        .post(
            "/2026-02-01/partners/groups/simulate-rules.json",
            json!({"partnerGroupSimulation": {
                "rules": [{"type": "recurring", "percentage": 101}],
                "simulation": {"charge_amount": 0}
            }}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = reply.body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        vec![
            "partnerGroupSimulation.rules[0].percentage",
            "partnerGroupSimulation.simulation.charge_amount"
        ]
    );
}

#[tokio::test]
async fn updates_validate_too_and_write_nothing() {
    let env = TestEnv::new().await;
    let created = env
        .post(
            GROUPS,
            with_rules(json!([{"type": "recurring", "percentage": 10}])),
        )
        .await;
    let id = created.body["group"]["id"].as_str().unwrap().to_string();
    let path = format!("/2026-02-01/partners/groups/{id}.json");
    let before = env.get(&path).await.body;
    for body in [
        json!({"partnerGroup": {"name": "  "}}),
        json!({"partnerGroup": {"rules": []}}),
        json!({"partnerGroup": {"unknown": 1}}),
        json!({"partnerGroup": {"rules": [{"type": "recurring", "amount": -1}]}}),
    ] {
        let reply = env.put(&path, body.clone()).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    }
    assert_eq!(env.get(&path).await.body, before);
}
