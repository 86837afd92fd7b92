"""Crash test: monitoring workers killed with SIGKILL at random moments while hundreds of alerts
are due; after the restart every alert was delivered and none twice.

Each variant (SQLite with one and two workers, PostgreSQL with one, two and four) runs in
four phases against a real receiver on 127.0.0.1 (:class:`tests.receivers.HttpReceiver`, failing
10% of requests at random with 503 so retries with backoff happen too):

1. **History.** A configuration on the built-in always-open calendar (``24x7``): first response
   in 4 s, resolution in 8 s, a warning at 50% and one escalation level 2 s after due (its own
   webhook to ``/escalate`` and an ``add_tag`` action to the help desk's ``/desk``); warnings and
   breaches are notified to ``/hook``. That is six alerts and eight deliveries per ticket.
   ``TICKETS`` tickets are created at instants spread over the 6 s before the events are stored,
   against the real clock (the worker processes read it), so their thresholds come due from 4 s
   in the past (caught up by the first worker at once) to 10 s ahead.
2. **Chaos.** ``workers`` real ``slakeeper worker --poll 0.05 --threads 4`` processes run on the
   database; for ``CHAOS_S`` seconds, every 0.3-1.5 s (``random.Random(seed)``, so the moments
   and victims are reproducible), one of them is killed with SIGKILL — while starting, migrating,
   firing or sending, whatever it was doing — and a replacement is started at once. Each kill
   records how many alerts the store held and how many deliveries were pending. At the end all
   the workers are killed the same way.
3. **Restart.** Fresh workers run undisturbed until every expected alert is recorded and nothing
   is pending except deliveries leased by killed workers (due more than ``LEASE_HINT_S`` ahead:
   ``RetryPolicy.lease`` is 60 s and neither the command line nor the environment can shorten
   it), then stop gracefully with SIGTERM.
4. **Lease expiry.** An in-process :class:`~slakeeper.entrypoints.worker.Worker` on the same
   database with a clock moved past the killed workers' leases (real time + 61 s, then 10 s more
   each round so backoffs pass at once) sends what they left leased, until nothing is pending.

Then: the store holds exactly one alert per clock and threshold — the set computed from the
configuration and the events by :func:`~slakeeper.domain.alerts.plan` — with exactly one delivery
per destination, all delivered; the receiver accepted every (destination, alert id) of the store
at least once and nothing else, so after deduplicating on the alert id each alert arrived once.
The raw duplicates (at-least-once redeliveries after a kill) are printed and recorded as the
``raw_duplicates`` property, not asserted.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine, text

from slakeeper.adapters.db.store import SqlUnitOfWork
from slakeeper.adapters.notify.factory import ChannelFactory
from slakeeper.bootstrap import Services, system_now
from slakeeper.domain.alerts import plan
from slakeeper.domain.config import parse_config
from slakeeper.domain.events import format_instant
from slakeeper.entrypoints.worker import Worker
from slakeeper.service.configuration import ConfigCache, put_config
from slakeeper.service.delivery import RetryPolicy
from slakeeper.service.evaluate import evaluate
from slakeeper.service.ingest import ingest_events
from slakeeper.settings import Settings
from tests.factories import US, Events, config, policy, records
from tests.receivers import HttpReceiver

TICKETS = 120
ALERTS_PER_TICKET = 6  # two clocks x (50%, breach, escalation), less warnings already moot
SPREAD_S = 6.0  # tickets are created over this many seconds before the events are stored
CHAOS_S = 10.0
KILL_EVERY_S = (0.3, 1.5)
LEASE_HINT_S = 30  # a pending delivery due further ahead than this was leased by a killed worker
RESTART_TIMEOUT_S = 60
SEED = 20240115

Key = tuple[str, str, int, str, str]  # ticket, metric, cycle, kind, threshold


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    r = HttpReceiver()
    r.fail_rate = 0.1  # 503: retried with backoff
    report = r.server.handle_error

    def handle_error(request: Any, address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a killed worker's connection
            report(request, address)

    r.server.handle_error = handle_error  # type: ignore[method-assign,assignment]
    yield r
    r.close()


def crash_config(receiver: HttpReceiver) -> dict[str, Any]:
    """Six alerts per ticket, all within 10 s of its creation, on the always-open calendar."""
    doc = config(
        policy(
            "Crash",
            calendar=None,  # the built-in 24x7 calendar
            targets={"first_response": {"default": "4s"}, "resolution": {"default": "8s"}},
        ),
        calendars=[],
    )
    doc["policies"][0]["alerts"] = ["50%"]
    doc["policies"][0]["escalations"] = [
        {
            "at": "2s after",
            "actions": [{"webhook": {"url": receiver.base + "/escalate"}}, {"add_tag": "late"}],
        }
    ]
    doc["channels"] = {
        "hook": {"type": "webhook", "url": receiver.url},
        "desk": {"type": "webhook", "url": receiver.base + "/desk"},
    }
    doc["notify"] = {"channels": ["hook"]}
    doc["outbound"] = "desk"
    return doc


def history(now: int) -> Events:
    """``TICKETS`` tickets created at instants spread evenly over the ``SPREAD_S`` before ``now``."""
    events = Events(prefix="c")
    step = int(SPREAD_S * US) // TICKETS
    for i in range(TICKETS):
        at = now - int(SPREAD_S * US) + i * step
        events.created(format_instant(at - at % 1000), ticket=f"C-{i:04d}", priority="normal")
    return events


def expected_alerts(doc: dict[str, Any], events: Events, now: int) -> set[Key]:
    """Every threshold of every clock, as planned from the configuration and the events alone
    at the instant they were stored (a clock already breached then has no warning to give)."""
    sla = parse_config(doc)
    found: set[Key] = set()
    for clock in evaluate(sla, records(events), now).clocks:
        p = sla.book.named(clock.policy)
        assert p is not None
        for firing in plan(clock, p.alerts, p.escalations, p.calendar, now):
            found.add((clock.ticket, clock.metric, clock.cycle, firing.kind, firing.key))
    return found


def read(engine: Engine, sql: str, **params: Any) -> list[Any]:
    """Rows of a query in a read transaction (on SQLite a deferred one: no write lock taken)."""
    with engine.connect() as connection:
        connection = connection.execution_options(slakeeper_read=True)
        with connection.begin():
            return list(connection.execute(text(sql), params))


def count(engine: Engine, sql: str, **params: Any) -> int:
    return int(read(engine, sql, **params)[0][0])


def pending_soon(engine: Engine) -> int:
    """Pending deliveries due within ``LEASE_HINT_S``: all but those a killed worker leased."""
    return count(
        engine,
        "SELECT count(*) FROM deliveries WHERE status = 'pending' AND next_attempt_at < :soon",
        soon=system_now() + LEASE_HINT_S * US,
    )


@dataclass
class Kill:
    at_s: float  # seconds into the chaos
    pid: int
    alerts: int  # alerts in the store when it was killed
    pending: int  # deliveries pending then


@dataclass
class Fleet:
    """``slakeeper worker`` processes on one database; each one's output in ``logs``."""

    db_url: str
    logs: Path
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self) -> subprocess.Popen[bytes]:
        env = {**os.environ, "SLAKEEPER_DATABASE_URL": self.db_url, "PYTHONUNBUFFERED": "1"}
        log = self.log(len(self.started))
        with open(log, "wb") as out:
            child = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "slakeeper.entrypoints.cli",
                    "worker",
                    "--poll",
                    "0.05",
                    "--threads",
                    "4",
                ],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.started.append(child)
        return child

    def log(self, number: int) -> Path:
        return self.logs / f"worker-{number:03d}.log"

    def wait_ready(self, child: subprocess.Popen[bytes]) -> None:
        """Until the worker has installed its SIGTERM handler (it then says where it runs)."""
        log = self.log(self.started.index(child))
        deadline = time.monotonic() + 30
        while b"slakeeper worker on" not in log.read_bytes():
            assert child.poll() is None, f"worker {child.pid} exited with {child.poll()}"
            assert time.monotonic() < deadline, f"worker {child.pid} did not start within 30 s"
            time.sleep(0.05)

    def kill(self, child: subprocess.Popen[bytes]) -> None:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)

    def stop(self, children: list[subprocess.Popen[bytes]]) -> None:
        """SIGTERM: the worker finishes its round and exits."""
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(20)
            except subprocess.TimeoutExpired:
                self.kill(child)

    def kill_all(self) -> None:
        for child in self.started:
            if child.poll() is None:
                self.kill(child)

    def errors(self) -> list[str]:
        """Lines of the workers' logs reporting a failed loop."""
        return [
            line
            for log in sorted(self.logs.glob("worker-*.log"))
            for line in log.read_text(errors="replace").splitlines()
            if "failed; retrying" in line
        ]


