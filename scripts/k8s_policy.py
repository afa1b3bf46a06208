"""Checks rendered Kubernetes manifests for what the delivery promises beyond schema validity.

Usage: k8s_policy.py [--helm] MANIFESTS.yaml   (run with the tools venv's python: PyYAML, jsonschema)

For every workload: no service-account token, the restricted Pod Security Standard (non-root,
seccomp RuntimeDefault, no privilege escalation, read-only root filesystem, all capabilities
dropped), resource requests and a memory limit, liveness and readiness probes on long-running
containers, no ':latest' image. For every resource: the recommended app.kubernetes.io labels.
With --helm, pod templates carry the checksum annotation that rolls them on a config change.
ServiceMonitors are checked against scripts/schemas/servicemonitor-v1.json (kubernetes-validate
has no schema for CRDs). Prints one line per problem and exits 1 if there is any.
"""
import json
import pathlib
import sys

import jsonschema
import yaml

LABELS = ["app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/part-of",
          "app.kubernetes.io/managed-by"]
SCHEMAS = pathlib.Path(__file__).with_name("schemas")


def pod_spec(doc):
    """The pod spec and pod metadata of a workload, or (None, None)."""
    if doc["kind"] == "Pod":
        return doc["spec"], doc["metadata"]
    if doc["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
        t = doc["spec"]["template"]
        return t["spec"], t.get("metadata", {})
    return None, None


def check_container(where, c, long_running):
    sc = c.get("securityContext", {})
    if sc.get("allowPrivilegeEscalation") is not False:
        yield f"{where}: allowPrivilegeEscalation is not false"
    if sc.get("readOnlyRootFilesystem") is not True:
        yield f"{where}: readOnlyRootFilesystem is not true"
    if "ALL" not in sc.get("capabilities", {}).get("drop", []):
        yield f"{where}: capabilities do not drop ALL"
    res = c.get("resources", {})
    if not res.get("requests") or "memory" not in res.get("limits", {}):
        yield f"{where}: needs resource requests and a memory limit"
    if c["image"].endswith(":latest") or ":" not in c["image"].rsplit("/", 1)[-1]:
        yield f"{where}: image {c['image']} has no pinned tag"
    if long_running:
        for probe in ("livenessProbe", "readinessProbe"):
            if probe not in c:
                yield f"{where}: no {probe}"


def check_workload(name, doc, helm):
    spec, meta = pod_spec(doc)
    if spec is None:
        return
    if spec.get("automountServiceAccountToken") is not False:
        yield f"{name}: automountServiceAccountToken is not false"
    psc = spec.get("securityContext", {})
    if psc.get("runAsNonRoot") is not True or psc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        yield f"{name}: pod securityContext needs runAsNonRoot and seccomp RuntimeDefault"
    long_running = doc["kind"] != "Pod"
    for c in spec.get("containers", []):
        yield from check_container(f"{name}/{c['name']}", c, long_running)
    for c in spec.get("initContainers", []):
        yield from check_container(f"{name}/init:{c['name']}", c, False)
    if helm and doc["kind"] == "Deployment" and "checksum/config" not in meta.get("annotations", {}):
        yield f"{name}: pod template has no checksum/config annotation"


def problems(docs, helm):
    monitor_schema = json.loads((SCHEMAS / "servicemonitor-v1.json").read_text())
    for doc in docs:
        name = f"{doc['kind']}/{doc['metadata']['name']}"
        labels = doc["metadata"].get("labels", {})
        wanted = LABELS + (["app.kubernetes.io/version", "helm.sh/chart"] if helm else [])
        if doc["kind"] != "Namespace":
            for label in wanted:
                if label not in labels:
                    yield f"{name}: no label {label}"
        if doc["kind"] == "ServiceMonitor":
            for err in jsonschema.Draft7Validator(monitor_schema).iter_errors(doc):
                yield f"{name}: {err.json_path}: {err.message}"
        yield from check_workload(name, doc, helm)


def main(argv):
    helm = "--helm" in argv
    path = [a for a in argv if not a.startswith("--")][0]
    docs = [d for d in yaml.safe_load_all(pathlib.Path(path).read_text()) if d]
    found = list(problems(docs, helm))
    for p in found:
        print(f"POLICY {path}: {p}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
