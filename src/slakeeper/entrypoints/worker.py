"""The monitoring worker: fires warnings, breaches and escalations and sends them.

Two loops share one process: *firing* records what is due (``service/monitor.py``) and wakes
*sending* (``service/delivery.py``), which sends through the channels with a pool of threads, so
a slow receiver never holds back the next firing. Both wake at the next instant the store says
something is due, or after ``poll`` seconds (events arriving through the API can bring a check
forward). Several workers can share one PostgreSQL database.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from slakeeper.bootstrap import Services
from slakeeper.service.availability_watch import watch
from slakeeper.service.delivery import RetryPolicy, Sender
from slakeeper.service.monitor import FiringRules, tick
from slakeeper.service.ports import Channels
from slakeeper.service.reports import fold_kept_counts
from slakeeper.service.risk_watch import ModelCache, score

log = logging.getLogger("slakeeper.worker")
_US = 1_000_000
MIN_PAUSE_S = 0.02


@dataclass
class Worker:
    """Fires and sends; ``run`` until :attr:`stop` is set, or ``run_once``."""

    svc: Services
    channels: Channels
    rules: FiringRules = field(default_factory=FiringRules)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    threads: int = 8
    poll_s: float = 0.2
    availability_every_s: float = 60.0
    risk_every_s: float = 60.0
    stop: threading.Event = field(default_factory=threading.Event)
    _work: threading.Event = field(default_factory=threading.Event)
    _next_watch: float = 0.0
    _next_risk: float = 0.0
    models: ModelCache = field(default_factory=ModelCache)

    def __post_init__(self) -> None:
        self.retry = replace(self.retry, batch=self.threads * 4)  # the lease covers 4 per thread
        self._executor = ThreadPoolExecutor(self.threads, thread_name_prefix="send")
        self.sender = Sender(
            self.svc.uow,
            self.svc.config,
            self.channels,
            self.svc.now,
            self.retry,
            random.Random(),
            self._executor,
        )

    def fire_due(self) -> int:
        """Record everything due now, and fold the reports' pending counts; the number of
        alerts recorded."""
        fold_kept_counts(self.svc.uow)
        recorded = self.watch_availability()
        while True:
            result = tick(self.svc.uow, self.svc.config, self.svc.now(), self.rules)
            recorded += result.alerts
            if result.deliveries:
                self._work.set()
            if result.clocks < self.rules.batch:
                return recorded + self.score_risks()

    def watch_availability(self, force: bool = False) -> int:
        """Fire the availability signals that started to hold, at most every
        ``availability_every_s``; the number of alerts recorded."""
        if not force and time.monotonic() < self._next_watch:
            return 0
        self._next_watch = time.monotonic() + self.availability_every_s
        fired = watch(self.svc.uow, self.svc.config, self.svc.now())
        if fired:
            self._work.set()
        return fired

    def score_risks(self, force: bool = False) -> int:
        """Score the running clocks with the installed risk model and fire the risk warnings,
        at most every ``risk_every_s``; the number of alerts recorded."""
        if not force and time.monotonic() < self._next_risk:
            return 0
        self._next_risk = time.monotonic() + self.risk_every_s
        result = score(self.svc.uow, self.svc.config, self.models, self.svc.now(), self.rules)
        if result.deliveries:
            self._work.set()
        return result.alerts

    def send_due(self) -> int:
        """Send every delivery due now; the number of attempts made."""
        sent = 0
        while True:
            done = self.sender.round()
            sent += done
            if done < self.retry.batch:
                return sent

    def run_once(self) -> tuple[int, int]:
        """Fire and send what is due now, then return (alerts recorded, attempts made)."""
        return self.fire_due(), self.send_due()

    def _wait(self, step: str) -> None:
        """Sleep until the next thing this loop has to do is due, or ``poll_s`` at most.

        Something already due that this worker could not take (another worker holds it, or it
        is being sent) still gets a short pause, so a loop never spins.
        """
        with self.svc.uow.read() as store:
            wake = store.next_check_at() if step == "fire_due" else store.next_attempt_at()
        pause = self.poll_s
        if wake is not None:
            pause = min(pause, max(MIN_PAUSE_S, (wake - self.svc.now()) / _US))
        if step == "send_due":
            self._work.wait(pause)
            self._work.clear()
        else:
            self.stop.wait(pause)

    def _loop(self, step: str) -> None:
        work = getattr(self, step)
        while not self.stop.is_set():
            try:
                done = work()
            except Exception:  # the worker keeps going; the store's transaction rolled back
                log.exception("monitoring worker: %s failed; retrying", step)
                self.stop.wait(1.0)
                continue
            if not done:
                self._wait(step)

    def run(self) -> None:
        """Run until :attr:`stop` is set."""
        sender = threading.Thread(target=self._loop, args=("send_due",), name="sending")
        sender.start()
        try:
            self._loop("fire_due")
        finally:
            self.stop.set()
            self._work.set()
            sender.join()
            self._executor.shutdown(wait=True)


def worker_for(svc: Services, channels: Channels, threads: int, poll_s: float) -> Worker:
    """A worker with the rules of the settings (SLAKEEPER_LATE_AFTER_S, ...)."""
    settings = svc.settings
    rules = FiringRules(
        late_after=int(settings.late_after_s * _US),
        catch_up=int(settings.catch_up_hours * 3600 * _US),
    )
    retry = RetryPolicy(lease=int(settings.delivery_lease_s * _US))
    return Worker(
        svc,
        channels,
        rules,
        retry,
        threads=threads,
        poll_s=poll_s,
        availability_every_s=settings.availability_every_s,
        risk_every_s=settings.risk_every_s,
    )
