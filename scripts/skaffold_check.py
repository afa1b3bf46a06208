"""Checks skaffold.yaml against the project's own schema and against the rest of the repository.

    skaffold_check.py [--skaffold skaffold.yaml] [--schema FILE] [--rendered FILE]

The schema (scripts/schemas/skaffold-v4beta13-moodtracker.json) covers the fields the file uses;
what a schema cannot express is checked here, for the base configuration and for every profile
with its JSON patches applied (as skaffold applies them):
- each artifact's Dockerfile exists and its `target` is a stage of that Dockerfile;
- each artifact's image is an image repository the chart's values name, and its IMAGE_REPO / TAG
  templates feed exactly the chart keys whose default is that image;
- every `setValues` / `setValueTemplates` key is a key of the chart's values.yaml;
- the `cuda` profile builds the CUDA target with a CUDA_COMPUTE_CAP and turns the GPU on;
- with --rendered (the chart rendered by `helm template <release>`), every forwarded Service and
  port exists.
Prints one line per problem and exits 1 when there is any. Needs PyYAML and jsonschema (the
delivery tools' venv has both; scripts/k8s-tools.sh installs it).
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SCHEMA = ROOT / "scripts" / "schemas" / "skaffold-v4beta13-moodtracker.json"
CUDA_PROFILE = "cuda"
CUDA_TARGET = "cuda-models"
# The chart keys that take the images skaffold builds (the rest, such as the test hook's curl
# image, are pulled as they are).
BUILT_IMAGE_KEYS = ("gateway.image.repository", "inference.image.repository",
                    "inference.gpu.image.repository")
# Those the base configuration must feed (the GPU one only matters in the cuda profile).
ALWAYS_FED = BUILT_IMAGE_KEYS[:2]
TEMPLATE = re.compile(r"\{\{\s*\.IMAGE_(REPO|TAG|DIGEST)_([A-Za-z0-9_]+)\s*\}\}")


class Problems(list):
    def add(self, where: str, what: str) -> None:
        self.append(f"{where}: {what}")


# --- JSON patch (RFC 6902), the operations skaffold profiles use -------------------------------

def _pointer(path: str) -> list[str]:
    return [p.replace("~1", "/").replace("~0", "~") for p in path.split("/")[1:]]


def _parent(doc, parts: list[str]):
    node = doc
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def apply_patch(doc: dict, patches: list[dict]) -> dict:
    """`doc` with `patches` applied; KeyError/IndexError/ValueError when a path does not exist."""
    doc = copy.deepcopy(doc)
    for patch in patches:
        parts = _pointer(patch["path"])
        parent, last = _parent(doc, parts), parts[-1]
        op = patch["op"]
        if isinstance(parent, list):
            index = len(parent) if last == "-" else int(last)
            if op == "add":
                parent.insert(index, patch["value"])
            elif op == "replace":
                parent[index] = patch["value"]
            elif op == "remove":
                del parent[index]
            else:
                raise ValueError(f"unsupported op {op}")
        else:
            if op in ("replace", "remove") and last not in parent:
                raise KeyError(last)
            if op in ("add", "replace"):
                parent[last] = patch["value"]
            elif op == "remove":
                del parent[last]
            else:
                raise ValueError(f"unsupported op {op}")
    return doc


# --- facts from the repository -------------------------------------------------------------------

def dockerfile_stages(path: Path) -> set[str]:
    stages = set()
    for line in path.read_text().splitlines():
        m = re.match(r"^\s*FROM\s+\S+\s+AS\s+(\S+)", line, re.IGNORECASE)
        if m:
            stages.add(m.group(1).lower())
    return stages


def values_has(values: dict, dotted: str) -> bool:
    node = values
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def image_keys(values: dict) -> dict[str, str]:
    """The chart's defaults for the image repositories skaffold's builds feed."""
    found = {}
    for key in BUILT_IMAGE_KEYS:
        node = values
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, str):
            found[key] = node
    return found


def rendered_services(path: Path) -> dict[tuple[str, str], set[int]]:
    services = {}
    for doc in yaml.safe_load_all(path.read_text()):
        if isinstance(doc, dict) and doc.get("kind") == "Service":
            meta = doc["metadata"]
            ports = {p["port"] for p in doc["spec"].get("ports", [])}
            services[(meta.get("namespace", ""), meta["name"])] = ports
    return services


# --- the checks ----------------------------------------------------------------------------------

def check_artifacts(where: str, config: dict, images: dict[str, str], problems: Problems) -> None:
    for art in config["build"]["artifacts"]:
        name, docker = art["image"], art["docker"]
        context = ROOT / art.get("context", ".")
        dockerfile = context / docker["dockerfile"]
        if not dockerfile.is_file():
            problems.add(where, f"{name}: Dockerfile {docker['dockerfile']} not found")
        elif "target" in docker and docker["target"].lower() not in dockerfile_stages(dockerfile):
            problems.add(where, f"{name}: target {docker['target']} is not a stage of "
                                f"{docker['dockerfile']}")
        if name not in images.values():
            problems.add(where, f"image {name} is none of the chart's image repositories "
                                f"({', '.join(sorted(set(images.values())))})")


def check_release(where: str, config: dict, chart_values: dict, images: dict[str, str],
                  problems: Problems) -> None:
    artifacts = {a["image"].replace("-", "_").replace("/", "_").replace(".", "_"): a["image"]
                 for a in config["build"]["artifacts"]}
    for release in config["deploy"]["helm"]["releases"]:
        chart = ROOT / release["chartPath"]
        if not (chart / "Chart.yaml").is_file():
            problems.add(where, f"release {release['name']}: no chart at {release['chartPath']}")
        for section in ("setValues", "setValueTemplates"):
            for key in release.get(section, {}):
                if not values_has(chart_values, key):
                    problems.add(where, f"{section}.{key} is not a key of the chart's values")
        for key, template in release.get("setValueTemplates", {}).items():
            for kind, art in TEMPLATE.findall(str(template)):
                if art not in artifacts:
                    problems.add(where, f"setValueTemplates.{key} uses IMAGE_{kind}_{art}, "
                                        "which no artifact builds")
                elif kind == "REPO" and key in images and images[key] != artifacts[art]:
                    problems.add(where, f"setValueTemplates.{key} gets {artifacts[art]}, but the "
                                        f"chart's default there is {images[key]}")
        # Every built image must reach the chart: the repository key whose default it is.
        fed = {key for key, t in release.get("setValueTemplates", {}).items()
               if TEMPLATE.search(str(t))}
        for key in ALWAYS_FED:
            if key not in fed:
                problems.add(where, f"no built image reaches {key}")


def check_cuda(config: dict, problems: Problems) -> None:
    where = f"profile {CUDA_PROFILE}"
    inference = [a for a in config["build"]["artifacts"] if a["image"].endswith("inference")]
    if not inference:
        problems.add(where, "no inference artifact")
        return
    docker = inference[0]["docker"]
    if docker.get("target") != CUDA_TARGET:
        problems.add(where, f"inference target is {docker.get('target')}, not {CUDA_TARGET}")
    cap = (docker.get("buildArgs") or {}).get("CUDA_COMPUTE_CAP")
    if not (isinstance(cap, str) and re.fullmatch(r"[1-9][0-9]{1,2}", cap)):
        problems.add(where, f"CUDA_COMPUTE_CAP build arg is {cap!r}, not a compute capability "
                            "such as \"89\"")
    release = config["deploy"]["helm"]["releases"][0]
    if release.get("setValues", {}).get("inference.gpu.enabled") is not True:
        problems.add(where, "does not set inference.gpu.enabled: true")
    templates = release.get("setValueTemplates", {})
    for key in ("inference.gpu.image.repository", "inference.gpu.image.tag"):
        if not TEMPLATE.search(str(templates.get(key, ""))):
            problems.add(where, f"does not feed the built CUDA image to {key}")


def check_port_forwards(where: str, config: dict, services: dict, problems: Problems) -> None:
    release_ns = config["deploy"]["helm"]["releases"][0].get("namespace", "")
    names = {name: ports for (_, name), ports in services.items()}
    for fwd in config.get("portForward", []):
        if fwd["resourceType"] != "service":
            continue
        name, port = fwd["resourceName"], fwd["port"]
        if name not in names:
            problems.add(where, f"portForward: the chart renders no Service {name}")
        elif port not in names[name]:
            problems.add(where, f"portForward: Service {name} has no port {port}")
        if fwd.get("namespace", release_ns) != release_ns:
            problems.add(where, f"portForward: {name} looked for in {fwd.get('namespace')}, "
                                f"deployed to {release_ns}")


def check(skaffold: Path, schema_path: Path, rendered: Path | None) -> Problems:
    problems = Problems()
    config = yaml.safe_load(skaffold.read_text())
    validator = jsonschema.Draft202012Validator(json.loads(schema_path.read_text()))
    chart_values = yaml.safe_load((ROOT / "charts" / "moodtracker" / "values.yaml").read_text())
    images = image_keys(chart_values)
    services = rendered_services(rendered) if rendered else None

    configs = {"base": config}
    for profile in config.get("profiles", []) if isinstance(config, dict) else []:
        try:
            configs[f"profile {profile['name']}"] = apply_patch(
                {k: v for k, v in config.items() if k != "profiles"}, profile.get("patches", []))
        except (KeyError, IndexError, ValueError, TypeError) as err:
            problems.add(f"profile {profile.get('name')}", f"a patch does not apply ({err!r})")
    for where, cfg in configs.items():
        errors = sorted(validator.iter_errors(cfg), key=lambda e: list(e.absolute_path))
        for err in errors:
            path = "/".join(str(p) for p in err.absolute_path) or "(top)"
            problems.add(where, f"schema: {path}: {err.message}")
        if errors:
            continue
        check_artifacts(where, cfg, images, problems)
        check_release(where, cfg, chart_values, images, problems)
        if services is not None:
            check_port_forwards(where, cfg, services, problems)
    if f"profile {CUDA_PROFILE}" in configs:
        if not problems:
            check_cuda(configs[f"profile {CUDA_PROFILE}"], problems)
    else:
        problems.add("profiles", f"no `{CUDA_PROFILE}` profile (the GPU loop the README documents)")
    return problems


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--skaffold", type=Path, default=ROOT / "skaffold.yaml")
    p.add_argument("--schema", type=Path, default=DEFAULT_SCHEMA)
    p.add_argument("--rendered", type=Path, help="helm template output of the release")
    args = p.parse_args()
    problems = check(args.skaffold, args.schema, args.rendered)
    for line in problems:
        print(f"skaffold.yaml: {line}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
