//! Release binary size of each function. Each is built by itself, so its
//! dependencies' features are its own and not unified with the test or bench
//! crates'. The workspace's release profile strips symbols.

use std::path::Path;

use crate::table::Figure;
use crate::workspace::cargo;

/// Every Lambda function binary in the workspace.
const FUNCTIONS: [&str; 11] = [
    "partner-groups",
    "partners",
    "campaigns",
    "referrals",
    "commissions",
    "payment-events",
    "payouts",
    "payout-run",
    "fx-rates-fetch",
    "account",
    "openapi",
];

const BUDGET_BYTES: u64 = 12_000_000;

pub fn measure(target: &Path) -> Vec<Figure> {
    FUNCTIONS
        .iter()
        .map(|function| {
            let name = format!(
                "release binary `{function}`, stripped ({})",
                std::env::consts::ARCH
            );
            match size(target, function) {
                Ok(bytes) => Figure::budgeted(
                    name,
                    format!("{:.2} MB", bytes as f64 / 1e6),
                    "≤ 12 MB",
                    bytes <= BUDGET_BYTES,
                ),
                Err(error) => Figure::failed(name, &error),
            }
        })
        .collect()
}

fn size(target: &Path, function: &str) -> Result<u64, String> {
    cargo(&["build", "--release", "-p", function])?;
    let binary = target.join("release").join(function);
    std::fs::metadata(&binary)
        .map(|m| m.len())
        .map_err(|e| format!("{}: {e}", binary.display()))
}
