//! The API Gateway v2 fixtures in `infra/events/` sent through the real Lambda
//! entry points: the debug binaries, started as Lambda starts them, talking to
//! a local Runtime API. This proves the `.json` routing, the `$default` stage
//! and base64 bodies survive the real event format.

use std::path::PathBuf;

use harness::TestEnv;
use harness::app::{emulator_endpoint, workspace_root};
use harness::runtime_api::{RuntimeApi, spawn_function};
use serde_json::{Value, json};

/// A function's debug binary; `make test` builds the workspace before testing.
fn binary(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace_root().join("target"), PathBuf::from);
    let path = target.join("debug").join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --workspace` first (make test does)",
        path.display()
    );
    path
}

fn fixture(name: &str, key: &str, group: &str) -> Value {
    let path = workspace_root().join("infra/events").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(
        &text
            .replace("__API_KEY__", key)
            .replace("__GROUP_ID__", group),
    )
    .expect("fixture is JSON")
}

/// Invokes and unpacks an API Gateway v2 response: status and parsed body.
async fn invoke(runtime: &RuntimeApi, event: Value) -> (u64, Value) {
    let response = runtime.invoke(event).await.expect("the function answers");
    let status = response["statusCode"].as_u64().expect("statusCode");
    let body = response["body"]
        .as_str()
        .map_or(Value::Null, |b| serde_json::from_str(b).expect("JSON body"));
    (status, body)
}

#[tokio::test]
async fn partner_group_fixtures_go_through_the_real_entry_point() {
    let env = TestEnv::new().await;
    let runtime = RuntimeApi::start().await;
    let endpoint = emulator_endpoint();
    let _function = spawn_function(
        &binary("partner-groups"),
        &runtime.address(),
        &[
            ("TABLE_NAME", env.store.table()),
            ("AWS_ENDPOINT_URL_DYNAMODB", &endpoint),
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
        ],
    );
    let key = env.key_a.clone();
    let default = env
        .post(
            "/2026-02-01/partners/groups.json",
            json!({"partnerGroup": {"name": "Default", "rules": [{"type": "recurring", "percentage": 10}]}}),
        )
        .await;
    let default_id = default.body["group"]["id"].as_str().unwrap().to_string();

    let (status, body) = invoke(&runtime, fixture("create-group.json", &key, "")).await;
    assert_eq!(status, 201, "base64 body decoded: {body}");
    let id = body["group"]["id"].as_str().expect("id").to_string();

    let (status, body) = invoke(&runtime, fixture("get-group.json", &key, &id)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["name"], json!("Performance Agencies"));
    assert_eq!(
        body["rules"][0],
        json!({"type": "new_customer_time_tier", "max_months": 6, "percentage": 30})
    );

    let (status, body) = invoke(&runtime, fixture("list-groups.json", &key, "")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["count"].clone(), body["per_page"].clone()),
        (json!(2), json!(10)),
        "query string survived"
    );

    let (status, body) = invoke(&runtime, fixture("update-group.json", &key, &id)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        env.get(&format!("/2026-02-01/partners/groups/{id}.json"))
            .await
            .body["name"],
        json!("Performance Agencies v2")
    );

    let (status, body) = invoke(&runtime, fixture("simulate-rules.json", &key, "")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["final_fee"].to_string(), "74.98");

    let restore = env
        .put(
            &format!("/2026-02-01/partners/groups/{default_id}.json"),
            json!({"partnerGroup": {"default": true}}),
        )
        .await;
    assert_eq!(restore.status, 200);
    let (status, body) = invoke(&runtime, fixture("delete-group.json", &key, &id)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"group": {"id": id, "deleted": true}}));

    let (status, _) = invoke(&runtime, fixture("get-group.json", "not-a-key", &id)).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn the_openapi_fixture_goes_through_the_real_entry_point() {
    let runtime = RuntimeApi::start().await;
    let _function = spawn_function(&binary("openapi"), &runtime.address(), &[]);
    let (status, body) = invoke(&runtime, fixture("openapi.json", "", "")).await;
    assert_eq!(status, 200);
    assert_eq!(body["openapi"], json!("3.1.0"));
    let paths = body["paths"].as_object().expect("paths");
    for path in [
        "/2026-02-01/partners/groups.json",
        "/2026-02-01/partners/groups/{groupId}.json",
        "/2026-02-01/partners/groups/simulate-rules.json",
    ] {
        assert!(paths.contains_key(path), "{path} documented");
    }
}
