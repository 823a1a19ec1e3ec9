# shellcheck shell=bash
# infra/local/lib.sh: the shared helpers of the local stack, sourced (never run) by the other
# infra/local/*.sh scripts. It owns:
#   - paths (REPO_ROOT, VENV, LOCAL_DIR, TARGET_DIR) and logging;
#   - the environment every local process gets (fake AWS credentials, region, endpoint, TABLE_NAME);
#   - free-port finding and polling until something answers (no sleeps as synchronisation);
#   - starting and stopping background processes in their own process group, and the EXIT trap
#     that stops them all, in reverse order, even when a step fails;
#   - the DynamoDB emulator (moto_server) and the API server (cargo lambda watch).

# Guard against being sourced twice.
[[ -n ${_PARTNER_LEDGER_LIB:-} ]] && return 0
_PARTNER_LEDGER_LIB=1

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LOCAL_SCRIPTS="$REPO_ROOT/infra/local"
VENV="$REPO_ROOT/.venv"
# The SAM CLI and the cross-compiling toolchain (venv.sh deploy), apart from the test tools.
DEPLOY_VENV="$VENV/deploy"
# Runtime files (logs, the dev key). PARTNER_LEDGER_LOCAL_DIR moves them: test_run_signals.sh does,
# so its `make run` leaves a developer's .local/dev-api-key alone.
LOCAL_DIR="${PARTNER_LEDGER_LOCAL_DIR:-$REPO_ROOT/.local}"
TARGET_DIR="${CARGO_TARGET_DIR:-$REPO_ROOT/target}"
PYTHON="${PYTHON:-python3}"
# Debian's chromium (chromium.sh installs it), the browser of the portal page's test.
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

# Logging never fails: the terminal may be gone (closed window: EIO) or the pipe to `tee` closed
# (EPIPE), and a failed write must not stop a teardown half-way (see _on_exit).
log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2 || true; }
warn() { printf '\033[1;33mwarning:\033[0m %s\n' "$*" >&2 || true; }
die() {
  printf '\033[1;31merror:\033[0m %s\n' "$*" >&2 || true
  exit 1
}

# Put the project venv (moto_server, cfn-lint, st, cargo-lambda) first on PATH.
use_venv() {
  [[ -x $VENV/bin/python ]] || die "no $VENV: run infra/local/venv.sh first"
  export PATH="$VENV/bin:$PATH"
  export VIRTUAL_ENV="$VENV"
}

# export_aws_env PORT: point the AWS SDK (functions, admin CLI, tests) at the emulator on PORT,
# with fake credentials so no real AWS account is ever reached.
export_aws_env() {
  local port=$1
  export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$port"
  export AWS_REGION="${AWS_REGION:-eu-west-1}"
  export AWS_DEFAULT_REGION="$AWS_REGION"
  export AWS_ACCESS_KEY_ID=local-testing
  export AWS_SECRET_ACCESS_KEY=local-testing
  unset AWS_SESSION_TOKEN AWS_PROFILE
  export AWS_EC2_METADATA_DISABLED=true
  export TABLE_NAME="${TABLE_NAME:-partner-ledger}"
}

# free_port: print a TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
  "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# port_is_free PORT: true when PORT can be bound on 127.0.0.1 (nothing listens there). With
# SO_REUSEADDR, as the servers themselves bind: connections of an earlier run still in TIME_WAIT
# (after a busy run, for a minute) do not count, while a listening socket still does (Linux).
port_is_free() {
  "$PYTHON" - "$1" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
PY
}

# http_status URL [TIMEOUT]: print the HTTP status URL answers with (any status counts as an
# answer), or 000 when nothing answers. Python, because CI machines need not have curl.
http_status() {
  "$PYTHON" - "$1" "${2:-5}" <<'PY'
import sys, urllib.request, urllib.error
try:
    with urllib.request.urlopen(sys.argv[1], timeout=float(sys.argv[2])) as r:
        print(r.status)
except urllib.error.HTTPError as e:
    print(e.code)
except Exception:
    print("000")
PY
}

