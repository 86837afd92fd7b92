"""Suggest articles and a category for a ticket: nearest articles by cosine similarity.

Each article is embedded as several chunks (:func:`chunks`): its title with its first paragraph,
and each section under its heading, all prefixed by the title. An article's score for a ticket is
its best chunk's cosine similarity (max pooling), so a ticket that describes one symptom from one
section still finds the article. The category is a vote of the best articles, each weighted by
how close its score is to the best one (:func:`vote`). Everything here is numpy over the vectors
an :class:`~slakeeper.assist.embedding.Embedder` gives; the evaluation over a labelled set
(:func:`evaluate`) is here too.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import orjson

from slakeeper.assist.embedding import Embedder, Vectors
from slakeeper.assist.kb import Article, KnowledgeBase
from slakeeper.domain.errors import InvalidInput, Issue

Chunking = Literal["title", "lead", "sections"]
CHUNKINGS: tuple[Chunking, ...] = ("title", "lead", "sections")
LEAD_PARAGRAPHS = 1
VOTERS = 5  # articles that vote for the category
TEMPERATURE = 0.05  # a voter's weight is exp((score - best) / TEMPERATURE)
MAX_K = 10


@dataclass(frozen=True, slots=True)
class Suggestion:
    article: Article
    score: float  # cosine similarity, in [-1, 1]


@dataclass(frozen=True, slots=True)
class CategoryGuess:
    name: str
    confidence: float  # the share of the voters' weight behind it, in (0, 1]


@dataclass(frozen=True, slots=True)
class Suggestions:
    articles: tuple[Suggestion, ...]  # best first
    category: CategoryGuess


def ticket_text(subject: str, body: str) -> str:
    """The text a ticket is matched by: its subject, then its body."""
    return "\n".join(part.strip() for part in (subject, body) if part.strip())


def chunks(article: Article, chunking: Chunking = "sections") -> tuple[str, ...]:
    """The texts an article is embedded as; the first is its title and opening paragraph(s)."""
    lead = " ".join(article.paragraphs[:LEAD_PARAGRAPHS])
    if chunking == "title":
        return (article.title,)
    first = f"{article.title}. {lead}".strip()
    if chunking == "lead":
        return (first,)
    found = [first]
    for section in article.sections:
        text = " ".join(section.text.split())
        if not text:
            continue
        heading = f" — {section.heading}" if section.heading else ""
        found.append(f"{article.title}{heading}. {text}")
    return tuple(dict.fromkeys(found))  # the same text twice adds nothing


def vote(ranked: Sequence[Suggestion], voters: int = VOTERS) -> CategoryGuess:
    """The category of the best ``voters`` articles, weighted by exp((score - best) / T); ties
    go to the category of the better-ranked article. ``ranked`` is best first, not empty."""
    if not ranked:
        raise ValueError("no articles to vote")
    top = ranked[: max(1, voters)]
    best = top[0].score
    weights: dict[str, float] = {}
    for suggestion in top:
        weight = math.exp((suggestion.score - best) / TEMPERATURE)
        weights[suggestion.article.category] = weights.get(suggestion.article.category, 0.0) + (
            weight
        )
    total = sum(weights.values())
    name = max(weights, key=lambda c: weights[c])  # dicts keep rank order: ties to the first
    return CategoryGuess(name, min(1.0, weights[name] / total))


class ArticleIndex:
    """The articles' chunk vectors; questions are answered by matrix products."""

    def __init__(
        self,
        articles: Sequence[Article],
        vectors: Vectors,
        owners: Sequence[int],
        embedder: Embedder,
    ) -> None:
        """``vectors[i]`` is a unit vector of a chunk of ``articles[owners[i]]``; ``owners`` is
        non-decreasing and names every article."""
        owner = np.asarray(owners, dtype=np.int64)
        if not articles:
            raise ValueError("an index needs at least one article")
        if vectors.ndim != 2 or len(vectors) != len(owner):
            raise ValueError("one vector per chunk owner is needed")
        if np.any(np.diff(owner) < 0) or not np.array_equal(
            np.unique(owner), np.arange(len(articles))
        ):
            raise ValueError("owners must be non-decreasing and name every article")
        self.articles = tuple(articles)
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self._starts = np.searchsorted(owner, np.arange(len(articles)))
        self._embedder = embedder

    @classmethod
    def build(
        cls, kb: KnowledgeBase, embedder: Embedder, chunking: Chunking = "sections"
    ) -> ArticleIndex:
        texts: list[str] = []
        owners: list[int] = []
        for number, article in enumerate(kb.articles):
            for text in chunks(article, chunking):
                texts.append(text)
                owners.append(number)
        return cls(kb.articles, embedder.encode(texts), owners, embedder)

    def scores(self, queries: Vectors) -> npt.NDArray[np.float64]:
        """Cosine similarity of each query (row) to each article (column): its best chunk's."""
        similarity = queries.astype(np.float64) @ self.vectors.T.astype(np.float64)
        pooled = np.maximum.reduceat(similarity, self._starts, axis=1)
        return np.clip(pooled, -1.0, 1.0)

    def rank(self, scores: npt.NDArray[np.float64], k: int) -> tuple[Suggestion, ...]:
        """The ``k`` best articles for one row of scores; equal scores in article order."""
        order = np.argsort(-scores, kind="stable")[: max(k, 0)]
        return tuple(Suggestion(self.articles[i], float(scores[i])) for i in order)

    def suggest_many(self, texts: Sequence[str], k: int = 3) -> list[Suggestions]:
        if not 1 <= k <= MAX_K:
            raise InvalidInput([Issue("k", f"{k} must be between 1 and {MAX_K}")])
        if not texts:
            return []
        found: list[Suggestions] = []
        for row in self.scores(self._embedder.encode(list(texts))):
            ranked = self.rank(row, max(k, VOTERS))
            found.append(Suggestions(ranked[:k], vote(ranked)))
        return found

    def suggest(self, text: str, k: int = 3) -> Suggestions:
        if not text.strip():
            raise InvalidInput([Issue("text", "is empty: give the ticket's subject or body")])
        return self.suggest_many([text], k)[0]


