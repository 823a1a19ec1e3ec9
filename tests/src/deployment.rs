//! What the deployment declares for each function: from `template.yaml`,
//! its cargo binary, the DynamoDB actions its policy grants and its HTTP API
//! routes; from Cargo.toml, the paths `cargo lambda watch` routes to it; and
//! from the route table (`openapi::route_table`), the routes its router serves.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use serde_yaml::Value;

use crate::app::workspace_root;

/// One `AWS::Serverless::Function` of the template.
#[derive(Debug, Clone)]
pub struct Function {
    /// The resource's logical id (`PartnersFunction`).
    pub resource: String,
    /// `Metadata.BuildProperties.Binary`: the cargo binary.
    pub binary: String,
    /// The `dynamodb:` actions its policy statements allow on the table
    /// and its indexes.
    pub actions: BTreeSet<String>,
    /// The `dynamodb:` actions allowed on the table's stream (statements
    /// whose every `Resource` is `Table.StreamArn` or `.../stream/*`): what
    /// Lambda's event source mapping reads with the function's role.
    pub stream_actions: BTreeSet<String>,
    /// Whether one of its events is a `DynamoDB` stream.
    pub reads_stream: bool,
    /// Whether a `Resource` of those statements is one of the table's
    /// indexes (`${Table.Arn}/index/*`, in whatever intrinsic it is written).
    pub index_access: bool,
    /// Its `HttpApi` events.
    pub routes: Vec<Route>,
}

/// One HTTP API route: `ANY` or a method, and an API Gateway path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Route {
    pub method: String,
    pub path: String,
}

impl Route {
    /// The greedy `{proxy+}` route's prefix (`/2026-02-01/partners/`).
    pub fn greedy_prefix(&self) -> Option<&str> {
        self.path.strip_suffix("{proxy+}")
    }

    /// Whether API Gateway would match `method` and `path` with this route.
    pub fn matches(&self, method: &str, path: &str) -> bool {
        let method_matches = self.method == "ANY" || self.method.eq_ignore_ascii_case(method);
        let path_matches = match self.greedy_prefix() {
            Some(prefix) => path.len() > prefix.len() && path.starts_with(prefix),
            None => self.path == path,
        };
        method_matches && path_matches
    }

    /// The same path in matchit's syntax, as Cargo.toml's router writes it.
    pub fn matchit_path(&self) -> String {
        match self.greedy_prefix() {
            Some(prefix) => format!("{prefix}{{*rest}}"),
            None => self.path.clone(),
        }
    }
}

impl std::fmt::Display for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

/// Every function of the template at `path`, by binary.
pub fn functions(path: &Path) -> Result<BTreeMap<String, Function>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let template: Value =
        serde_yaml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let resources = template
        .get("Resources")
        .and_then(Value::as_mapping)
        .ok_or("no Resources")?;
    let mut functions = BTreeMap::new();
    for (name, resource) in resources {
        if resource.get("Type").and_then(Value::as_str) != Some("AWS::Serverless::Function") {
            continue;
        }
        let resource_name = name.as_str().unwrap_or_default().to_string();
        let function = function(resource_name.clone(), resource, resources)
            .map_err(|e| format!("{}: {resource_name}: {e}", path.display()))?;
        if let Some(earlier) = functions.insert(function.binary.clone(), function) {
            return Err(format!(
                "{}: {} and {resource_name} build the same binary {}",
                path.display(),
                earlier.resource,
                earlier.binary
            ));
        }
    }
    Ok(functions)
}

/// The template's functions, from the workspace's `template.yaml`.
pub fn template_functions() -> BTreeMap<String, Function> {
    functions(&workspace_root().join("template.yaml")).expect("template.yaml reads")
}

/// The policy documents that grant a function its permissions: its own
/// `Policies` (SAM's inline statements), or those of the `AWS::IAM::Role`
/// its `Role: !GetAtt <role>.Arn` names, which must have no managed policy.
fn policy_documents<'a>(
    properties: &'a Value,
    resources: &'a serde_yaml::Mapping,
) -> Result<Vec<&'a Value>, String> {
    let Some(role) = properties.get("Role") else {
        return Ok(sequence(properties.get("Policies")));
    };
    if properties.get("Policies").is_some() {
        return Err("both Role and Policies: SAM ignores Policies under a Role".into());
    }
    let name = match role {
        Value::Tagged(tagged) if tagged.tag == "!GetAtt" => tagged
            .value
            .as_str()
            .and_then(|attribute| attribute.strip_suffix(".Arn")),
        _ => None,
    }
    .ok_or_else(|| {
        format!("a Role that is not !GetAtt <role>.Arn, which cannot be checked: {role:?}")
    })?;
    let role = resources
        .get(name)
        .filter(|r| r.get("Type").and_then(Value::as_str) == Some("AWS::IAM::Role"))
        .and_then(|r| r.get("Properties"))
        .ok_or_else(|| format!("Role {name} is no AWS::IAM::Role of the template"))?;
    if role.get("ManagedPolicyArns").is_some() {
        return Err(format!(
            "Role {name} has managed policies, which cannot be checked"
        ));
    }
    sequence(role.get("Policies"))
        .into_iter()
        .map(|policy| {
            policy
                .get("PolicyDocument")
                .ok_or_else(|| format!("Role {name}: a policy without a PolicyDocument"))
        })
        .collect()
}

