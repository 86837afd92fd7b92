"""``slakeeper assist``: suggest knowledge-base articles and a category for a ticket's text, and
measure how well that works on a labelled set (docs/assist.md).

The model is loaded only when a command needs it; without the ``ai`` extra a command says what to
install (exit 69) instead of failing with an ImportError.
"""

from __future__ import annotations

import functools
import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import orjson
import typer

from slakeeper.assist.acknowledge import DEFAULT_BASE_URL, acknowledgement_text, article_url
from slakeeper.assist.embedding import MissingExtra, shared_minilm
from slakeeper.assist.kb import KnowledgeBase, load_kb
from slakeeper.assist.suggest import (
    MAX_K,
    ArticleIndex,
    Evaluation,
    Suggestions,
    check_labels,
    evaluate,
    parse_labelled,
)
from slakeeper.domain.errors import InvalidInput

BAD_INPUT = 2
UNAVAILABLE = 69  # EX_UNAVAILABLE: the ai extra is not installed
BELOW_TARGET = 1

assist_app = typer.Typer(
    help="Knowledge-base suggestions for tickets (needs the ai extra: pip install 'slakeeper\\[ai]').",
    no_args_is_help=True,
)


class SuggestFormat(StrEnum):
    table = "table"
    json = "json"


class EvaluateFormat(StrEnum):
    text = "text"
    json = "json"


KbOption = Annotated[
    Path, typer.Option("--kb", help="Folder of Markdown articles with title/category front matter.")
]
KOption = Annotated[int, typer.Option("--k", help=f"How many articles (1 to {MAX_K}).")]


def _fail(lines: list[str], code: int = BAD_INPUT) -> NoReturn:
    for line in lines:
        typer.echo(line, err=True)
    raise typer.Exit(code)


def _check_k(k: int) -> None:
    if not 1 <= k <= MAX_K:
        _fail([f"--k: {k} must be between 1 and {MAX_K}"])


@functools.lru_cache(maxsize=4)
def cached_index(kb: KnowledgeBase) -> ArticleIndex:
    """The index of a knowledge base's content (an edited article is another key)."""
    return ArticleIndex.build(kb, shared_minilm(None))


def _index(kb_path: Path) -> tuple[KnowledgeBase, ArticleIndex]:
    try:
        kb = load_kb(kb_path)
    except InvalidInput as exc:
        _fail(exc.lines())
    try:
        return kb, cached_index(kb)
    except MissingExtra as exc:
        _fail([f"slakeeper assist: {exc}"], UNAVAILABLE)


def suggestions_dict(found: Suggestions, base_url: str) -> dict[str, Any]:
    """The suggestions as the API answers them (without the ticket and the acknowledgement)."""
    return {
        "category": {
            "name": found.category.name,
            "confidence": round(found.category.confidence, 4),
        },
        "articles": [
            {
                "id": s.article.id,
                "title": s.article.title,
                "category": s.article.category,
                "score": round(s.score, 4),
                "url": article_url(base_url, s.article.id),
            }
            for s in found.articles
        ],
    }


@assist_app.command("suggest")
def suggest_command(
    text: Annotated[str, typer.Argument(help="The ticket's subject and body; '-' reads stdin.")],
    kb: KbOption,
    k: KOption = 3,
    fmt: Annotated[SuggestFormat, typer.Option("--format", "-f")] = SuggestFormat.table,
    base_url: Annotated[
        str, typer.Option("--base-url", help="Where the articles are published.")
    ] = DEFAULT_BASE_URL,
    ack: Annotated[
        bool, typer.Option("--ack", help="Also print the acknowledgement a ticket would get.")
    ] = False,
) -> None:
    """The best articles for a ticket, with cosine scores, and its likely category."""
    _check_k(k)
    if text == "-":
        try:
            text = sys.stdin.read()
        except UnicodeDecodeError as exc:
            _fail([f"standard input: not UTF-8 text ({exc.reason})"])
    if not text.strip():
        _fail(["TEXT: is empty: give the ticket's subject and body, or '-' to read stdin"])
    _, index = _index(kb)
    found = index.suggest(text, k)
    if fmt is SuggestFormat.json:
        body = suggestions_dict(found, base_url)
        if ack:
            body["acknowledgement"] = acknowledgement_text(found.articles, base_url)
        typer.echo(orjson.dumps(body, option=orjson.OPT_INDENT_2).decode())
        return
    width = max(len(s.article.id) for s in found.articles)
    typer.echo(f"{'#':>2}  {'score':>6}  {'category':<9} {'article':<{width}}  title")
    for rank, s in enumerate(found.articles, 1):
        typer.echo(
            f"{rank:>2}  {s.score:>6.3f}  {s.article.category:<9} {s.article.id:<{width}}  "
            f"{s.article.title}"
        )
    typer.echo(f"category: {found.category.name} (confidence {found.category.confidence:.2f})")
    if ack:
        typer.echo("")
        typer.echo(acknowledgement_text(found.articles, base_url))


