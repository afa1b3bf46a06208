"""Carry all-MiniLM-L6-v2's BERT weights into a RobertaForSequenceClassification checkpoint.

The conversion is exact for the encoder:
- RoBERTa computes position ids from `pad_token_id + 1`; with pad id 0 (MiniLM's [PAD]) the
  first real token sits at position 1, so BERT's position row i becomes RoBERTa's row i + 1.
  `max_position_embeddings` = 514 keeps all 512 BERT rows (rows 1..512; row 0 is the padding
  position, row 513 is never reached because the runtime truncates to 514 - 2 = 512 tokens).
- RoBERTa has one token type; it gets BERT's type-0 row, the one every single-text input used.
- LayerNorm eps 1e-12 and GELU as in BERT.
The classification head (dense, tanh, out_proj) is new and initialised from the seed.
`main` checks that the converted encoder's hidden states equal BERT's on sample text.

    python training/convert_minilm.py OUT_DIR [--seed 13]
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import torch
from safetensors.torch import load_file
from transformers import BertConfig, BertModel, RobertaConfig, RobertaForSequenceClassification

from common import minilm_dir, seed_everything, write_runtime_tokenizer
from goemotions import ID2LABEL, LABEL2ID

SAMPLES = [
    "I feel wonderful today, everything went well",
    "I'm exhausted and everything is falling apart",
    "Héllo wörld 🙂 — a longer sentence, so that the batch has padding in it. " * 3,
    "ok",
]


def roberta_config(bert: dict) -> RobertaConfig:
    return RobertaConfig(
        vocab_size=bert["vocab_size"],
        hidden_size=bert["hidden_size"],
        num_hidden_layers=bert["num_hidden_layers"],
        num_attention_heads=bert["num_attention_heads"],
        intermediate_size=bert["intermediate_size"],
        hidden_act=bert["hidden_act"],
        hidden_dropout_prob=bert["hidden_dropout_prob"],
        attention_probs_dropout_prob=bert["attention_probs_dropout_prob"],
        max_position_embeddings=bert["max_position_embeddings"] + 2,
        type_vocab_size=1,
        initializer_range=bert["initializer_range"],
        layer_norm_eps=bert["layer_norm_eps"],
        pad_token_id=0,
        bos_token_id=101,
        eos_token_id=102,
        position_embedding_type="absolute",
        id2label=ID2LABEL,
        label2id=LABEL2ID,
        problem_type="single_label_classification",
    )


def roberta_state(bert: dict[str, torch.Tensor], n_positions: int) -> dict[str, torch.Tensor]:
    """BERT tensors under RoBERTa names, with the position and token-type tables reshaped."""
    out = {}
    for key, value in bert.items():
        if key.startswith("pooler.") or key == "embeddings.position_ids":
            continue  # RoBERTa's classification head replaces the pooler.
        out[f"roberta.{key}"] = value
    pos = bert["embeddings.position_embeddings.weight"]
    table = torch.zeros(n_positions, pos.shape[1], dtype=pos.dtype)
    table[1 : 1 + pos.shape[0]] = pos
    out["roberta.embeddings.position_embeddings.weight"] = table
    out["roberta.embeddings.token_type_embeddings.weight"] = bert[
        "embeddings.token_type_embeddings.weight"
    ][:1].clone()
    return out


def convert(out_dir: Path, seed: int) -> RobertaForSequenceClassification:
    src = minilm_dir()
    seed_everything(seed, threads=2)
    bert_cfg = json.loads((src / "config.json").read_text())
    config = roberta_config(bert_cfg)
    model = RobertaForSequenceClassification(config)  # head initialised from the seed
    state = roberta_state(load_file(src / "model.safetensors"), config.max_position_embeddings)
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert not unexpected, unexpected
    assert all(k.startswith("classifier.") for k in missing), missing
    out_dir.mkdir(parents=True, exist_ok=True)
    write_runtime_tokenizer(src / "tokenizer.json", out_dir / "tokenizer.json")
    verify(model, src, out_dir / "tokenizer.json")
    return model


@torch.no_grad()
def verify(model: RobertaForSequenceClassification, src: Path, tokenizer: Path) -> None:
    """The converted encoder must give BERT's hidden states on a padded batch."""
    from common import encode_all, pad

    bert = BertModel(BertConfig.from_pretrained(src), add_pooling_layer=False)
    state = {k: v for k, v in load_file(src / "model.safetensors").items()}
    bert.load_state_dict({k: v for k, v in state.items() if not k.startswith("pooler.")}, strict=False)
    bert.eval()
    model.eval()
    ids, lengths = pad(encode_all(tokenizer, SAMPLES, 512), 0)
    mask = (torch.arange(ids.shape[1])[None, :] < lengths[:, None]).long()
    want = bert(input_ids=ids, attention_mask=mask).last_hidden_state
    got = model.roberta(input_ids=ids, attention_mask=mask).last_hidden_state
    diff = ((want - got).abs() * mask[..., None]).max().item()
    print(f"converted encoder vs BERT: max abs diff {diff:.2e} over {int(mask.sum())} tokens")
    assert diff < 1e-5, f"conversion is not exact: {diff}"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("out_dir", type=Path)
    p.add_argument("--seed", type=int, default=13)
    args = p.parse_args()
    model = convert(args.out_dir, args.seed)
    model.save_pretrained(args.out_dir)
    print(f"wrote {args.out_dir}")


if __name__ == "__main__":
    main()
