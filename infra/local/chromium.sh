#!/usr/bin/env bash
# infra/local/chromium.sh: owns the browser of the portal page's real-browser test (browser.sh):
# Debian's chromium package, installed when missing. Idempotent: a present /usr/bin/chromium costs
# nothing. CI starts from a clean machine as root, so it installs it there; a developer who is
# not root is told the one command to run.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [[ -x $CHROMIUM ]]; then
  exit 0
fi
install=(apt-get install -y --no-install-recommends chromium)
if [[ $(id -u) -ne 0 ]]; then
  die "no $CHROMIUM: install Debian's chromium (sudo ${install[*]})"
fi
log "installing Debian's chromium (apt-get)"
export DEBIAN_FRONTEND=noninteractive
# Quiet: apt's progress is hundreds of lines; its errors still reach stderr.
apt-get update -qq >/dev/null
"${install[@]}" -qq >/dev/null
[[ -x $CHROMIUM ]] || die "apt-get installed chromium, yet there is no $CHROMIUM"
"$CHROMIUM" --version >&2
