"""Sending: pending deliveries go out through their channels, and every attempt is kept.

A round claims the deliveries due by now (soonest first; on PostgreSQL ``FOR UPDATE SKIP
LOCKED``) and leases them — their next attempt moves to the end of the lease and that commits
before anything is sent — then sends them outside any transaction, and records each attempt with
the delivery's new state: delivered, pending again after a backoff (exponential with full jitter),
or dead once the attempts are spent or the failure is one that retrying will not change. A worker
killed while sending leaves its deliveries leased; another takes them up when the lease runs out.
That is at-least-once delivery: every message carries its alert id for receivers to deduplicate.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

from slakeeper.service.configuration import ConfigCache
from slakeeper.service.ports import Channels, Now, UnitOfWork
from slakeeper.service.records import (
    AlertRow,
    Attempt,
    AttemptRow,
    DeliveryOutcome,
    DeliveryRow,
    Message,
)

_US = 1_000_000


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 8  # then the delivery is dead (the dead-letter list)
    first_backoff: int = 1 * _US  # the first retry waits up to this long, doubling each time
    max_backoff: int = 300 * _US
    # how long a claimed delivery is another worker's to leave alone: longer than a round can
    # take (batch / threads deliveries per thread, each at most a channel's 30 s timeout)
    lease: int = 180 * _US
    batch: int = 32  # deliveries per round

    def backoff(self, attempt: int, rng: random.Random) -> int:
        """Full jitter: uniform in [0, min(cap, first * 2^(attempt-1))] µs."""
        ceiling = min(self.max_backoff, self.first_backoff * 2 ** (attempt - 1))
        return int(rng.uniform(0, ceiling))


@dataclass(slots=True)
class Sender:
    """Sends claimed deliveries; ``executor`` sends several at once (the order of recording does
    not depend on it)."""

    uow: UnitOfWork
    cache: ConfigCache
    channels: Channels
    now: Now
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    rng: random.Random = field(default_factory=random.Random)
    executor: Executor | None = None

    def round(self) -> int:
        """Claim, send and record one batch; the number of deliveries attempted.

        Batches are small (a few per sending thread), so a worker killed halfway through one
        leaves little to send twice.
        """
        start = self.now()
        lease = start + self.policy.lease
        with self.uow() as store:
            claimed = store.claim_deliveries(start, self.policy.batch, lease)
            current = self.cache.current(store) if claimed else None
        if not claimed:
            return 0
        specs = current.config.channels if current is not None else {}
        jobs = [(d, a, specs) for d, a in claimed]
        results: Iterable[tuple[DeliveryRow, Attempt, int]]
        if self.executor is not None and len(jobs) > 1:
            results = self.executor.map(self._send, jobs)
        else:
            results = (self._send(job) for job in jobs)
        outcomes = [self._outcome(d, attempt, at, lease) for d, attempt, at in results]
        with self.uow() as store:
            store.record_outcomes(outcomes)
        return len(jobs)

    def _send(
        self, job: tuple[DeliveryRow, AlertRow, Mapping[str, Mapping[str, Any]]]
    ) -> tuple[DeliveryRow, Attempt, int]:
        delivery, alert, specs = job
        try:
            spec = _channel_spec(delivery, specs)
            channel = self.channels.channel(spec)
        except ValueError as exc:
            return delivery, Attempt(None, str(exc), retryable=False), self.now()
        try:
            attempt = channel.deliver(message_of(delivery, alert))
        except Exception as exc:  # a channel's own bug must not stall the batch: dead, with why
            attempt = Attempt(None, f"{type(exc).__name__}: {exc}", retryable=False)
        return delivery, attempt, self.now()

    def _outcome(self, d: DeliveryRow, attempt: Attempt, at: int, lease: int) -> DeliveryOutcome:
        number = d.attempts + 1
        record = AttemptRow(d.id, number, at, attempt.status, attempt.error)
        if attempt.delivered:
            return DeliveryOutcome(d.id, record, "delivered", None, lease)
        if not attempt.retryable or number >= self.policy.attempts:
            return DeliveryOutcome(d.id, record, "dead", None, lease)
        retry_at = at + self.policy.backoff(number, self.rng)
        return DeliveryOutcome(d.id, record, "pending", retry_at, lease)


def _channel_spec(
    delivery: DeliveryRow, specs: Mapping[str, Mapping[str, Any]]
) -> Mapping[str, Any]:
    if delivery.action == "webhook" and delivery.channel == "webhook":
        return {"type": "webhook", "url": delivery.spec["url"], "secret": delivery.spec["secret"]}
    spec = specs.get(delivery.channel)
    if spec is None:
        raise ValueError(f"channel {delivery.channel!r} is no longer in the configuration")
    return spec


def message_of(delivery: DeliveryRow, alert: AlertRow) -> Message:
    """The message of one delivery: the alert's payload with its id (and the outbound action)."""
    payload: dict[str, Any] = {"id": alert.public_id, **alert.payload}
    if "action" in delivery.spec:
        payload["action"] = delivery.spec["action"]
    return Message(payload, tuple(delivery.spec.get("to") or ()), delivery.id)
