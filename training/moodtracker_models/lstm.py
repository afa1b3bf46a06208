"""The LSTM text classifier: the reference the Rust service (inference/src/model/lstm.rs) matches
and the way users train their own.

A model directory for the service holds `config.json` (see `LstmClassifier.config`),
`model.safetensors` (this module's `state_dict()`, saved with `safetensors.torch.save_file`) and
`tokenizer.json` (a Hugging Face tokenizer whose post-processor adds the special tokens).

    model = LstmClassifier(vocab_size=30522, embed_dim=128, hidden_size=256, num_layers=1,
                           bidirectional=True, num_labels=3, pad_token_id=0)
    logits = model(ids, lengths)   # ids: (batch, seq) long, right-padded; lengths: (batch,)
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence


class LstmClassifier(nn.Module):
    """Embedding, a (bi)LSTM over the true length of each text, and a linear layer on the last
    layer's final hidden state (forward and backward directions concatenated)."""

    def __init__(self, vocab_size: int, embed_dim: int, hidden_size: int, num_layers: int,
                 bidirectional: bool, num_labels: int, pad_token_id: int):
        super().__init__()
        self.directions = 2 if bidirectional else 1
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_token_id)
        self.lstm = nn.LSTM(embed_dim, hidden_size, num_layers, batch_first=True,
                            bidirectional=bidirectional)
        self.classifier = nn.Linear(hidden_size * self.directions, num_labels)

    @classmethod
    def from_config(cls, config: dict) -> "LstmClassifier":
        """Builds the module a `config.json` describes."""
        return cls(vocab_size=config["vocab_size"], embed_dim=config["embed_dim"],
                   hidden_size=config["hidden_size"], num_layers=config["num_layers"],
                   bidirectional=config["bidirectional"], num_labels=config["num_labels"],
                   pad_token_id=config["pad_token_id"])

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Logits `(batch, num_labels)` for right-padded `ids` whose real lengths are `lengths`.

        Packing makes padding invisible: each direction stops (forward) or starts (backward) at
        the text's own last token, so a text's logits do not depend on its batch.
        """
        packed = pack_padded_sequence(self.embedding(ids), lengths.cpu(), batch_first=True,
                                      enforce_sorted=False)
        _, (h_n, _) = self.lstm(packed)
        # h_n is (num_layers * directions, batch, hidden), layer-major: the last layer's
        # directions are the last `directions` rows.
        last = h_n[-self.directions:]
        return self.classifier(torch.cat(list(last), dim=-1))


def config(model: LstmClassifier, *, max_length: int, id2label: dict[int, str],
           problem_type: str = "single_label_classification") -> dict:
    """The `config.json` the Rust service reads for `model`."""
    return {
        "model_type": "lstm_classifier",
        "vocab_size": model.embedding.num_embeddings,
        "embed_dim": model.embedding.embedding_dim,
        "hidden_size": model.lstm.hidden_size,
        "num_layers": model.lstm.num_layers,
        "bidirectional": model.lstm.bidirectional,
        "num_labels": model.classifier.out_features,
        "pad_token_id": model.embedding.padding_idx,
        "max_length": max_length,
        "problem_type": problem_type,
        "id2label": {str(i): name for i, name in id2label.items()},
        "label2id": {name: i for i, name in id2label.items()},
    }