# is_running PID: true while PID exists and is not a zombie.
is_running() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat%% *} != Z ]]
}

# wait_until DESCRIPTION TIMEOUT_SECONDS WATCHED_PID COMMAND...: poll COMMAND until it succeeds.
# Fails early if WATCHED_PID (the process that should answer; "-" for none) has exited.
wait_until() {
  local what=$1 timeout=$2 pid=$3
  shift 3
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if [[ $pid != - ]] && ! is_running "$pid"; then
      die "$what: the process (pid $pid) exited before it was ready"
    fi
    ((SECONDS < deadline)) || die "$what: not ready after ${timeout}s"
    sleep 0.2
  done
}

# answers URL [STATUS]: true when URL answers at all, or answers with STATUS.
answers() {
  local got
  got=$(http_status "$1" 30)
  if [[ -n ${2:-} ]]; then [[ $got == "$2" ]]; else [[ $got != 000 ]]; fi
}

# ---------------------------------------------------------------------------------------------
# Background processes and teardown.
#
# start_bg NAME LOGFILE COMMAND...: start COMMAND in the background in a session of its own
# (setsid: a Ctrl-C at the terminal reaches only the script, whose trap then stops everything in
# order), with its output in LOGFILE (or the terminal when LOGFILE is "-"), and register it for
# teardown. Sets BG_PID. Teardown (stop_all, run from the EXIT trap that install_teardown sets)
# stops each, newest first, with stop_pid.
_BG_PIDS=()
_BG_NAMES=()

start_bg() {
  local name=$1 logfile=$2
  shift 2
  if [[ $logfile == - ]]; then
    setsid "$@" &
  else
    setsid "$@" >"$logfile" 2>&1 &
  fi
  BG_PID=$!
  _BG_PIDS+=("$BG_PID")
  _BG_NAMES+=("$name")
}

