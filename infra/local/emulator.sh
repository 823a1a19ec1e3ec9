#!/usr/bin/env bash
# infra/local/emulator.sh [PORT]: a DynamoDB emulator (moto_server) alone, in the foreground until
# Ctrl-C, for running `cargo test` or the admin CLI by hand. Prints the variables to export.
# PORT defaults to a free one. (make run/test/bench start theirs through lib.sh's emulator_start.)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

install_teardown
bash "$LOCAL_SCRIPTS/venv.sh" run
use_venv
mkdir -p "$LOCAL_DIR"

port=${1:-$(free_port)}
emulator_start "$port" "$LOCAL_DIR/emulator-$port.log"
cat >&2 <<EOT

  DynamoDB emulator on 127.0.0.1:$port (in memory). In another shell:

    export AWS_ENDPOINT_URL_DYNAMODB=$AWS_ENDPOINT_URL_DYNAMODB AWS_REGION=$AWS_REGION \\
      AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY \\
      TABLE_NAME=$TABLE_NAME
    cargo test --workspace

  Ctrl-C stops it.

EOT
wait "$EMULATOR_PID"
