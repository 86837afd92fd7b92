"""A generic webhook channel: signed JSON, timeouts, retries with exponential backoff and jitter.

Every attempt is recorded; a message that still fails after the last attempt is reported as dead
so the caller can put it on the dead-letter list. Time, sleeping and randomness are injected, so
tests run without waiting and the domain's rule holds: nothing here reads the clock on its own.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import orjson

from slakeeper.adapters.notify.signing import HEADER, sign

RETRYABLE = {408, 425, 429, 500, 502, 503, 504}


@dataclass(frozen=True, slots=True)
class Attempt:
    number: int
    status: int | None  # HTTP status, or None when no answer came
    error: str  # empty when delivered


@dataclass(slots=True)
class Delivery:
    delivered: bool
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def dead(self) -> bool:
        return not self.delivered


@dataclass(slots=True)
class WebhookChannel:
    url: str
    secret: str
    timeout_s: float = 5.0
    attempts: int = 5
    backoff_s: float = 0.5  # first retry waits about this long, doubling each time
    max_backoff_s: float = 60.0
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    client: httpx.Client | None = None

    def send(self, message: dict[str, object]) -> Delivery:
        """POST ``message`` as JSON; retry transient failures; never raise for delivery errors."""
        body = orjson.dumps(message)
        delivery = Delivery(False)
        client = self.client or httpx.Client(timeout=self.timeout_s)
        try:
            for number in range(1, self.attempts + 1):
                headers = {
                    "Content-Type": "application/json",
                    HEADER: sign(self.secret, body, int(self.clock())),
                    "X-Slakeeper-Attempt": str(number),
                }
                try:
                    answer = client.post(self.url, content=body, headers=headers)
                except httpx.HTTPError as exc:
                    delivery.attempts.append(Attempt(number, None, f"{type(exc).__name__}: {exc}"))
                else:
                    if answer.is_success:
                        delivery.attempts.append(Attempt(number, answer.status_code, ""))
                        delivery.delivered = True
                        return delivery
                    delivery.attempts.append(
                        Attempt(number, answer.status_code, f"HTTP {answer.status_code}")
                    )
                    if answer.status_code not in RETRYABLE:
                        return delivery  # a 4xx other than those will not change by retrying
                if number < self.attempts:
                    self.sleep(self._backoff(number))
            return delivery
        finally:
            if self.client is None:
                client.close()

    def _backoff(self, number: int) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2^(n-1))]."""
        ceiling = min(self.max_backoff_s, self.backoff_s * 2 ** (number - 1))
        return self.rng.uniform(0, ceiling)
