"""The real `tritonclient` (PyPI `tritonclient[grpc]`) against the inference binary.

Run by `tritonclient_gets_classifys_answers` in `tests/served/oip.rs`, which starts the binary,
asks the native `Classify` for the expected answers, and passes them here as JSON:

    python oip_tritonclient.py HOST:PORT EXPECTED.json

EXPECTED.json: {"texts": [...], "models": {"roberta": {"version": ..., "labels": [...],
"label": [...], "scores": [[...]], "mood_score": [...], "logits": [[...]]}, ...}}.
Exits non-zero, saying what differed, when tritonclient sees anything else.
"""

import json
import queue
import sys

import numpy as np
import tritonclient.grpc as grpcclient
from tritonclient.utils import InferenceServerException

OUTPUTS = ["label", "scores", "mood_score", "logits"]


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def infer_input(texts, shape=None):
    data = np.array([t.encode("utf-8") for t in texts], dtype=np.object_)
    if shape is not None:
        data = data.reshape(shape)
    tensor = grpcclient.InferInput("text", list(data.shape), "BYTES")
    tensor.set_data_from_numpy(data)
    return tensor


def check_outputs(name, result, want, texts):
    n = len(texts)
    labels = [b.decode("utf-8") for b in result.as_numpy("label")]
    check(labels == want["label"], f"{name}: labels {labels} != Classify's {want['label']}")
    for output in ["scores", "mood_score", "logits"]:
        got = result.as_numpy(output)
        expected = np.array(want[output], dtype=np.float32)
        check(got.dtype == np.float32, f"{name}: {output} is {got.dtype}, want float32")
        check(got.shape == expected.shape, f"{name}: {output} shape {got.shape} != {expected.shape}")
        check(np.array_equal(got, expected), f"{name}: {output} {got} != Classify's {expected}")
    check(result.as_numpy("scores").shape == (n, len(want["labels"])), f"{name}: scores shape")


def check_model(client, name, want, texts):
    check(client.is_model_ready(name), f"{name} is not ready")
    check(client.is_model_ready(name, want["version"]), f"{name} version {want['version']} not ready")
    check(not client.is_model_ready(name, "no-such-version"), f"{name}: a wrong version is ready")

    metadata = client.get_model_metadata(name, as_json=True)
    check(metadata["versions"] == [want["version"]], f"{name}: versions {metadata['versions']}")
    check([o["name"] for o in metadata["outputs"]] == OUTPUTS, f"{name}: outputs {metadata['outputs']}")
    check(metadata["inputs"][0] == {"name": "text", "datatype": "BYTES", "shape": ["-1"]},
          f"{name}: input {metadata['inputs']}")
    config = client.get_model_config(name, as_json=True)["config"]
    check(json.loads(config["parameters"]["labels"]["string_value"]) == want["labels"],
          f"{name}: labels in the config {config['parameters']}")

    outputs = [grpcclient.InferRequestedOutput(o) for o in OUTPUTS]
    result = client.infer(name, [infer_input(texts)], outputs=outputs, request_id="tc-1")
    check(result.get_response().id == "tc-1", f"{name}: the request id was not echoed")
    check_outputs(f"{name} [N]", result, want, texts)
    # [N, 1] and no requested outputs (all four) answer the same.
    result = client.infer(name, [infer_input(texts, (len(texts), 1))])
    check_outputs(f"{name} [N, 1]", result, want, texts)


def check_errors(client, texts):
    try:
        client.infer("gpt", [infer_input(texts)])
    except InferenceServerException as e:
        check(e.status() == "StatusCode.NOT_FOUND", f"unknown model: {e.status()} {e.message()}")
    else:
        raise AssertionError("an unknown model was answered")
    try:
        client.infer("lstm", [infer_input(["fine", "  "])])
    except InferenceServerException as e:
        check(e.status() == "StatusCode.INVALID_ARGUMENT", f"blank text: {e.status()}")
        check("empty or only whitespace" in e.message(), f"blank text: {e.message()}")
    else:
        raise AssertionError("a blank text was answered")


def check_stream(client, want, texts):
    answers = queue.Queue()
    client.start_stream(callback=lambda result, error: answers.put((result, error)))
    try:
        client.async_stream_infer("lstm", [infer_input(texts)], request_id="s-1")
        client.async_stream_infer("lstm", [infer_input([" "])], request_id="s-2")
        results = [answers.get(timeout=30) for _ in range(2)]
    finally:
        client.stop_stream()
    (first, error), (_, second_error) = results
    check(error is None, f"stream: {error}")
    check_outputs("lstm stream", first, want, texts)
    check(second_error is not None and "whitespace" in second_error.message(),
          f"stream: the blank text was not reported: {second_error}")


def main(url, expected_path):
    with open(expected_path, encoding="utf-8") as f:
        expected = json.load(f)
    texts = expected["texts"]
    client = grpcclient.InferenceServerClient(url=url)
    check(client.is_server_live(), "the server is not live")
    check(client.is_server_ready(), "the server is not ready")
    metadata = client.get_server_metadata(as_json=True)
    check(metadata["name"] == "moodtracker-inference", f"server metadata {metadata}")
    for name, want in expected["models"].items():
        check_model(client, name, want, texts)
    check_errors(client, texts)
    check_stream(client, expected["models"]["lstm"], texts)
    stats = client.get_inference_statistics("lstm", as_json=True)["model_stats"][0]
    check(int(stats["inference_stats"]["success"]["count"]) >= 3, f"statistics {stats}")
    print(f"tritonclient: every check passed against {url}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
