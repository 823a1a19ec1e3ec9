#!/usr/bin/env bash
# infra/local/test.sh: `make test`, everything CI checks (.ci/run calls `make test`). In order:
#   the venv (pinned tools), installed in the background while cargo compiles
#   -> cargo fmt --check
#   -> one `cargo build --workspace --all-targets` with clippy -D warnings (below), then each
#      function as make run builds it, which must compile no dependency again
#   -> the emulator's own tests (test_emulator.py: DynamoDB's limits, the injected faults)
#   -> cfn-lint template.yaml
#   -> `make run` torn down by SIGTERM and SIGHUP (test_run_signals.sh), alone
#   -> five lanes at once, each against an emulator of its own:
#        1. cargo test --workspace, recording each function's DynamoDB actions, then iam-check
#           (each function's policy grants exactly those);
#        2. the fault-injected (harsh) runs of the payment-event, payout-run, concurrency and
#           click-burst tests, each once;
#        3. schemathesis against the API served by cargo lambda watch;
#        4. the partner portal page in headless Chromium against the API served the same way
#           (browser.sh; screenshots in .local/test/);
#        5. the benchmarks' DynamoDB model against published DynamoDB behaviours.
#
# Clippy lints as the workspace compiles: clippy-driver is the compiler of the workspace's own
# crates (RUSTC_WORKSPACE_WRAPPER, which is how `cargo clippy` runs it), so the dependencies
# compile once, for the build and the tests, instead of once more in check mode. Its verdict is
# `cargo clippy --workspace --all-targets -- -D warnings`'s. Every cargo run later in make test
# sees the same wrapper (with_clippy), so it compiles nothing again.
#
# The lanes are I/O-bound on their emulators (one Python process each), so on two cores they
# overlap instead of queueing. Each lane writes its own log; a failing lane's tail is printed.
# Uses only free ports, so it runs beside `make run`. Whatever fails, the EXIT trap stops the
# emulators and the API servers; the exit status is non-zero on any failure.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

install_teardown
logs="$LOCAL_DIR/test"
mkdir -p "$logs"

started=$SECONDS
started_at=$(date +%s)
timings=()
step() {
  local name=$1 t0=$SECONDS
  shift
  log "$name"
  "$@"
  timings+=("$(printf '%5ds  %s' $((SECONDS - t0)) "$name")")
}

# lane NAME COMMAND...: run COMMAND in the background, its output in $logs/lane-NAME.log. The lane
# stops what it started (its emulator, its API) when it exits, and this script stops the lane when
# it exits early itself. A lane that passes writes the time COMMAND ended (epoch seconds) to
# $logs/lane-NAME.ended, so each lane's own duration is reported, not when join_lanes got to it.
lane_names=()
lane_pids=()
lane_started=()
lane() {
  local name=$1
  shift
  log "lane $name (log: ${logs#"$REPO_ROOT"/}/lane-$name.log)"
  rm -f "$logs/lane-$name.ended"
  (
    _BG_PIDS=()
    _BG_NAMES=()
    install_teardown
    "$@"
    date +%s >"$logs/lane-$name.ended"
  ) >"$logs/lane-$name.log" 2>&1 &
  lane_pids+=("$!")
  _BG_PIDS+=("$!")
  _BG_NAMES+=("lane $name")
  lane_names+=("$name")
  lane_started+=("$(date +%s)")
}

# join_lanes: wait for every lane; print the tail of each that failed, and fail if any did.
join_lanes() {
  local i ended failed=0
  for i in "${!lane_pids[@]}"; do
    if wait "${lane_pids[$i]}"; then
      ended=$(<"$logs/lane-${lane_names[$i]}.ended")
      timings+=("$(printf '%5ds  lane %s (ended at %ds)' $((ended - lane_started[i])) "${lane_names[$i]}" $((ended - started_at)))")
    else
      failed=1
      warn "lane ${lane_names[$i]} failed; the last lines of its log:"
      tail -n 60 "$logs/lane-${lane_names[$i]}.log" >&2
    fi
  done
  lane_pids=()
  lane_names=()
  lane_started=()
  _BG_PIDS=()
  _BG_NAMES=()
  ((failed == 0)) || die "make test failed"
}

# emulator_env NAME: an emulator of the calling lane's own, on a free port, with its AWS variables.
emulator_env() {
  emulator_start "$(free_port)" "$logs/emulator-$1.log"
}