fn function(
    resource: String,
    definition: &Value,
    resources: &serde_yaml::Mapping,
) -> Result<Function, String> {
    let binary = definition
        .get("Metadata")
        .and_then(|m| m.get("BuildProperties"))
        .and_then(|b| b.get("Binary"))
        .and_then(Value::as_str)
        .ok_or("no Metadata.BuildProperties.Binary")?
        .to_string();
    let properties = definition.get("Properties").ok_or("no Properties")?;
    let mut actions = BTreeSet::new();
    let mut stream_actions = BTreeSet::new();
    let mut index_access = false;
    for policy in policy_documents(properties, resources)? {
        let statements = policy.get("Statement").ok_or_else(|| {
            format!(
                "a policy that is not an inline Statement list, which cannot be checked: {policy:?}"
            )
        })?;
        for statement in sequence(Some(statements)) {
            if statement.get("Effect").and_then(Value::as_str) != Some("Allow") {
                return Err(format!(
                    "a statement that is not Effect: Allow, which cannot be checked: {statement:?}"
                ));
            }
            let resources = sequence(statement.get("Resource"));
            let on_stream = !resources.is_empty()
                && resources.iter().all(|resource| {
                    strings(resource)
                        .iter()
                        .any(|s| s.contains("StreamArn") || s.contains("/stream/"))
                });
            for action in sequence(statement.get("Action")) {
                let action = action.as_str().ok_or("an Action that is not a string")?;
                if action.contains('*') {
                    return Err(format!("{action}: a wildcard action cannot be checked"));
                }
                if action.starts_with("dynamodb:") {
                    let granted = if on_stream {
                        &mut stream_actions
                    } else {
                        &mut actions
                    };
                    granted.insert(action.to_string());
                }
            }
            index_access |= sequence(statement.get("Resource"))
                .iter()
                .any(|resource| strings(resource).iter().any(|s| s.contains("/index/")));
        }
    }
    let mut routes = Vec::new();
    let mut reads_stream = false;
    if let Some(events) = properties.get("Events").and_then(Value::as_mapping) {
        for (name, event) in events {
            reads_stream |= event.get("Type").and_then(Value::as_str) == Some("DynamoDB");
            if event.get("Type").and_then(Value::as_str) != Some("HttpApi") {
                continue;
            }
            let field = |key: &str| {
                event
                    .get("Properties")
                    .and_then(|p| p.get(key))
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .ok_or_else(|| format!("event {name:?} has no {key}"))
            };
            routes.push(Route {
                method: field("Method")?.to_ascii_uppercase(),
                path: field("Path")?,
            });
        }
    }
    Ok(Function {
        resource,
        binary,
        actions,
        stream_actions,
        reads_stream,
        index_access,
        routes,
    })
}

/// A YAML list as its items, a single value as itself, nothing as nothing.
fn sequence(value: Option<&Value>) -> Vec<&Value> {
    match value {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Sequence(items)) => items.iter().collect(),
        Some(other) => vec![other],
    }
}

/// Every string inside `value`, through intrinsic functions' tags
/// (`!Sub "${Table.Arn}/index/*"`, `!If [cond, a, b]`).
fn strings(value: &Value) -> Vec<&str> {
    match value {
        Value::String(s) => vec![s.as_str()],
        Value::Sequence(items) => items.iter().flat_map(strings).collect(),
        Value::Mapping(map) => map
            .iter()
            .flat_map(|(k, v)| [strings(k), strings(v)])
            .flatten()
            .collect(),
        Value::Tagged(tagged) => strings(&tagged.value),
        Value::Null | Value::Bool(_) | Value::Number(_) => Vec::new(),
    }
}

/// One route of the route table: the binary whose router serves it, its
/// method and its documented path (`/2026-02-01/partners/{partnerId}.json`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TableRoute {
    pub binary: String,
    pub method: String,
    pub path: String,
}

impl std::fmt::Display for TableRoute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} {}", self.binary, self.method, self.path)
    }
}

/// Every route of the route table, the one place routes are declared: each
/// HTTP function's handlers, as its router and its part of the document have them.
pub fn route_table() -> Vec<TableRoute> {
    let mut routes = Vec::new();
    for (binary, part) in openapi::route_table() {
        for (path, item) in part.paths.paths {
            let operations = [
                ("GET", &item.get),
                ("PUT", &item.put),
                ("POST", &item.post),
                ("DELETE", &item.delete),
                ("OPTIONS", &item.options),
                ("HEAD", &item.head),
                ("PATCH", &item.patch),
                ("TRACE", &item.trace),
            ];
            for (method, operation) in operations {
                if operation.is_some() {
                    routes.push(TableRoute {
                        binary: binary.to_string(),
                        method: method.to_string(),
                        path: path.clone(),
                    });
                }
            }
        }
    }
    routes
}

