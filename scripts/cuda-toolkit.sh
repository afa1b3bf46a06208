# shellcheck shell=bash
# A CUDA 13.0 toolkit for COMPILING the inference service's `cuda` feature on a machine without a
# GPU or NVIDIA's apt repository: nvcc, the headers and the libraries candle links come from
# NVIDIA's PyPI wheels, installed into a cache outside the repository. The CUDA 13 wheels unpack
# into one CUDA root (nvidia/cu13: bin/, include/, lib/, nvvm/), laid out the way nvcc's own
# profile, candle-kernels' build (cudaforge) and cudarc's build script look for it.
#
# Sourced by .ci/run and scripts/gpu-check.sh. After `cuda_toolkit_install` succeeds, PATH,
# CUDA_ROOT/CUDA_HOME, LIBRARY_PATH and CUDA_COMPUTE_CAP are exported, so
#   cargo build -p moodtracker-inference --features cuda
# compiles candle's kernels with that nvcc, for that one architecture, without asking a GPU.
#
# Why 13.0 and not 12.x: NVIDIA's CUDA 12 wheels (nvidia-cuda-nvcc-cu12) carry ptxas but not nvcc.
# The versions are those of CUDA 13.0 Update 2, the toolkit Dockerfile.inference's `cuda` target
# builds on (nvidia/cuda:13.0.2-devel); cudarc 0.19 (candle 0.11) reads "13.0" from
# `nvcc --version`. CUDA 13 needs an NVIDIA driver >= 580 and a GPU of compute capability >= 7.5.
# MOODTRACKER_TOOLS overrides the cache (default /var/cache/moodtracker-tools); CUDA_COMPUTE_CAP
# set by the caller wins over the default, 90 (H100/H200).

CUDA_TOOLKIT_VERSION="13.0"
CUDA_TOOLKIT_DIR="${MOODTRACKER_TOOLS:-/var/cache/moodtracker-tools}/cuda-$CUDA_TOOLKIT_VERSION"
CUDA_PIP_PKGS=(
  "nvidia-cuda-nvcc==13.0.88"
  "nvidia-cuda-crt==13.0.88"
  "nvidia-nvvm==13.0.88"
  "nvidia-cuda-cccl==13.0.85"
  "nvidia-cuda-runtime==13.0.96"
  "nvidia-cuda-nvrtc==13.0.88"
  "nvidia-cublas==13.1.0.3"
  "nvidia-curand==10.4.0.35"
)

cuda_toolkit_log() { echo "cuda-toolkit: $*" >&2; }

# The wheels, unpacked together: every CUDA 13 wheel installs under nvidia/cu13/.
cuda_toolkit_wheels() {
  local wheels="$CUDA_TOOLKIT_DIR/wheels" stamp
  stamp="$(printf '%s\n' "${CUDA_PIP_PKGS[@]}")"
  [ -f "$wheels/.installed" ] && [ "$(cat "$wheels/.installed")" = "$stamp" ] && return 0
  command -v python3 >/dev/null || { cuda_toolkit_log "python3 not found"; return 1; }
  cuda_toolkit_log "installing ${CUDA_PIP_PKGS[*]} into $wheels (about 1 GB, once)"
  rm -rf "$wheels" && mkdir -p "$wheels" &&
    python3 -m pip install --quiet --disable-pip-version-check --no-deps --no-compile \
      --target "$wheels" "${CUDA_PIP_PKGS[@]}" &&
    printf '%s' "$stamp" > "$wheels/.installed"
}

# libcuda.so belongs to the driver, which no wheel carries; NVIDIA's toolkit ships a link-time
# stub of it (lib64/stubs) and so does this: every driver entry point cuda.h declares, as an empty
# function, with the driver's soname. The binary links against it and loads the real driver at
# run time; the stub is never on a run-time library path.
cuda_toolkit_driver_stub() {
  local root="$1" link="$2"
  # The preprocessed header has the versioned names (cuMemAlloc_v2) the bindings call.
  gcc -E -P -I "$root/include" -x c "$root/include/cuda.h" 2>/dev/null |
    grep -oE '\bcu[A-Z][A-Za-z0-9_]*[[:space:]]*\(' | tr -d ' (' | sort -u |
    sed 's/.*/void &(void) {}/' > "$link/cuda_stub.c" &&
    [ -s "$link/cuda_stub.c" ] &&
    gcc -shared -fPIC -Wl,-soname,libcuda.so.1 -o "$link/libcuda.so" "$link/cuda_stub.c"
}

# The link directory: the unversioned names the linker asks for (-lcublas finds libcublas.so,
# the wheels carry libcublas.so.13) and the driver stub, beside the wheels rather than inside them.
cuda_toolkit_link_dir() {
  local root="$CUDA_TOOLKIT_DIR/wheels/nvidia/cu13" link="$CUDA_TOOLKIT_DIR/link" stamp lib
  stamp="$(cat "$CUDA_TOOLKIT_DIR/wheels/.installed")"
  [ -f "$link/.made" ] && [ "$(cat "$link/.made")" = "$stamp" ] && return 0
  rm -rf "$link.new" && mkdir -p "$link.new" || return 1
  for lib in "$root"/lib/lib*.so.*; do
    ln -sf "$lib" "$link.new/$(basename "${lib%%.so.*}").so"
  done
  cuda_toolkit_driver_stub "$root" "$link.new" ||
    { cuda_toolkit_log "building the libcuda stub failed"; return 1; }
  printf '%s' "$stamp" > "$link.new/.made"
  rm -rf "$link" && mv "$link.new" "$link"
}

cuda_toolkit_install() {
  mkdir -p "$CUDA_TOOLKIT_DIR" 2>/dev/null ||
    { cuda_toolkit_log "cannot create $CUDA_TOOLKIT_DIR (set MOODTRACKER_TOOLS)"; return 1; }
  # One installer at a time: two CI runs on one machine share the cache.
  exec 8>>"$CUDA_TOOLKIT_DIR/.lock" && flock -w 1800 8
  local ok=0
  { cuda_toolkit_wheels && cuda_toolkit_link_dir; } || ok=1
  exec 8>&-
  [ "$ok" = 0 ] || { cuda_toolkit_log "installation failed"; return 1; }
  local root="$CUDA_TOOLKIT_DIR/wheels/nvidia/cu13"
  export CUDA_ROOT="$root" CUDA_HOME="$root"
  export PATH="$root/bin:$PATH"
  export LIBRARY_PATH="$CUDA_TOOLKIT_DIR/link${LIBRARY_PATH:+:$LIBRARY_PATH}"
  # No GPU is asked: the kernels are compiled for this architecture only.
  export CUDA_COMPUTE_CAP="${CUDA_COMPUTE_CAP:-90}"
  cuda_toolkit_log "$(nvcc --version | grep -o 'release [0-9.]*'), compute capability $CUDA_COMPUTE_CAP"
}
