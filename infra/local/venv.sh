#!/usr/bin/env bash
# infra/local/venv.sh [run|test]: owns the project-local Python venv (./.venv) and what is in it.
#   run  (default): moto_server (the DynamoDB emulator) and cargo-lambda, for `make run`/bench;
#   test:           the same plus cfn-lint and schemathesis, for `make test`.
# Idempotent: a stamp per set records the hash of the pin files, so a re-run with unchanged pins
# costs nothing; a changed pin reinstalls. Pins: requirements-*.txt (top level) and
# constraints.txt (everything transitive). cargo-lambda is installed with --no-deps (its only
# dependency is the ~400 MB ziglang, used for cross-compiling, which the local stack never does).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

set_name=${1:-run}
case $set_name in
  run | test) ;;
  *) die "usage: $0 [run|test]" ;;
esac

requirements="$LOCAL_SCRIPTS/requirements-$set_name.txt"
pin_files=("$LOCAL_SCRIPTS/requirements-run.txt" "$requirements" "$LOCAL_SCRIPTS/constraints.txt" "$LOCAL_SCRIPTS/requirements-nodeps.txt")
want=$(cat "${pin_files[@]}" | "$PYTHON" -c 'import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')
stamp="$VENV/.installed-$set_name"

# A venv whose interpreter no longer runs (python moved or upgraded) is rebuilt from scratch.
if [[ -d $VENV ]] && ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
  warn "$VENV is broken: recreating it"
  rm -rf "$VENV"
fi

if [[ -f $stamp && $(<"$stamp") == "$want" ]]; then
  exit 0
fi

if [[ ! -x $VENV/bin/python ]]; then
  log "creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi

log "installing the $set_name tools into .venv (pinned in infra/local/)"
pip_install=("$VENV/bin/python" -m pip install --disable-pip-version-check --no-input --quiet --progress-bar off)
"${pip_install[@]}" -c "$LOCAL_SCRIPTS/constraints.txt" -r "$requirements"
"${pip_install[@]}" --no-deps -r "$LOCAL_SCRIPTS/requirements-nodeps.txt"

# Prove the entry points run before recording success.
"$VENV/bin/moto_server" --help >/dev/null
"$VENV/bin/cargo-lambda" lambda --version >/dev/null
if [[ $set_name == test ]]; then
  "$VENV/bin/cfn-lint" --version >/dev/null
  "$VENV/bin/st" --version >/dev/null
fi
printf '%s\n' "$want" >"$stamp"