def chaos(fleet: Fleet, engine: Engine, workers: int, rng: random.Random) -> list[Kill]:
    """Run ``workers`` workers for ``CHAOS_S``, killing one at random moments; the kills."""
    running = [fleet.start() for _ in range(workers)]
    kills: list[Kill] = []
    begin = time.monotonic()
    while True:
        time.sleep(rng.uniform(*KILL_EVERY_S))
        elapsed = time.monotonic() - begin
        if elapsed >= CHAOS_S:
            break
        slot = rng.randrange(workers)
        victim = running[slot]
        exited = victim.poll()
        log = fleet.log(fleet.started.index(victim))
        assert exited is None, f"worker {victim.pid} exited on its own with {exited}: see {log}"
        fleet.kill(victim)
        running[slot] = fleet.start()
        alerts = count(engine, "SELECT count(*) FROM alerts")
        pending = count(engine, "SELECT count(*) FROM deliveries WHERE status = 'pending'")
        kills.append(Kill(round(elapsed, 2), victim.pid, alerts, pending))
    fleet.kill_all()
    return kills


def restart(fleet: Fleet, engine: Engine, workers: int, expected: int) -> None:
    """Fresh workers, undisturbed, until all is fired and only leased deliveries are pending;
    then SIGTERM, which they must obey with exit status 0."""
    running = [fleet.start() for _ in range(workers)]
    try:
        for child in running:
            fleet.wait_ready(child)
        settle(engine, running, expected)
    finally:
        fleet.stop(running)
    codes = [child.returncode for child in running]
    assert codes == [0] * workers, f"the workers stopped by SIGTERM exited with {codes}"


