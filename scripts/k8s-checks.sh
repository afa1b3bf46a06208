#!/usr/bin/env bash
# The delivery checks, run by scripts/test.sh (and so by CI):
#   - helm lint (--strict) and helm template of charts/moodtracker for the defaults and each
#     documented combination in charts/moodtracker/ci/*.yaml;
#   - render-time refusals: unknown keys, unsafe or broken combinations must fail to render;
#   - kubectl kustomize of every overlay in k8s/overlays;
#   - every rendered manifest through kubernetes-validate --strict for Kubernetes 1.29 and the
#     newest version it knows, and through scripts/k8s_policy.py (hardening, labels, probes);
#   - the inference thread count the chart derives from the CPU request;
#   - hadolint on both Dockerfiles, and every workspace member copied into each build stage;
#   - skaffold.yaml against the project's own schema for the v4beta13 fields it uses
#     (scripts/schemas/skaffold-v4beta13-moodtracker.json) and scripts/skaffold_check.py (images
#     against the chart, Dockerfile targets, values keys, the cuda profile, forwarded Services),
#     with broken variants that must be refused; against skaffold's own published schema only
#     when SKAFFOLD_SCHEMA names a copy of it (an optional extra, skipped loudly otherwise).
#   - k8s/kserve (KServe ServingRuntime and InferenceService): YAML, KServe's fields and the
#     protocol wiring by scripts/kserve_check.py (KServe's CRD schema cannot be had offline), and
#     the runtime's container through kubernetes-validate --strict.
# Tools are installed by scripts/k8s-tools.sh into a cache outside the repository. A check whose
# tool cannot be had is SKIPPED with a loud message, or FAILS when CI=true.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROOT="$(pwd)"
# shellcheck source=scripts/k8s-tools.sh
source scripts/k8s-tools.sh

CHART=charts/moodtracker
OLDEST_K8S=1.29.0
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT" "${K8S_HELM_HOME:-}"' EXIT
passed=0 failed=0 skipped=0

pass() { passed=$((passed + 1)); echo "ok    $*"; }
fail() { failed=$((failed + 1)); echo "FAIL  $*"; }
# An optional check whose input comes from outside the repository: skipped loudly, never a
# failure, even with CI=true.
skip_optional() {
  skipped=$((skipped + 1))
  echo "SKIP  $* (optional)" >&2
  echo "!!!!! SKIPPED (optional): $*" >&2
}
skip() {
  if [ "${CI:-}" = "true" ]; then
    fail "$* (tool unavailable, and CI=true)"
  else
    skipped=$((skipped + 1))
    echo "SKIP  $* (tool unavailable)" >&2
    echo "!!!!! SKIPPED: $* -- install the tools (scripts/k8s-tools.sh) to run it" >&2
  fi
}

# The newest Kubernetes version whose strict schemas kubernetes-validate bundles.
newest_k8s() {
  "$K8S_TOOLS_DIR/venv/bin/python" - <<'PY'
import os, re, kubernetes_validate
d = os.path.join(os.path.dirname(kubernetes_validate.__file__), "kubernetes-json-schema")
vs = [tuple(map(int, m.groups())) for n in os.listdir(d)
      if (m := re.fullmatch(r"v(\d+)\.(\d+)\.(\d+)-local-strict", n))]
print(".".join(map(str, max(vs))))
PY
}

# validate NAME FILE [--helm]: schema (oldest and newest) and policy checks of one rendering.
validate() {
  local name="$1" file="$2" flag="${3:-}" version log
  if [ -z "$KUBERNETES_VALIDATE" ]; then skip "$name: kubernetes-validate"; else
    for version in "$OLDEST_K8S" "$NEWEST_K8S"; do
      log="$OUT/kv.log"
      if "$KUBERNETES_VALIDATE" --strict --quiet -k "$version" "$file" >"$log" 2>&1; then
        # Only the Prometheus Operator's CRD may lack a schema; it is checked by the policy step.
        if grep -v "kind ServiceMonitor with api version monitoring.coreos.com/v1" "$log" |
          grep -q "Couldn't find schema"; then
          fail "$name: kubernetes-validate $version: a kind without schema"; cat "$log"
        else
          pass "$name: kubernetes-validate --strict $version"
        fi
      else
        fail "$name: kubernetes-validate --strict $version"; cat "$log"
      fi
    done
  fi
  if [ -z "$TOOLS_PY" ]; then skip "$name: policy (needs the tools venv)"; else
    # shellcheck disable=SC2086
    if "$TOOLS_PY" scripts/k8s_policy.py $flag "$file"; then pass "$name: policy"
    else fail "$name: policy"; fi
  fi
}

