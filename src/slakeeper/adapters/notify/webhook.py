"""The generic webhook channel: the alert as signed JSON, one attempt per call.

The body is the alert's payload (docs/semantics.md §9) with ``delivery`` added;
``X-Slakeeper-Signature`` signs it (see :mod:`slakeeper.adapters.notify.signing`). Retrying is
the worker's job (``service/delivery.py``): it persists every attempt and schedules the next one
with backoff and jitter, so a retry survives a crash.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import orjson

from slakeeper.adapters.notify.http import HttpClient, HttpError
from slakeeper.adapters.notify.signing import HEADER, sign
from slakeeper.service.records import Attempt, Message

RETRYABLE = frozenset({408, 425, 429})  # and every 5xx


def post_json(
    client: HttpClient, url: str, body: bytes, headers: dict[str, str] | None = None
) -> Attempt:
    """POST ``body`` as JSON; a 2xx is delivered, timeouts, connection errors, 408/425/429/5xx
    may be retried, any other answer will not change by retrying."""
    try:
        answer = client.post(url, body, {"Content-Type": "application/json", **(headers or {})})
    except HttpError as exc:
        return Attempt(None, str(exc))
    if answer.is_success:
        return Attempt(answer.status_code)
    detail = answer.text[:200].strip()
    error = f"HTTP {answer.status_code}" + (f": {detail}" if detail else "")
    return Attempt(answer.status_code, error, retryable(answer.status_code))


def retryable(status: int) -> bool:
    """Whether an HTTP failure may change by retrying: 408, 425, 429 and every 5xx."""
    return status in RETRYABLE or status >= 500


@dataclass(slots=True)
class WebhookChannel:
    url: str
    secret: str
    client: HttpClient
    clock: Callable[[], float] = time.time

    def deliver(self, message: Message) -> Attempt:
        body = orjson.dumps({**message.alert, "delivery": message.delivery})
        headers = {HEADER: sign(self.secret, body, int(self.clock()))}
        return post_json(self.client, self.url, body, headers)
