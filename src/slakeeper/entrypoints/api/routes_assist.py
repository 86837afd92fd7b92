"""POST /v1/tickets/{ticket}/suggestions: knowledge-base articles and a category for a ticket,
and, when asked, its acknowledgement recorded as a ``system`` comment (docs/assist.md).

The knowledge base and the model are loaded once, on the first request that needs them (the
model takes seconds), by :class:`AssistantLoader`, which the app keeps in ``app.state.assist``.
It is built from the settings ``kb_path`` (``SLAKEEPER_KB_PATH``) and ``kb_base_url``
(``SLAKEEPER_KB_BASE_URL``) unless a loader was put there first (tests do, with another embedder).
Without a knowledge base, or without the ``ai`` extra, the route answers 503 and says why.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException

from slakeeper.assist.acknowledge import (
    DEFAULT_BASE_URL,
    acknowledge,
    acknowledgement_text,
    article_url,
)
from slakeeper.assist.embedding import Embedder, MissingExtra, shared_minilm
from slakeeper.assist.kb import load_kb
from slakeeper.assist.suggest import MAX_K, ArticleIndex, ticket_text
from slakeeper.domain.errors import InvalidInput, Issue
from slakeeper.entrypoints.api.deps import Forbidden, PrincipalDep, ServicesDep
from slakeeper.entrypoints.api.errors import responses
from slakeeper.entrypoints.api.schemas import ErrorPublic
from slakeeper.service.queries import NotFound, storable

log = logging.getLogger("slakeeper.api")
router = APIRouter(prefix="/v1", tags=["assist"])
MAX_SUBJECT = 1_000
MAX_BODY = 50_000


# -- the assistant, loaded once -------------------------------------------------------------------


class AssistUnavailable(Exception):
    """No knowledge base is configured, it cannot be read, or the ai extra is missing."""


@dataclass(frozen=True, slots=True)
class Assistant:
    index: ArticleIndex
    base_url: str


class AssistantLoader:
    """The knowledge base's index, built on the first :meth:`get` (under a lock) and kept.
    A failure is not kept: the next request tries again (a fixed folder needs no restart)."""

    def __init__(
        self,
        kb_path: Path | None,
        base_url: str = DEFAULT_BASE_URL,
        embedder: Callable[[], Embedder] = lambda: shared_minilm(1),
    ) -> None:
        self.kb_path = kb_path
        self.base_url = base_url
        self._embedder = embedder
        self._lock = threading.Lock()
        self._assistant: Assistant | None = None

    def get(self) -> Assistant:
        if self._assistant is not None:
            return self._assistant
        with self._lock:
            if self._assistant is None:
                self._assistant = self._load()
            return self._assistant

    def _load(self) -> Assistant:
        if self.kb_path is None:
            raise AssistUnavailable(
                "no knowledge base is configured: set SLAKEEPER_KB_PATH to a folder of articles"
            )
        try:
            kb = load_kb(self.kb_path)
        except InvalidInput as exc:
            log.error("knowledge base not loaded: %s", "; ".join(exc.lines()))
            raise AssistUnavailable(
                "the knowledge base cannot be loaded: " + "; ".join(exc.lines()[:5])
            ) from None
        try:
            embedder = self._embedder()
        except MissingExtra as exc:
            raise AssistUnavailable(str(exc)) from None
        return Assistant(ArticleIndex.build(kb, embedder), self.base_url)


_STATE_LOCK = threading.Lock()


def assistant_loader(request: Request, svc: ServicesDep) -> AssistantLoader:
    """The app's loader (``app.state.assist``), made from the settings on first use."""
    state = request.app.state
    with _STATE_LOCK:
        loader = getattr(state, "assist", None)
        if not isinstance(loader, AssistantLoader):
            settings = svc.settings
            loader = AssistantLoader(settings.kb_path, settings.kb_base_url or DEFAULT_BASE_URL)
            state.assist = loader
    return loader