check_chart() {
  if [ -z "$HELM" ]; then skip "helm lint/template of $CHART"; return; fi
  local values name args
  for values in "" "$CHART"/ci/*.yaml; do
    name="chart[${values:+$(basename "$values" .yaml)}]"
    [ -z "$values" ] && name="chart[defaults]"
    args=()
    [ -n "$values" ] && args=(-f "$values")
    if helm_ lint --strict "$CHART" "${args[@]}" >"$OUT/lint.log" 2>&1; then pass "$name: helm lint --strict"
    else fail "$name: helm lint --strict"; cat "$OUT/lint.log"; fi
    if helm_ template moodtracker "$CHART" --namespace moodtracker "${args[@]}" \
      >"$OUT/rendered.yaml" 2>"$OUT/template.log"; then
      pass "$name: helm template"
      validate "$name" "$OUT/rendered.yaml" --helm
    else
      fail "$name: helm template"; cat "$OUT/template.log"
    fi
  done
}

# refuse WHY ARGS...: the chart must refuse to render with these values.
refuse() {
  local why="$1"; shift
  if helm_ template moodtracker "$CHART" "$@" >/dev/null 2>"$OUT/refuse.log"; then
    fail "chart refuses $why: it rendered"
  else
    pass "chart refuses $why: $(grep -v '^ *$' "$OUT/refuse.log" | tail -n1 | cut -c1-110)"
  fi
}

check_refusals() {
  [ -z "$HELM" ] && return
  refuse "an unknown key" --set gateway.replicas=2
  refuse "an unknown model source" --set inference.model.source=s3
  refuse "a short JWT key" --set secrets.jwtSecretKey=short
  refuse "production without Redis" --set gateway.appEnv=production \
    --set database.url=postgres://u:p@db:5432/m
  refuse "production without PostgreSQL" --set gateway.appEnv=production \
    --set redis.url=redis://redis:6379
  refuse "two gateways on SQLite" --set gateway.replicaCount=2
  refuse "autoscaled gateways on SQLite" --set gateway.autoscaling.enabled=true
  refuse "a gateway drain longer than the kill grace" --set gateway.shutdownGraceSeconds=30
  refuse "an inference drain longer than the kill grace" --set inference.drainTimeoutSeconds=45
  refuse "source=pvc without a claim" --set inference.model.source=pvc
  refuse "source=huggingface without repositories" --set inference.model.source=huggingface
}

# threads WANT ARGS...: the inference ConfigMap's INFERENCE_THREADS, rendered with ARGS, is WANT.
threads() {
  local want="$1" got; shift
  got="$(helm_ template moodtracker "$CHART" "$@" 2>&1 | sed -n 's/^ *INFERENCE_THREADS: "\(.*\)"$/\1/p')"
  if [ "$got" = "$want" ]; then pass "chart: INFERENCE_THREADS=\"$want\" with ${*:-the defaults}"
  else fail "chart: INFERENCE_THREADS with ${*:-the defaults} is \"$got\", want \"$want\""; fi
}

# With no CPU limit, the inference process would size its pool by the node's CPUs: the chart
# derives the thread count from the CPU request instead.
check_threads() {
  [ -z "$HELM" ] && return
  threads 1
  threads 2 --set inference.resources.requests.cpu=1500m
  threads 1 --set inference.resources.requests.cpu=250m
  threads 3 --set inference.resources.requests.cpu=2.5
  threads 6 --set inference.threads=6
}

# The OAuth client secrets reach the gateway from a Secret, never from the ConfigMap: the chart's
# own Secret when the value is given, else the operator's existing Secret (Google's key optional
# there: the API's ID-token sign-in needs no secret, only the web app's button does).
check_oauth_secrets() {
  [ -z "$HELM" ] && return
  local own="$OUT/oauth-own.yaml" theirs="$OUT/oauth-existing.yaml" encoded
  encoded="$(printf 'web-secret-value' | base64)"
  helm_ template moodtracker "$CHART" --set gateway.oauth.googleClientId=web-client \
    --set gateway.oauth.googleClientSecret=web-secret-value >"$own" 2>&1
  if grep -q "GOOGLE_CLIENT_SECRET: \"$encoded\"" "$own" && ! grep -q 'web-secret-value' "$own" \
    && grep -A4 'name: GOOGLE_CLIENT_SECRET$' "$own" | grep -q 'name: moodtracker$'; then
    pass "chart: the Google client secret goes through the chart's Secret"
  else fail "chart: the Google client secret is not read from the chart's Secret"; fi
  helm_ template moodtracker "$CHART" --set gateway.oauth.googleClientId=web-client \
    --set secrets.existingSecret=mine >"$theirs" 2>&1
  if grep -A6 'name: GOOGLE_CLIENT_SECRET$' "$theirs" | grep -q 'name: mine$' \
    && grep -A7 'name: GOOGLE_CLIENT_SECRET$' "$theirs" | grep -q 'optional: true'; then
    pass "chart: the Google client secret is read, optionally, from secrets.existingSecret"
  else fail "chart: the Google client secret is not read from secrets.existingSecret"; fi
}

check_kustomize() {
  if [ -z "$KUBECTL" ]; then skip "kubectl kustomize of k8s/overlays"; return; fi
  local overlay name
  for overlay in k8s/overlays/*/; do
    name="kustomize[$(basename "$overlay")]"
    if "$KUBECTL" kustomize "$overlay" >"$OUT/k.yaml" 2>"$OUT/k.log"; then
      pass "$name: kubectl kustomize"
      validate "$name" "$OUT/k.yaml"
    else
      fail "$name: kubectl kustomize"; cat "$OUT/k.log"
    fi
  done
}

