"""End to end, as a caller sees it: the served binary over gRPC against the same models in process.

    python -m venv /tmp/bench && /tmp/bench/bin/pip install -r inference/benches/requirements.txt
    cargo build --release -p moodtracker-inference
    /tmp/bench/bin/python inference/benches/e2e.py --threads 2 --rounds 3

Both sides run the bundled models (`models/roberta-sentiment`, `models/lstm-sentiment`) on the same
texts, tokenization included on every side:
- the service: the release binary started here with `INFERENCE_THREADS=N`, called through its
  gRPC `Classify` (one model per call) from one Python client, one call waiting for the last;
- RoBERTa in ONNX Runtime (the model exported from the same weights, every graph optimisation,
  N intra-op threads) and the LSTM in PyTorch (the project's reference module,
  `training/moodtracker_models/lstm.py`, N threads), each tokenizing with the model's own
  `tokenizer.json`.

Scenarios: one text per call, and 32 texts per call (a batch padded to its longest text in
process; the service packs texts without padding). Each round runs every scenario on every
side for `--seconds`, sides alternating, so a slow spell of the host hits both; the figures are
the medians over rounds of texts per second, with their ratio (service / in process).

`--before` adds a second server with the old default, a 5 ms batch wait
(`INFERENCE_MAX_BATCH_WAIT_MS=5`), timed in the same rounds: the figures before and after. Each
round also times `ListModels`, a call that runs no model, as the floor of what one RPC from this
client costs.

Texts: `inference/benches/texts.txt` (48 journal-style lines written for this benchmark), or
`--texts FILE` with one text per line (for example the `text` column of GoEmotions' dev split,
which the repository does not hold).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
BATCH = 32


def cpu_flags() -> str:
    """The instruction sets that decide which kernels run."""
    try:
        flags = next(line for line in open("/proc/cpuinfo") if line.startswith("flags")).split()
    except (OSError, StopIteration):
        return platform.processor() or "unknown"
    isa = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2"
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                  if line.startswith("model name")), "unknown CPU")
    return f"{model}, {isa}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stubs(out: Path):
    """The generated Python client for `moodtracker.inference.v1`, compiled from the repo's proto."""
    from grpc_tools import protoc

    proto = ROOT / "proto"
    args = ["protoc", f"-I{proto}", f"--python_out={out}", f"--grpc_python_out={out}",
            str(proto / "moodtracker/inference/v1/inference.proto")]
    if protoc.main(args) != 0:
        sys.exit("protoc failed on proto/moodtracker/inference/v1/inference.proto")
    sys.path.insert(0, str(out))
    from moodtracker.inference.v1 import inference_pb2, inference_pb2_grpc  # noqa: E402

    return inference_pb2, inference_pb2_grpc


class Service:
    """The release binary on a free port, and a client for it."""

    def __init__(self, binary: Path, threads: int, pb2, pb2_grpc, extra_env: dict | None = None):
        import grpc

        self.port = free_port()
        env = dict(os.environ, INFERENCE_GRPC_ADDR=f"127.0.0.1:{self.port}",
                   INFERENCE_METRICS_ADDR=f"127.0.0.1:{free_port()}",
                   INFERENCE_THREADS=str(threads), LOG_LEVEL="warn", **(extra_env or {}))
        self.process = subprocess.Popen([str(binary)], cwd=ROOT, env=env)
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
        self.stub = pb2_grpc.InferenceStub(self.channel)
        self.pb2 = pb2
        deadline = time.monotonic() + 120
        while True:
            try:
                self.stub.ListModels(pb2.ListModelsRequest(), timeout=2)
                break
            except grpc.RpcError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    sys.exit(f"{binary} did not start serving")
                time.sleep(0.2)

    def classify(self, kind: str):
        model = {"roberta": self.pb2.MODEL_KIND_ROBERTA, "lstm": self.pb2.MODEL_KIND_LSTM}[kind]

        def run(texts: list[str]) -> None:
            self.stub.Classify(self.pb2.ClassifyRequest(texts=texts, models=[model]), timeout=60)

        return run

    def list_models(self, _texts: list[str]) -> None:
        """A call that runs no model: the floor every Classify call stands on."""
        self.stub.ListModels(self.pb2.ListModelsRequest(), timeout=60)

    def close(self) -> None:
        self.channel.close()
        self.process.terminate()
        self.process.wait(timeout=30)


def tokenizer(model_dir: Path, max_length: int):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tok.enable_truncation(max_length)
    return tok