def assistant(loader: Annotated[AssistantLoader, Depends(assistant_loader)]) -> Assistant:
    """The loaded assistant, or 503 saying why there is none."""
    try:
        return loader.get()
    except AssistUnavailable as exc:
        raise HTTPException(503, str(exc)) from None


AssistantLoaderDep = Annotated[AssistantLoader, Depends(assistant_loader)]


# -- schemas --------------------------------------------------------------------------------------


class SuggestionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    subject: str = Field(max_length=MAX_SUBJECT, description="the ticket's subject")
    body: str = Field(max_length=MAX_BODY, description="the ticket's first message")
    k: int = Field(3, ge=1, le=MAX_K, description="how many articles")
    acknowledge: bool = Field(
        False, description="record the acknowledgement as a public system comment (once)"
    )


class CategoryPublic(BaseModel):
    name: str
    confidence: float = Field(description="share of the best articles' weighted vote, 0-1")


class ArticlePublic(BaseModel):
    id: str
    title: str
    category: str
    score: float = Field(description="cosine similarity to the ticket, -1 to 1")
    url: str


class AcknowledgementPublic(BaseModel):
    event: str = Field(description="the comment's event id: assist-ack:<ticket>")
    counts_as_response: bool = Field(description="the configuration's system_replies_count")
    duplicate: bool = Field(description="recorded by an earlier request; nothing new stored")
    text: str = Field(description="the reply to post on the ticket")


class SuggestionsPublic(BaseModel):
    ticket: str
    category: CategoryPublic
    articles: list[ArticlePublic]
    acknowledgement: AcknowledgementPublic | None


_RESPONSES: dict[int | str, dict[str, Any]] = {
    **responses(400, 401, 403, 404, 422),
    503: {
        "model": ErrorPublic,
        "description": "No knowledge base configured, or the ai extra is not installed",
    },
}


# -- the route ------------------------------------------------------------------------------------


@router.post(
    "/tickets/{ticket}/suggestions", response_model=SuggestionsPublic, responses=_RESPONSES
)
def post_suggestions(
    ticket: str,
    ask: SuggestionCreate,
    request: Request,
    svc: ServicesDep,
    who: PrincipalDep,
    loader: AssistantLoaderDep,
) -> SuggestionsPublic:
    """The best knowledge-base articles for the ticket's text and its likely category; with
    ``acknowledge``, the acknowledgement is recorded once as the ticket's public ``system``
    comment (id ``assist-ack:<ticket>``; a retry is a duplicate). Whether it is the ticket's
    first response follows the configuration's ``system_replies_count``."""
    text = ticket_text(ask.subject, ask.body)
    if not text:
        raise InvalidInput([Issue("body", "subject and body are both empty")])
    if ask.acknowledge and (not who.can("write") or who.customer is not None):
        raise Forbidden("acknowledging needs an agent or admin token, not customer-scoped")
    with svc.uow.read() as store:
        row = store.ticket(ticket) if storable(ticket) else None
    if row is None or (who.customer is not None and row.customer != who.customer):
        raise NotFound(f"no ticket {ticket!r}")
    helper = assistant(loader)
    found = helper.index.suggest(text, ask.k)
    acknowledged = None
    if ask.acknowledge:
        done = acknowledge(svc.uow, svc.config, ticket, svc.now(), svc.states)
        metrics = getattr(request.app.state, "metrics", None)
        if metrics is not None and not done.duplicate:
            metrics.ingested(1)
        acknowledged = AcknowledgementPublic(
            event=done.event,
            counts_as_response=done.counts_as_response,
            duplicate=done.duplicate,
            text=acknowledgement_text(found.articles, helper.base_url),
        )
    return SuggestionsPublic(
        ticket=ticket,
        category=CategoryPublic(
            name=found.category.name, confidence=round(found.category.confidence, 4)
        ),
        articles=[
            ArticlePublic(
                id=s.article.id,
                title=s.article.title,
                category=s.article.category,
                score=round(s.score, 4),
                url=article_url(helper.base_url, s.article.id),
            )
            for s in found.articles
        ],
        acknowledgement=acknowledged,
    )
