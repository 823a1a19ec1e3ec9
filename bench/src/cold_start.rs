//! Cold start: process start to first response through the local Runtime API,
//! for every data function serving an authenticated GET of one of its objects
//! (the `infra/events/get-*.json` fixtures) and for the baseline
//! (`coldstart-baseline`: bare `lambda_http`, one GetItem), with each
//! process's peak RSS. Each run starts the baseline and then every function,
//! so drift hits all of them alike.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use harness::app::{emulator_endpoint, workspace_root};
use harness::runtime_api::{RuntimeApi, spawn_function};
use harness::{Reply, TestEnv, seed};
use http::Method;
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

/// A function and the GET it answers on its first invocation.
struct Subject {
    function: &'static str,
    binary: PathBuf,
    event: Value,
    samples: Vec<Sample>,
}

pub async fn measure(env: &TestEnv, target: &Path) -> Result<Vec<Figure>, String> {
    let mut subjects = Vec::new();
    for (function, fixture, placeholder, id) in objects(env).await? {
        cargo(&["build", "--release", "-p", function])?;
        subjects.push(Subject {
            function,
            binary: target.join("release").join(function),
            event: fixture_event(env, fixture, placeholder, &id)?,
            samples: Vec::new(),
        });
    }
    cargo(&[
        "build",
        "--release",
        "-p",
        "bench",
        "--bin",
        "coldstart-baseline",
    ])?;
    let baseline = target.join("release/coldstart-baseline");

    let endpoint = emulator_endpoint();
    let function_env = [
        ("TABLE_NAME", env.store.table()),
        ("AWS_ENDPOINT_URL_DYNAMODB", endpoint.as_str()),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("RUST_LOG", "info"),
    ];

    let mut baseline_samples = Vec::new();
    for run in 1..=RUNS {
        eprintln!("cold start run {run}/{RUNS}");
        let first = &subjects[0].event;
        baseline_samples.push(start_once(&baseline, first, &function_env).await?);
        for subject in &mut subjects {
            let sample = start_once(&subject.binary, &subject.event, &function_env).await?;
            subject.samples.push(sample);
        }
    }
    let (baseline_ms, baseline_rss) = medians(&baseline_samples);
    let mut figures = vec![
        Figure::reported(
            format!("cold start: baseline, `lambda_http` + 1 GetItem (median of {RUNS})"),
            format!("{baseline_ms:.1} ms"),
        ),
        Figure::reported("peak RSS: baseline (median)", mib(baseline_rss)),
    ];
    for subject in &subjects {
        let (ms, rss) = medians(&subject.samples);
        let ratio = ms / baseline_ms;
        let function = subject.function;
        figures.extend([
            Figure::reported(
                format!("cold start: {function}, authenticated GET (median of {RUNS})"),
                format!("{ms:.1} ms"),
            ),
            Figure::budgeted(
                format!("cold start ratio, {function} / baseline"),
                format!("{ratio:.2}×"),
                "≤ 1.5×",
                ratio <= BUDGET_RATIO,
            ),
            Figure::reported(format!("peak RSS: {function} (median)"), mib(rss)),
        ]);
    }
    Ok(figures)
}

/// One object per data function, created through the API as account A:
/// (function, its GET fixture, the fixture's id placeholder or "" for none, the id).
async fn objects(
    env: &TestEnv,
) -> Result<Vec<(&'static str, &'static str, &'static str, String)>, String> {
    let group = created(
        env.post("/2026-02-01/partners/groups.json", seed::group_create())
            .await,
        "group",
    )?;
    let campaign = created(
        env.post("/2026-02-01/campaigns.json", seed::campaign_create("Cold"))
            .await,
        "campaign",
    )?;
    let partner = created(
        env.post("/2026-02-01/partners.json", seed::partner_create("cold"))
            .await,
        "partner",
    )?;
    let referral = created(
        env.post(
            "/2026-02-01/referrals.json",
            seed::referral_create("c@example.com", "cold"),
        )
        .await,
        "referral",
    )?;
    // An explicit amount, so no group or campaign is asked; its own payment id,
    // so it is no replay of another commission in the account.
    let mut sale = seed::commission_promotekit(&referral);
    sale["commission"]["stripe_payment_id"] = "py_bench_cold_start".into();
    let commission = created(
        env.post("/2026-02-01/commissions.json", sale).await,
        "commission",
    )?;
    let payout = payout(env, &commission).await?;
    Ok(vec![
        ("partner-groups", "get-group.json", "__GROUP_ID__", group),
        ("partners", "get-partner.json", "__PARTNER_ID__", partner),
        (
            "campaigns",
            "get-campaign.json",
            "__CAMPAIGN_ID__",
            campaign,
        ),
        (
            "referrals",
            "get-referral.json",
            "__REFERRAL_ID__",
            referral,
        ),
        (
            "commissions",
            "get-commission.json",
            "__COMMISSION_ID__",
            commission,
        ),
        ("payouts", "get-payout.json", "__PAYOUT_ID__", payout),
        // The account is the key's own: its GET names no id, so nothing is filled in.
        ("account", "get-account.json", "", String::new()),
    ])
}

/// The payout a run by hand makes of `commission` (59.98, over the
/// account's minimum), once it is approved.
async fn payout(env: &TestEnv, commission: &str) -> Result<String, String> {
    let approve = format!("/2026-02-01/commissions/{commission}/approve.json");
    let steps = [
        env.call(Method::POST, &approve, Some(&env.key_a), None)
            .await,
        env.call(
            Method::POST,
            "/2026-02-01/payouts/run.json",
            Some(&env.key_a),
            None,
        )
        .await,
    ];
    for reply in &steps {
        if reply.status != 200 {
            return Err(format!(
                "making the cold-start payout answered {}: {}",
                reply.status, reply.body
            ));
        }
    }
    let listed = env.get("/2026-02-01/payouts.json").await;
    listed.body["elements"][0]["id"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("no cold-start payout: {}", listed.body))
}

/// The id in a create's answer, under `wrapper`.
fn created(reply: Reply, wrapper: &str) -> Result<String, String> {
    reply.body[wrapper]["id"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| {
            format!(
                "creating the cold-start {wrapper} answered {}: {}",
                reply.status, reply.body
            )
        })
}

/// A fixture of `infra/events/` for object `id`, with A's key.
fn fixture_event(
    env: &TestEnv,
    fixture: &str,
    placeholder: &str,
    id: &str,
) -> Result<Value, String> {
    let path = workspace_root().join("infra/events").join(fixture);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut event = text.replace("__API_KEY__", &env.key_a);
    if !placeholder.is_empty() {
        event = event.replace(placeholder, id);
    }
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
