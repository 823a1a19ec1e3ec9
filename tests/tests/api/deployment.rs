//! The API's routes are one set in all three places that declare them,
//! function by function: template.yaml's `HttpApi` events (API Gateway),
//! Cargo.toml's `[workspace.metadata.lambda.watch.router]` (`make run`), and
//! each function's axum router.
//!
//! Axum cannot list a router's routes, so the OpenAPI document stands for
//! them: every documented operation must be routed by the template and by
//! Cargo.toml to the same binary, whose router answers it with a handler
//! rather than its fallback; every exact template route is answered the same
//! way, and every greedy one carries some documented operation.

use std::collections::{BTreeMap, BTreeSet};

use axum::body::Body;
use harness::deployment::{Function, Route, local_router, template_functions};
use harness::{Reply, TestEnv};
use http::{Method, Request};

const METHODS: [&str; 7] = ["get", "put", "post", "delete", "patch", "head", "options"];

#[test]
fn cargo_toml_routes_the_templates_paths_to_the_same_binaries() {
    let mut template: BTreeSet<(String, String)> = BTreeSet::new();
    for (binary, function) in template_functions() {
        for route in &function.routes {
            template.insert((binary.clone(), route.matchit_path()));
        }
    }
    let local: BTreeSet<(String, String)> = local_router()
        .into_iter()
        .map(|(path, binary)| (binary, path))
        .collect();
    let only = |these: &BTreeSet<(String, String)>, those: &BTreeSet<(String, String)>| {
        these
            .difference(those)
            .map(|(binary, path)| format!("{binary}: {path}"))
            .collect::<Vec<_>>()
    };
    let (template_only, local_only) = (only(&template, &local), only(&local, &template));
    assert!(
        template_only.is_empty() && local_only.is_empty(),
        "template.yaml's HttpApi paths (with {{proxy+}} as {{*rest}}) and Cargo.toml's \
         [workspace.metadata.lambda.watch.router] differ.\nOnly in template.yaml: {template_only:#?}\n\
         Only in Cargo.toml: {local_only:#?}"
    );
}

/// The template route API Gateway picks for a request: an exact path over a
/// greedy one, the longer greedy prefix, a method over `ANY`.
fn route_for<'a>(
    functions: &'a BTreeMap<String, Function>,
    method: &str,
    path: &str,
) -> Option<(&'a str, &'a Route)> {
    functions
        .iter()
        .flat_map(|(binary, f)| f.routes.iter().map(move |r| (binary.as_str(), r)))
        .filter(|(_, route)| route.matches(method, path))
        .max_by_key(|(_, route)| {
            let greedy = route.greedy_prefix();
            (
                greedy.is_none(),
                greedy.map_or(0, str::len),
                route.method != "ANY",
            )
        })
}

/// A documented path with each `{parameter}` filled in.
fn concrete(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some((before, after)) = rest.split_once('{') {
        out.push_str(before);
        rest = after.split_once('}').map_or("", |(_, tail)| tail);
        out.push_str("0probe");
    }
    out.push_str(rest);
    out
}

/// Answers `method path` through `binary`'s router with A's key: `Err` when
/// that is the router's fallback (what it answers for a path it lacks).
async fn answer(env: &TestEnv, binary: &str, method: &str, path: &str) -> Result<Reply, String> {
    let send = |path: &str| {
        let request = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).expect("a method"))
            .uri(path)
            .header("authorization", format!("Bearer {}", env.key_a))
            .body(Body::empty())
            .expect("a request");
        let router = env
            .router_of(binary)
            .expect("an HTTP function has a router");
        env.send_to(binary, router, request)
    };
    let fallback = send("/2026-02-01/no-function-serves-this").await;
    let reply = send(path).await;
    if (reply.status, &reply.body) == (fallback.status, &fallback.body) {
        Err(format!(
            "{method} {path}: {binary}'s router has no such route (its fallback answered {})",
            reply.status
        ))
    } else {
        Ok(reply)
    }
}

