//! Cold start: process start to first response through the local Runtime API,
//! for `partner-groups` serving an authenticated GET of a group and for the
//! baseline (`coldstart-baseline`: bare `lambda_http`, one GetItem), with each
//! process's peak RSS. Runs alternate between the two so drift hits both.

use std::path::Path;
use std::time::{Duration, Instant};

use harness::app::{emulator_endpoint, workspace_root};
use harness::runtime_api::{RuntimeApi, spawn_function};
use harness::{TestEnv, seed};
use serde_json::Value;

use crate::table::Figure;
use crate::workspace::cargo;

const RUNS: usize = 15;
const BUDGET_RATIO: f64 = 1.5;

/// One cold start: time to the first response, and the process's peak RSS.
struct Sample {
    elapsed: Duration,
    peak_rss_kib: u64,
}

pub async fn measure(env: &TestEnv, target: &Path) -> Result<Vec<Figure>, String> {
    cargo(&["build", "--release", "-p", "partner-groups"])?;
    cargo(&[
        "build",
        "--release",
        "-p",
        "bench",
        "--bin",
        "coldstart-baseline",
    ])?;
    let ours = target.join("release/partner-groups");
    let baseline = target.join("release/coldstart-baseline");

    let event = get_group_event(env).await?;
    let endpoint = emulator_endpoint();
    let function_env = [
        ("TABLE_NAME", env.store.table()),
        ("AWS_ENDPOINT_URL_DYNAMODB", endpoint.as_str()),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("RUST_LOG", "info"),
    ];

    let (mut our_samples, mut baseline_samples) = (Vec::new(), Vec::new());
    for run in 1..=RUNS {
        eprintln!("cold start run {run}/{RUNS}");
        baseline_samples.push(start_once(&baseline, &event, &function_env).await?);
        our_samples.push(start_once(&ours, &event, &function_env).await?);
    }
    let (ours_ms, ours_rss) = medians(&our_samples);
    let (baseline_ms, baseline_rss) = medians(&baseline_samples);
    let ratio = ours_ms / baseline_ms;
    Ok(vec![
        Figure::reported(
            format!("cold start: partner-groups, authenticated GET (median of {RUNS})"),
            format!("{ours_ms:.1} ms"),
        ),
        Figure::reported(
            format!("cold start: baseline, `lambda_http` + 1 GetItem (median of {RUNS})"),
            format!("{baseline_ms:.1} ms"),
        ),
        Figure::budgeted(
            "cold start ratio, partner-groups / baseline",
            format!("{ratio:.2}×"),
            "≤ 1.5×",
            ratio <= BUDGET_RATIO,
        ),
        Figure::reported("peak RSS: partner-groups (median)", mib(ours_rss)),
        Figure::reported("peak RSS: baseline (median)", mib(baseline_rss)),
    ])
}

/// `infra/events/get-group.json` for a fresh group of account A, with A's key.
async fn get_group_event(env: &TestEnv) -> Result<Value, String> {
    let created = env
        .post("/2026-02-01/partners/groups.json", seed::group_create())
        .await;
    let id = created.body["group"]["id"].as_str().ok_or_else(|| {
        format!(
            "creating the cold-start group answered {}: {}",
            created.status, created.body
        )
    })?;
    let path = workspace_root().join("infra/events/get-group.json");
    let fixture = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let event = fixture
        .replace("__API_KEY__", &env.key_a)
        .replace("__GROUP_ID__", id);
    serde_json::from_str(&event).map_err(|e| format!("{}: {e}", path.display()))
}

/// Starts `binary` against a fresh Runtime API with `event` queued and times
/// it to its response, which must be a 200.
async fn start_once(binary: &Path, event: &Value, env: &[(&str, &str)]) -> Result<Sample, String> {
    let api = RuntimeApi::start().await;
    let event = event.clone();
    let started = Instant::now();
    let mut function = spawn_function(binary, &api.address(), env);
    let response = api.invoke(event).await;
    let elapsed = started.elapsed();
    // The peak so far: after the response the function only waits for the next event.
    let peak_rss_kib = function
        .id()
        .ok_or_else(|| "the function exited".to_string())
        .and_then(peak_rss_kib);
    let _ = function.kill().await;
    let response = response?;
    if response["statusCode"] != 200 {
        return Err(format!("{} answered {response}", binary.display()));
    }
    Ok(Sample {
        elapsed,
        peak_rss_kib: peak_rss_kib?,
    })
}

/// `VmHWM`, the peak resident set of a live process, in KiB.
fn peak_rss_kib(pid: u32) -> Result<u64, String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("/proc/{pid}/status: {e}"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("/proc/{pid}/status has no VmHWM"))
}

/// Median time in ms and median peak RSS in KiB.
fn medians(samples: &[Sample]) -> (f64, u64) {
    let mut times: Vec<Duration> = samples.iter().map(|s| s.elapsed).collect();
    let mut rss: Vec<u64> = samples.iter().map(|s| s.peak_rss_kib).collect();
    times.sort();
    rss.sort();
    (
        times[times.len() / 2].as_secs_f64() * 1e3,
        rss[rss.len() / 2],
    )
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}