check_dockerfiles() {
  local f member members stages
  # A build stage copies the workspace member by member (so the planner layer stays cached);
  # a member left out breaks `cargo build` inside the image only, where nothing here runs it.
  members="$(sed -n 's/^members = \[\(.*\)\]/\1/p' Cargo.toml | tr -d '",')"
  for f in Dockerfile.gateway Dockerfile.inference; do
    stages="$(grep -c '^COPY Cargo.toml Cargo.lock' "$f")"
    for member in $members; do
      if [ "$(grep -c "^COPY $member $member\$" "$f")" = "$stages" ]; then
        pass "$f copies workspace member $member into its $stages build stage(s)"
      else
        fail "$f: workspace member $member is not copied into every build stage"
      fi
    done
  done
  if [ -z "$HADOLINT" ]; then skip "hadolint"; return; fi
  for f in Dockerfile.gateway Dockerfile.inference; do
    if "$HADOLINT" "$f"; then pass "hadolint $f"; else fail "hadolint $f"; fi
  done
}

SKAFFOLD_SCHEMA_OWN=scripts/schemas/skaffold-v4beta13-moodtracker.json

# skaffold_refuses WHY SED-EXPRESSION: skaffold.yaml edited by the expression must be refused
# (checked against the rendered chart too, when check_skaffold could render it).
skaffold_refuses() {
  local why="$1" expr="$2" broken="$OUT/skaffold-broken.yaml"
  sed "$expr" skaffold.yaml >"$broken"
  if cmp -s skaffold.yaml "$broken"; then fail "skaffold refusal '$why': the edit changed nothing"
  elif "$TOOLS_PY" scripts/skaffold_check.py --skaffold "$broken" "${rendered[@]}" \
    >"$OUT/sr.log" 2>&1; then
    fail "skaffold check refuses $why: it passed"
  else
    pass "skaffold check refuses $why: $(head -n1 "$OUT/sr.log" | cut -c1-100)"
  fi
}