#[tokio::test]
async fn every_documented_operation_is_routed_to_the_function_that_answers_it() {
    let env = TestEnv::new().await;
    let functions = template_functions();
    let mut local = matchit::Router::new();
    for (path, binary) in local_router() {
        local
            .insert(path.clone(), binary)
            .unwrap_or_else(|e| panic!("Cargo.toml's router: {path}: {e}"));
    }
    let document = serde_json::to_value(openapi::document()).expect("the document is JSON");
    let paths = document["paths"]
        .as_object()
        .expect("the document has paths");
    assert!(!paths.is_empty(), "the document lists operations");

    let mut problems = Vec::new();
    let mut carried: BTreeSet<(&str, &Route)> = BTreeSet::new();
    for (documented, item) in paths {
        let path = concrete(documented);
        for method in METHODS.iter().filter(|m| item.get(**m).is_some()) {
            let method = method.to_ascii_uppercase();
            let operation = format!("{method} {documented}");
            let Some((binary, route)) = route_for(&functions, &method, &path) else {
                problems.push(format!(
                    "{operation}: no HttpApi route of template.yaml takes it"
                ));
                continue;
            };
            carried.insert((binary, route));
            match local.at(&path) {
                Ok(found) if found.value == binary => {}
                Ok(found) => problems.push(format!(
                    "{operation}: template.yaml routes it to {binary}, Cargo.toml to {}",
                    found.value
                )),
                Err(_) => problems.push(format!(
                    "{operation}: template.yaml routes it to {binary}, Cargo.toml's router nowhere"
                )),
            }
            if TestEnv::binary_for(&path) != binary {
                problems.push(format!(
                    "{operation}: template.yaml routes it to {binary}, TestEnv::binary_for to {}",
                    TestEnv::binary_for(&path)
                ));
            }
            if let Err(problem) = answer(&env, binary, &method, &path).await {
                problems.push(format!("{operation} ({}): {problem}", route));
            }
        }
    }
    for (binary, function) in &functions {
        for route in &function.routes {
            if route.greedy_prefix().is_some() {
                if !carried.contains(&(binary.as_str(), route)) {
                    problems.push(format!(
                        "{binary}: template.yaml's {route} carries no documented operation"
                    ));
                }
            } else {
                let method = if route.method == "ANY" {
                    "GET"
                } else {
                    &route.method
                };
                if let Err(problem) = answer(&env, binary, method, &route.path).await {
                    problems.push(format!("{binary}: template.yaml's {route}: {problem}"));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "the routes of template.yaml, Cargo.toml and the axum routers differ:\n{}",
        problems.join("\n")
    );
}

/// Whether `value` holds a `!Ref name` anywhere.
fn refers_to(value: &serde_yaml::Value, name: &str) -> bool {
    use serde_yaml::Value;
    match value {
        Value::Tagged(tagged) => {
            (tagged.tag == "Ref" && tagged.value.as_str() == Some(name))
                || refers_to(&tagged.value, name)
        }
        Value::Sequence(items) => items.iter().any(|v| refers_to(v, name)),
        Value::Mapping(map) => map.values().any(|v| refers_to(v, name)),
        _ => false,
    }
}

/// Every function the template deploys is operated like the others: it logs to
/// a log group of its own that has a retention, an alarm on the alarm topic
/// watches it, and the Makefile has the `build-<LogicalId>` target that SAM's
/// makefile build method calls, copying that function's bootstrap.
#[test]
fn every_function_has_a_log_group_an_alarm_and_a_build_target() {
    let root = harness::app::workspace_root();
    let text = std::fs::read_to_string(root.join("template.yaml")).expect("template.yaml");
    let template: serde_yaml::Value = serde_yaml::from_str(&text).expect("template.yaml parses");
    let resources = template["Resources"].as_mapping().expect("Resources");
    let makefile = std::fs::read_to_string(root.join("Makefile")).expect("Makefile");
    let mut gaps = Vec::new();
    for (binary, function) in template_functions() {
        let name = &function.resource;
        let definition = &template["Resources"][name.as_str()];
        let log_group = resources.iter().find(|(group, resource)| {
            resource["Type"].as_str() == Some("AWS::Logs::LogGroup")
                && resource["Properties"].get("RetentionInDays").is_some()
                && refers_to(
                    &definition["Properties"]["LoggingConfig"]["LogGroup"],
                    group.as_str().unwrap_or_default(),
                )
        });
        if log_group.is_none() {
            gaps.push(format!(
                "{name}: no LoggingConfig.LogGroup naming a log group with a retention"
            ));
        }
        let alarmed = resources.values().any(|resource| {
            resource["Type"].as_str() == Some("AWS::CloudWatch::Alarm")
                && refers_to(&resource["Properties"], name)
                && refers_to(&resource["Properties"]["AlarmActions"], "AlarmTopic")
        });
        if !alarmed {
            gaps.push(format!("{name}: no alarm on the AlarmTopic watches it"));
        }
        let target = format!("build-{name}: ; $(call copy_bootstrap,{binary})");
        if !makefile.lines().any(|line| line == target) {
            gaps.push(format!("{name}: the Makefile has no `{target}`"));
        }
    }
    assert!(gaps.is_empty(), "{}", gaps.join("\n"));
}
