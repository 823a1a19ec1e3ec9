#!/usr/bin/env bash
# infra/local/run.sh: `make run`, the local developer stack (DESIGN.md §3). It owns:
#   the venv (moto, cargo-lambda) -> the DynamoDB emulator on 127.0.0.1:$DYNAMODB_PORT (8000)
#   -> the table and a dev account whose `*` key goes to .local/dev-api-key, and whose Stripe
#      webhook signing secret is the fixed $STRIPE_SECRET (whsec_local_dev_secret), to sign by hand
#   -> the whole API on http://127.0.0.1:$PORT (9000) via `cargo lambda watch`, and the webhook
#      dispatcher polling the table's stream (the code the Lambda runs), until Ctrl-C.
# The emulator is in-memory, so every run creates the table and a new key again. On exit, however
# it happens, the API server and the emulator are stopped.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

PORT=${PORT:-9000}
DYNAMODB_PORT=${DYNAMODB_PORT:-8000}
KEY_FILE="$LOCAL_DIR/dev-api-key"
# Not a secret: the dev account's Stripe webhook signing secret, documented in README.md.
STRIPE_SECRET=whsec_local_dev_secret

install_teardown
trap 'exit 0' INT # Ctrl-C is how this is meant to end: the EXIT trap then stops everything.
bash "$LOCAL_SCRIPTS/venv.sh" run
use_venv
mkdir -p "$LOCAL_DIR"

# Fail before the long build if a port is taken (an earlier `make run` still up, say).
port_is_free "$DYNAMODB_PORT" || die "port $DYNAMODB_PORT is in use: is another \`make run\` up? (or set DYNAMODB_PORT)"
port_is_free "$PORT" || die "port $PORT is in use: is another \`make run\` up? (or set PORT)"

build_functions

emulator_start "$DYNAMODB_PORT" "$LOCAL_DIR/dynamodb.log"
log "creating table $TABLE_NAME and a dev account"
seed_account dev "$KEY_FILE"
KEY=$(<"$KEY_FILE")
ACCOUNT_ID=$(cut -d_ -f2 <<<"$KEY") # a key reads plk_<account id>_<key id>_<secret>
"$TARGET_DIR/debug/partner-ledger-admin" set-stripe-secret --account "$ACCOUNT_ID" --secret "$STRIPE_SECRET" >&2
BASE="http://127.0.0.1:$PORT"

cat >&2 <<BANNER

  ============================================================================================
   partner-ledger is starting on $BASE  (DynamoDB emulator: $AWS_ENDPOINT_URL_DYNAMODB)

   dev account $ACCOUNT_ID; its API key (scope *), also in .local/dev-api-key:

       $KEY

   its Stripe webhook endpoint and signing secret (sign deliveries by hand: see README.md):

       $BASE/2026-02-01/webhooks/stripe/$ACCOUNT_ID.json
       $STRIPE_SECRET

   try:
       curl -s -H "Authorization: Bearer \$(cat .local/dev-api-key)" \\
         $BASE/2026-02-01/partners/groups.json

       curl -s $BASE/2026-02-01/openapi.json

   webhook deliveries (endpoints may be http://127.0.0.1:<port>): .local/webhook-dispatcher.log
   Ctrl-C stops the API, the webhook dispatcher and the emulator (whose data is in memory only).
  ============================================================================================

BANNER

# A local run delivers webhooks to receivers on 127.0.0.1 over plain HTTP (the API accepts such
# endpoint URLs only with this set; AWS never sets it).
export WEBHOOKS_ALLOW_LOCAL_HTTP=1
# The API is plain HTTP locally, where a browser drops a `Secure` cookie: the link redirect's
# attribution cookie (pl_ref) goes without `Secure` with this set (AWS never sets it).
export CLICKS_ALLOW_INSECURE_COOKIE=1
# A minted portal session's url opens this local page (plain HTTP), not https:// and the host.
export PORTAL_BASE_URL="${PORTAL_BASE_URL:-$BASE}"
start_bg "webhook dispatcher" "$LOCAL_DIR/webhook-dispatcher.log" \
  "$TARGET_DIR/debug/webhook-dispatcher" --local-stream
api_start "$PORT" -
# Not a foreground command: a signal (Ctrl-C, SIGTERM forwarded by make, SIGHUP) runs the trap at
# once; a terminal hang-up that reaches only make counts too (see wait_foreground).
wait_foreground "$API_PID"
