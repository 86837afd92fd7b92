"""The first-response assistant: knowledge-base articles and a category suggested for a ticket
by an offline sentence-embedding model, and an acknowledgement that lists them (docs/assist.md).

Only numpy and the standard library are imported here; the model (torch, sentence-transformers:
``pip install 'slakeeper[ai]'``) is imported when :func:`load_minilm` is called.
"""

from __future__ import annotations

from slakeeper.assist.embedding import Embedder, MissingExtra, load_minilm, normalise
from slakeeper.assist.kb import Article, KnowledgeBase, KnowledgeBaseError, load_kb, parse_article
from slakeeper.assist.suggest import (
    ArticleIndex,
    CategoryGuess,
    Suggestion,
    Suggestions,
    ticket_text,
)

__all__ = [
    "Article",
    "ArticleIndex",
    "CategoryGuess",
    "Embedder",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "MissingExtra",
    "Suggestion",
    "Suggestions",
    "load_kb",
    "load_minilm",
    "normalise",
    "parse_article",
    "ticket_text",
]
