#!/usr/bin/env bash
# The whole local stack in one command: builds both binaries, starts inference with the bundled
# models and the gateway on SQLite with in-memory rate limits (no Redis, no PostgreSQL needed),
# waits until both are ready, prints where each listens, and stops both on Ctrl-C.
#
#   scripts/dev.sh              # debug build (the numeric crates are optimised even there)
#   scripts/dev.sh --release    # optimised build: slower to build, faster to serve
#
# Settings come from .env when present (see .env.example), then from these defaults. Ports:
# DEV_HTTP_PORT (5001), DEV_GRPC_PORT (50051), DEV_INFERENCE_METRICS_PORT (9090),
# DEV_GATEWAY_METRICS_PORT (9091). Logs go to the terminal, prefixed by service.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"

profile=debug
cargo_flags=()
for arg in "$@"; do
  case "$arg" in
    --release) profile=release; cargo_flags+=(--release) ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "dev.sh: unknown argument $arg (try --help)" >&2; exit 64 ;;
  esac
done

if [ -f .env ]; then
  echo "dev.sh: loading .env"
  set -a
  # shellcheck disable=SC1091
  source .env
  set +a
fi

HTTP_PORT="${DEV_HTTP_PORT:-5001}"
GRPC_PORT="${DEV_GRPC_PORT:-50051}"
INF_METRICS_PORT="${DEV_INFERENCE_METRICS_PORT:-9090}"
GW_METRICS_PORT="${DEV_GATEWAY_METRICS_PORT:-9091}"
READY_TIMEOUT="${DEV_READY_TIMEOUT_SECS:-300}"

die() { echo "dev.sh: $*" >&2; exit 1; }

command -v cargo >/dev/null || die "cargo not found: install Rust from https://rustup.rs"
command -v curl >/dev/null || die "curl not found (used to wait for readiness): install it"

export INFERENCE_ROBERTA_MODEL="${INFERENCE_ROBERTA_MODEL:-$ROOT/models/roberta-sentiment}"
export INFERENCE_LSTM_MODEL="${INFERENCE_LSTM_MODEL:-$ROOT/models/lstm-sentiment}"
for dir in "$INFERENCE_ROBERTA_MODEL" "$INFERENCE_LSTM_MODEL"; do
  for f in config.json model.safetensors tokenizer.json; do
    [ -f "$dir/$f" ] || die "model file $dir/$f is missing (set INFERENCE_ROBERTA_MODEL / INFERENCE_LSTM_MODEL)"
  done
done

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in "$HTTP_PORT" "$GRPC_PORT" "$INF_METRICS_PORT" "$GW_METRICS_PORT"; do
  port_busy "$port" && die "port $port on 127.0.0.1 is taken (set DEV_*_PORT to use others)"
done

echo "dev.sh: building moodtracker-inference and moodtracker-gateway ($profile)"
cargo build --locked "${cargo_flags[@]}" -p moodtracker-inference -p moodtracker-gateway --bins
target_dir="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
bin="$target_dir/$profile"

mkdir -p data
pids=()
stop() {
  trap - INT TERM EXIT
  if [ "${#pids[@]}" -gt 0 ]; then
    echo; echo "dev.sh: stopping (SIGTERM: both services drain, then exit)"
    kill -TERM "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
}
trap stop EXIT
trap 'stop; exit 130' INT TERM

# Each service's output, prefixed; $! is the service itself, not the prefixer.
start() {
  local name="$1"; shift
  "$@" > >(sed -u "s/^/[$name] /") 2>&1 &
  pids+=("$!")
}

INFERENCE_GRPC_ADDR="127.0.0.1:$GRPC_PORT" \
INFERENCE_METRICS_ADDR="127.0.0.1:$INF_METRICS_PORT" \
LOG_FORMAT="${LOG_FORMAT:-pretty}" \
  start inference "$bin/moodtracker-inference"

# Development: SQLite under ./data, rate limits and cache in memory unless .env names Redis.
APP_ENV="${APP_ENV:-development}" \
HOST="${HOST:-127.0.0.1}" \
PORT="$HTTP_PORT" \
METRICS_ADDR="127.0.0.1:$GW_METRICS_PORT" \
DATABASE_URL="${DATABASE_URL:-sqlite://./data/moodtracker.db}" \
INFERENCE_URL="http://127.0.0.1:$GRPC_PORT" \
LOG_FORMAT="${LOG_FORMAT:-pretty}" \
LOG_LEVEL="${LOG_LEVEL:-info}" \
  start gateway "$bin/moodtracker-gateway"

# Ready when the gateway is ready and sees both models loaded (the inference service's
# readiness, observed through the gateway, so no gRPC client is needed here).
echo "dev.sh: waiting for both services (up to ${READY_TIMEOUT}s; models load and warm up first)"
deadline=$((SECONDS + READY_TIMEOUT))
until curl -fsS "http://127.0.0.1:$HTTP_PORT/readyz" >/dev/null 2>&1 &&
  curl -fsS "http://127.0.0.1:$HTTP_PORT/api/health" 2>/dev/null |
  grep -q '"lstm_loaded": *true' &&
  curl -fsS "http://127.0.0.1:$HTTP_PORT/api/health" 2>/dev/null |
  grep -q '"roberta_loaded": *true'; do
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || die "a service exited during start-up (see its log above)"
  done
  [ "$SECONDS" -lt "$deadline" ] || die "not ready after ${READY_TIMEOUT}s"
  sleep 1
done

redact() { sed -E 's#(://[^:/@]*):[^@]*@#\1:[redacted]@#'; }
db_shown="$(printf '%s' "${DATABASE_URL:-sqlite://./data/moodtracker.db}" | redact)"
limits_shown="in memory"
[ -n "${REDIS_URL:-}" ] && limits_shown="Redis $(printf '%s' "$REDIS_URL" | redact)"
cat <<EOF

  moodtracker is up (Ctrl-C stops both)
    API (gateway)        http://127.0.0.1:$HTTP_PORT        e.g. curl http://127.0.0.1:$HTTP_PORT/api/health
    API docs             http://127.0.0.1:$HTTP_PORT/api/docs
    gateway metrics      http://127.0.0.1:$GW_METRICS_PORT/metrics
    inference (gRPC)     127.0.0.1:$GRPC_PORT               e.g. grpcurl -plaintext 127.0.0.1:$GRPC_PORT list
    inference metrics    http://127.0.0.1:$INF_METRICS_PORT/metrics
    database             $db_shown
    rate limits, cache   $limits_shown

EOF
# Until Ctrl-C (the trap stops both), or until one of them stops on its own.
wait -n "${pids[@]}" || true
echo "dev.sh: a service stopped on its own; stopping the other"
