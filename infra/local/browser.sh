#!/usr/bin/env bash
# infra/local/browser.sh: owns the real-browser test of the partner portal page in `make test`.
# It serves the API exactly as `make run` does (cargo lambda watch, the router table in
# Cargo.toml) on a free port, against a table and an account of its own with a `*` key, and runs
# browser_test.py: headless Chromium (Debian's, chromium.sh) opens a minted portal session's url
# and checks the page against the API's own answers. Screenshots at 1280 and 360 px land in
# .local/test/ (portal-1280.png, portal-360.png).
#
# Runs against the emulator in AWS_ENDPOINT_URL_DYNAMODB when set, else starts its own. Expects
# the venv with the test set (Playwright, which drives the installed Chromium, no download).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

install_teardown
use_venv
bash "$LOCAL_SCRIPTS/chromium.sh"
logs="$LOCAL_DIR/test"
check_stack browser
port=$(free_port)
base="http://127.0.0.1:$port"
# The minted session's url must point at this server, and the click's cookie works on plain HTTP.
export PORTAL_BASE_URL="$base" CLICKS_ALLOW_INSECURE_COOKIE=1
check_serve browser "$port"

python "$LOCAL_SCRIPTS/browser_test.py" "$base" "$(<"$logs/browser-api-key")" "$logs"