def evaluation_dict(result: Evaluation, seconds: float) -> dict[str, Any]:
    return {
        "tickets": result.total,
        "k": result.k,
        "top1": round(result.rate(result.top1), 4),
        f"top{result.k}": round(result.rate(result.topk), 4),
        "category": round(result.rate(result.category), 4),
        "ms_per_ticket": round(seconds * 1000 / max(result.total, 1), 2),
        "misses": [
            {
                "line": m.item.line,
                "article": m.item.article,
                "category": m.item.category,
                "suggested": list(m.ranked),
                "category_suggested": m.category,
                "text": m.item.text,
            }
            for m in result.misses
        ],
    }


@assist_app.command("evaluate")
def evaluate_command(
    kb: KbOption,
    labelled: Annotated[
        Path,
        typer.Option("--labelled", help='JSON Lines of {"text", "article", "category"}.'),
    ],
    k: KOption = 3,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="List the tickets missed.")
    ] = False,
    fmt: Annotated[EvaluateFormat, typer.Option("--format", "-f")] = EvaluateFormat.text,
    fail_under: Annotated[
        float | None,
        typer.Option("--fail-under", help="Exit 1 when the top-k hit rate is below this (0-1)."),
    ] = None,
) -> None:
    """Top-1 and top-k hit rates and category accuracy of the suggestions on a labelled set."""
    _check_k(k)
    try:
        raw = labelled.read_bytes()
    except OSError as exc:
        _fail([f"{labelled}: cannot be read ({exc.strerror or exc})"])
    try:
        items = parse_labelled(raw.splitlines(), str(labelled))
    except InvalidInput as exc:
        _fail(exc.lines())
    knowledge, index = _index(kb)
    try:
        check_labels(items, knowledge, str(labelled))
    except InvalidInput as exc:
        _fail(exc.lines())
    started = time.perf_counter()
    result = evaluate(index, items, k)
    seconds = time.perf_counter() - started
    if fmt is EvaluateFormat.json:
        body = evaluation_dict(result, seconds)
        if not verbose:
            body.pop("misses")
        typer.echo(orjson.dumps(body, option=orjson.OPT_INDENT_2).decode())
    else:
        _print_evaluation(result, len(knowledge.articles), seconds, verbose)
    if fail_under is not None and result.rate(result.topk) < fail_under:
        raise typer.Exit(BELOW_TARGET)


def _print_evaluation(result: Evaluation, articles: int, seconds: float, verbose: bool) -> None:
    typer.echo(f"{result.total} labelled tickets, {articles} articles")
    for name, hits in (
        ("top-1 hit rate", result.top1),
        (f"top-{result.k} hit rate", result.topk),
        ("category accuracy", result.category),
    ):
        typer.echo(f"{name:<18} {result.rate(hits):6.1%}  ({hits}/{result.total})")
    typer.echo(f"{'time per ticket':<18} {seconds * 1000 / max(result.total, 1):6.1f} ms")
    if not verbose:
        return
    typer.echo(f"\nmissed ({len(result.misses)}):")
    for miss in result.misses:
        subject = " ".join(miss.item.text.split())[:90]
        typer.echo(
            f"line {miss.item.line}: {miss.item.article} ({miss.item.category}) -> "
            f"{', '.join(miss.ranked)} ({miss.category}): {subject}"
        )
