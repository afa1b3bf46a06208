"""PyTorch and ONNX Runtime on the shapes `cargo bench --bench throughput` times, for comparison.

    pip install -r inference/benches/requirements.txt
    python inference/benches/reference.py --threads N
    python inference/benches/compare.py --rounds 3 --threads N   # both sides, alternated

Same model shape (all-MiniLM-L6-v2: BERT, 6 layers, hidden 384, 12 heads, intermediate 1536) with
random weights and a 3-label classification head, f32 on the CPU, N intra-op threads for both
runtimes (use the thread count the Rust benchmark prints). Each shape runs a warm-up pass, then
at least 5 and up to 30 passes within 8 seconds; median and p90 latency and tokens per second
are printed the same way as the Rust benchmark.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from transformers import BertConfig, BertForSequenceClassification

# (texts, shortest, longest), as in throughput.rs; the mixed batch is padded to its longest text.
SHAPES = [(1, 16, 16), (1, 64, 64), (1, 128, 128), (8, 64, 64), (32, 64, 64), (32, 8, 64)]
MIN_RUNS, MAX_RUNS, BUDGET_S = 5, 30, 8.0


def model(attn: str) -> BertForSequenceClassification:
    torch.manual_seed(0)
    config = BertConfig(vocab_size=30522, hidden_size=384, num_hidden_layers=6,
                        num_attention_heads=12, intermediate_size=1536, num_labels=3,
                        attn_implementation=attn)
    return BertForSequenceClassification(config).eval()


def lengths(shape: tuple[int, int, int]) -> list[int]:
    texts, shortest, longest = shape
    return [shortest + (row * 37) % (longest - shortest + 1) for row in range(texts)]


def label(shape: tuple[int, int, int]) -> str:
    texts, shortest, longest = shape
    return f"{texts}x{longest}" if shortest == longest else f"{texts}x{shortest}-{longest}"


def inputs(shape: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Token ids (the Rust benchmark's) right-padded with 0 to the longest, and the mask."""
    rows = lengths(shape)
    ids = np.zeros((len(rows), max(rows)), dtype=np.int64)
    mask = np.zeros_like(ids)
    for row, seq in enumerate(rows):
        ids[row, :seq] = [1000 + (row * 131 + i * 17) % 20000 for i in range(seq)]
        ids[row, 0], ids[row, seq - 1] = 101, 102
        mask[row, :seq] = 1
    return ids, mask


def measure(run) -> tuple[float, float]:
    """Median and p90 seconds of `run()`, after one warm-up call."""
    run()
    times, started = [], time.perf_counter()
    while len(times) < MIN_RUNS or (len(times) < MAX_RUNS
                                     and time.perf_counter() - started < BUDGET_S):
        t = time.perf_counter()
        run()
        times.append(time.perf_counter() - t)
    times.sort()
    return statistics.median(times), times[len(times) * 9 // 10]


def report(name: str, results: dict) -> None:
    print(f"{name}")
    print(f"{'shape':>9} {'median ms':>12} {'p90 ms':>12} {'tokens/s':>14}")
    for shape, (median, p90) in results.items():
        tokens = sum(lengths(shape))
        print(f"{label(shape):>9} {median * 1e3:>12.2f} {p90 * 1e3:>12.2f} {tokens / median:>14.0f}")


def bench_torch() -> dict:
    m = model("sdpa")
    results = {}
    with torch.inference_mode():
        for shape in SHAPES:
            ids, mask = (torch.from_numpy(a) for a in inputs(shape))
            results[shape] = measure(lambda: m(input_ids=ids, attention_mask=mask))
    return results


def onnx_session(m: torch.nn.Module, example: tuple, threads: int, workdir: Path):
    """`m` exported to ONNX (dynamic batch and sequence axes) in an ONNX Runtime session with
    every graph optimisation and `threads` intra-op threads; e2e.py uses it too."""
    import onnxruntime as ort

    path = workdir / "model.onnx"
    axes = {0: "batch", 1: "seq"}
    torch.onnx.export(m, example, str(path), input_names=["input_ids", "attention_mask"],
                      output_names=["logits"], opset_version=17, dynamo=False,
                      dynamic_axes={"input_ids": axes, "attention_mask": axes})
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def bench_onnx(threads: int) -> dict:

    ids, mask = (torch.from_numpy(a) for a in inputs((1, 16, 16)))
    with tempfile.TemporaryDirectory() as tmp:
        session = onnx_session(model("eager"), (ids, mask), threads, Path(tmp))
    results = {}
    for shape in SHAPES:
        ids, mask = inputs(shape)
        feed = {"input_ids": ids, "attention_mask": mask}
        results[shape] = measure(lambda: session.run(None, feed))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"f32 CPU, {args.threads} threads, torch {torch.__version__}")
    report("PyTorch (sdpa attention)", bench_torch())
    report("ONNX Runtime (exported graph, all optimisations)", bench_onnx(args.threads))


if __name__ == "__main__":
    main()
