#!/usr/bin/env bash
# The API's contract, checked from outside: schemathesis fuzzes every operation of the gateway's
# own OpenAPI document (`/api/openapi.json`) against the real gateway and inference binaries
# (debug builds, the tiny fixture models the tests use), signed in as a registered user, with
# every check on, once on SQLite and once on a fresh PostgreSQL database. Any failure fails the
# script. Then, unless API_CONTRACT_CLIENT=0, a Python client generated from the same document
# by openapi-python-client walks a user's whole journey (scripts/contract/journey.py).
#
# The tools install into a venv outside the repository ($MOODTRACKER_TOOLS/contract-venv,
# default /var/cache/moodtracker-tools). Without python3 (or without PostgreSQL for the second
# run) it skips loudly; with CI=true it fails instead.
#
# Knobs: API_CONTRACT_EXAMPLES (default 25 test cases per operation), API_CONTRACT_BACKENDS
# (default "sqlite postgres"), API_CONTRACT_SEED (default: random; schemathesis prints it).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/cache/moodtracker-target}"

TOOLS_DIR="${MOODTRACKER_TOOLS:-/var/cache/moodtracker-tools}"
VENV="$TOOLS_DIR/contract-venv"
# Pinned: the verdict must not change because a registry moved.
PIP_PKGS=("schemathesis==4.32.5" "openapi-python-client==0.29.1" "httpx==0.28.1")
EXAMPLES="${API_CONTRACT_EXAMPLES:-25}"
BACKENDS="${API_CONTRACT_BACKENDS:-sqlite postgres}"

log() { echo "api-contract: $*" >&2; }
skip() {
  if [ "${CI:-}" = true ]; then log "FAILED: $*"; exit 1; fi
  echo "" >&2
  echo "!!!!!!!! SKIPPED: api-contract: $* (set CI=true to make this a failure) !!!!!!!!" >&2
  echo "" >&2
}

