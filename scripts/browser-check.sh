#!/usr/bin/env bash
# The web app in a real browser (run by scripts/test.sh, so by CI): headless Chromium (Debian's
# `chromium`, driven by the npm `playwright-core` client pointed at /usr/bin/chromium; no browser
# is ever downloaded) walks sign-up -> write entry -> journal -> entry -> dashboard -> PHQ-9 ->
# analyze -> profile -> account -> sign out against the real gateway and inference binaries
# (debug builds, the bundled models, a fresh SQLite database). On every page it runs axe-core
# (failing on serious or critical violations), fails on any console error or CSP violation,
# checks the layout at 360 px wide and saves a screenshot under
# $CARGO_TARGET_DIR/web-screenshots/. The driver is scripts/browser/check.mjs.
#
# Tools: Chromium from Debian (apt-get, when running as root), playwright-core and axe-core
# (pinned) from npm into $MOODTRACKER_TOOLS/browser (default /var/cache/moodtracker-tools).
# Without them it prints a loud SKIPPED line and passes; with CI=true it fails instead.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/cache/moodtracker-target}"
TOOLS="${MOODTRACKER_TOOLS:-/var/cache/moodtracker-tools}/browser"
PLAYWRIGHT_VERSION=1.65.1
AXE_VERSION=4.14.1
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

skip() {
  if [ "${CI:-}" = "true" ]; then
    echo "browser-check: FAIL: $* (and CI=true)" >&2
    exit 1
  fi
  echo "!!!!!!!! SKIPPED: browser check: $* (set CI=true to make this a failure) !!!!!!!!" >&2
  exit 0
}

if [ ! -x "$CHROMIUM" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "browser-check: installing Debian's chromium"
  apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 \
    || { apt-get update >/dev/null 2>&1 && apt-get install -y --no-install-recommends chromium >/dev/null 2>&1; } || true
fi
[ -x "$CHROMIUM" ] || skip "no Chromium at $CHROMIUM (apt-get install chromium)"
command -v node >/dev/null && command -v npm >/dev/null || skip "node and npm are not installed"
command -v curl >/dev/null && command -v python3 >/dev/null || skip "curl and python3 are needed"

if [ ! -f "$TOOLS/node_modules/playwright-core/package.json" ] \
  || [ ! -f "$TOOLS/node_modules/axe-core/axe.min.js" ] \
  || ! grep -q "\"version\": \"$PLAYWRIGHT_VERSION\"" "$TOOLS/node_modules/playwright-core/package.json" \
  || ! grep -q "\"version\": \"$AXE_VERSION\"" "$TOOLS/node_modules/axe-core/package.json"; then
  echo "browser-check: installing playwright-core@$PLAYWRIGHT_VERSION and axe-core@$AXE_VERSION into $TOOLS"
  mkdir -p "$TOOLS"
  [ -f "$TOOLS/package.json" ] || echo '{"private": true}' > "$TOOLS/package.json"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --prefix "$TOOLS" --no-audit --no-fund --silent \
    "playwright-core@$PLAYWRIGHT_VERSION" "axe-core@$AXE_VERSION" || skip "npm could not install playwright-core and axe-core"
fi

echo "browser-check: building moodtracker-inference and moodtracker-gateway (debug)"
cargo build --locked -q -p moodtracker-inference -p moodtracker-gateway --bins
BIN="$CARGO_TARGET_DIR/debug"

# Four distinct free ports, held open together while chosen so no two are the same.
read -r HTTP_PORT GRPC_PORT INF_METRICS_PORT GW_METRICS_PORT < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(4)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])')
WORK="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

INFERENCE_GRPC_ADDR="127.0.0.1:$GRPC_PORT" INFERENCE_METRICS_ADDR="127.0.0.1:$INF_METRICS_PORT" \
  INFERENCE_ROBERTA_MODEL="$ROOT/models/roberta-sentiment" INFERENCE_LSTM_MODEL="$ROOT/models/lstm-sentiment" \
  LOG_LEVEL=warn "$BIN/moodtracker-inference" >"$WORK/inference.log" 2>&1 &
pids+=($!)
APP_ENV=development PORT="$HTTP_PORT" HOST=127.0.0.1 METRICS_ADDR="127.0.0.1:$GW_METRICS_PORT" \
  DATABASE_URL="sqlite://$WORK/web.db" INFERENCE_URL="http://127.0.0.1:$GRPC_PORT" LOG_LEVEL=warn \
  "$BIN/moodtracker-gateway" >"$WORK/gateway.log" 2>&1 &
pids+=($!)

# Ready when the gateway answers and both models are loaded (the health report says so).
for _ in $(seq 1 240); do
  if curl -fsS "http://127.0.0.1:$HTTP_PORT/api/predict/both" -H 'Content-Type: application/json' \
    -d '{"text":"ready?"}' >/dev/null 2>&1; then ready=1; break; fi
  sleep 0.5
done
if [ -z "${ready:-}" ]; then
  echo "browser-check: FAIL: the stack did not become ready" >&2
  tail -20 "$WORK/inference.log" "$WORK/gateway.log" >&2
  exit 1
fi

SHOTS="$CARGO_TARGET_DIR/web-screenshots"
mkdir -p "$SHOTS"
BASE_URL="http://127.0.0.1:$HTTP_PORT" SHOTS="$SHOTS" \
  CHROMIUM="$CHROMIUM" AXE="$TOOLS/node_modules/axe-core/axe.min.js" \
  node scripts/browser/check.mjs
echo "browser-check: screenshots in $SHOTS"
