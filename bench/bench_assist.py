"""First-response assistant: which knowledge-base article answers a ticket, measured on a
labelled set, for slakeeper's MiniLM suggester and a classic keyword search, in one run.

Data
----
``examples/kb``: 30 articles of the managed-service provider of ``examples/simulation.yaml``,
6 per category (storage, compute, network, billing, access). ``bench/data/assist-labelled.jsonl``:
270 ticket texts written by hand as customers write them (subject, then a few sentences; short,
long, vague, with typos; 32 in German or mixed German-English, marked ``"lang": "de"``), each
labelled with the article that answers it. The texts were written before anything was measured
and were not changed after.

Implementations
---------------
slakeeper (MiniLM)
    ``slakeeper.assist``: all-MiniLM-L6-v2 sentence embeddings (the ``ai`` extra) of each
    article's chunks — the title with the first paragraph, and each section under the title — an
    article scored by its best chunk's cosine similarity; the category by a score-weighted vote of
    the five best articles. torch on one thread, as beside the API.

BM25 (keyword search)
    Okapi BM25 (k1 = 1.2, b = 0.75, the Lucene/Elasticsearch defaults) implemented plainly in this
    file over the same articles, one document per article (title and body), tokens as a search
    engine's standard analyzer makes them (lower-cased runs of letters and digits) with English
    stop words removed and no stemming. The category is the best article's.

Measured: top-1 and top-3 hit rate (the labelled article first / among the first three),
category accuracy, and the time per ticket: one ticket at a time as the API asks (median and 95th
percentile of embedding one text and ranking), and per ticket when the whole set is embedded in
batches of 64.
"""

from __future__ import annotations

import math
import os
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson

from bench.report import Figure, Section, Table, now_text
from slakeeper.assist.embedding import MissingExtra, shared_minilm
from slakeeper.assist.kb import Article, KnowledgeBase, load_kb
from slakeeper.assist.suggest import (
    CHUNKINGS,
    ArticleIndex,
    CategoryGuess,
    Evaluation,
    Labelled,
    Suggestion,
    Suggestions,
    check_labels,
    evaluate,
    parse_labelled,
    score,
)

ROOT = Path(__file__).resolve().parents[1]
KB = ROOT / "examples" / "kb"
LABELLED = ROOT / "bench" / "data" / "assist-labelled.jsonl"
TARGET_TOP3 = 0.80
K = 3
LATENCY_TICKETS = 100  # quick: 30

# Lucene's English stop words (the default set of its EnglishAnalyzer and StopAnalyzer)
STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "if",
        "in",
        "into",
        "is",
        "it",
        "no",
        "not",
        "of",
        "on",
        "or",
        "such",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "will",
        "with",
    ]
)
_TOKEN = re.compile(r"[^\W_]+")


# -- BM25, the keyword-search peer ---------------------------------------------------------------


def tokens(text: str) -> list[str]:
    return [t for t in _TOKEN.findall(text.lower()) if t not in STOP_WORDS]


class Bm25:
    """Okapi BM25 over one document per article."""

    def __init__(self, articles: Sequence[Article], k1: float = 1.2, b: float = 0.75) -> None:
        self.articles = tuple(articles)
        self.k1, self.b = k1, b
        self.docs = [Counter(tokens(f"{a.title}\n{a.body}")) for a in self.articles]
        self.lengths = np.array([sum(d.values()) for d in self.docs], dtype=np.float64)
        self.average = float(self.lengths.mean())
        frequency = Counter(term for doc in self.docs for term in doc)
        n = len(self.docs)
        self.idf = {t: math.log(1 + (n - df + 0.5) / (df + 0.5)) for t, df in frequency.items()}

    def scores(self, text: str) -> np.ndarray:
        out = np.zeros(len(self.docs), dtype=np.float64)
        norm = self.k1 * (1 - self.b + self.b * self.lengths / self.average)
        for term in set(tokens(text)):
            idf = self.idf.get(term)
            if idf is None:
                continue
            tf = np.array([doc.get(term, 0) for doc in self.docs], dtype=np.float64)
            out += idf * tf * (self.k1 + 1) / (tf + norm)
        return out

    def suggest(self, text: str, k: int = K) -> Suggestions:
        row = self.scores(text)
        order = np.argsort(-row, kind="stable")[:k]
        ranked = tuple(Suggestion(self.articles[i], float(row[i])) for i in order)
        return Suggestions(ranked, CategoryGuess(ranked[0].article.category, 1.0))


# -- measuring -----------------------------------------------------------------------------------


@dataclass
class Measured:
    name: str
    result: Evaluation
    subset: Evaluation  # the German and mixed-language tickets
    single_ms: list[float]  # one ticket at a time
    batch_ms: float | None  # per ticket, in batches


def _pct(hits: int, total: int) -> str:
    return f"{100 * hits / total:.1f} % ({hits}/{total})" if total else "—"


def _single(suggest: Callable[[str, int], Suggestions], texts: Sequence[str]) -> list[float]:
    times = []
    for text in texts:
        started = time.perf_counter()
        suggest(text, K)
        times.append((time.perf_counter() - started) * 1000)
    return times


def _p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


