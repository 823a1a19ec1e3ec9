//! Holds each function's DynamoDB policy in `template.yaml` against what
//! the integration suite recorded it doing (`iam`): every action it
//! performed is granted, every action granted was performed, and it has
//! index access exactly when it queried an index.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::deployment::Function;
use crate::iam::{Access, Target};

/// Every access recorded in the files of `dir`.
pub fn recorded(dir: &Path) -> Result<BTreeSet<Access>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut accesses = BTreeSet::new();
    for entry in entries {
        let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        for line in text.lines() {
            let access = Access::parse(line)
                .ok_or_else(|| format!("{}: not a recorded access: {line:?}", path.display()))?;
            accesses.insert(access);
        }
    }
    Ok(accesses)
}

/// What a function's policy gets wrong, one problem a line; empty when
/// every policy is exactly what the suite used.
pub fn problems(
    functions: &BTreeMap<String, Function>,
    recorded: &BTreeSet<Access>,
) -> Vec<String> {
    let mut problems = Vec::new();
    for access in recorded {
        if !functions.contains_key(&access.function) {
            problems.push(format!(
                "{}: recorded {} but template.yaml has no function building this binary",
                access.function, access.action
            ));
        }
    }
    for (binary, function) in functions {
        let mine: Vec<&Access> = recorded.iter().filter(|a| &a.function == binary).collect();
        let used: BTreeSet<&str> = mine.iter().map(|a| a.action.as_str()).collect();
        let granted: BTreeSet<&str> = function.actions.iter().map(String::as_str).collect();
        let name = format!("{binary} ({})", function.resource);
        for action in used.difference(&granted) {
            problems.push(format!(
                "{name}: performs {action}, which its policy does not allow"
            ));
        }
        for action in granted.difference(&used) {
            problems.push(format!(
                "{name}: its policy allows {action}, which no test saw it perform"
            ));
        }
        let queried_index: Vec<&str> = mine
            .iter()
            .filter(|a| a.target == Target::Index)
            .map(|a| a.action.as_str())
            .collect();
        match (queried_index.is_empty(), function.index_access) {
            (false, false) => problems.push(format!(
                "{name}: performs {} on an index, but no Resource of its policy is the table's indexes (\".../index/*\")",
                queried_index.join(", ")
            )),
            (true, true) => problems.push(format!(
                "{name}: its policy allows the table's indexes (\".../index/*\"), which no test saw it use"
            )),
            _ => {}
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn function(actions: &[&str], index_access: bool) -> BTreeMap<String, Function> {
        let function = Function {
            resource: "PayoutsFunction".into(),
            binary: "payouts".into(),
            actions: actions.iter().map(|a| a.to_string()).collect(),
            stream_actions: BTreeSet::new(),
            reads_stream: false,
            index_access,
            routes: Vec::new(),
        };
        BTreeMap::from([("payouts".to_string(), function)])
    }

    fn access(action: &str, target: Target) -> Access {
        Access {
            function: "payouts".into(),
            action: action.into(),
            target,
        }
    }

    fn used() -> BTreeSet<Access> {
        BTreeSet::from([
            access("dynamodb:Query", Target::Index),
            access("dynamodb:Query", Target::Table),
            access("dynamodb:PutItem", Target::Table),
        ])
    }

    #[test]
    fn a_policy_of_exactly_what_was_used_passes() {
        let functions = function(&["dynamodb:Query", "dynamodb:PutItem"], true);
        assert_eq!(problems(&functions, &used()), Vec::<String>::new());
    }

    #[test]
    fn a_missing_action_is_named() {
        let functions = function(&["dynamodb:Query"], true);
        assert_eq!(
            problems(&functions, &used()),
            [
                "payouts (PayoutsFunction): performs dynamodb:PutItem, which its policy does not allow"
            ]
        );
    }

    #[test]
    fn an_unused_action_is_named() {
        let functions = function(
            &["dynamodb:Query", "dynamodb:PutItem", "dynamodb:DeleteItem"],
            true,
        );
        assert_eq!(
            problems(&functions, &used()),
            [
                "payouts (PayoutsFunction): its policy allows dynamodb:DeleteItem, which no test saw it perform"
            ]
        );
    }

    #[test]
    fn index_access_is_needed_exactly_when_an_index_is_queried() {
        let functions = function(&["dynamodb:Query", "dynamodb:PutItem"], false);
        let missing = problems(&functions, &used());
        assert!(
            missing.len() == 1 && missing[0].contains("performs dynamodb:Query on an index"),
            "{missing:?}"
        );
        let table_only = BTreeSet::from([
            access("dynamodb:Query", Target::Table),
            access("dynamodb:PutItem", Target::Table),
        ]);
        let functions = function(&["dynamodb:Query", "dynamodb:PutItem"], true);
        let unused = problems(&functions, &table_only);
        assert!(
            unused.len() == 1 && unused[0].contains("which no test saw it use"),
            "{unused:?}"
        );
    }

    #[test]
    fn a_function_the_template_lacks_is_named() {
        let mut recorded = used();
        recorded.insert(Access {
            function: "ghost".into(),
            action: "dynamodb:GetItem".into(),
            target: Target::Table,
        });
        let functions = function(&["dynamodb:Query", "dynamodb:PutItem"], true);
        assert_eq!(
            problems(&functions, &recorded),
            [
                "ghost: recorded dynamodb:GetItem but template.yaml has no function building this binary"
            ]
        );
    }
}