install_tools() {
  local stamp
  stamp="$(printf '%s\n' "${PIP_PKGS[@]}")"
  [ -f "$VENV/.installed" ] && [ "$(cat "$VENV/.installed")" = "$stamp" ] && return 0
  command -v python3 >/dev/null || return 1
  mkdir -p "$TOOLS_DIR" || return 1
  log "installing ${PIP_PKGS[*]} into $VENV"
  { [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"; } &&
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "${PIP_PKGS[@]}" &&
    printf '%s' "$stamp" > "$VENV/.installed"
}

free_port() { "$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Polls `curl ARGS` until it succeeds, for at most $1 seconds.
wait_for() {
  local secs="$1"; shift
  for _ in $(seq 1 $((secs * 5))); do
    curl -fsS -o /dev/null "$@" 2>/dev/null && return 0
    sleep 0.2
  done
  return 1
}

PIDS=()
DATABASES=()
WORK="$(mktemp -d)"
cleanup() {
  local pid db
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  for db in "${DATABASES[@]}"; do
    psql -h 127.0.0.1 -U "$PG_USER" -d postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" \
      >/dev/null 2>&1 || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
PG_USER=postgres

if ! command -v curl >/dev/null; then
  skip "curl is needed to drive the gateway"
  exit 0
fi
if ! install_tools; then
  skip "could not install ${PIP_PKGS[*]} (needs python3 with venv and pip, and PyPI)"
  exit 0
fi

cargo build --locked -p moodtracker-inference --bin moodtracker-inference \
  -p moodtracker-gateway --bin moodtracker-gateway
# Copied at once: a target directory shared with other checkouts may hold another build of the
# same binaries a moment later.
BIN="$WORK/bin"
mkdir -p "$BIN"
cp "$CARGO_TARGET_DIR/debug/moodtracker-inference" "$CARGO_TARGET_DIR/debug/moodtracker-gateway" "$BIN/"

# A provider that refuses every Google and GitHub sign-in (none is reachable from CI).
OAUTH_PORT="$(free_port)"
"$VENV/bin/python" scripts/contract/fake_oauth.py "$OAUTH_PORT" &
PIDS+=("$!")
OAUTH="http://127.0.0.1:$OAUTH_PORT"

# One inference service for both runs.
INFERENCE_PORT="$(free_port)"
INFERENCE_GRPC_ADDR="127.0.0.1:$INFERENCE_PORT" INFERENCE_METRICS_ADDR="127.0.0.1:$(free_port)" \
  INFERENCE_ROBERTA_MODEL=inference/tests/fixtures/roberta-tiny \
  INFERENCE_LSTM_MODEL=inference/tests/fixtures/lstm-tiny LOG_LEVEL=warn \
  "$BIN/moodtracker-inference" >"$WORK/inference.log" 2>&1 &
PIDS+=("$!")

# A fresh PostgreSQL database: "USER NAME" on stdout; nothing when the server cannot be reached.
postgres_database() {
  local name="mt_contract_$$_$RANDOM" user
  command -v psql >/dev/null || return 1
  for user in postgres root; do
    if psql -h 127.0.0.1 -U "$user" -d postgres -qc "CREATE DATABASE $name" >/dev/null 2>&1; then
      echo "$user $name"; return 0
    fi
  done
  return 1
}

# Starts the gateway on DATABASE_URL=$1 and sets GATEWAY_URL and GATEWAY_PID once it is ready
# and both models answer through it (not in a subshell: the PID must reach the cleanup).
start_gateway() {
  local port; port="$(free_port)"
  # Rate limits stay on (their 429 is part of the contract) but 1000 times the production
  # figures, so that a fuzz run's few thousand requests from one address are never refused
  # for their number: a 429 in the middle of a run would read as a wrong answer to the next
  # check. APP_ENV=testing alone would switch them off.
  env APP_ENV=testing RATELIMIT_ENABLED=true RATELIMIT_MULTIPLIER=1000 \
    JWT_SECRET_KEY="contract-run-$RANDOM$RANDOM-0123456789abcdef-0123456789" \
    JWT_EXPIRATION_MINUTES=60 PORT="$port" HOST=127.0.0.1 DATABASE_URL="$1" \
    INFERENCE_URL="http://127.0.0.1:$INFERENCE_PORT" METRICS_ADDR="127.0.0.1:$(free_port)" \
    GOOGLE_CLIENT_ID=contract-run GOOGLE_JWKS_URL="$OAUTH/jwks" \
    GITHUB_CLIENT_ID=contract-run GITHUB_CLIENT_SECRET=contract-run-secret \
    GITHUB_TOKEN_URL="$OAUTH/token" GITHUB_API_URL="$OAUTH" \
    LOG_LEVEL=warn "$BIN/moodtracker-gateway" >>"$WORK/gateway.log" 2>&1 &
  GATEWAY_PID="$!"
  PIDS+=("$GATEWAY_PID")
  local url="http://127.0.0.1:$port"
  wait_for 60 "$url/readyz" || { log "the gateway never became ready"; tail -n 30 "$WORK/gateway.log" >&2; return 1; }
  wait_for 120 -X POST -H 'Content-Type: application/json' -d '{"text":"warming up"}' \
    "$url/api/predict/both" ||
    { log "inference never answered through the gateway"; tail -n 30 "$WORK/inference.log" >&2; return 1; }
  GATEWAY_URL="$url"
}

# Registers a user and prints its access token and id.
register() {
  curl -fsS -X POST -H 'Content-Type: application/json' \
    -d "{\"firstName\":\"Contract\",\"lastName\":\"Run\",\"email\":\"contract-$RANDOM@example.com\",\"password\":\"contract-password\"}" \
    "$1/api/auth/register" |
    "$VENV/bin/python" -c 'import json,sys; b=json.load(sys.stdin); print(b["token"], b["user"]["id"])'
}

# schemathesis over the whole document, as the registered user. Left out, with the reason:
# - POST /api/auth/logout ends the session of the token it is called with (by design: signing
#   out must reach access tokens), and DELETE /api/users/me deletes the account; either would
#   turn every later request of the run into a 401 for a reason unrelated to the operation
#   under test. Both are covered by the gateway's API tests (sessions, users).
# Schemathesis's health checks judge its own data generation (too slow, too much filtered on
# the patterns), not the API: they are off so that a slow machine does not fail the run.
fuzz() {
  local url="$1" token="$2" name="$3"
  local seed=()
  [ -n "${API_CONTRACT_SEED:-}" ] && seed=(--seed "$API_CONTRACT_SEED")
  log "schemathesis on $name: $EXAMPLES examples per operation"
  "$VENV/bin/schemathesis" --config-file scripts/contract/schemathesis.toml run "$url/api/openapi.json" \
    --checks all --max-examples "$EXAMPLES" "${seed[@]}" \
    -H "Authorization: Bearer $token" \
    --exclude-path /api/auth/logout \
    --exclude-path /api/users/me \
    --suppress-health-check all --generation-database none \
    --no-color
}

failed=0
for backend in $BACKENDS; do
  case "$backend" in
    sqlite) db_url="sqlite://$WORK/contract.db" ;;
    postgres)
      if ! created="$(postgres_database)"; then
        skip "PostgreSQL is not reachable on 127.0.0.1:5432 with psql: the PostgreSQL run did not happen"
        continue
      fi
      read -r PG_USER db <<<"$created"
      DATABASES+=("$db")
      db_url="postgres://$PG_USER@127.0.0.1:5432/$db" ;;
    *) log "unknown backend $backend"; exit 2 ;;
  esac
  start_gateway "$db_url"
  url="$GATEWAY_URL"
  read -r token user_id < <(register "$url") || true
  [ -n "${user_id:-}" ] || { log "registering the fuzzed user failed"; exit 1; }
  "$VENV/bin/python" scripts/contract/seed.py "$url" "$token"
  export CONTRACT_USER_ID="$user_id"
  fuzz "$url" "$token" "$backend" || { failed=1; log "FAILED on $backend"; }
  if [ "${API_CONTRACT_CLIENT:-1}" != 0 ] && [ "$backend" = sqlite ]; then
    scripts/contract/client.sh "$VENV" "$url" "$WORK/client" || { failed=1; log "the generated client's journey FAILED"; }
  fi
  kill "$GATEWAY_PID" 2>/dev/null || true
done
if [ "$failed" != 0 ]; then
  log "gateway log tail:"; tail -n 40 "$WORK/gateway.log" >&2
  exit 1
fi
log "the API keeps its contract"
