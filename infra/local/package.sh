#!/usr/bin/env bash
# infra/local/package.sh: the deployment artifact, and deploying it. It owns:
#   bootstraps      every function's arm64 `bootstrap`, in ONE cargo invocation (shared
#                   dependencies compile once): target/lambda/<binary>/bootstrap;
#   copy BIN DIR    SAM's makefile build method (Makefile `build-<LogicalId>` targets): copies the
#                   bootstrap of BIN into DIR, building the bootstraps first if any is missing;
#   package         `make package`: bootstraps, `sam build` (which copies them) and
#                   `sam validate --lint`;
#   deploy          `make deploy`: package, then `sam deploy`, guided only while samconfig.toml
#                   has no stack for it yet (the first time: region, stack name, AlarmEmail).
# The functions are the template's: each AWS::Serverless::Function names its cargo binary in
# Metadata.BuildProperties.Binary. Tools come from .venv/deploy (venv.sh deploy) and the arm64
# standard library from rustup.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

export SAM_CLI_TELEMETRY=0

use_deploy_venv() {
  bash "$LOCAL_SCRIPTS/venv.sh" deploy
  export PATH="$DEPLOY_VENV/bin:$PATH"
}

# The cargo binaries the template deploys, one a line.
template_binaries() {
  sed -n 's/^ *Binary: *\([a-z0-9-]*\) *$/\1/p' template.yaml
}

bootstraps() {
  use_deploy_venv
  if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
    log "adding the aarch64-unknown-linux-gnu standard library (rustup)"
    rustup target add aarch64-unknown-linux-gnu
  fi
  local packages=()
  while read -r binary; do packages+=(--package "$binary"); done < <(template_binaries)
  log "building $((${#packages[@]} / 2)) arm64 bootstraps in one cargo invocation (release, LTO)"
  cargo lambda build --release --arm64 "${packages[@]}"
}

copy() {
  local binary=$1 artifacts=$2 bootstrap="$TARGET_DIR/lambda/$1/bootstrap"
  [[ -f $bootstrap ]] || bootstraps
  cp "$bootstrap" "$artifacts/bootstrap"
}

package() {
  local t0=$SECONDS
  bootstraps
  log "sam build (copies the bootstraps into .aws-sam/build)"
  sam build
  log "sam validate --lint"
  sam validate --lint
  # `sam deploy --guided` asks "may not have authorization defined, is this okay?" of every route
  # it judges open, and its default answer aborts: ask its own check that none is left.
  AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-eu-west-1} python - <<'PY'
import sys
from samcli.commands.deploy.auth_utils import auth_per_resource
from samcli.lib.providers.sam_stack_provider import SamLocalStackProvider

stacks, _ = SamLocalStackProvider.get_stacks("template.yaml")
asked = sorted({name for name, declared in auth_per_resource(stacks) if not declared})
if asked:
    sys.exit(f"sam deploy --guided would ask about the authorization of {', '.join(asked)}")
PY
  local missing=0
  while read -r binary; do
    # ELF e_machine (bytes 18-19, little-endian) 183 is AArch64.
    [[ $(od -An -t u2 -j 18 -N 2 "$TARGET_DIR/lambda/$binary/bootstrap" 2>/dev/null | tr -d ' ') == 183 ]] || {
      warn "$binary: no arm64 bootstrap"
      missing=1
    }
  done < <(template_binaries)
  ((missing == 0)) || die "a bootstrap is missing or not arm64"
  log "packaged $(template_binaries | wc -l) functions in $((SECONDS - t0))s"
}

deploy() {
  package
  if grep -q '^stack_name' samconfig.toml && grep -q '^region' samconfig.toml; then
    sam deploy
  else
    sam deploy --guided
  fi
}

case ${1:-package} in
  bootstraps) bootstraps ;;
  copy) copy "$2" "$3" ;;
  package) package ;;
  deploy) deploy ;;
  *) die "usage: $0 [bootstraps|copy BIN DIR|package|deploy]" ;;
esac
