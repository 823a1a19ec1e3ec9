//! Every route with no key, a malformed key, an unknown key, a key lacking the
//! route's scope, and another account's key (SPEC §1, §4 invariant 5).

use harness::TestEnv;
use harness::access::{
    Route, assert_keys_are_required, assert_other_accounts_get_404, assert_scopes_are_enforced,
};
use harness::paths::GROUPS;
use http::{Method, StatusCode};
use serde_json::{Value, json};

fn create_body(name: &str) -> Value {
    json!({"partnerGroup": {"name": name, "rules": [{"type": "recurring", "percentage": 10}]}})
}

fn routes(group: &str) -> Vec<Route> {
    let item = format!("/2026-02-01/partners/groups/{group}.json");
    let simulate = json!({"partnerGroupSimulation": {"rules": [{"type": "recurring", "percentage": 10}], "simulation": {"charge_amount": 100}}});
    vec![
        Route::collection(Method::GET, GROUPS, "partner_groups:read"),
        Route::collection(Method::POST, GROUPS, "partner_groups:write").with_body(create_body("X")),
        Route::object(Method::GET, &item, "partner_groups:read"),
        Route::object(Method::PUT, &item, "partner_groups:write")
            .with_body(json!({"partnerGroup": {"name": "Y"}})),
        Route::object(Method::DELETE, item, "partner_groups:write"),
        Route::collection(
            Method::POST,
            "/2026-02-01/partners/groups/simulate-rules.json",
            "partner_groups:write",
        )
        .with_body(simulate),
    ]
}

/// Account A with its default group plus one more, so DELETE has a deletable target.
async fn setup() -> (TestEnv, String) {
    let env = TestEnv::new().await;
    env.post(GROUPS, create_body("Default")).await;
    let reply = env.post(GROUPS, create_body("Target")).await;
    let id = reply.body["group"]["id"].as_str().unwrap().to_string();
    (env, id)
}

#[tokio::test]
async fn every_route_requires_a_valid_key() {
    let (env, group) = setup().await;
    assert_keys_are_required(&env, &routes(&group)).await;
}

#[tokio::test]
async fn a_tampered_secret_is_rejected() {
    let (env, _) = setup().await;
    let mut tampered = env.key_a.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == '0' { '1' } else { '0' });
    let reply = env.call(Method::GET, GROUPS, Some(&tampered), None).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn every_route_requires_its_scope_and_names_it() {
    let (env, group) = setup().await;
    let wrong = env
        .key_with_scopes(&["partners:*", "commissions:read"])
        .await;
    let read_only = env.key_with_scopes(&["partner_groups:read"]).await;
    assert_scopes_are_enforced(&env, &routes(&group), &wrong, &read_only).await;
}

#[tokio::test]
async fn wildcard_scopes_cover_their_resource() {
    let (env, group) = setup().await;
    let wildcard = env.key_with_scopes(&["partner_groups:*"]).await;
    let path = format!("/2026-02-01/partners/groups/{group}.json");
    let reply = env
        .call(
            Method::PUT,
            &path,
            Some(&wildcard),
            Some(json!({"partnerGroup": {"name": "Z"}})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn another_account_cannot_see_or_touch_a_group() {
    let (env, group) = setup().await;
    let before = env.item_count().await;
    let original = env
        .get(&format!("/2026-02-01/partners/groups/{group}.json"))
        .await
        .body;
    let routes = routes(&group);
    assert_other_accounts_get_404(&env, &routes, "partner group not found").await;
    // B's own list, create and simulation work on B's own account.
    for route in routes.iter().filter(|route| !route.names_object) {
        let reply = route.call(&env, Some(&env.key_b)).await;
        assert!(
            reply.status.is_success(),
            "{}: {:?}",
            route.label(),
            reply.body
        );
    }
    let list_b = env.call(Method::GET, GROUPS, Some(&env.key_b), None).await;
    let names: Vec<&str> = list_b.body["elements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["X"], "B sees only the group B created");
    assert_eq!(
        env.get(&format!("/2026-02-01/partners/groups/{group}.json"))
            .await
            .body,
        original
    );
    assert_eq!(
        env.item_count().await,
        before + 1,
        "only B's own create was written"
    );
}

#[tokio::test]
async fn the_openapi_document_needs_no_key() {
    let env = TestEnv::new().await;
    let reply = env
        .call(Method::GET, "/2026-02-01/openapi.json", None, None)
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["openapi"], json!("3.1.0"));
}
