#!/usr/bin/env bash
# infra/local/test.sh: `make test`, everything CI checks (.ci/run calls `make test`). In order:
#   venv (pinned tools) -> the emulator's own tests (test_emulator.py: DynamoDB's limits, the
#   injected faults) -> cargo fmt --check -> clippy -D warnings -> cfn-lint template.yaml
#   -> a DynamoDB emulator of its own on a free port -> cargo build --workspace
#   -> `make run` torn down by SIGTERM and SIGHUP (test_run_signals.sh, on free ports)
#   -> cargo test --workspace, recording each function's DynamoDB actions -> iam-check (each
#   function's policy grants exactly those) -> the fault-injected (harsh) runs of the
#   payment-event, payout-run and concurrency tests -> schemathesis against the API served by
#   cargo lambda watch.
# Uses only free ports, so it runs beside `make run`. Whatever fails, the EXIT trap stops the
# emulator and the API server; the exit status is non-zero on any failure.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

install_teardown
logs="$LOCAL_DIR/test"
mkdir -p "$logs"

started=$SECONDS
timings=()
step() {
  local name=$1 t0=$SECONDS
  shift
  log "$name"
  "$@"
  timings+=("$(printf '%5ds  %s' $((SECONDS - t0)) "$name")")
}

step "python tools (.venv)" bash "$LOCAL_SCRIPTS/venv.sh" test
use_venv
step "DynamoDB emulator tests (limits, faults)" python "$LOCAL_SCRIPTS/test_emulator.py"
step "cargo fmt --check" cargo fmt --all -- --check
step "cargo clippy" cargo clippy --workspace --all-targets -- -D warnings
step "cfn-lint template.yaml" cfn-lint template.yaml

step "DynamoDB emulator" emulator_start "$(free_port)" "$logs/emulator.log"
# The integration tests spawn target/debug/partner-groups and openapi: build everything first.
step "cargo build --workspace" cargo build --workspace
step "make run stops on SIGTERM and SIGHUP" bash "$LOCAL_SCRIPTS/test_run_signals.sh"
# Each process of the suite records which DynamoDB actions each function performed (tests/src/iam.rs);
# iam-check then holds every function's policy in template.yaml to exactly that set.
iam_record="$logs/iam-actions"
rm -rf "$iam_record"
step "cargo test --workspace" env PARTNER_LEDGER_IAM_RECORD="$iam_record" cargo test --workspace
step "IAM policies are what the tests used" cargo run -q -p integration-tests --bin iam-check -- "$iam_record"
# SPEC §4.10: the same invariants in the harsh world, where the emulator injects transaction
# conflicts, throttling, partly processed batch reads and lagging indexes (tests/src/harsh.rs).
step "harsh world: payment events, payout run" \
  env PARTNER_LEDGER_FAULTS=harsh cargo test -p integration-tests --test api -- payment_events:: payout_run::
step "harsh world: every concurrency test" \
  env PARTNER_LEDGER_FAULTS=harsh cargo test -p integration-tests --test api -- concurren
step "schemathesis" bash "$LOCAL_SCRIPTS/schemathesis.sh"

log "make test passed in $((SECONDS - started))s:"
printf '  %s\n' "${timings[@]}" >&2
