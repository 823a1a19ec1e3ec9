//! The workspace being measured: cargo run at its root, whatever the current
//! directory, with cargo's output kept off stdout (which carries the table).

use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value;

/// Runs `cargo <args>` at the workspace root, its output going to stderr.
pub fn cargo(args: &[&str]) -> Result<(), String> {
    let status = command(args)
        .stdout(std::io::stderr())
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`cargo {}` failed ({status})", args.join(" ")))
    }
}

/// Where cargo puts builds and criterion its results, as `cargo metadata` says.
pub fn target_dir() -> Result<PathBuf, String> {
    let output = command(&["metadata", "--format-version", "1", "--no-deps"])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
    let metadata: Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("cargo metadata is not JSON: {e}"))?;
    metadata["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .ok_or_else(|| "cargo metadata names no target directory".to_string())
}

/// The cargo that runs this report (`cargo run` says which), at the workspace root.
fn command(args: &[&str]) -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args(args)
        .current_dir(harness::app::workspace_root());
    command
}
