#!/usr/bin/env bash
# infra/local/venv.sh [run|test|deploy]: owns the project-local Python venvs and what is in them.
#   run  (default): moto_server (the DynamoDB emulator) and cargo-lambda, for `make run`/bench;
#   test:           the same plus cfn-lint and schemathesis, for `make test`;
#   deploy:         the SAM CLI, cargo-lambda and ziglang, for `make package`/`make deploy`, in a
#                   venv of its own (.venv/deploy): the SAM CLI pins a boto3 that moto's does not.
# Idempotent: a stamp per set records the hash of the pin files, so a re-run with unchanged pins
# costs nothing; a changed pin reinstalls. Pins: requirements-*.txt (top level) and
# constraints.txt (everything transitive). cargo-lambda is installed with --no-deps (its only
# dependency is the ~400 MB ziglang, used for cross-compiling, which the local stack never does).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

set_name=${1:-run}
requirements="$LOCAL_SCRIPTS/requirements-$set_name.txt"
case $set_name in
  run | test)
    pin_files=("$LOCAL_SCRIPTS/requirements-run.txt" "$requirements" "$LOCAL_SCRIPTS/constraints.txt" "$LOCAL_SCRIPTS/requirements-nodeps.txt")
    constraints="$LOCAL_SCRIPTS/constraints.txt"
    ;;
  deploy)
    VENV="$DEPLOY_VENV"
    pin_files=("$requirements" "$LOCAL_SCRIPTS/constraints-deploy.txt")
    constraints="$LOCAL_SCRIPTS/constraints-deploy.txt"
    ;;
  *) die "usage: $0 [run|test|deploy]" ;;
esac
# pins_hash FILE...: the hash a set's stamp records.
pins_hash() {
  cat "$@" | "$PYTHON" -c 'import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())'
}
want=$(pins_hash "${pin_files[@]}")
stamp="$VENV/.installed-$set_name"

# A venv whose interpreter no longer runs (python moved or upgraded) is rebuilt from scratch. A
# .venv holding only .venv/deploy (make package ran first) has no interpreter yet, and is kept.
if [[ -e $VENV/bin/python || -L $VENV/bin/python ]] && ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
  warn "$VENV is broken: recreating it"
  rm -rf "$VENV"
fi

if [[ -f $stamp && $(<"$stamp") == "$want" ]]; then
  exit 0
fi
# The test set holds the run set (requirements-test.txt starts with -r requirements-run.txt), so a
# venv with the current test set has what make run needs (make test's run of make run, for one).
test_stamp="$VENV/.installed-test"
if [[ $set_name == run && -f $test_stamp ]] &&
  [[ $(<"$test_stamp") == "$(pins_hash "$LOCAL_SCRIPTS/requirements-run.txt" "$LOCAL_SCRIPTS/requirements-test.txt" "$LOCAL_SCRIPTS/constraints.txt" "$LOCAL_SCRIPTS/requirements-nodeps.txt")" ]]; then
  exit 0
fi

if [[ ! -x $VENV/bin/python ]]; then
  log "creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi

log "installing the $set_name tools into ${VENV#"$REPO_ROOT"/} (pinned in infra/local/)"
pip_install=("$VENV/bin/python" -m pip install --disable-pip-version-check --no-input --quiet --progress-bar off)
"${pip_install[@]}" -c "$constraints" -r "$requirements"

if [[ $set_name != deploy ]]; then
  "${pip_install[@]}" --no-deps -r "$LOCAL_SCRIPTS/requirements-nodeps.txt"
fi

# Prove the entry points run before recording success.
"$VENV/bin/cargo-lambda" lambda --version >/dev/null
case $set_name in
  run | test)
    "$VENV/bin/moto_server" --help >/dev/null
    ;;&
  test)
    "$VENV/bin/cfn-lint" --version >/dev/null
    "$VENV/bin/st" --version >/dev/null
    ;;
  deploy)
    SAM_CLI_TELEMETRY=0 "$VENV/bin/sam" --version >/dev/null
    "$VENV/bin/python" -m ziglang version >/dev/null
    ;;
esac
printf '%s\n' "$want" >"$stamp"