/// `[workspace.metadata.lambda.watch.router]` of the workspace's Cargo.toml,
/// path pattern to binary, as cargo itself reads it.
pub fn local_router() -> BTreeMap<String, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
        ])
        .current_dir(workspace_root())
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("cargo metadata is JSON");
    let router = metadata["metadata"]["lambda"]["watch"]["router"]
        .as_object()
        .expect("Cargo.toml has [workspace.metadata.lambda.watch.router]");
    router
        .iter()
        .map(|(path, binary)| {
            let binary = binary.as_str().expect("a router entry names a binary");
            (path.clone(), binary.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = r#"
Resources:
  Table:
    Type: AWS::DynamoDB::Table
  ThingsFunction:
    Type: AWS::Serverless::Function
    Metadata:
      BuildProperties:
        Binary: things
    Properties:
      Policies:
        - Statement:
            - Effect: Allow
              Action:
                - dynamodb:Query
                - dynamodb:PutItem
                - sns:Publish
              Resource:
                - !If [Cond, !GetAtt Table.Arn, !Ref AWS::NoValue]
                - !If [Cond, !Sub "${Table.Arn}/index/*", !Ref AWS::NoValue]
      Events:
        Item:
          Type: HttpApi
          Properties:
            Method: any
            Path: /things/{proxy+}
        Nightly:
          Type: Schedule
          Properties:
            Schedule: rate(1 day)
"#;

    fn parse(text: &str) -> Result<BTreeMap<String, Function>, String> {
        let dir = std::env::temp_dir().join(format!("deployment-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{}.yaml", text.len()));
        std::fs::write(&path, text).unwrap();
        functions(&path)
    }

    #[test]
    fn a_function_reads_with_its_actions_index_and_routes() {
        let functions = parse(TEMPLATE).unwrap();
        let things = &functions["things"];
        assert_eq!(things.resource, "ThingsFunction");
        assert_eq!(
            things.actions,
            BTreeSet::from(["dynamodb:PutItem".into(), "dynamodb:Query".into()])
        );
        assert!(things.index_access, "the index inside !If and !Sub");
        assert_eq!(
            things.routes,
            [Route {
                method: "ANY".into(),
                path: "/things/{proxy+}".into()
            }]
        );
        assert_eq!(things.routes[0].matchit_path(), "/things/{*rest}");
        assert!(things.routes[0].matches("DELETE", "/things/a.json"));
        assert!(!things.routes[0].matches("GET", "/things/"));
    }

    #[test]
    fn a_policy_that_cannot_be_checked_is_refused() {
        let managed = TEMPLATE.replace("- Statement:", "- DynamoDBCrudPolicy:");
        assert!(
            parse(&managed)
                .unwrap_err()
                .contains("not an inline Statement")
        );
        let wildcard = TEMPLATE.replace("dynamodb:Query", "dynamodb:*");
        assert!(parse(&wildcard).unwrap_err().contains("wildcard"));
    }

    /// A function with its own role instead of `Policies`, reading the
    /// table's stream; `{managed}` is where a managed policy would go.
    const WITH_ROLE: &str = r#"
Resources:
  Table:
    Type: AWS::DynamoDB::Table
  ThingsFunction:
    Type: AWS::Serverless::Function
    Metadata:
      BuildProperties:
        Binary: things
    Properties:
      Role: !GetAtt ThingsRole.Arn
  ThingsRole:
    Type: AWS::IAM::Role
    Properties:{managed}
      Policies:
        - PolicyName: things
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: [dynamodb:Query, dynamodb:PutItem]
                Resource: [!GetAtt Table.Arn, !Sub "${Table.Arn}/index/*"]
              - Effect: Allow
                Action: [dynamodb:GetRecords, dynamodb:DescribeStream]
                Resource: [!GetAtt Table.StreamArn]
              - Effect: Allow
                Action: [dynamodb:ListStreams]
                Resource: [!Sub "${Table.Arn}/stream/*"]
"#;

    #[test]
    fn a_role_of_the_template_grants_the_table_and_the_stream_apart() {
        let functions = parse(&WITH_ROLE.replace("{managed}", "")).unwrap();
        let things = &functions["things"];
        assert_eq!(
            things.actions,
            BTreeSet::from(["dynamodb:PutItem".into(), "dynamodb:Query".into()])
        );
        assert_eq!(
            things.stream_actions,
            BTreeSet::from([
                "dynamodb:DescribeStream".into(),
                "dynamodb:GetRecords".into(),
                "dynamodb:ListStreams".into(),
            ])
        );
        assert!(things.index_access);
        let managed = WITH_ROLE.replace(
            "{managed}",
            "\n      ManagedPolicyArns: [arn:aws:iam::aws:policy/ReadOnlyAccess]",
        );
        assert!(parse(&managed).unwrap_err().contains("managed policies"));
    }
}
