"""Outbound actions sent to a help desk's own REST API (docs/integrations.md): a channel of type
``zendesk``, ``jira`` or ``github`` named as the configuration's ``outbound`` receives the
escalations' actions that change a ticket — ``reassign``, ``raise_priority``, ``add_tag``,
``add_note`` — and makes the calls the vendor documents for them.

Each call is one attempt of the alert's delivery, retried by the worker like every delivery
(``service/delivery.py``) and made safe to repeat: setting a priority, a group, an assignee or
a tag twice leaves the ticket as once, and a note carries the alert's marker
(``[slakeeper alert-N]``) and is not posted again when the ticket already has it.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from slakeeper.adapters.notify.http import HttpAnswer, HttpClient, HttpError
from slakeeper.adapters.notify.webhook import retryable
from slakeeper.service.records import Attempt, Message


class Refused(Exception):
    """An action this help desk cannot take (retrying will not change it); the message says why."""


class Failed(Exception):
    """A call that did not succeed: the attempt to record."""

    def __init__(self, attempt: Attempt) -> None:
        super().__init__(attempt.error)
        self.attempt = attempt


def marker(message: Message) -> str:
    """What a note carries so that a retried delivery finds it posted."""
    return f"[slakeeper {message.alert.get('id', 'alert')}]"


def note_text(message: Message, text: str) -> str:
    """The note: the configured text, then a line saying which alert made it."""
    a = message.alert
    facts = " · ".join(
        str(v) for v in (a.get("threshold") or a.get("kind"), a.get("metric"), a.get("policy")) if v
    )
    due = f", due {a['due_at']}" if a.get("due_at") else ""
    return f"{text}\n\n{marker(message)} {facts}{due}".strip()


def basic(user: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()


@dataclass(slots=True)
class Api:
    """JSON calls to one vendor's REST API with its auth header; a non-2xx answer raises
    :class:`Failed` with the attempt (retryable for 408/425/429/5xx and no answer)."""

    base: str
    auth: str
    client: HttpClient
    extra: Mapping[str, str] = field(default_factory=dict)

    def call(self, method: str, path: str, body: object = None) -> HttpAnswer:
        headers = {"Authorization": self.auth, "Accept": "application/json", **dict(self.extra)}
        content = None
        if body is not None:
            content = orjson.dumps(body)
            headers["Content-Type"] = "application/json"
        try:
            answer = self.client.request(method, self.base.rstrip("/") + path, content, headers)
        except HttpError as exc:
            raise Failed(Attempt(None, str(exc))) from None
        if not answer.is_success:
            detail = answer.text[:200].strip()
            error = f"{method} {path}: HTTP {answer.status_code}" + (
                f": {detail}" if detail else ""
            )
            raise Failed(Attempt(answer.status_code, error, retryable(answer.status_code)))
        return answer


Handler = Callable[[Message, Mapping[str, Any]], None]


def deliver(message: Message, handlers: Mapping[str, Handler], vendor: str) -> Attempt:
    """Run the handler of the message's action; the attempt it makes (never raising)."""
    action = message.alert.get("action")
    if not isinstance(action, Mapping):
        return Attempt(None, f"a {vendor} channel only takes outbound actions", retryable=False)
    handler = handlers.get(str(action.get("kind")))
    if handler is None:
        return Attempt(
            None, f"{vendor} cannot {action.get('kind')!r}; use {', '.join(handlers)}", False
        )
    try:
        handler(message, action)
    except Failed as exc:
        return exc.attempt
    except Refused as exc:
        return Attempt(None, str(exc), retryable=False)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:  # not shaped as documented
        return Attempt(None, f"{vendor}: unexpected answer ({type(exc).__name__}: {exc})", False)
    return Attempt(200)