lane venv bash "$LOCAL_SCRIPTS/venv.sh" test
lane chromium bash "$LOCAL_SCRIPTS/chromium.sh"
step "cargo fmt --check" cargo fmt --all -- --check

# A clean check gains nothing from incremental state (CI runs from a fresh clone); a developer
# who wants it for the next run sets CARGO_INCREMENTAL=1.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
clippy_driver="$(command -v clippy-driver)" || die "no clippy-driver on PATH: rustup component add clippy"
# with_clippy COMMAND...: COMMAND with clippy-driver as the workspace crates' compiler (below).
with_clippy() {
  RUSTC_WORKSPACE_WRAPPER="$clippy_driver" CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__" "$@"
}
# The integration tests spawn target/debug/partner-groups and friends: bins and tests together.
step "cargo build --workspace --all-targets (clippy -D warnings)" with_clippy cargo build --workspace --all-targets
# make run and cargo lambda watch build the functions without the dev-dependencies (lib.sh
# build_functions), into the same target/debug paths the suite spawns. Here they build with the
# same clippy-driver as above, as everything after this in make test does (make run's signal test
# and the schemathesis lane's cargo lambda watch): then nothing is compiled twice, and any crate
# this build compiles is a feature set that drifted between the tests' build and the functions'
# (the workspace's Cargo.toml aligns the features the dev-dependencies turn on), which would make
# every fresh make run compile it, and everything above it, once more. A developer's make run
# after make test, without the wrapper, compiles the workspace's own crates again (clippy-driver
# is part of their fingerprint), but no dependency.
functions_built_once() {
  local output drifted
  output=$(with_clippy build_functions 2>&1) || {
    printf '%s\n' "$output" >&2
    return 1
  }
  drifted=$(grep -E '^ *Compiling ' <<<"$output" || true)
  if [[ -n "$drifted" ]]; then
    printf '%s\n' "$drifted" >&2
    die "the functions' build compiled crates again: their features differ from the tests' build (compare cargo tree -e normal,build -f '{p} [{f}]' with -e normal,build,dev, and align them in the workspace's Cargo.toml)"
  fi
}
step "the functions as make run builds them (nothing compiled twice)" functions_built_once
join_lanes
use_venv
step "DynamoDB emulator tests (limits, faults)" python "$LOCAL_SCRIPTS/test_emulator.py"
step "cfn-lint template.yaml" cfn-lint template.yaml
# Alone, not in a lane: under the lanes' load, make run's teardown can outlast the test's 30 s.
step "make run stops on SIGTERM and SIGHUP" with_clippy bash "$LOCAL_SCRIPTS/test_run_signals.sh"

# The benchmarks' DynamoDB model held to two published DynamoDB behaviours through the emulator
# (bench/src/model/published.rs): half a minute of the suite's time, so a lane of its own. With the
# suite's selection (--workspace, every default test target), so nothing is compiled again.
model_tests=model::published::
model() {
  emulator_env model
  with_clippy cargo test --workspace -- "$model_tests"
}
# Each process of the suite records which DynamoDB actions each function performed (tests/src/iam.rs);
# iam-check then holds every function's policy in template.yaml to exactly that set.
iam_record="$logs/iam-actions"
rm -rf "$iam_record"
suite() {
  emulator_env suite
  PARTNER_LEDGER_IAM_RECORD="$iam_record" with_clippy cargo test --workspace -- --skip "$model_tests"
  # The binary the build made: `cargo run -p` would resolve features for one package and compile
  # a second variant of its dependencies.
  "$TARGET_DIR/debug/iam-check" "$iam_record"
}
# SPEC §4.10: the same invariants in the harsh world, where the emulator injects transaction
# conflicts, throttling, partly processed batch reads and lagging indexes (tests/src/harsh.rs).
harsh() {
  emulator_env harsh
  export PARTNER_LEDGER_FAULTS=harsh
  with_clippy cargo test --workspace --test api -- payment_events:: payout_run:: clicks::a_burst_ concurren
}
lane "suite" suite
lane "harsh" harsh
lane "schemathesis" with_clippy env -u AWS_ENDPOINT_URL_DYNAMODB bash "$LOCAL_SCRIPTS/schemathesis.sh"
lane "browser" with_clippy env -u AWS_ENDPOINT_URL_DYNAMODB bash "$LOCAL_SCRIPTS/browser.sh"
lane "model" model
join_lanes

log "make test passed in $((SECONDS - started))s:"
printf '  %s\n' "${timings[@]}" >&2
