#!/usr/bin/env bash
# infra/local/bench.sh: `make bench`. Owns only the environment of the benchmark: a DynamoDB
# emulator of its own on a free port, the AWS variables pointing at it, and its teardown. The
# measuring itself is the `bench` package's `bench-report` binary (release profile); extra
# arguments are passed to it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

install_teardown
bash "$LOCAL_SCRIPTS/venv.sh" run
use_venv
mkdir -p "$LOCAL_DIR/bench"

emulator_start "$(free_port)" "$LOCAL_DIR/bench/emulator.log"
# Not exec: this shell must outlive the report to stop the emulator.
cargo run --release -p bench --bin bench-report -- "$@"