def padded(tok, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Token ids right-padded with 0 to the longest text, and the attention mask."""
    encodings = tok.encode_batch(texts)
    longest = max(len(e.ids) for e in encodings)
    ids = np.zeros((len(texts), longest), dtype=np.int64)
    mask = np.zeros_like(ids)
    for row, e in enumerate(encodings):
        ids[row, : len(e.ids)] = e.ids
        mask[row, : len(e.ids)] = 1
    return ids, mask


def onnx_roberta(threads: int, workdir: Path):
    """RoBERTa from `models/roberta-sentiment`, exported to ONNX, in ONNX Runtime."""
    import torch
    from transformers import AutoModelForSequenceClassification

    from reference import onnx_session

    model_dir = ROOT / "models/roberta-sentiment"
    model = AutoModelForSequenceClassification.from_pretrained(
        model_dir, dtype=torch.float32, attn_implementation="eager").eval()
    tok = tokenizer(model_dir, 512)
    ids, mask = (torch.from_numpy(a) for a in padded(tok, ["warming up the export"]))
    session = onnx_session(model, (ids, mask), threads, workdir)

    def run(texts: list[str]) -> None:
        ids, mask = padded(tok, texts)
        logits = session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        softmax(logits)

    return run


def torch_lstm():
    """The LSTM from `models/lstm-sentiment` in the project's reference PyTorch module."""
    import torch
    from safetensors.torch import load_file

    sys.path.insert(0, str(ROOT / "training"))
    from moodtracker_models.lstm import LstmClassifier  # noqa: E402

    model_dir = ROOT / "models/lstm-sentiment"
    config = json.loads((model_dir / "config.json").read_text())
    model = LstmClassifier.from_config(config).eval()
    weights = {k: v.float() for k, v in load_file(str(model_dir / "model.safetensors")).items()}
    model.load_state_dict(weights)
    tok = tokenizer(model_dir, config["max_length"])

    def run(texts: list[str]) -> None:
        ids, mask = padded(tok, texts)
        with torch.inference_mode():
            logits = model(torch.from_numpy(ids), torch.from_numpy(mask.sum(axis=1)))
        softmax(logits.numpy())

    return run


def softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def rate(run, texts: list[str], per_call: int, seconds: float) -> float:
    """Texts per second of `run` over `seconds`, calls cycling through `texts`, after a warm-up."""
    calls = [texts[i: i + per_call] for i in range(0, len(texts) - per_call + 1, per_call)]
    calls = calls or [texts[:per_call]]
    run(calls[0])
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds or done < 5 * per_call:
        run(calls[(done // per_call) % len(calls)])
        done += per_call
    return done / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--binary", type=Path,
                        default=Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
                        / "release/moodtracker-inference")
    parser.add_argument("--texts", type=Path, default=ROOT / "inference/benches/texts.txt")
    parser.add_argument("--before", action="store_true",
                        help="also time a second server with the old default batch wait "
                             "(INFERENCE_MAX_BATCH_WAIT_MS=5), in the same rounds")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    texts = [t.strip() for t in args.texts.read_text().splitlines() if t.strip()]
    # Enough texts for whole batches, in a fixed order both sides share.
    texts = (texts * (1 + 2 * BATCH // len(texts)))[: max(len(texts), 2 * BATCH)]
    with tempfile.TemporaryDirectory() as tmp:
        pb2, pb2_grpc = stubs(Path(tmp))
        print(f"{cpu_flags()}; {args.threads} threads; torch {torch.__version__}; "
              f"{len(set(texts))} distinct texts from {args.texts.name}")
        sides = {"roberta": ("ONNX Runtime", onnx_roberta(args.threads, Path(tmp))),
                 "lstm": ("PyTorch", torch_lstm())}
        service = Service(args.binary, args.threads, pb2, pb2_grpc)
        old = (Service(args.binary, args.threads, pb2, pb2_grpc,
                       {"INFERENCE_MAX_BATCH_WAIT_MS": "5"}) if args.before else None)
        scenarios = [(kind, per_call) for per_call in (1, BATCH) for kind in ("roberta", "lstm")]
        results: dict[tuple[str, int], tuple[list[float], list[float], list[float]]] = {
            s: ([], [], []) for s in scenarios}
        floor: list[float] = []
        try:
            for round_ in range(args.rounds):
                floor.append(rate(service.list_models, texts, 1, args.seconds))
                for kind, per_call in scenarios:
                    ours, theirs, before = results[(kind, per_call)]
                    ours.append(rate(service.classify(kind), texts, per_call, args.seconds))
                    theirs.append(rate(sides[kind][1], texts, per_call, args.seconds))
                    if old:
                        before.append(rate(old.classify(kind), texts, per_call, args.seconds))
                print(f"round {round_ + 1} of {args.rounds} done", file=sys.stderr)
        finally:
            service.close()
            if old:
                old.close()

    header = "| model | texts per call | service over gRPC (texts/s) | in process (texts/s) | ratio |"
    rule = "|---|---|---|---|---|"
    if args.before:
        header += " before: 5 ms batch wait (texts/s) | ratio |"
        rule += "---|---|"
    print(f"\n{header}\n{rule}")
    for (kind, per_call), (ours, theirs, before) in results.items():
        o, t = statistics.median(ours), statistics.median(theirs)
        row = f"| {kind} | {per_call} | {o:,.1f} | {t:,.1f} ({sides[kind][0]}) | {o / t:.2f}x |"
        if before:
            b = statistics.median(before)
            row += f" {b:,.1f} | {b / t:.2f}x |"
        print(row)
    f = statistics.median(floor)
    print(f"\nListModels (no model runs: the RPC's own cost from this client): {f:,.0f} calls/s, "
          f"{1e3 / f:.3f} ms a call")


if __name__ == "__main__":
    main()
