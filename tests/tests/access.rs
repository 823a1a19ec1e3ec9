//! Every route with no key, a malformed key, an unknown key, a key lacking the
//! route's scope, and another account's key (SPEC §1, §4 invariant 5).

use harness::TestEnv;
use http::{Method, StatusCode};
use serde_json::{Value, json};

struct Route {
    method: Method,
    path: String,
    body: Option<Value>,
    scope: &'static str,
    /// Whether the route names an object, so another account sees a 404.
    names_object: bool,
}

fn create_body(name: &str) -> Value {
    json!({"partnerGroup": {"name": name, "rules": [{"type": "recurring", "percentage": 10}]}})
}

fn routes(group: &str) -> Vec<Route> {
    let item = format!("/2026-02-01/partners/groups/{group}.json");
    let simulate = json!({"partnerGroupSimulation": {"rules": [{"type": "recurring", "percentage": 10}], "simulation": {"charge_amount": 100}}});
    vec![
        Route {
            method: Method::GET,
            path: "/2026-02-01/partners/groups.json".into(),
            body: None,
            scope: "partner_groups:read",
            names_object: false,
        },
        Route {
            method: Method::POST,
            path: "/2026-02-01/partners/groups.json".into(),
            body: Some(create_body("X")),
            scope: "partner_groups:write",
            names_object: false,
        },
        Route {
            method: Method::GET,
            path: item.clone(),
            body: None,
            scope: "partner_groups:read",
            names_object: true,
        },
        Route {
            method: Method::PUT,
            path: item.clone(),
            body: Some(json!({"partnerGroup": {"name": "Y"}})),
            scope: "partner_groups:write",
            names_object: true,
        },
        Route {
            method: Method::DELETE,
            path: item,
            body: None,
            scope: "partner_groups:write",
            names_object: true,
        },
        Route {
            method: Method::POST,
            path: "/2026-02-01/partners/groups/simulate-rules.json".into(),
            body: Some(simulate),
            scope: "partner_groups:write",
            names_object: false,
        },
    ]
}

/// Account A with its default group plus one more, so DELETE has a deletable target.
async fn setup() -> (TestEnv, String) {
    let env = TestEnv::new().await;
    env.post("/2026-02-01/partners/groups.json", create_body("Default"))
        .await;
    let reply = env
        .post("/2026-02-01/partners/groups.json", create_body("Target"))
        .await;
    let id = reply.body["group"]["id"].as_str().unwrap().to_string();
    (env, id)
}

#[tokio::test]
async fn every_route_requires_a_valid_key() {
    let (env, group) = setup().await;
    let before = env.item_count().await;
    let unknown_key = format!(
        "plk_{}_{}_{}",
        env.account_a,
        "68f76721000000000000abcd",
        "0".repeat(64)
    );
    for route in routes(&group) {
        for key in [
            None,
            Some("not-a-key"),
            Some(unknown_key.as_str()),
            Some("plk_"),
        ] {
            let reply = env
                .call(route.method.clone(), &route.path, key, route.body.clone())
                .await;
            assert_eq!(
                reply.status,
                StatusCode::UNAUTHORIZED,
                "{} {} with {key:?}",
                route.method,
                route.path
            );
            assert_eq!(reply.error_code(), "unauthorized");
        }
    }
    assert_eq!(env.item_count().await, before, "nothing was written");
}

#[tokio::test]
async fn a_tampered_secret_is_rejected() {
    let (env, _) = setup().await;
    let mut tampered = env.key_a.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == '0' { '1' } else { '0' });
    let reply = env
        .call(
            Method::GET,
            "/2026-02-01/partners/groups.json",
            Some(&tampered),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn every_route_requires_its_scope_and_names_it() {
    let (env, group) = setup().await;
    let wrong = env
        .key_with_scopes(&["partners:*", "commissions:read"])
        .await;
    let read_only = env.key_with_scopes(&["partner_groups:read"]).await;
    let before = env.item_count().await;
    for route in routes(&group) {
        let reply = env
            .call(
                route.method.clone(),
                &route.path,
                Some(&wrong),
                route.body.clone(),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "{} {}",
            route.method,
            route.path
        );
        assert_eq!(reply.error_code(), "forbidden");
        let message = reply.body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(route.scope),
            "{message} names {}",
            route.scope
        );

        let reply = env
            .call(
                route.method.clone(),
                &route.path,
                Some(&read_only),
                route.body.clone(),
            )
            .await;
        let expected = if route.scope.ends_with(":read") {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(
            reply.status, expected,
            "read-only key on {} {}",
            route.method, route.path
        );
    }
    assert_eq!(env.item_count().await, before, "nothing was written");
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
    for route in routes(&group) {
        let reply = env
            .call(
                route.method.clone(),
                &route.path,
                Some(&env.key_b),
                route.body.clone(),
            )
            .await;
        if route.names_object {
            assert_eq!(
                reply.status,
                StatusCode::NOT_FOUND,
                "{} {}",
                route.method,
                route.path
            );
            assert_eq!(
                reply.body["error"]["message"],
                json!("partner group not found")
            );
        } else {
            assert!(
                reply.status.is_success(),
                "{} {}: {:?}",
                route.method,
                route.path,
                reply.body
            );
        }
    }
    let list_b = env
        .call(
            Method::GET,
            "/2026-02-01/partners/groups.json",
            Some(&env.key_b),
            None,
        )
        .await;
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
