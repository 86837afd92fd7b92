"""The knowledge base: a folder of Markdown articles, each with a YAML front matter.

An article file looks like this::

    ---
    title: Resize a block volume
    category: storage
    id: resize-volume          # optional; the file's stem when left out
    ---
    Body in Markdown. ``## Headings`` split it into sections.

:func:`parse_article` reads one article from its text (pure); :func:`load_kb` walks a folder and
reads every ``*.md`` file under it. Every problem is an :class:`InvalidInput` naming the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from slakeeper.domain.errors import InvalidInput, Issue

MAX_ARTICLE_BYTES = 1_000_000
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_KNOWN = frozenset({"title", "category", "id"})


class KnowledgeBaseError(InvalidInput):
    """A knowledge base or one of its articles that cannot be used."""


@dataclass(frozen=True, slots=True)
class Section:
    """A part of an article under one heading (the empty heading: the text before the first)."""

    heading: str
    text: str


@dataclass(frozen=True, slots=True)
class Article:
    id: str
    title: str
    category: str
    body: str
    sections: tuple[Section, ...]
    source: str = ""  # the file it was read from, for messages

    @property
    def paragraphs(self) -> tuple[str, ...]:
        """The body's paragraphs in order, headings left out."""
        return tuple(p for s in self.sections for p in _paragraphs(s.text))


@dataclass(frozen=True, slots=True)
class KnowledgeBase:
    """Articles with unique ids, in id order."""

    articles: tuple[Article, ...]

    def __post_init__(self) -> None:
        if not self.articles:
            raise KnowledgeBaseError("the knowledge base has no articles")
        seen: dict[str, str] = {}
        for article in self.articles:
            if article.id in seen:
                raise KnowledgeBaseError(
                    [
                        Issue(
                            article.source,
                            f"id {article.id!r} is also the id of {seen[article.id]}",
                        )
                    ]
                )
            seen[article.id] = article.source or article.id

    def get(self, article_id: str) -> Article | None:
        for article in self.articles:
            if article.id == article_id:
                return article
        return None

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(sorted({a.category for a in self.articles}))


def parse_article(text: str, default_id: str, source: str = "") -> Article:
    """One article from the text of its file; ``default_id`` is used when it names no ``id``."""
    meta, body = _split_front_matter(text, source)
    issues: list[Issue] = []
    for key in ("title", "category"):
        value = meta.get(key)
        if value is None:
            issues.append(Issue(key, "is missing"))
        elif not isinstance(value, str) or not value.strip():
            issues.append(Issue(key, f"{value!r} must be a non-empty string"))
    article_id = meta.get("id", default_id)
    if not isinstance(article_id, str) or not _ID.match(article_id):
        where = "id" if "id" in meta else "file name"
        issues.append(
            Issue(
                where,
                f"{article_id!r} is not a usable id (letters, digits, '.', '_', '-'; "
                "up to 128 characters, starting with a letter or digit)",
            )
        )
    if not body.strip():
        issues.append(Issue("body", "is empty"))
    if issues:
        raise KnowledgeBaseError(issues, source=source or None)
    assert isinstance(article_id, str)
    title, category = str(meta["title"]).strip(), str(meta["category"]).strip()
    return Article(article_id, title, category, body.strip(), split_sections(body), source)


def _split_front_matter(text: str, source: str) -> tuple[Mapping[str, object], str]:
    text = text.removeprefix("\ufeff")
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise KnowledgeBaseError(
            "no front matter: start the file with a '---' line, then title: and category:, "
            "then '---'",
            source=source or None,
        )
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            break
    else:
        raise KnowledgeBaseError(
            "the front matter is not closed by a '---' line", source=source or None
        )
    try:
        meta = yaml.safe_load("\n".join(lines[1:end]))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 2}" if mark is not None else "front matter"
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise KnowledgeBaseError([Issue(where, str(problem))], source=source or None) from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise KnowledgeBaseError(
            "the front matter must be a mapping (title: ..., category: ...)",
            source=source or None,
        )
    return meta, "\n".join(lines[end + 1 :])


def split_sections(body: str) -> tuple[Section, ...]:
    """The body cut at its Markdown headings (``#`` to ``######``; not inside code fences)."""
    sections: list[Section] = []
    heading, lines, fenced = "", [], False
    for line in body.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        match = None if fenced else _HEADING.match(line)
        if match is None:
            lines.append(line)
            continue
        _keep(sections, heading, lines)
        heading, lines = match.group(2), []
    _keep(sections, heading, lines)
    return tuple(sections)


def _keep(sections: list[Section], heading: str, lines: list[str]) -> None:
    text = "\n".join(lines).strip()
    if text or heading:
        sections.append(Section(heading, text))


def _paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]


def load_kb(folder: Path) -> KnowledgeBase:
    """Every ``*.md`` file under ``folder`` (recursively), one article each, in id order."""
    if not folder.exists():
        raise KnowledgeBaseError(f"knowledge base folder {str(folder)!r} does not exist")
    if not folder.is_dir():
        raise KnowledgeBaseError(f"knowledge base {str(folder)!r} is not a folder")
    files = sorted(p for p in folder.rglob("*.md") if p.is_file())
    if not files:
        raise KnowledgeBaseError(f"knowledge base folder {str(folder)!r} holds no *.md articles")
    return KnowledgeBase(tuple(sorted(_read_all(files), key=lambda a: a.id)))


def _read_all(files: Iterable[Path]) -> list[Article]:
    articles: list[Article] = []
    issues: list[Issue] = []
    for path in files:
        try:
            articles.append(parse_article(_read(path), path.stem, str(path)))
        except KnowledgeBaseError as exc:
            issues.extend(Issue(exc.source or str(path), str(i)) for i in exc.issues)
    if issues:
        raise KnowledgeBaseError(issues)
    return articles


def _read(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_ARTICLE_BYTES:
            raise KnowledgeBaseError(
                f"is over {MAX_ARTICLE_BYTES:,} bytes; an article should be a page",
                source=str(path),
            )
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KnowledgeBaseError(f"cannot be read: {exc}", source=str(path)) from None