check_skaffold() {
  if [ -z "$TOOLS_PY" ] || ! "$TOOLS_PY" -c 'import jsonschema' 2>/dev/null; then
    skip "skaffold.yaml checks (needs the tools venv with jsonschema)"; return
  fi
  rendered=()
  if [ -n "$HELM" ] && helm_ template moodtracker "$CHART" --namespace moodtracker-dev \
    >"$OUT/skaffold-chart.yaml" 2>/dev/null; then
    rendered=(--rendered "$OUT/skaffold-chart.yaml")
  else
    skip "skaffold.yaml port forwards against the rendered chart (helm)"
  fi
  if "$TOOLS_PY" scripts/skaffold_check.py "${rendered[@]}" >"$OUT/s.log" 2>&1; then
    pass "skaffold.yaml against $SKAFFOLD_SCHEMA_OWN and the repository (images, targets, values, cuda profile)"
  else
    fail "skaffold.yaml checks"; cat "$OUT/s.log"
  fi
  skaffold_refuses "an unknown field" 's/^  artifacts:/  artifact:/'
  skaffold_refuses "an image the chart does not use" 's/image: moodtracker-gateway$/image: moodtracker-api/'
  skaffold_refuses "a Dockerfile target that does not exist" 's/target: cpu-models/target: cpu-model/'
  skaffold_refuses "a values key the chart does not have" 's/gateway.logLevel:/gateway.loglevel:/'
  skaffold_refuses "a cuda profile without CUDA_COMPUTE_CAP" '/CUDA_COMPUTE_CAP:/d'
  skaffold_refuses "no cuda profile" 's/- name: cuda$/- name: gpu/'
  if [ "${#rendered[@]}" -gt 0 ]; then
    skaffold_refuses "a forwarded port the Service lacks" 's/^    port: 50051$/    port: 50052/'
    skaffold_refuses "a forwarded Service the chart lacks" 's/resourceName: moodtracker-gateway$/resourceName: moodtracker-api/'
  fi
  # skaffold's own published schema is not part of this repository: an optional extra.
  if [ -z "${SKAFFOLD_SCHEMA:-}" ] || [ ! -f "${SKAFFOLD_SCHEMA:-}" ]; then
    skip_optional "skaffold.yaml against skaffold's published v4beta13 schema (set SKAFFOLD_SCHEMA to a copy of it)"
  elif [ -z "$CHECK_JSONSCHEMA" ]; then skip "skaffold.yaml against \$SKAFFOLD_SCHEMA (check-jsonschema)"
  elif "$CHECK_JSONSCHEMA" --schemafile "$SKAFFOLD_SCHEMA" skaffold.yaml >"$OUT/s.log" 2>&1; then
    pass "skaffold.yaml against $SKAFFOLD_SCHEMA"
  else
    fail "skaffold.yaml against $SKAFFOLD_SCHEMA"; cat "$OUT/s.log"
  fi
}

# KServe publishes its CRD schemas in no package registry, so they cannot be had offline: the
# manifests' fields and wiring are checked by scripts/kserve_check.py, and the container they run,
# wrapped in a Pod, against Kubernetes' own schema.
check_kserve() {
  if [ -z "$TOOLS_PY" ]; then skip "k8s/kserve checks (needs the tools venv)"; return; fi
  if [ -n "$KUBECTL" ] && ! "$KUBECTL" kustomize k8s/kserve >/dev/null 2>"$OUT/kserve.log"; then
    fail "kustomize[kserve]: kubectl kustomize"; cat "$OUT/kserve.log"
  fi
  if "$TOOLS_PY" scripts/kserve_check.py k8s/kserve "$OUT/kserve-pods.yaml"; then
    pass "k8s/kserve: ServingRuntime and InferenceService fields and protocol wiring"
  else
    fail "k8s/kserve: ServingRuntime and InferenceService (scripts/kserve_check.py)"; return
  fi
  if [ -z "$KUBERNETES_VALIDATE" ]; then skip "k8s/kserve container: kubernetes-validate"; return; fi
  if "$KUBERNETES_VALIDATE" --strict --quiet -k "$OLDEST_K8S" "$OUT/kserve-pods.yaml" >"$OUT/kv.log" 2>&1; then
    pass "k8s/kserve: runtime container through kubernetes-validate --strict $OLDEST_K8S"
  else
    fail "k8s/kserve: runtime container through kubernetes-validate"; cat "$OUT/kv.log"
  fi
}

k8s_tools_install
NEWEST_K8S="$([ -n "$KUBERNETES_VALIDATE" ] && newest_k8s || echo none)"
echo "== delivery checks (helm ${HELM:+$(helm_ version --short)}, kubernetes $OLDEST_K8S and $NEWEST_K8S)"
check_chart
check_refusals
check_threads
check_oauth_secrets
check_kustomize
check_dockerfiles
check_skaffold
check_kserve
echo "k8s-checks: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
