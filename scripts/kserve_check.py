"""Checks the KServe manifests in k8s/kserve, for scripts/k8s-checks.sh.

KServe's CRD schemas are not published in any package registry, so they cannot be had offline;
this script checks instead, from KServe's API reference (serving.kserve.io v1alpha1
ServingRuntime, v1beta1 InferenceService):
  - every file is valid YAML and every document names its apiVersion, kind and metadata.name;
  - the fields used are fields of those kinds (a closed list per level, so a typo fails);
  - the runtime speaks the Open Inference Protocol (protocolVersions holds v2 and grpc-v2), its
    one port is the h2c gRPC port the server binds, and its probes are the native gRPC health
    checks on that port;
  - the InferenceService names that runtime, one of its model formats and one of its protocols.
Each runtime container is also written, wrapped in a Pod, to OUT, for kubernetes-validate to
check it against the real core/v1 Container schema.

Usage: python kserve_check.py DIR OUT
"""

import glob
import os
import sys

import yaml

RUNTIME = ("serving.kserve.io/v1alpha1", "ServingRuntime")
ISVC = ("serving.kserve.io/v1beta1", "InferenceService")
PROTOCOLS = {"v1", "v2", "grpc-v1", "grpc-v2"}
# Fields of the KServe kinds that these manifests may use.
RUNTIME_SPEC = {"annotations", "supportedModelFormats", "protocolVersions", "containers",
                "multiModel", "disabled", "nodeSelector", "tolerations", "affinity", "volumes",
                "imagePullSecrets", "labels"}
MODEL_FORMAT = {"name", "version", "autoSelect", "priority"}
PREDICTOR = {"model", "minReplicas", "maxReplicas", "scaleTarget", "scaleMetric",
             "serviceAccountName", "nodeSelector", "tolerations", "affinity", "timeout",
             "containerConcurrency", "canaryTrafficPercent", "annotations", "labels"}
MODEL = {"modelFormat", "runtime", "protocolVersion", "storageUri", "env", "resources", "args"}
HEALTH = "moodtracker.inference.v1.Inference"

errors = []


def check(condition, message):
    if not condition:
        errors.append(message)


def closed(mapping, allowed, where):
    for key in mapping or {}:
        check(key in allowed, f"{where}: unknown field {key!r}")


def load(directory):
    docs = []
    for path in sorted(glob.glob(os.path.join(directory, "*.yaml"))):
        if os.path.basename(path) == "kustomization.yaml":
            continue
        with open(path, encoding="utf-8") as f:
            try:
                found = [d for d in yaml.safe_load_all(f) if d is not None]
            except yaml.YAMLError as e:
                check(False, f"{path}: not valid YAML: {e}")
                continue
        for doc in found:
            name = (doc.get("metadata") or {}).get("name")
            check(doc.get("apiVersion") and doc.get("kind") and name,
                  f"{path}: a document without apiVersion, kind or metadata.name")
            docs.append((path, doc))
    return docs


def check_probe(probe, port, service, where):
    grpc = (probe or {}).get("grpc") or {}
    check(grpc.get("port") == port, f"{where}: a gRPC probe on port {port} is required")
    check(grpc.get("service") == service, f"{where}: service must be {service!r}")


def check_runtime(path, runtime):
    spec = runtime.get("spec") or {}
    where = f"{path} ServingRuntime {runtime['metadata']['name']}"
    closed(spec, RUNTIME_SPEC, where)
    protocols = set(spec.get("protocolVersions") or [])
    check(protocols <= PROTOCOLS, f"{where}: unknown protocolVersions {protocols - PROTOCOLS}")
    check({"v2", "grpc-v2"} <= protocols, f"{where}: protocolVersions must hold v2 and grpc-v2")
    formats = spec.get("supportedModelFormats") or []
    check(formats, f"{where}: no supportedModelFormats")
    for f in formats:
        closed(f, MODEL_FORMAT, f"{where} supportedModelFormats")
    containers = spec.get("containers") or []
    check(len(containers) == 1 and containers[0].get("name") == "kserve-container",
          f"{where}: one container named kserve-container is required")
    for container in containers:
        ports = container.get("ports") or []
        check(len(ports) == 1 and ports[0].get("name") == "h2c",
              f"{where}: one port, named h2c (gRPC), is required")
        port = ports[0].get("containerPort") if ports else None
        env = {e["name"]: e.get("value") for e in container.get("env") or []}
        check(env.get("INFERENCE_GRPC_ADDR") == f"0.0.0.0:{port}",
              f"{where}: INFERENCE_GRPC_ADDR must bind the h2c port {port} on every address")
        for probe in ("startupProbe", "readinessProbe"):
            check_probe(container.get(probe), port, HEALTH, f"{where} {probe}")
        check_probe(container.get("livenessProbe"), port, "", f"{where} livenessProbe")
    return {f["name"] for f in formats}, protocols, containers


def check_isvc(path, isvc, runtimes):
    where = f"{path} InferenceService {isvc['metadata']['name']}"
    predictor = (isvc.get("spec") or {}).get("predictor") or {}
    closed(predictor, PREDICTOR, f"{where} predictor")
    model = predictor.get("model") or {}
    closed(model, MODEL, f"{where} predictor.model")
    runtime = runtimes.get(model.get("runtime"))
    check(runtime is not None, f"{where}: runtime {model.get('runtime')!r} is not defined here")
    if runtime is None:
        return
    formats, protocols, _ = runtime
    fmt = (model.get("modelFormat") or {}).get("name")
    check(fmt in formats, f"{where}: modelFormat {fmt!r} is not one of the runtime's {formats}")
    check(model.get("protocolVersion") in protocols,
          f"{where}: protocolVersion {model.get('protocolVersion')!r} not in {protocols}")


def pods(runtimes):
    for name, (_, _, containers) in runtimes.items():
        yield {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"servingruntime-{name}"},
               "spec": {"containers": containers}}


def main(directory, out):
    docs = load(directory)
    kinds = {(d["apiVersion"], d["kind"]) for _, d in docs}
    check(RUNTIME in kinds and ISVC in kinds, f"{directory}: want a ServingRuntime and an "
          f"InferenceService of {RUNTIME[0]} and {ISVC[0]}, found {sorted(kinds)}")
    runtimes = {d["metadata"]["name"]: check_runtime(p, d) for p, d in docs
                if (d["apiVersion"], d["kind"]) == RUNTIME}
    for path, doc in docs:
        if (doc["apiVersion"], doc["kind"]) == ISVC:
            check_isvc(path, doc, runtimes)
    with open(out, "w", encoding="utf-8") as f:
        yaml.safe_dump_all(list(pods(runtimes)), f)
    for e in errors:
        print(f"kserve: {e}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
