#!/usr/bin/env bash
# Compiles the inference service with `--features cuda` (candle's CUDA kernels through nvcc) on
# any x86-64 Linux machine, GPU or not: the toolkit comes from NVIDIA's PyPI wheels into a cache
# outside the clone (scripts/cuda-toolkit.sh), and CUDA_COMPUTE_CAP (default 90) names the one
# architecture the kernels are built for, so no GPU is queried. CI runs it (.ci/run); so does
# scripts/gpu-check.sh. Extra arguments go to cargo (e.g. --release).
#
# The build shares CARGO_TARGET_DIR with the CPU build: only candle and what depends on it are
# built twice (cargo keys them by feature set), and a second run with the same toolkit and compute
# capability rebuilds nothing. Its binaries land where the CPU build's do
# ($CARGO_TARGET_DIR/debug/moodtracker-inference) until the next CPU build puts those back, which
# is why scripts/test.sh builds the CPU binary before it runs anything.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/cache/moodtracker-target}"

# shellcheck source=scripts/cuda-toolkit.sh
source scripts/cuda-toolkit.sh
cuda_toolkit_install || { echo "cuda-build: no CUDA toolkit, cannot build the cuda feature" >&2; exit 1; }

# cudaforge (candle-kernels' build) compiles its .cu files on half the CPUs by default; here the
# kernels are nearly all that is left to build, so use them all.
export CUDAFORGE_THREADS="${CUDAFORGE_THREADS:-$(nproc)}"
started=$SECONDS
cargo build --locked -p moodtracker-inference --features cuda --bins "$@"
echo "cuda-build: built in $((SECONDS - started)) s (compute capability $CUDA_COMPUTE_CAP)"