# descendants PID: print the pids of PID's descendants (children, grandchildren...), from /proc.
descendants() {
  local -A children=()
  local stat pid ppid rest
  for stat in /proc/[0-9]*/stat; do
    { read -r rest <"$stat"; } 2>/dev/null || continue
    pid=${rest%% *}
    rest=${rest##*) }
    rest=${rest#* }
    ppid=${rest%% *}
    children[$ppid]+=" $pid"
  done
  local queue=("$1") next
  while ((${#queue[@]})); do
    next=${queue[0]}
    queue=("${queue[@]:1}")
    for pid in ${children[$next]:-}; do
      echo "$pid"
      queue+=("$pid")
    done
  done
}

# stop_pid NAME PID [GRACE_SECONDS]: SIGTERM, wait up to GRACE_SECONDS, then SIGKILL. Then the
# same for every descendant it left behind (cargo-lambda, for one, starts the functions in process
# groups of their own), so nothing outlives its parent.
stop_pid() {
  local name=$1 pid=$2 grace=${3:-20} left
  local -a family
  mapfile -t family < <(descendants "$pid")
  _terminate "$name" "$grace" "$pid"
  wait "$pid" 2>/dev/null || true
  left=()
  for pid in "${family[@]}"; do is_running "$pid" && left+=("$pid"); done
  if ((${#left[@]})); then
    _terminate "what $name left behind" 5 "${left[@]}"
  fi
}

# _terminate NAME GRACE PID...: SIGTERM the PIDs, wait up to GRACE seconds, SIGKILL survivors.
_terminate() {
  local name=$1 grace=$2 pid alive
  shift 2
  kill -TERM "$@" 2>/dev/null || true
  local deadline=$((SECONDS + grace))
  while :; do
    alive=()
    for pid in "$@"; do is_running "$pid" && alive+=("$pid"); done
    ((${#alive[@]})) || return 0
    ((SECONDS < deadline)) || break
    sleep 0.1
  done
  warn "$name (pid ${alive[*]}) ignored SIGTERM for ${grace}s: killing it"
  kill -KILL "${alive[@]}" 2>/dev/null || true
}

stop_all() {
  local i
  for ((i = ${#_BG_PIDS[@]} - 1; i >= 0; i--)); do
    stop_pid "${_BG_NAMES[i]}" "${_BG_PIDS[i]}"
  done
  _BG_PIDS=()
  _BG_NAMES=()
}

_on_exit() {
  local status=$?
  # The teardown runs to the end whatever else arrives: a second SIGTERM (a supervisor that
  # signals the whole process group reaches this script twice, directly and forwarded by make),
  # the SIGHUP of a closed terminal, SIGPIPE from a closed `| tee`. Any of these at their default
  # action would kill the script half-way and leave the emulator and the API holding their ports.
  trap '' INT TERM HUP PIPE
  trap - EXIT
  set +e
  if ((status != 0)) && declare -F on_failure >/dev/null; then
    on_failure || true
  fi
  if ((${#_BG_PIDS[@]})); then
    log "stopping the background processes"
    stop_all
  fi
  exit "$status"
}

# install_teardown: stop every start_bg process when the script exits, however it exits. A script
# may define on_failure(), which then runs first when the exit status is non-zero.
install_teardown() {
  trap _on_exit EXIT
  # A signal becomes an ordinary exit (status 128+n), which runs the EXIT trap once.
  trap 'exit 130' INT
  trap 'exit 143' TERM
  trap 'exit 129' HUP
}

# wait_foreground PID: wait until PID (a start_bg process) exits, with its exit status. A trapped
# signal ends the wait at once (`wait` returns), so the EXIT trap runs. It also ends on a terminal
# hang-up that never reached this script: when `make` is the session leader (`ssh -t host make
# run`, a supervisor's setsid), the kernel sends SIGHUP to make alone, and make, unlike for SIGTERM,
# forwards nothing to its recipe, then waits for it forever. The terminal is polled instead: once
# hung up, it is no terminal any more, which counts as SIGHUP (exit 129).
wait_foreground() {
  local pid=$1 on_tty=0
  [[ -t 2 ]] && on_tty=1
  while is_running "$pid"; do
    if ((on_tty)) && [[ ! -t 2 ]]; then
      warn "the terminal hung up"
      exit 129
    fi
    sleep 1 &
    wait $! || true
  done
  wait "$pid"
}

# ---------------------------------------------------------------------------------------------
# The DynamoDB emulator.

# emulator_start PORT LOGFILE: start the DynamoDB emulator (moto, one request at a time: see
# dynamodb_emulator.py) on 127.0.0.1:PORT, wait until it answers, and export the AWS environment
# pointing at it. Needs use_venv and install_teardown first.
emulator_start() {
  local port=$1 logfile=$2
  port_is_free "$port" || die "port $port is already in use (DynamoDB emulator): set another port"
  log "starting the DynamoDB emulator (moto) on 127.0.0.1:$port (log: ${logfile#"$REPO_ROOT"/})"
  start_bg "dynamodb-emulator" "$logfile" python "$LOCAL_SCRIPTS/dynamodb_emulator.py" 127.0.0.1 "$port"
  EMULATOR_PID=$BG_PID
  wait_until "DynamoDB emulator on port $port" 60 "$EMULATOR_PID" answers "http://127.0.0.1:$port/"
  export_aws_env "$port"
}

# build_functions: build each function and the admin CLI as `cargo lambda watch` builds a function
# on its first request (`cargo run --bin NAME`, which resolves features over the workspace's normal
# dependencies, without the dev-dependencies a test build adds), so that first request does not
# wait for the compiler: a request that waits minutes outlives its client, and the stand-in then
# fails the function's answer and never starts it again. One cargo invocation: `--bin` does not
# narrow the feature resolution, so these are the artifacts each `cargo run --bin` finds fresh.
build_functions() {
  log "building the functions and the admin CLI (dev profile)"
  local bin bins=()
  for bin in partner-ledger-admin partner-groups partners campaigns referrals commissions payment-events events payouts payout-run account webhook-endpoints webhook-dispatcher clicks portal openapi; do
    bins+=(--bin "$bin")
  done
  cargo build "${bins[@]}"
}

# ---------------------------------------------------------------------------------------------
# The API: every function behind one local HTTP server, routed by
# [workspace.metadata.lambda.watch.router] in Cargo.toml, exactly as `make run` serves it.

# api_start PORT LOGFILE [EXTRA cargo-lambda-watch ARGS...]: start `cargo lambda watch` on
# 127.0.0.1:PORT. It inherits this shell's environment (TABLE_NAME, the AWS variables).
api_start() {
  local port=$1 logfile=$2
  shift 2
  port_is_free "$port" || die "port $port is already in use (API): set another port"
  start_bg "api (cargo lambda watch)" "$logfile" \
    cargo lambda watch --invoke-address 127.0.0.1 --invoke-port "$port" "$@"
  API_PID=$BG_PID
}

# api_wait PORT: wait until the API serves its OpenAPI document (the first request may compile).
api_wait() {
  local port=$1
  wait_until "API on port $port" 900 "$API_PID" answers "http://127.0.0.1:$port/2026-02-01/openapi.json" 200
}

# check_stack NAME: the start of a check that serves the API to a client of its own (make test's
# schemathesis and browser lanes): a table NAME-<pid> of its own, so it never meets the integration
# tests' or make run's data, with an account and a `*` key in $LOCAL_DIR/test/NAME-api-key; on the
# emulator in AWS_ENDPOINT_URL_DYNAMODB when set, else on one it starts.
check_stack() {
  local name=$1 logs="$LOCAL_DIR/test"
  mkdir -p "$logs"
  if [[ -z ${AWS_ENDPOINT_URL_DYNAMODB:-} ]]; then
    emulator_start "$(free_port)" "$logs/$name-emulator.log"
  fi
  export TABLE_NAME="$name-$$"
  log "creating table $TABLE_NAME and an account with a \`*\` key"
  seed_account "$name" "$logs/$name-api-key"
}

# check_serve NAME PORT: after check_stack, the functions built and served by cargo lambda watch
# on PORT (--ignore-changes: edits made meanwhile must not restart them), logged to
# $LOCAL_DIR/test/NAME-api.log, whose tail a failure prints; returns once the API answers.
check_serve() {
  local name=$1 port=$2
  CHECK_API_LOG="$LOCAL_DIR/test/$name-api.log"
  build_functions
  log "serving the API on 127.0.0.1:$port (cargo lambda watch; log: ${CHECK_API_LOG#"$REPO_ROOT"/})"
  api_start "$port" "$CHECK_API_LOG" --ignore-changes
  on_failure() {
    warn "the last lines of ${CHECK_API_LOG#"$REPO_ROOT"/}:"
    tail -n 40 "$CHECK_API_LOG" >&2
  }
  api_wait "$port"
}

# seed_account NAME KEY_FILE: create the table (idempotent), load the shipped snapshot of ECB
# reference rates (infra/local/ecb-rates.xml) and create an account with a `*` key; the key goes
# to KEY_FILE. Uses the admin binary built by `cargo build`.
seed_account() {
  local name=$1 key_file=$2 admin="$TARGET_DIR/debug/partner-ledger-admin"
  [[ -x $admin ]] || die "$admin is missing: cargo build -p partner-ledger-admin first"
  mkdir -p "$(dirname "$key_file")"
  (cd "$REPO_ROOT" && "$admin" create-table --template template.yaml) >&2
  "$admin" load-fx-rates --file "$REPO_ROOT/infra/local/ecb-rates.xml"
  "$admin" create-account --name "$name" --scopes '*' --key-file "$key_file" >/dev/null
  [[ -s $key_file ]] || die "create-account wrote no key to $key_file"
}
