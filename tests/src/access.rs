//! Access control, checked the same way for every endpoint group: one
//! description of a route (method, path, body, the scope it needs, whether it
//! names an object) and the checks every route must pass (SPEC §1, §4
//! invariant 5). A key is required; the route's scope is enforced and named;
//! a read-only key cannot write; another account gets a 404 for A's objects
//! and an empty list. Each check also proves that nothing was written.

use http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::app::{Reply, TestEnv};

/// One route of an endpoint group, as the access checks call it.
pub struct Route {
    pub method: Method,
    pub path: String,
    pub body: Option<Value>,
    /// The scope the route needs, e.g. `campaigns:write`.
    pub scope: &'static str,
    /// Whether the route names one of account A's objects, so another
    /// account sees a 404.
    pub names_object: bool,
}

impl Route {
    /// A route on a collection (a list, a create, a simulation).
    pub fn collection(method: Method, path: impl Into<String>, scope: &'static str) -> Self {
        Self {
            method,
            path: path.into(),
            body: None,
            scope,
            names_object: false,
        }
    }

    /// A route naming one of account A's objects.
    pub fn object(method: Method, path: impl Into<String>, scope: &'static str) -> Self {
        Self {
            names_object: true,
            ..Self::collection(method, path, scope)
        }
    }

    /// The same route, sending `body`.
    pub fn with_body(self, body: Value) -> Self {
        Self {
            body: Some(body),
            ..self
        }
    }

    /// `METHOD path`, for assertion messages.
    pub fn label(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// Whether a key holding only the resource's `:read` scope may call it.
    pub fn reads(&self) -> bool {
        self.scope.ends_with(":read")
    }

    /// Calls the route with `key` (if any) and its body.
    pub async fn call(&self, env: &TestEnv, key: Option<&str>) -> Reply {
        env.call(self.method.clone(), &self.path, key, self.body.clone())
            .await
    }
}

/// The error envelope's message, or `""`.
fn message(reply: &Reply) -> &str {
    reply.body["error"]["message"].as_str().unwrap_or("")
}

/// Every route, called with no key, a malformed key, a well-formed key of
/// account A that was never issued, and a bare prefix, answers 401
/// `unauthorized`; nothing is written.
pub async fn assert_keys_are_required(env: &TestEnv, routes: &[Route]) {
    let before = env.item_count().await;
    let unknown_key = format!(
        "plk_{}_{}_{}",
        env.account_a,
        "68f76721000000000000abcd",
        "0".repeat(64)
    );
    for route in routes {
        for key in [
            None,
            Some("not-a-key"),
            Some(unknown_key.as_str()),
            Some("plk_"),
        ] {
            let reply = route.call(env, key).await;
            let label = route.label();
            assert_eq!(
                reply.status,
                StatusCode::UNAUTHORIZED,
                "{label} with {key:?}: {:?}",
                reply.body
            );
            assert_eq!(reply.error_code(), "unauthorized", "{label} with {key:?}");
        }
    }
    assert_eq!(
        env.item_count().await,
        before,
        "nothing was written without a valid key"
    );
}

/// Every route, called with `wrong_key` (a key of account A lacking the
/// route's scope), answers 403 `forbidden` naming that scope. Called with
/// `read_only_key` (holding only the resource's `:read` scope), read routes
/// answer 200 and write routes the same 403. Nothing is written.
pub async fn assert_scopes_are_enforced(
    env: &TestEnv,
    routes: &[Route],
    wrong_key: &str,
    read_only_key: &str,
) {
    let before = env.item_count().await;
    for route in routes {
        let label = route.label();
        let refused = route.call(env, Some(wrong_key)).await;
        assert_forbidden(&refused, route, &format!("{label} with a wrong-scope key"));

        let reading = route.call(env, Some(read_only_key)).await;
        if route.reads() {
            assert_eq!(
                reading.status,
                StatusCode::OK,
                "read-only key on {label}: {:?}",
                reading.body
            );
        } else {
            assert_forbidden(&reading, route, &format!("read-only key on {label}"));
        }
    }
    assert_eq!(
        env.item_count().await,
        before,
        "nothing was written without the scope"
    );
}

/// A 403 `forbidden` whose message names the route's scope.
fn assert_forbidden(reply: &Reply, route: &Route, what: &str) {
    assert_eq!(
        reply.status,
        StatusCode::FORBIDDEN,
        "{what}: {:?}",
        reply.body
    );
    assert_eq!(reply.error_code(), "forbidden", "{what}");
    let message = message(reply);
    assert!(
        message.contains(route.scope),
        "{what}: {message:?} names {}",
        route.scope
    );
}

/// Account B's `*` key gets 404 `not_found` with the message `not_found` on
/// every route that names one of A's objects, and an empty 200 page on every
/// list (a GET naming no object); nothing is written. Other collection routes
/// (creates, simulations) answer differently per endpoint group, so the test
/// checks those itself.
pub async fn assert_other_accounts_get_404(env: &TestEnv, routes: &[Route], not_found: &str) {
    let before = env.item_count().await;
    for route in routes {
        let label = route.label();
        if route.names_object {
            let reply = route.call(env, Some(&env.key_b)).await;
            assert_eq!(
                reply.status,
                StatusCode::NOT_FOUND,
                "{label} with account B's key: {:?}",
                reply.body
            );
            assert_eq!(reply.error_code(), "not_found", "{label}");
            assert_eq!(message(&reply), not_found, "{label}");
        } else if route.method == Method::GET {
            let reply = route.call(env, Some(&env.key_b)).await;
            assert_eq!(
                reply.status,
                StatusCode::OK,
                "{label} with account B's key: {:?}",
                reply.body
            );
            assert_eq!(
                (&reply.body["count"], &reply.body["elements"]),
                (&json!(0), &json!([])),
                "{label}: account B sees none of A's"
            );
        }
    }
    assert_eq!(
        env.item_count().await,
        before,
        "account B wrote nothing to A's objects"
    );
}
