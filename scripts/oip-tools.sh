#!/usr/bin/env bash
# Installs the real Open Inference Protocol client, tritonclient[grpc] from PyPI, into a venv in a
# cache outside the repository, and prints that venv's python. The served-binary test
# `tritonclient_gets_classifys_answers` (inference/tests/served/oip.rs) runs it on first use;
# without it that test skips loudly, or fails with CI=true.
#
# MOODTRACKER_TOOLS overrides the cache (default /var/cache/moodtracker-tools).
set -uo pipefail

dir="${MOODTRACKER_TOOLS:-/var/cache/moodtracker-tools}"
venv="$dir/oip-venv"
# Pinned: a check must not change its verdict because a registry moved.
pkgs=("tritonclient[grpc]==2.73.0")
log() { echo "oip-tools: $*" >&2; }

mkdir -p "$dir" 2>/dev/null || { log "cannot create $dir (set MOODTRACKER_TOOLS)"; exit 1; }
# One installer at a time: parallel tests may start together.
exec 9>>"$dir/.oip.lock" && flock -w 600 9
stamp="$(printf '%s\n' "${pkgs[@]}")"
if [ ! -f "$venv/.installed" ] || [ "$(cat "$venv/.installed")" != "$stamp" ]; then
  command -v python3 >/dev/null || { log "python3 not found"; exit 1; }
  log "installing ${pkgs[*]} into $venv"
  { [ -x "$venv/bin/python" ] || python3 -m venv "$venv"; } &&
    "$venv/bin/pip" install --quiet --disable-pip-version-check "${pkgs[@]}" >&2 &&
    printf '%s' "$stamp" > "$venv/.installed" || { log "pip install failed"; exit 1; }
fi
"$venv/bin/python" -c 'import tritonclient.grpc' || { log "tritonclient does not import"; exit 1; }
echo "$venv/bin/python"
