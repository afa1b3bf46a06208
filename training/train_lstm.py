"""Train the LSTM sentiment classifier on GoEmotions `group/train`, MiniLM's vocabulary.

    python training/train_lstm.py OUT_DIR [--seed 13] [--epochs 2]

The model is the project's reference PyTorch module (training/moodtracker_models/lstm.py, the
state dict the Rust service loads). Its embeddings start from MiniLM's word embeddings,
projected from 384 to 128 dimensions by PCA: pretrained lexical knowledge at a third of the size,
so both default models fit the 60 MB budget together.

Two epochs: in a three-epoch run dev macro-F1 went 0.711, 0.712, 0.703 (the embeddings start to
memorise the training comments), so the schedule stops after the second.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from torch.nn import functional as F

from common import (class_weights, encode_all, length_batches, minilm_dir, pad, seed_everything,
                    write_runtime_tokenizer)
from goemotions import DATA_HELP, ID2LABEL, LABEL2ID, LABELS, read_split
from metrics import summary

CONFIG = {
    "model_type": "lstm_classifier",
    "vocab_size": 30522,
    "embed_dim": 128,
    "hidden_size": 128,
    "num_layers": 1,
    "bidirectional": True,
    "num_labels": 3,
    "pad_token_id": 0,
    # Trained on at most 64 tokens (GoEmotions comments are short); longer journal entries are
    # cut at 128, where an LSTM's final state has long forgotten the start anyway.
    "max_length": 128,
    "problem_type": "single_label_classification",
    "id2label": {str(k): v for k, v in ID2LABEL.items()},
    "label2id": LABEL2ID,
}
TRAIN_LENGTH = 64
UNK_ID = 100  # MiniLM's [UNK]
WORD_DROPOUT = 0.1
# The recurrence runs step by step on small matrices, which a second thread barely speeds up;
# one thread leaves the other core free and is part of what the seed reproduces.
THREADS = 1


def module(config: dict) -> torch.nn.Module:
    from moodtracker_models.lstm import LstmClassifier

    return LstmClassifier.from_config(config)


def pca_embeddings(dim: int) -> torch.Tensor:
    """MiniLM's word-embedding table projected onto its top `dim` principal components."""
    table = load_file(minilm_dir() / "model.safetensors")["embeddings.word_embeddings.weight"]
    x = table.double().numpy()
    centred = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    projected = centred @ vt[:dim].T
    # Unit average norm per row: the scale nn.LSTM's default init expects of its input.
    projected /= np.linalg.norm(projected, axis=1).mean()
    return torch.from_numpy(projected).float()


def word_dropout(x: torch.Tensor, lengths: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Replace a tenth of the inner tokens with [UNK]: regularises without touching the module."""
    inner = torch.arange(x.shape[1])[None, :]
    inner = (inner > 0) & (inner < (lengths[:, None] - 1))
    drop = (torch.rand(x.shape, generator=gen) < WORD_DROPOUT) & inner
    return x.masked_fill(drop, UNK_ID)


@torch.no_grad()
def predict(model, ids: list[list[int]], batch_size: int = 256) -> list[int]:
    model.eval()
    out = []
    for start in range(0, len(ids), batch_size):
        x, lengths = pad(ids[start : start + batch_size], CONFIG["pad_token_id"])
        out += model(x, lengths).argmax(-1).tolist()
    return out


def train(out_dir: Path, data: Path, seed: int, epochs: int = 2, lr: float = 2e-3,
          batch_size: int = 64, embed_lr_scale: float = 0.1, hidden_size: int | None = None) -> dict:
    if hidden_size:
        CONFIG["hidden_size"] = hidden_size
    gen = seed_everything(seed, THREADS)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_runtime_tokenizer(minilm_dir() / "tokenizer.json", out_dir / "tokenizer.json")
    train_split = read_split(data / "train.tsv", data / "labels.txt")
    dev_split = read_split(data / "dev.tsv", data / "labels.txt")
    train_ids = encode_all(out_dir / "tokenizer.json", train_split.texts, TRAIN_LENGTH)
    dev_ids = encode_all(out_dir / "tokenizer.json", dev_split.texts, CONFIG["max_length"])
    model = module(CONFIG)
    with torch.no_grad():
        model.embedding.weight.copy_(pca_embeddings(CONFIG["embed_dim"]))
        model.embedding.weight[CONFIG["pad_token_id"]].zero_()
    weights = class_weights(train_split.labels, len(LABELS))
    embedding = [model.embedding.weight]
    rest = [p for n, p in model.named_parameters() if n != "embedding.weight"]
    if embed_lr_scale == 0:
        model.embedding.weight.requires_grad_(False)
    groups = [{"params": rest, "lr": lr}]
    if embed_lr_scale > 0:
        groups.append({"params": embedding, "lr": lr * embed_lr_scale})
    opt = torch.optim.AdamW(groups, weight_decay=0.01)
    total = epochs * -(-len(train_ids) // batch_size)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: max(0.0, 1 - s / total))
    started, history = time.time(), []
    for epoch in range(epochs):
        model.train()
        for batch in length_batches([len(x) for x in train_ids], batch_size, gen):
            x, lengths = pad([train_ids[i] for i in batch], CONFIG["pad_token_id"])
            y = torch.tensor([train_split.labels[i] for i in batch])
            loss = F.cross_entropy(model(word_dropout(x, lengths, gen), lengths), y, weight=weights)
            loss.backward()
            torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
        figures = summary(dev_split.labels, predict(model, dev_ids), len(LABELS))
        history.append({"epoch": epoch, "dev_macro_f1": round(figures["macro_f1"], 4)})
        print(f"lstm epoch {epoch}: dev macro-F1 {figures['macro_f1']:.4f} "
              f"({time.time() - started:.0f} s)", flush=True)
    seconds = time.time() - started
    save(model, out_dir)
    model.float()
    figures = summary(dev_split.labels, predict(model, dev_ids), len(LABELS))
    return {"train_seconds": round(seconds, 1), "train_rows": len(train_ids),
            "train_dropped": train_split.dropped, "dev_torch_from_f16": figures,
            "history": history, "epochs": epochs, "embed_lr_scale": embed_lr_scale, "threads": THREADS, "lr": lr, "batch_size": batch_size,
            "train_max_length": TRAIN_LENGTH, "config": CONFIG}


def save(model: torch.nn.Module, out_dir: Path) -> None:
    model.half()
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    save_file(state, out_dir / "model.safetensors", metadata={"format": "pt"})
    config = dict(CONFIG, torch_dtype="float16")
    (out_dir / "config.json").write_text(json.dumps(config, indent=2) + "\n")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("out_dir", type=Path)
    p.add_argument("--data", type=Path, required=True, help=DATA_HELP)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--embed-lr-scale", type=float, default=0.1)
    p.add_argument("--hidden-size", type=int)
    args = p.parse_args()
    print(json.dumps(train(args.out_dir, args.data, args.seed, args.epochs,
                           embed_lr_scale=args.embed_lr_scale, hidden_size=args.hidden_size),
                     indent=2))


if __name__ == "__main__":
    main()
