//! `make bench`: measures the DESIGN.md §5 figures and prints them as one
//! markdown table on stdout; progress and cargo's output go to stderr. Exits
//! non-zero if a measurement failed (not if a figure is over budget).
//! DynamoDB figures need the emulator at `AWS_ENDPOINT_URL_DYNAMODB`.

use std::process::ExitCode;

use bench::table::{Figure, Verdict, or_failed, render};
use bench::{binaries, burst, cold_start, engine, payout_run, requests, workspace};
use harness::TestEnv;

#[tokio::main]
async fn main() -> ExitCode {
    let figures = measure().await;
    print!("{}", render(&figures));
    if figures.iter().any(|f| f.verdict == Verdict::Failed) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

async fn measure() -> Vec<Figure> {
    let target = match workspace::target_dir() {
        Ok(target) => target,
        Err(error) => return vec![Figure::failed("cargo target directory", &error)],
    };
    eprintln!("bench: engine (criterion)");
    let mut figures = or_failed("engine ns/eval (5-rule set)", engine::measure(&target));
    eprintln!("bench: release binaries");
    figures.extend(binaries::measure(&target));
    if std::env::var_os("AWS_ENDPOINT_URL_DYNAMODB").is_none() {
        let missing =
            "AWS_ENDPOINT_URL_DYNAMODB is not set: run `make bench`, which starts the emulator";
        figures.push(Figure::failed("DynamoDB requests", missing));
        figures.push(Figure::failed("cold start", missing));
        return figures;
    }
    let env = TestEnv::new().await;
    eprintln!("bench: DynamoDB requests per route");
    figures.extend(or_failed(
        "DynamoDB requests",
        requests::measure(&env).await,
    ));
    eprintln!("bench: payout run (10,000 commissions)");
    figures.extend(or_failed("payout run", payout_run::measure(&env).await));
    eprintln!("bench: burst ingest (DynamoDB model)");
    figures.extend(or_failed("burst ingest", burst::measure(&env).await));
    eprintln!("bench: cold start");
    figures.extend(or_failed(
        "cold start",
        cold_start::measure(&env, &target).await,
    ));
    figures
}