def settle(engine: Engine, running: list[subprocess.Popen[bytes]], expected: int) -> None:
    deadline = time.monotonic() + RESTART_TIMEOUT_S
    while time.monotonic() < deadline:
        for child in running:
            assert child.poll() is None, f"worker {child.pid} exited with {child.poll()}"
        if count(engine, "SELECT count(*) FROM alerts") >= expected and not pending_soon(engine):
            return
        time.sleep(0.2)
    raise AssertionError(f"not all fired and sent within {RESTART_TIMEOUT_S} s")


def expire_leases(db_url: str, engine: Engine) -> int:
    """Send what killed workers left leased, with a clock moved past their leases; the rounds."""
    shift = RetryPolicy().lease + 1 * US
    services = Services(
        Settings(database_url=db_url),
        engine,
        SqlUnitOfWork(engine),
        ConfigCache(),
        lambda: system_now() + shift,
    )
    channels = ChannelFactory(env={})
    worker = Worker(services, channels, retry=RetryPolicy(lease=5 * US), threads=4)
    try:
        for rounds in range(1, 40):
            worker.run_once()
            if not count(engine, "SELECT count(*) FROM deliveries WHERE status = 'pending'"):
                return rounds
            shift += 10 * US  # past any backoff at once
        raise AssertionError("deliveries still pending after 40 rounds")
    finally:
        worker._executor.shutdown()
        channels.close()


PATHS = {"warning": ("/hook",), "breach": ("/hook",), "escalation": ("/escalate", "/desk")}


