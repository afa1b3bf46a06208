"""The Rust benchmark and the PyTorch / ONNX Runtime reference, alternated for several rounds on
one machine, summarised as medians over rounds and ratios against the references.

    python inference/benches/compare.py --rounds 3 --threads 2

Each round runs `cargo bench -p moodtracker-inference --bench throughput`, then `reference.py`,
back to back; alternating spreads the machine's slow spells over both sides instead of letting
one land on a single run. Needs the same Python packages as reference.py.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
# Section titles, as the two scripts print them, and the short names used in the summary.
NAMES = {
    "fused CPU kernels": "fused",
    "gemm-only fused kernels": "gemm-only",
    "AVX2-capped fused kernels": "fused-AVX2",
    "candle op by op": "candle",
    "bundled LSTM": "LSTM",
    "PyTorch": "PyTorch",
    "ONNX Runtime": "ORT",
}


def parse(text: str) -> dict[str, dict[str, tuple[float, float]]]:
    """{section: {shape: (median ms, tokens/s)}} from either script's tables."""
    tables: dict[str, dict[str, tuple[float, float]]] = {}
    section = None
    for line in text.splitlines():
        fields = line.split()
        if not line.startswith(" "):
            section = next((short for title, short in NAMES.items() if line.startswith(title)), None)
        elif section and len(fields) == 4 and fields[0] != "shape":
            tables.setdefault(section, {})[fields[0]] = (float(fields[1]), float(fields[3]))
    return tables


def run(cmd: list[str]) -> str:
    print("+", " ".join(cmd), file=sys.stderr, flush=True)
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{cmd[0]} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    samples: dict[str, dict[str, list[tuple[float, float]]]] = defaultdict(lambda: defaultdict(list))
    for _ in range(args.rounds):
        for out in (run(["cargo", "bench", "-q", "-p", "moodtracker-inference", "--bench", "throughput"]),
                    run([sys.executable, str(HERE / "reference.py"), "--threads", str(args.threads)])):
            for section, rows in parse(out).items():
                for shape, values in rows.items():
                    samples[section][shape].append(values)

    def median(section: str, shape: str, i: int) -> float:
        return statistics.median(v[i] for v in samples[section][shape])

    sections = [s for s in NAMES.values() if s in samples]
    shapes = list(samples["fused"])
    print(f"medians over {args.rounds} rounds, {args.threads} threads")
    for title, i in (("median latency, ms", 0), ("throughput, tokens/s", 1)):
        print(f"\n{title}")
        print(f"{'shape':>9}" + "".join(f"{s:>10}" for s in sections))
        for shape in shapes:
            print(f"{shape:>9}" + "".join(f"{median(s, shape, i):>10.{2 if i == 0 else 0}f}"
                                          for s in sections))
    references = [s for s in ("PyTorch", "ORT", "candle", "gemm-only") if s in samples]
    for ours in (s for s in ("fused", "fused-AVX2") if s in samples):
        print(f"\n{ours} against the references (throughput ratio; above 1 is faster)")
        print(f"{'shape':>9}" + "".join(f"{'vs ' + s:>14}" for s in references))
        for shape in shapes:
            ratios = [median(ours, shape, 1) / median(s, shape, 1) for s in references]
            print(f"{shape:>9}" + "".join(f"{r:>14.2f}" for r in ratios))


if __name__ == "__main__":
    main()
