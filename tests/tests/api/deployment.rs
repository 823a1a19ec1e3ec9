//! The API's routes are declared once, in the route table
//! (`openapi::route_table`: each function's handlers, by their
//! `#[utoipa::path]`), which builds each function's axum router and the
//! OpenAPI document. The two other places that route requests must agree
//! with it, method and path, in both directions: template.yaml's `HttpApi`
//! events (API Gateway) and Cargo.toml's
//! `[workspace.metadata.lambda.watch.router]` (`make run`).
//!
//! Each route of the table must be taken by the template route API Gateway
//! picks for it and by the Cargo.toml entry matchit picks for it, both naming
//! the function that serves it; each template route and each Cargo.toml
//! entry must carry some route of the table. And each function's router must
//! answer each of its routes with a handler rather than its fallback.

use std::collections::{BTreeMap, BTreeSet};

use axum::body::Body;
use harness::deployment::{
    Function, Route, TableRoute, local_router, route_table, template_functions,
};
use harness::{Reply, TestEnv};
use http::{Method, Request};

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

/// What template.yaml and Cargo.toml get wrong about the route table
/// `table`: a route of it they take elsewhere or not at all, and a route of
/// theirs that carries none of it.
fn drift(
    table: &[TableRoute],
    template: &BTreeMap<String, Function>,
    local_router: &BTreeMap<String, String>,
) -> Vec<String> {
    let mut local = matchit::Router::new();
    for (path, binary) in local_router {
        local
            .insert(path.clone(), (path.as_str(), binary.as_str()))
            .unwrap_or_else(|e| panic!("Cargo.toml's router: {path}: {e}"));
    }
    let mut problems = Vec::new();
    let mut carried: BTreeSet<(&str, &Route)> = BTreeSet::new();
    let mut used: BTreeSet<&str> = BTreeSet::new();
    for route in table {
        let path = concrete(&route.path);
        match route_for(template, &route.method, &path) {
            Some((binary, taken)) => {
                carried.insert((binary, taken));
                if binary != route.binary {
                    problems.push(format!(
                        "{route}: template.yaml's {taken} takes it to {binary}"
                    ));
                }
            }
            None => problems.push(format!(
                "{route}: no HttpApi route of template.yaml takes it"
            )),
        }
        match local.at(&path) {
            Ok(found) => {
                let (pattern, binary) = *found.value;
                used.insert(pattern);
                if binary != route.binary {
                    problems.push(format!(
                        "{route}: Cargo.toml's {pattern} routes it to {binary}"
                    ));
                }
            }
            Err(_) => problems.push(format!("{route}: Cargo.toml's router routes it nowhere")),
        }
    }
    for (binary, function) in template {
        for route in &function.routes {
            if !carried.contains(&(binary.as_str(), route)) {
                problems.push(format!(
                    "{binary}: template.yaml's {route} carries no route of the table"
                ));
            }
        }
    }
    for (pattern, binary) in local_router {
        if !used.contains(pattern.as_str()) {
            problems.push(format!(
                "{binary}: Cargo.toml's {pattern} carries no route of the table"
            ));
        }
    }
    problems
}

#[test]
fn template_yaml_and_cargo_toml_route_exactly_the_route_table() {
    let table = route_table();
    assert!(
        table.iter().any(|route| route.binary == "openapi"),
        "the table holds the document's own route"
    );
    let problems = drift(&table, &template_functions(), &local_router());
    assert!(
        problems.is_empty(),
        "template.yaml and Cargo.toml differ from the route table:\n{}",
        problems.join("\n")
    );
}

/// A route added to one place only: the table, the template or Cargo.toml.
#[test]
fn a_route_declared_in_one_place_only_is_drift() {
    let table = route_table();
    let (template, local) = (template_functions(), local_router());
    let finds = |problems: Vec<String>, expected: &str| {
        assert!(
            problems.iter().any(|p| p == expected),
            "{expected:?} not among {problems:#?}"
        );
    };

    let mut handled = table.clone();
    handled.push(TableRoute {
        binary: "account".into(),
        method: "GET".into(),
        path: "/2026-02-01/fx_rates/latest.json".into(),
    });
    finds(
        drift(&handled, &template, &local),
        "account: GET /2026-02-01/fx_rates/latest.json: no HttpApi route of template.yaml takes it",
    );

    let mut deployed = template.clone();
    let partners = deployed.get_mut("partners").expect("the partners function");
    partners.routes.push(Route {
        method: "DELETE".into(),
        path: "/2026-02-01/partners.json".into(),
    });
    finds(
        drift(&table, &deployed, &local),
        "partners: template.yaml's DELETE /2026-02-01/partners.json carries no route of the table",
    );

    let mut served = local.clone();
    served.insert("/2026-02-01/widgets.json".into(), "partners".into());
    finds(
        drift(&table, &template, &served),
        "partners: Cargo.toml's /2026-02-01/widgets.json carries no route of the table",
    );
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

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

#[tokio::test]
async fn every_route_of_the_table_is_documented_and_answered_by_its_function() {
    let env = TestEnv::new().await;
    let table = route_table();
    let document = serde_json::to_value(openapi::document()).expect("the document is JSON");
    let documented: BTreeSet<(String, String)> = document["paths"]
        .as_object()
        .expect("the document has paths")
        .iter()
        .flat_map(|(path, item)| {
            METHODS
                .iter()
                .filter(|method| item.get(**method).is_some())
                .map(|method| (method.to_ascii_uppercase(), path.clone()))
        })
        .collect();
    let tabled: BTreeSet<(String, String)> = table
        .iter()
        .filter(|route| route.binary != "openapi")
        .map(|route| (route.method.clone(), route.path.clone()))
        .collect();
    assert!(!documented.is_empty(), "the document lists operations");
    assert_eq!(
        documented, tabled,
        "the document lists the table's routes, all but its own"
    );

    let mut problems = Vec::new();
    for route in &table {
        let path = concrete(&route.path);
        if TestEnv::binary_for(&path) != route.binary {
            problems.push(format!(
                "{route}: TestEnv::binary_for routes it to {}",
                TestEnv::binary_for(&path)
            ));
        }
        if let Err(problem) = answer(&env, &route.binary, &route.method, &path).await {
            problems.push(format!("{route}: {problem}"));
        }
    }
    assert!(
        problems.is_empty(),
        "the axum routers do not answer the route table:\n{}",
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

/// A function fed by the table's stream reads that stream and no other
/// (its own role: SAM's would add a managed policy reading every stream of
/// the account); no other function may read it.
#[test]
fn only_the_stream_fed_function_reads_the_tables_stream() {
    let reading: BTreeSet<String> = [
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
    ]
    .map(String::from)
    .into();
    let mut fed = Vec::new();
    for (binary, function) in template_functions() {
        if function.reads_stream {
            fed.push(binary.clone());
            assert_eq!(function.stream_actions, reading, "{binary}");
        } else {
            assert!(
                function.stream_actions.is_empty(),
                "{binary}: {:?}",
                function.stream_actions
            );
        }
    }
    assert_eq!(fed, ["webhook-dispatcher"]);
}
