#!/usr/bin/env bash
# Load test of the gateway with wrk: /livez, /api/health, a cached POST /api/predict/both and
# POST /api/journal/entries (each entry scored by both models), printing requests/s and the
# p50/p90/p99 latency of each.
#
#   scripts/load/run.sh --start            # builds (release) and starts inference + gateway itself
#   GATEWAY_URL=http://host:5001 scripts/load/run.sh   # against a running gateway
#
# Options: --start, --debug (with --start: the debug build, quicker to build, slower to serve),
# --database sqlite|postgres (with --start: a fresh database of that kind; PostgreSQL on
# 127.0.0.1:5432 as user postgres, created with psql), --fixture-models (with --start: the tiny
# test models, so the database rather than inference bounds the journal writes), --only NAME (one
# scenario, e.g. journal_entries_post), --duration 15s, --connections 16, --threads 2. Needs wrk
# (apt-get install wrk) and curl. Against your own gateway, raise its limits for the run
# (RATELIMIT_MULTIPLIER=1000000), or most requests are 429s. --start uses SQLite in a temporary
# directory, in-memory limits raised that way, and the models in models/ (the tiny test fixtures
# when those are absent or with --fixture-models).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$(pwd)"

start=0 profile=release duration=15s connections=16 threads=2 database=sqlite only= fixtures=0
while [ $# -gt 0 ]; do
  case "$1" in
    --start) start=1 ;;
    --debug) profile=debug ;;
    --database) database="$2"; shift ;;
    --only) only="$2"; shift ;;
    --fixture-models) fixtures=1 ;;
    --duration) duration="$2"; shift ;;
    --connections) connections="$2"; shift ;;
    --threads) threads="$2"; shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 64 ;;
  esac
  shift
done
command -v wrk >/dev/null || { echo "run.sh: wrk not found: apt-get install wrk" >&2; exit 1; }
command -v curl >/dev/null || { echo "run.sh: curl not found" >&2; exit 1; }

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

model_dir() { # $1: models/ name, $2: fixture name
  if [ "$fixtures" = 0 ] && [ -f "$ROOT/models/$1/model.safetensors" ]; then echo "$ROOT/models/$1"; else echo "$ROOT/inference/tests/fixtures/$2"; fi
}

start_stack() {
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/cache/moodtracker-target}"
  local flags=(--locked -p moodtracker-inference -p moodtracker-gateway --bins)
  [ "$profile" = release ] && flags+=(--release)
  cargo build "${flags[@]}" >&2
  local bin="$CARGO_TARGET_DIR/$profile" tmp grpc http
  tmp="$(mktemp -d)"; grpc="$(free_port)"; http="$(free_port)"
  local database_url="sqlite://$tmp/load.db"
  if [ "$database" = postgres ]; then
    local name="mt_load_$(date +%s)_$$"
    psql -q -h 127.0.0.1 -U postgres -d postgres -c "CREATE DATABASE $name" >&2
    database_url="postgres://postgres@127.0.0.1:5432/$name"
  fi
  INFERENCE_GRPC_ADDR="127.0.0.1:$grpc" INFERENCE_METRICS_ADDR="127.0.0.1:$(free_port)" \
    INFERENCE_ROBERTA_MODEL="$(model_dir roberta-sentiment roberta-tiny)" \
    INFERENCE_LSTM_MODEL="$(model_dir lstm-sentiment lstm-tiny)" LOG_LEVEL=warn \
    "$bin/moodtracker-inference" >"$tmp/inference.log" 2>&1 &
  pids+=($!)
  APP_ENV=development PORT="$http" DATABASE_URL="$database_url" \
    INFERENCE_URL="http://127.0.0.1:$grpc" METRICS_ADDR="127.0.0.1:$(free_port)" \
    RATELIMIT_ENABLED=true RATELIMIT_MULTIPLIER=1000000 LOG_LEVEL=warn LOG_FORMAT=json \
    "$bin/moodtracker-gateway" >"$tmp/gateway.log" 2>&1 &
  pids+=($!)
  GATEWAY_URL="http://127.0.0.1:$http"
  echo "run.sh: stack logs in $tmp" >&2
}

[ "$start" = 1 ] && start_stack
GATEWAY_URL="${GATEWAY_URL:-http://127.0.0.1:5001}"

# Ready, and both models loaded (the health report reads the probes' latest snapshot).
for _ in $(seq 1 300); do
  curl -fsS "$GATEWAY_URL/api/health" 2>/dev/null | grep -q '"lstm_loaded":true' && break
  sleep 1
done
curl -fsS "$GATEWAY_URL/api/health" | grep -q '"lstm_loaded":true' \
  || { echo "run.sh: $GATEWAY_URL never reported the models loaded" >&2; exit 1; }

email="load-$(date +%s%N)@example.com"
token="$(curl -fsS -H 'Content-Type: application/json' \
  -d "{\"firstName\":\"Load\",\"lastName\":\"Test\",\"email\":\"$email\",\"password\":\"load test password 1\"}" \
  "$GATEWAY_URL/api/auth/register" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')"
[ -n "$token" ] || { echo "run.sh: could not register a user" >&2; exit 1; }

text='Spent the afternoon walking by the river and felt calm for the first time this week.'
# Warm the cache: the scenario then measures cached predictions.
curl -fsS -o /dev/null -H 'Content-Type: application/json' -d "{\"text\":\"$text\"}" "$GATEWAY_URL/api/predict/both"

scenario() { # name method path [body] [token]
  [ -z "$only" ] || [ "$only" = "$1" ] || return 0
  SCENARIO="$1" LOAD_METHOD="$2" LOAD_BODY="${4:-}" LOAD_TOKEN="${5:-}" \
    wrk -t"$threads" -c"$connections" -d"$duration" -s "$ROOT/scripts/load/scenario.lua" "$GATEWAY_URL$3" \
    | grep '^RESULT'
}

echo "wrk -t$threads -c$connections -d$duration against $GATEWAY_URL$([ "$start" = 1 ] && echo " ($database)")"
scenario livez GET /livez
scenario api_health GET /api/health
scenario predict_both_cached POST /api/predict/both "{\"text\":\"$text\"}"
scenario journal_entries_post POST /api/journal/entries "{\"text\":\"$text\"}" "$token"