# -- evaluation over a labelled set --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Labelled:
    """A ticket's text with the article that answers it and its category."""

    text: str
    article: str
    category: str
    line: int = 0


@dataclass(frozen=True, slots=True)
class Miss:
    item: Labelled
    ranked: tuple[str, ...]  # the article ids suggested, best first
    category: str  # the category guessed


@dataclass(frozen=True, slots=True)
class Evaluation:
    total: int
    k: int
    top1: int  # the right article first
    topk: int  # the right article among the first k
    category: int  # the right category guessed
    misses: tuple[Miss, ...]  # not among the first k, or the category wrong

    def rate(self, hits: int) -> float:
        return hits / self.total if self.total else 0.0


def parse_labelled(lines: Iterable[str | bytes], source: str = "") -> list[Labelled]:
    """JSON Lines of ``{"text", "article", "category"}``; blank lines are skipped."""
    items: list[Labelled] = []
    issues: list[Issue] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"line {number}"
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            issues.append(Issue(where, f"not valid JSON: {exc.msg}"))
            continue
        if not isinstance(obj, dict):
            issues.append(Issue(where, "must be an object with text, article and category"))
            continue
        values = {key: obj.get(key) for key in ("text", "article", "category")}
        bad = [
            key for key, value in values.items() if not isinstance(value, str) or not value.strip()
        ]
        if bad:
            issues.append(Issue(where, ", ".join(bad) + " must be non-empty strings"))
            continue
        items.append(
            Labelled(str(values["text"]), str(values["article"]), str(values["category"]), number)
        )
    if issues:
        raise InvalidInput(issues[:100], source=source or None)
    if not items:
        raise InvalidInput("no labelled tickets", source=source or None)
    return items


def check_labels(items: Sequence[Labelled], kb: KnowledgeBase, source: str = "") -> None:
    """Every label names an article of ``kb`` and that article's category."""
    issues: list[Issue] = []
    for item in items:
        article = kb.get(item.article)
        if article is None:
            issues.append(
                Issue(f"line {item.line}", f"no article {item.article!r} in the knowledge base")
            )
        elif article.category != item.category:
            issues.append(
                Issue(
                    f"line {item.line}",
                    f"category {item.category!r}, but article {item.article!r} is in {article.category!r}",
                )
            )
    if issues:
        raise InvalidInput(issues[:100], source=source or None)


def score(items: Sequence[Labelled], found: Sequence[Suggestions], k: int) -> Evaluation:
    """Hit counts of ``found[i]`` (at least ``k`` articles each) against ``items[i]``."""
    top1 = topk = category = 0
    misses: list[Miss] = []
    for item, suggestions in zip(items, found, strict=True):
        ranked = tuple(s.article.id for s in suggestions.articles[:k])
        top1 += bool(ranked) and ranked[0] == item.article
        hit = item.article in ranked
        topk += hit
        right = suggestions.category.name == item.category
        category += right
        if not hit or not right:
            misses.append(Miss(item, ranked, suggestions.category.name))
    return Evaluation(len(items), k, top1, topk, category, tuple(misses))


def evaluate(
    index: ArticleIndex, items: Sequence[Labelled], k: int = 3, batch: int = 64
) -> Evaluation:
    found: list[Suggestions] = []
    for start in range(0, len(items), batch):
        found.extend(index.suggest_many([i.text for i in items[start : start + batch]], k))
    return score(items, found, k)
