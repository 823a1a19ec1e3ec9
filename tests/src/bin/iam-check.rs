//! `iam-check DIR`: after the integration suite ran with
//! `PARTNER_LEDGER_IAM_RECORD=DIR`, checks that each function's DynamoDB
//! policy in template.yaml grants exactly what the suite saw it do
//! (`make test` runs it right after `cargo test --workspace`).

use std::path::PathBuf;
use std::process::ExitCode;

use harness::deployment::template_functions;
use harness::iam::RECORD_DIR;
use harness::policies::{problems, recorded};

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: iam-check DIR (the {RECORD_DIR} the integration tests ran with)");
        return ExitCode::from(2);
    };
    let recorded = match recorded(&dir) {
        Ok(recorded) if recorded.is_empty() => {
            eprintln!(
                "iam-check: nothing recorded in {}: run the integration tests with {RECORD_DIR}={0} first",
                dir.display()
            );
            return ExitCode::FAILURE;
        }
        Ok(recorded) => recorded,
        Err(e) => {
            eprintln!("iam-check: {e}");
            return ExitCode::FAILURE;
        }
    };
    let functions = template_functions();
    let problems = problems(&functions, &recorded);
    if problems.is_empty() {
        println!(
            "iam-check: the DynamoDB policies of {} functions in template.yaml are exactly what the integration tests used",
            functions.len()
        );
        return ExitCode::SUCCESS;
    }
    eprintln!("iam-check: template.yaml's policies differ from what the integration tests did:");
    for problem in &problems {
        eprintln!("  {problem}");
    }
    ExitCode::FAILURE
}
