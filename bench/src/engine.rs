//! Rules-engine speed: criterion's mean for `engine/evaluate_5_rules`
//! (`crates/ledger-core/benches/engine.rs`), run fresh.

use std::path::Path;
use std::time::SystemTime;

use serde_json::Value;

use crate::table::Figure;
use crate::workspace::cargo;

const BUDGET_NS: f64 = 200.0;

pub fn measure(target: &Path) -> Result<Vec<Figure>, String> {
    let started = SystemTime::now();
    cargo(&[
        "bench",
        "-p",
        "ledger-core",
        "--bench",
        "engine",
        "--",
        "--warm-up-time",
        "1",
        "--measurement-time",
        "3",
    ])?;
    // Criterion turns the id's `/` into `_` for the directory name.
    let path = target.join("criterion/engine_evaluate_5_rules/new/estimates.json");
    let unreadable = |e: std::io::Error| format!("{}: {e}", path.display());
    let modified = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .map_err(unreadable)?;
    if modified < started {
        return Err(format!("{} is older than this run", path.display()));
    }
    let estimates: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).map_err(unreadable)?)
            .map_err(|e| format!("{}: {e}", path.display()))?;
    let mean_ns = estimates["mean"]["point_estimate"]
        .as_f64()
        .ok_or_else(|| format!("{} has no mean", path.display()))?;
    Ok(vec![Figure::budgeted(
        "engine ns/eval (5-rule set)",
        format!("{mean_ns:.1} ns"),
        "≤ 200 ns",
        mean_ns <= BUDGET_NS,
    )])
}
