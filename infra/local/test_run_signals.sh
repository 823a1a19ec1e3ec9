#!/usr/bin/env bash
# infra/local/test_run_signals.sh: proves `make run` tears everything down when it is stopped the
# two ways nobody presses Ctrl-C, and starts again at once on the same ports:
#   1. `make run` on two free ports, in a process group of its own (setsid), until the API serves
#      its OpenAPI document; then SIGTERM to the make process alone (a supervisor, `kill PID`);
#   2. at once, `make run` again on the same ports (connections of run 1 in TIME_WAIT must not
#      count as "port in use"); then SIGHUP to its whole process group (a closed terminal).
# After each stop: within 30s both ports are free, and no process of the group, nor any process
# that ran under make (the emulator and `cargo lambda watch` run in sessions of their own), is
# left. Prints PASS or FAIL; exits non-zero on failure. Needs the venv; `make run` builds what it
# needs (fast once `cargo build --workspace` has run). Logs: .local/test/run-signals-*.log; make
# run's own files in .local/test/run-signals/.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

logs="$LOCAL_DIR/test"
mkdir -p "$logs"
# make run's own files (dev key, emulator log) go here, not over a developer's running stack's.
export PARTNER_LEDGER_LOCAL_DIR="$logs/run-signals"
api_port=$(free_port)
db_port=$(free_port)
while [[ $db_port == "$api_port" ]]; do db_port=$(free_port); done
started=$SECONDS
MAKE_PID=
FAMILY=()

fail() {
  printf '\033[1;31mFAIL\033[0m test_run_signals: %s\n' "$*" >&2 || true
  exit 1
}

# Whatever happens, nothing this test started outlives it.
cleanup() {
  local status=$? pid left=()
  trap '' INT TERM HUP PIPE
  for pid in ${MAKE_PID:+"$MAKE_PID"} "${FAMILY[@]}"; do is_running "$pid" && left+=("$pid"); done
  if ((${#left[@]})); then
    warn "killing what is left of make run: ${left[*]}"
    kill -KILL "${left[@]}" 2>/dev/null || true
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# start_make LOG: `make run` on the test's ports in a new session (so its process group is its
# own, id = its pid); waits until the API answers; sets MAKE_PID and FAMILY (everything under it).
start_make() {
  local log=$1
  log "make run on ports $api_port (API) and $db_port (emulator); log: ${log#"$REPO_ROOT"/}"
  PORT=$api_port DYNAMODB_PORT=$db_port setsid make run >"$log" 2>&1 </dev/null &
  MAKE_PID=$!
  local deadline=$((SECONDS + 900))
  until answers "http://127.0.0.1:$api_port/2026-02-01/openapi.json" 200; do
    is_running "$MAKE_PID" || { tail -n 30 "$log" >&2; fail "make run exited before the API answered"; }
    ((SECONDS < deadline)) || fail "the API did not answer within 900s"
    sleep 0.5
  done
  [[ $(cat "/proc/$MAKE_PID/comm" 2>/dev/null) == make ]] || fail "pid $MAKE_PID is not make (setsid forked?)"
  mapfile -t FAMILY < <(descendants "$MAKE_PID")
  log "the API answers; make run is pid $MAKE_PID with ${#FAMILY[@]} processes under it"
}

# group_members PGID: pids of the processes still in process group PGID.
group_members() {
  local stat rest
  for stat in /proc/[0-9]*/stat; do
    { read -r rest <"$stat"; } 2>/dev/null || continue
    local pid=${rest%% *}
    rest=${rest##*) }
    read -r _ _ pgid _ <<<"$rest"
    [[ $pgid == "$1" ]] && echo "$pid"
  done
  return 0
}

# torn_down: true when both ports are free and nothing of the last make run is left.
torn_down() {
  local pid
  port_is_free "$api_port" && port_is_free "$db_port" || return 1
  [[ -z $(group_members "$MAKE_PID") ]] || return 1
  for pid in "$MAKE_PID" "${FAMILY[@]}"; do is_running "$pid" && return 1; done
  return 0
}

# expect_torn_down HOW LOG: within 30s of the signal, everything is gone.
expect_torn_down() {
  local how=$1 log=$2 deadline=$((SECONDS + 30)) pid
  until torn_down; do
    if ((SECONDS >= deadline)); then
      tail -n 20 "$log" >&2
      for pid in "$MAKE_PID" "${FAMILY[@]}"; do
        is_running "$pid" && warn "still running: $pid $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)"
      done
      port_is_free "$api_port" || warn "port $api_port is still taken"
      port_is_free "$db_port" || warn "port $db_port is still taken"
      fail "after $how, make run was not torn down within 30s"
    fi
    sleep 0.2
  done
  log "after $how: ports $api_port and $db_port free, no process left (in $((SECONDS - deadline + 30))s)"
}

start_make "$logs/run-signals-term.log"
kill -TERM "$MAKE_PID"
expect_torn_down "SIGTERM to make (pid $MAKE_PID)" "$logs/run-signals-term.log"

start_make "$logs/run-signals-hup.log"
kill -HUP -- "-$MAKE_PID"
expect_torn_down "SIGHUP to its process group ($MAKE_PID)" "$logs/run-signals-hup.log"

printf '\033[1;32mPASS\033[0m test_run_signals: SIGTERM to make and SIGHUP to its group both tore make run down, and it restarted at once on the same ports (%ss)\n' $((SECONDS - started)) >&2 || true
