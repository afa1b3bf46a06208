"""Fine-tune the converted MiniLM RoBERTa for 3-class sentiment on GoEmotions `group/train`.

    python training/train_roberta.py INIT_DIR OUT_DIR [--steps 640] [--seed 13]

On this machine's 2 shared CPU cores a step of 32 comments takes about 4 s, so the default run
sees 600 x 32 = 19,200 comments (under half an epoch of the 42,588 kept rows).

INIT_DIR comes from convert_minilm.py. OUT_DIR receives config.json, tokenizer.json and
model.safetensors in float16 (the Rust loader widens to f32 on CPU).
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import torch
from torch.nn import functional as F
from transformers import RobertaForSequenceClassification

from common import class_weights, encode_all, length_batches, pad, seed_everything
from goemotions import DATA_HELP, LABELS, read_split
from metrics import summary

MAX_LENGTH = 64  # GoEmotions comments are short; 64 tokens (specials included) covers ~all.
# The embeddings and the lowest encoder layers stay as MiniLM trained them. On 2 shared cores the
# backward pass through them is a third of a step's time; general lexical and syntactic features
# are what those layers hold, and 20k comments would mostly drift rows of rare words.
FROZEN_LAYERS = 2
THREADS = 2  # the machine's 2 cores


def freeze_bottom(model: RobertaForSequenceClassification, layers: int) -> None:
    model.roberta.embeddings.requires_grad_(False)
    for layer in model.roberta.encoder.layer[:layers]:
        layer.requires_grad_(False)


def batches_of(ids, labels, order):
    for batch in order:
        x, lengths = pad([ids[i] for i in batch], 0)
        mask = (torch.arange(x.shape[1])[None, :] < lengths[:, None]).long()
        yield x, mask, torch.tensor([labels[i] for i in batch])


@torch.no_grad()
def predict(model, ids: list[list[int]], batch_size: int = 128) -> list[int]:
    model.eval()
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    out = [0] * len(ids)
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        x, lengths = pad([ids[i] for i in batch], 0)
        mask = (torch.arange(x.shape[1])[None, :] < lengths[:, None]).long()
        for i, p in zip(batch, model(input_ids=x, attention_mask=mask).logits.argmax(-1).tolist()):
            out[i] = p
    return out


def train(init_dir: Path, out_dir: Path, data: Path, seed: int, steps: int, lr: float,
          batch_size: int) -> dict:
    gen = seed_everything(seed, THREADS)
    tokenizer = init_dir / "tokenizer.json"
    train_split = read_split(data / "train.tsv", data / "labels.txt")
    dev_split = read_split(data / "dev.tsv", data / "labels.txt")
    train_ids = encode_all(tokenizer, train_split.texts, MAX_LENGTH)
    dev_ids = encode_all(tokenizer, dev_split.texts, MAX_LENGTH)
    model = RobertaForSequenceClassification.from_pretrained(init_dir, dtype=torch.float32)
    freeze_bottom(model, FROZEN_LAYERS)
    weights = class_weights(train_split.labels, len(LABELS))
    no_decay = ("bias", "LayerNorm.weight")
    trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    groups = [
        {"params": [p for n, p in trainable if not n.endswith(no_decay)], "weight_decay": 0.01},
        {"params": [p for n, p in trainable if n.endswith(no_decay)], "weight_decay": 0.0},
    ]
    opt = torch.optim.AdamW(groups, lr=lr)
    total, warmup = steps, max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / (total - warmup))))
    started, step, epoch = time.time(), 0, 0
    model.train()
    while step < total:
        order = length_batches([len(x) for x in train_ids], batch_size, gen)[: total - step]
        for x, mask, y in batches_of(train_ids, train_split.labels, order):
            loss = F.cross_entropy(model(input_ids=x, attention_mask=mask).logits, y, weight=weights)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            step += 1
            if step % 50 == 0:
                rate = step / (time.time() - started)
                print(f"roberta epoch {epoch} step {step}/{total} loss {loss.item():.4f} "
                      f"{rate:.2f} steps/s, eta {(total - step) / rate / 60:.1f} min", flush=True)
        epoch += 1
    seconds = time.time() - started
    save(model, init_dir, out_dir)
    # Score the float16-rounded weights, the ones users load.
    figures = summary(dev_split.labels, predict(model.float(), dev_ids), len(LABELS))
    return {"train_seconds": round(seconds, 1), "train_rows": len(train_ids),
            "train_dropped": train_split.dropped, "dev_torch_from_f16": figures,
            "steps": steps, "frozen_layers": FROZEN_LAYERS, "threads": THREADS, "lr": lr, "batch_size": batch_size, "max_length": MAX_LENGTH}


def save(model, init_dir: Path, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    model.half().save_pretrained(out_dir, safe_serialization=True)
    shutil.copy(init_dir / "tokenizer.json", out_dir / "tokenizer.json")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("init_dir", type=Path)
    p.add_argument("out_dir", type=Path)
    p.add_argument("--data", type=Path, required=True, help=DATA_HELP)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--steps", type=int, default=600)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--batch-size", type=int, default=32)
    args = p.parse_args()
    report = train(args.init_dir, args.out_dir, args.data, args.seed, args.steps, args.lr,
                   args.batch_size)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
