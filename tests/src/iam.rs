//! Which DynamoDB actions each function performs across the integration
//! suite, in IAM's terms, for `iam-check` to hold against the function's
//! policy in `template.yaml`.
//!
//! A request is the function's when it is sent while the harness acts as
//! that function ([`acting_as`]: `TestEnv::call` does for the function API
//! Gateway routes the path to); the harness's own setup and inspection is
//! nobody's. Requests of the harness's SDK clients are seen by
//! [`ActionRecorder`]; those of a spawned function binary, which has a
//! client of its own, by `dynamodb_proxy` on the wire. Both name them the
//! same way ([`authorised_by`]).
//!
//! With `PARTNER_LEDGER_IAM_RECORD=DIR`, each test process appends every
//! access it sees the first time, one per line, to a file of its own in DIR.

use std::collections::BTreeSet;
use std::fmt;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{LazyLock, Mutex};

use aws_sdk_dynamodb::operation::query::QueryInput;
use aws_sdk_dynamodb::operation::scan::ScanInput;
use aws_sdk_dynamodb::operation::transact_get_items::TransactGetItemsInput;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsInput;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// The variable naming the directory the accesses are recorded in.
pub const RECORD_DIR: &str = "PARTNER_LEDGER_IAM_RECORD";

tokio::task_local! {
    /// The function (its cargo binary) the harness is acting as.
    static FUNCTION: String;
}

/// Runs `work` as `function` (its cargo binary name, as in template.yaml's
/// `BuildProperties.Binary`): its DynamoDB requests are that function's.
pub async fn acting_as<F: Future>(function: &str, work: F) -> F::Output {
    FUNCTION.scope(function.to_string(), work).await
}

/// What an IAM policy's `Resource` must cover for an action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Target {
    Table,
    Index,
}

impl Target {
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Table => "table",
            Target::Index => "index",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "table" => Some(Target::Table),
            "index" => Some(Target::Index),
            _ => None,
        }
    }
}

/// One IAM action a function needs, on the table or on an index.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Access {
    pub function: String,
    /// As a policy names it: `dynamodb:GetItem`.
    pub action: String,
    pub target: Target,
}

impl Access {
    /// One line of a record file.
    pub fn parse(line: &str) -> Option<Self> {
        let mut fields = line.split('\t');
        let access = Access {
            function: fields.next()?.to_string(),
            action: fields.next()?.to_string(),
            target: Target::parse(fields.next()?)?,
        };
        fields.next().is_none().then_some(access)
    }
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (function, action, target) = (&self.function, &self.action, self.target.as_str());
        write!(f, "{function}\t{action}\t{target}")
    }
}

/// The IAM actions authorising one request: `operation` as the API names it
/// (`Query`), whether it names an `IndexName`, and for a transaction the
/// kinds of its items as the wire names them (`Put`, `Update`, `Delete`,
/// `ConditionCheck`, `Get`). A transaction is authorised item by item.
pub fn authorised_by(operation: &str, index: bool, items: &[&str]) -> Vec<(String, Target)> {
    let target = if index { Target::Index } else { Target::Table };
    match operation {
        "TransactWriteItems" | "TransactGetItems" => items
            .iter()
            .map(|kind| {
                let action = match *kind {
                    "Get" => "GetItem",
                    "Put" => "PutItem",
                    "Update" => "UpdateItem",
                    "Delete" => "DeleteItem",
                    "ConditionCheck" => "ConditionCheckItem",
                    other => other,
                };
                (format!("dynamodb:{action}"), Target::Table)
            })
            .collect(),
        other => vec![(format!("dynamodb:{other}"), target)],
    }
}

/// Records `operation` as the current function's, if the harness is acting
/// as one.
pub fn record(operation: &str, index: bool, items: &[&str]) {
    let Ok(function) = FUNCTION.try_with(String::clone) else {
        return;
    };
    for (action, target) in authorised_by(operation, index, items) {
        record_as(&function, action, target);
    }
}

/// What this process has recorded so far, and where it appends what is new.
struct Record {
    seen: BTreeSet<Access>,
    file: Option<PathBuf>,
}

static RECORD: LazyLock<Mutex<Record>> = LazyLock::new(|| {
    let file = std::env::var_os(RECORD_DIR).map(|dir| {
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("{RECORD_DIR}={}: {e}", dir.display()));
        let exe = std::env::current_exe().expect("the test's executable");
        let name = exe.file_stem().and_then(|s| s.to_str()).unwrap_or("test");
        dir.join(format!("{name}-{}.tsv", std::process::id()))
    });
    Mutex::new(Record {
        seen: BTreeSet::new(),
        file,
    })
});

fn record_as(function: &str, action: String, target: Target) {
    let access = Access {
        function: function.to_string(),
        action,
        target,
    };
    let mut record = RECORD.lock().expect("IAM record lock");
    if let Some(path) = &record.file
        && !record.seen.contains(&access)
    {
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        writeln!(file, "{access}").unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
    record.seen.insert(access);
}

/// Records each request of the client it is attached to, once per operation
/// (not per retried attempt), as the function the harness acts as.
#[derive(Debug, Clone, Copy, Default)]
pub struct ActionRecorder;

impl Intercept for ActionRecorder {
    fn name(&self) -> &'static str {
        "ActionRecorder"
    }

    fn read_before_serialization(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        config: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let operation = config.load::<Metadata>().map_or("unknown", |m| m.name());
        let input = context.input();
        let index = input
            .downcast_ref::<QueryInput>()
            .and_then(QueryInput::index_name)
            .or_else(|| {
                input
                    .downcast_ref::<ScanInput>()
                    .and_then(ScanInput::index_name)
            })
            .is_some();
        let mut items = Vec::new();
        if let Some(write) = input.downcast_ref::<TransactWriteItemsInput>() {
            for item in write.transact_items() {
                let kinds = [
                    (item.put().is_some(), "Put"),
                    (item.update().is_some(), "Update"),
                    (item.delete().is_some(), "Delete"),
                    (item.condition_check().is_some(), "ConditionCheck"),
                ];
                items.extend(kinds.iter().filter(|(is, _)| *is).map(|(_, kind)| *kind));
            }
        }
        if let Some(read) = input.downcast_ref::<TransactGetItemsInput>() {
            items.extend(read.transact_items().iter().map(|_| "Get"));
        }
        record(operation, index, &items);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transaction_is_authorised_item_by_item() {
        let actions = authorised_by(
            "TransactWriteItems",
            false,
            &["Put", "Update", "Delete", "ConditionCheck"],
        );
        let names: Vec<&str> = actions.iter().map(|(a, _)| a.as_str()).collect();
        assert_eq!(
            names,
            [
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:DeleteItem",
                "dynamodb:ConditionCheckItem"
            ]
        );
        assert_eq!(
            authorised_by("TransactGetItems", false, &["Get"]),
            [("dynamodb:GetItem".to_string(), Target::Table)]
        );
    }

    #[test]
    fn a_query_of_an_index_needs_the_index() {
        assert_eq!(
            authorised_by("Query", true, &[]),
            [("dynamodb:Query".to_string(), Target::Index)]
        );
        assert_eq!(
            authorised_by("BatchGetItem", false, &[]),
            [("dynamodb:BatchGetItem".to_string(), Target::Table)]
        );
    }

    #[test]
    fn a_record_line_reads_back_as_written() {
        let access = Access {
            function: "payouts".into(),
            action: "dynamodb:Query".into(),
            target: Target::Index,
        };
        assert_eq!(Access::parse(&access.to_string()), Some(access));
        assert_eq!(Access::parse("payouts\tdynamodb:Query"), None);
    }
}