def complete(body: bytes) -> Any:
    """A request's JSON body, or None when a kill cut it short (the server read what came)."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return None


DESTINATION = {  # (action, channel) of a delivery -> the receiver's path
    ("notify", "hook"): "/hook",
    ("webhook", "webhook"): "/escalate",
    ("add_tag", "desk"): "/desk",
}


@pytest.mark.parametrize(
    ("db_url", "workers"),
    [("sqlite", 1), ("sqlite", 2), ("postgresql", 1), ("postgresql", 2), ("postgresql", 4)],
    indirect=["db_url"],
    ids=["sqlite-1", "sqlite-2", "postgresql-1", "postgresql-2", "postgresql-4"],
)
def test_killed_workers_lose_and_double_no_alert(
    db_url: str,
    engine: Engine,
    workers: int,
    receiver: HttpReceiver,
    tmp_path: Path,
    record_property: Any,
) -> None:
    seed = SEED + workers + (100 if engine.dialect.name == "postgresql" else 0)
    rng = random.Random(seed)
    uow, cache = SqlUnitOfWork(engine), ConfigCache()
    doc = crash_config(receiver)
    put_config(uow, cache, doc, "test", "test", system_now())
    now = system_now()
    events = history(now)
    ingest_events(uow, cache, records(events), now)
    expected = expected_alerts(doc, events, now)
    assert TICKETS * (ALERTS_PER_TICKET - 2) <= len(expected) <= TICKETS * ALERTS_PER_TICKET

    fleet = Fleet(db_url, tmp_path)
    try:
        kills = chaos(fleet, engine, workers, rng)
        restart(fleet, engine, workers, len(expected))
    finally:
        fleet.kill_all()
    leased = count(engine, "SELECT count(*) FROM deliveries WHERE status = 'pending'")
    rounds = expire_leases(db_url, engine)

    # the kills hit workers at work: after some alerts were recorded, before all was sent
    assert kills
    assert any(k.alerts > 0 and (k.alerts < len(expected) or k.pending) for k in kills), kills

    # the store: exactly one alert per clock and threshold, the ones the configuration plans
    doubled = read(
        engine,
        "SELECT ticket, metric, cycle, kind, threshold, count(*) FROM alerts "
        "GROUP BY ticket, metric, cycle, kind, threshold HAVING count(*) > 1",
    )
    assert doubled == []
    alerts = {
        int(r[0]): (r[1], r[2], int(r[3]), r[4], r[5])
        for r in read(engine, "SELECT id, ticket, metric, cycle, kind, threshold FROM alerts")
    }
    assert set(alerts.values()) == expected
    assert len(alerts) == len(expected)

    # one delivery per alert and destination, every one delivered
    deliveries = read(engine, "SELECT alert_id, action, channel, status FROM deliveries")
    sent = Counter((f"alert-{r[0]}", DESTINATION[(r[1], r[2])]) for r in deliveries)
    assert set(sent.values()) == {1}
    wanted = {(f"alert-{i}", path) for i, key in alerts.items() for path in PATHS[key[3]]}
    assert set(sent) == wanted
    statuses = Counter(r[3] for r in deliveries)
    assert statuses == {"delivered": len(wanted)}

    # the receiver: every (destination, alert id) accepted, nothing else; ids only of the store
    accepted = {(alert, path) for (path, alert), _ in receiver.accepted.items()}
    assert accepted == wanted
    bodies = [complete(r["body"]) for r in receiver.requests]
    ids = {body["id"] for body in bodies if body is not None}
    assert ids == {f"alert-{i}" for i in alerts}
    assert {alert for alert, _ in accepted} == ids  # deduplicated on the id: each alert once

    duplicates = sum(n - 1 for n in receiver.accepted.values())
    errors = fleet.errors()
    summary = (
        f"{engine.dialect.name} x{workers} (seed {seed}): {len(expected)} alerts, "
        f"{len(wanted)} deliveries, {len(receiver.requests)} requests "
        f"({bodies.count(None)} cut short), {len(kills)} kills, "
        f"{len(fleet.started)} worker processes, {leased} left leased, {rounds} lease round(s), "
        f"raw duplicates {duplicates}, worker loop errors {len(errors)}"
    )
    print(summary)
    print("   kills (s, alerts, pending):", [(k.at_s, k.alerts, k.pending) for k in kills])
    for line in errors[:5]:
        print("  ", line)
    record_property("raw_duplicates", duplicates)
    record_property("kills", len(kills))
    record_property("summary", summary)
