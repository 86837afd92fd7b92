"""A stand-in sentence embedder for tests that need the suggester's plumbing, not its model:
each word hashed into a bucket, counted, L2-normalised (the real model: tests/integration/
test_assist_model.py)."""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence

import numpy as np

from slakeeper.assist.embedding import Vectors, normalise


class WordsEmbedder:
    """Each word hashed (crc32) into one of ``dim`` buckets, counted, L2-normalised."""

    def __init__(self, dim: int = 512) -> None:
        self.dim = dim
        self.calls: list[list[str]] = []

    def encode(self, texts: Sequence[str]) -> Vectors:
        self.calls.append(list(texts))
        rows = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"[a-z0-9]+", text.lower()):
                rows[i, zlib.crc32(word.encode()) % self.dim] += 1.0
        return normalise(rows)
