#!/usr/bin/env bash
# The GPU check, in one command, for anyone with an NVIDIA GPU (driver >= 580, for CUDA 13):
#
#   scripts/gpu-check.sh
#
# builds the inference service with `--features cuda` (nvcc from NVIDIA's
# wheels, scripts/cuda-toolkit.sh, for this GPU's compute capability), then on INFERENCE_DEVICE
# (default cuda, i.e. cuda:0; cuda:N for another GPU) runs
#   1. the parity fixtures: candle's path against transformers/PyTorch, f32 within 1e-3, f16 and
#      bf16 with identical labels and within 2e-2 (f16) and 4e-2 (bf16, 3 significant bits fewer)
#      (inference/tests/parity.rs);
#   2. the bundled models' obvious cases in f32, f16 and bf16 (inference/tests/default_models.rs);
#   3. the served-binary smoke test in f32 and f16: the real binary starts on the GPU, lists the
#      device and dtype, and classifies (inference/tests/served.rs);
#   4. the throughput benchmark in f32 and f16 (inference/benches/throughput.rs): tokens/s at
#      32x64 and 128x128, latency at 1x64;
# and prints one summary. It exits non-zero when any step fails, and at once, loudly, when there
# is no GPU. MOODTRACKER_INFERENCE_BIN=/path/to/moodtracker-inference smoke-tests a prebuilt
# binary (a `cuda` image's) instead of the one built here. Logs go to $GPU_CHECK_LOGS (default a
# fresh temporary directory).
set -uo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/cache/moodtracker-target}"
export INFERENCE_DEVICE="${INFERENCE_DEVICE:-cuda}"
LOGS="${GPU_CHECK_LOGS:-$(mktemp -d)}"
mkdir -p "$LOGS"

die() {
  echo "gpu-check: FAILED: $*" >&2
  exit 1
}

# A GPU, or nothing else runs: a CPU-only machine must never report this check as passed.
command -v nvidia-smi >/dev/null ||
  die "no NVIDIA GPU: nvidia-smi is not installed. This check needs a machine with an NVIDIA GPU and its driver."
gpus="$(nvidia-smi --query-gpu=name,compute_cap,driver_version,memory.total --format=csv,noheader 2>&1)" ||
  die "no usable NVIDIA GPU: nvidia-smi says: $gpus"
[ -n "$gpus" ] || die "no NVIDIA GPU: nvidia-smi lists none."
echo "gpu-check: $gpus"
# Build for this GPU unless told otherwise: "9.0" -> 90.
export CUDA_COMPUTE_CAP="${CUDA_COMPUTE_CAP:-$(echo "$gpus" | head -n1 | cut -d, -f2 | tr -d ' .')}"

# shellcheck source=scripts/cuda-toolkit.sh
source scripts/cuda-toolkit.sh
cuda_toolkit_install || die "could not install the CUDA toolkit (scripts/cuda-toolkit.sh)"

declare -a SUMMARY=()
failed=0
# step NAME LOG COMMAND...: runs COMMAND with its output in LOG, records PASS/FAIL and seconds.
step() {
  local name="$1" log="$2" started=$SECONDS
  shift 2
  echo "gpu-check: $name ..."
  if "$@" >"$LOGS/$log" 2>&1; then
    SUMMARY+=("PASS  $name ($((SECONDS - started)) s)")
  else
    SUMMARY+=("FAIL  $name ($((SECONDS - started)) s): see $LOGS/$log")
    failed=1
    tail -n 30 "$LOGS/$log" >&2
  fi
}

cargo_cuda() { cargo "$1" --locked -p moodtracker-inference --features cuda "${@:2}"; }

step "build (--features cuda, sm_$CUDA_COMPUTE_CAP)" build.log \
  cargo_cuda build --bins --tests --benches
[ "$failed" = 0 ] || { printf '%s\n' "${SUMMARY[@]}"; die "the build failed"; }

step "parity fixtures (f32 1e-3, f16 2e-2, bf16 4e-2, same labels)" parity.log \
  cargo_cuda test --test parity
step "bundled models, obvious cases (f32, f16, bf16)" default-models.log \
  cargo_cuda test --test default_models
for dtype in f32 f16; do
  step "served binary smoke test ($dtype)" "served-$dtype.log" \
    env INFERENCE_DTYPE="$dtype" cargo_cuda test --test served serves_on_the_device_and_dtype_it_is_given
done
for dtype in f32 f16; do
  step "throughput benchmark ($dtype)" "bench-$dtype.log" \
    env INFERENCE_DTYPE="$dtype" cargo_cuda bench --bench throughput
done

# The benchmark's figures: "shape median-ms p90-ms tokens/s" rows.
figure() { awk -v shape="$2" -v col="$3" '$1 == shape { print $col; exit }' "$LOGS/$1" 2>/dev/null; }
echo
echo "==== gpu-check summary ($INFERENCE_DEVICE: $(echo "$gpus" | head -n1)) ===="
printf '%s\n' "${SUMMARY[@]}"
for dtype in f32 f16; do
  log="bench-$dtype.log"
  [ -s "$LOGS/$log" ] || continue
  echo "$dtype: 32x64 $(figure "$log" 32x64 4) tokens/s, 128x128 $(figure "$log" 128x128 4) tokens/s," \
    "1x64 latency $(figure "$log" 1x64 2) ms median ($(figure "$log" 1x64 3) ms p90)"
done
echo "logs: $LOGS"
[ "$failed" = 0 ] || die "one or more steps failed"
echo "gpu-check: PASSED"