def _minilm(
    kb: KnowledgeBase, items: Sequence[Labelled], german: Sequence[Labelled], latency: int
) -> tuple[Measured, ArticleIndex, float, float]:
    started = time.perf_counter()
    model = shared_minilm(1)
    load_s = time.perf_counter() - started
    model.encode(["warm up"])
    started = time.perf_counter()
    index = ArticleIndex.build(kb, model)
    build_s = time.perf_counter() - started
    started = time.perf_counter()
    result = evaluate(index, items, K)
    batch_ms = (time.perf_counter() - started) * 1000 / len(items)
    subset = evaluate(index, german, K) if german else result
    single = _single(index.suggest, [i.text for i in items[:latency]])
    measured = Measured("slakeeper (MiniLM)", result, subset, single, batch_ms)
    return measured, index, load_s, build_s


def _bm25(kb: KnowledgeBase, items: Sequence[Labelled], german: Sequence[Labelled]) -> Measured:
    bm25 = Bm25(kb.articles)
    result = score(items, [bm25.suggest(i.text) for i in items], K)
    subset = score(german, [bm25.suggest(i.text) for i in german], K)
    single = _single(bm25.suggest, [i.text for i in items])
    return Measured("BM25 keyword search (in this file)", result, subset, single, None)


def run(quick: bool = False) -> Section:
    t0 = time.perf_counter()
    section = Section(
        key="assist",
        title="First-response assistant: article suggestions on a labelled set",
        mode="quick" if quick else "full",
        run_at=now_text(),
    )
    kb = load_kb(KB)
    lines = LABELLED.read_bytes().splitlines()
    items = parse_labelled(lines, str(LABELLED))
    check_labels(items, kb, str(LABELLED))
    if quick:
        items = items[::3]
    german_lines = {
        n
        for n, line in enumerate(lines, 1)
        if line.strip() and orjson.loads(line).get("lang") == "de"
    }
    german = [i for i in items if i.line in german_lines]
    try:
        minilm, used, load_s, build_s = _minilm(kb, items, german, 30 if quick else LATENCY_TICKETS)
    except MissingExtra as exc:
        section.notes.append(f"MiniLM not measured: {exc}.")
        section.figures = [Figure(f"top-{K} hit rate (MiniLM)", f"≥ {TARGET_TOP3:.0%}", "—", None)]
        return section
    bm25 = _bm25(kb, items, german)

    table = Table(
        title=f"{len(items)} labelled tickets, {len(kb.articles)} articles (k = {K})",
        columns=[
            "implementation",
            "top-1 hit rate",
            f"top-{K} hit rate",
            "category accuracy",
            f"top-{K}, German/mixed tickets",
            "ms/ticket, one at a time (median / p95)",
            "ms/ticket, batches of 64",
        ],
    )
    for m in (minilm, bm25):
        r = m.result
        table.rows.append(
            [
                m.name,
                _pct(r.top1, r.total),
                _pct(r.topk, r.total),
                _pct(r.category, r.total),
                _pct(m.subset.topk, m.subset.total),
                f"{statistics.median(m.single_ms):.2f} / {_p95(m.single_ms):.2f}",
                "—" if m.batch_ms is None else f"{m.batch_ms:.2f}",
            ]
        )
    table.notes += [
        "BM25 is implemented plainly in bench/bench_assist.py (Okapi BM25, k1 1.2, b 0.75, "
        "one document per article, lower-cased words, Lucene's English stop words removed, no stemming); "
        "its category is its best article's.",
        f"MiniLM: model load {load_s:.1f} s (once per process), index of the "
        f"{len(kb.articles)} articles {build_s:.1f} s (once per knowledge base); torch on 1 thread.",
    ]
    section.tables.append(table)

    if not quick:
        ablation = Table(
            title="MiniLM: how articles are cut into chunks (same tickets)",
            columns=["chunks", "vectors", "top-1 hit rate", f"top-{K} hit rate", "category"],
        )
        model = shared_minilm(1)
        for chunking in CHUNKINGS:
            if chunking == "sections":
                index, result = used, minilm.result
            else:
                index = ArticleIndex.build(kb, model, chunking)
                result = evaluate(index, items, K)
            ablation.rows.append(
                [
                    {
                        "title": "title only",
                        "lead": "title + first paragraph",
                        "sections": "title + first paragraph, and each section (used)",
                    }[chunking],
                    str(len(index.vectors)),
                    _pct(result.top1, result.total),
                    _pct(result.topk, result.total),
                    _pct(result.category, result.total),
                ]
            )
        ablation.notes.append("An article's score is its best chunk's cosine similarity.")
        section.tables.append(ablation)

    rate = minilm.result.rate(minilm.result.topk)
    section.figures = [
        Figure(
            f"top-{K} hit rate (MiniLM, labelled set)",
            f"≥ {TARGET_TOP3:.0%}",
            f"{rate:.1%} (BM25: {bm25.result.rate(bm25.result.topk):.1%})",
            rate >= TARGET_TOP3,
        )
    ]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    section.notes.append(
        f"Whole benchmark {time.perf_counter() - t0:.1f} s wall; load average at the end "
        f"{load:.2f} on {os.cpu_count()} logical CPUs."
        + (" Quick mode: every third ticket, no chunking table." if quick else "")
    )
    return section
