"""The monitoring worker: delay from due instant to delivery, and catch-up after an outage.

For SQLite and PostgreSQL in turn, on a fresh database with 100,000 open clocks (one first-response
clock per ticket, a 4-hour target, a warning at 50%), ``slakeeper worker`` runs in its own process
and delivers to a webhook receiver in a third process (``bench/receiver.py``), which notes when
each message arrives:

- **delay**: a stream of warnings comes due at a steady rate during a window (the other clocks are
  due later); delay = arrival at the receiver − planned instant, every warning counted;
- **catch-up**: the worker is stopped, then warnings planned over the past hour are loaded (an
  hour's outage) and the worker started again; rate = warnings delivered ÷ time from the worker's
  launch (its start-up included) to the last arrival;
- **the polling design** that peers use (a job that re-reads every open ticket; Zendesk's
  hourly job, cron-style escalation jobs): one scan of all open clocks, read and planned, against
  slakeeper's indexed look for what is due. Its cost is the floor of a poller's delay.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson
from sqlalchemy import Engine, func, select

from bench.bench_service import _databases, _exe, _free_port, _pct
from bench.report import Figure, Section, Table, now_text
from slakeeper.adapters.db import tables
from slakeeper.adapters.db.engine import make_engine
from slakeeper.adapters.db.migrate import upgrade
from slakeeper.adapters.db.store import SqlUnitOfWork
from slakeeper.domain.alerts import plan
from slakeeper.domain.events import format_instant, parse_instant
from slakeeper.service.configuration import ConfigCache, put_config
from slakeeper.service.ingest import ingest_events
from slakeeper.service.records import ClockFilter

TARGET_P99_S = 1.0
TARGET_CATCH_UP = 2000.0
TARGET_H = 4  # first-response target; the warning is at half of it
HALF_US = TARGET_H * 3600 * 1_000_000 // 2
LOAD_BATCH = 5000


def _config(receiver_url: str) -> dict[str, object]:
    return {
        "policies": [
            {
                "name": "Standard",
                "targets": {"first_response": {"default": f"{TARGET_H}h"}},
                "alerts": ["50%"],
            }
        ],
        "channels": {"receiver": {"type": "webhook", "url": receiver_url}},
        "notify": {"channels": ["receiver"]},
    }


class Receiver:
    def __init__(self, folder: Path) -> None:
        self.port = _free_port()
        self.out = folder / f"received-{self.port}.json"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.receiver", str(self.port), str(self.out)],
            stdout=subprocess.PIPE,
        )
        assert self.process.stdout is not None
        self.process.stdout.readline()  # "ready"
        self.url = f"http://127.0.0.1:{self.port}/hook"

    def notes(self) -> list[tuple[float, str, str, bool]]:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(60)
        return [tuple(n) for n in orjson.loads(self.out.read_bytes())]  # type: ignore[misc]


class Worker:
    def __init__(self, url: str) -> None:
        env = {**os.environ, "SLAKEEPER_DATABASE_URL": url}
        self.started = time.time()
        self.process = subprocess.Popen(
            [_exe(), "worker", "--poll", "0.1"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _created(ticket: str, at_us: int) -> dict[str, object]:
    return {
        "id": f"{ticket}-c",
        "ticket": ticket,
        "type": "ticket.created",
        "at": format_instant(at_us),
        "priority": "normal",
    }


def _load(uow: SqlUnitOfWork, cache: ConfigCache, events: list[dict[str, object]]) -> None:
    now = time.time_ns() // 1000
    for i in range(0, len(events), LOAD_BATCH):
        batch = events[i : i + LOAD_BATCH]
        ingest_events(uow, cache, enumerate(batch, 1), max(now, time.time_ns() // 1000))


def _delivered(engine: Engine) -> int:
    d = tables.deliveries.c
    with engine.connect() as c:
        return int(c.execute(select(func.count()).where(d.status == "delivered")).scalar_one())


def _scan_vs_index(uow: SqlUnitOfWork, cache: ConfigCache) -> tuple[float, float, int]:
    """Seconds for one poller's scan (read and plan every open clock), and for one indexed look."""
    with uow.read() as store:
        config = cache.current(store)
        assert config is not None
        book = config.config.book
        start = time.perf_counter()
        rows = store.clocks(ClockFilter(status="active"), None, 10**9)
        for row in rows:
            policy = book.named(row.clock.policy)
            assert policy is not None
            plan(row.clock, policy.alerts, policy.escalations, policy.calendar, row.derived_at)
        scan = time.perf_counter() - start
        looks = []
        for _ in range(20):
            start = time.perf_counter()
            store.next_check_at()
            looks.append(time.perf_counter() - start)
    return scan, statistics.median(looks), len(rows)


def _phases(
    url: str, folder: Path, open_count: int, window_s: float, rate: int, outage: int
) -> dict[str, float]:
    engine = make_engine(url)
    upgrade(engine)
    uow, cache = SqlUnitOfWork(engine), ConfigCache()
    receiver = Receiver(folder)
    worker: Worker | None = None
    try:
        now = time.time_ns() // 1000
        document = _config(receiver.url)
        put_config(uow, cache, document, orjson.dumps(document).decode(), "bench", now)
        streamed = int(window_s * rate)
        lead_us = 8_000_000  # time to load the stream and start the worker
        # the background: warnings due after the window (created within the last two hours)
        far = now + lead_us + int(window_s * 1e6) + 60_000_000
        span = now + HALF_US - far
        background = [
            _created(f"B-{n:06d}", far - HALF_US + (n * span) // max(1, open_count - streamed))
            for n in range(open_count - streamed)
        ]
        _load(uow, cache, background)
        # the stream: warnings due at a steady rate from t0
        t0 = time.time_ns() // 1000 + lead_us
        stream = [
            _created(f"S-{n:06d}", t0 + (n * 1_000_000) // rate - HALF_US) for n in range(streamed)
        ]
        _load(uow, cache, stream)
        scan_s, look_s, scanned = _scan_vs_index(uow, cache)
        worker = Worker(url)
        end = t0 / 1e6 + window_s + 3
        while time.time() < end:
            time.sleep(0.2)
        while _delivered(engine) < streamed and time.time() < end + 30:
            time.sleep(0.2)
        worker.stop()
        worker = None
        # an hour's outage: warnings planned over the past hour, the worker down
        now = time.time_ns() // 1000
        missed = [
            _created(f"O-{n:06d}", now - 3_600_000_000 + (n * 3_600_000_000) // outage - HALF_US)
            for n in range(outage)
        ]
        _load(uow, cache, missed)
        worker = Worker(url)
        target = streamed + outage
        while _delivered(engine) < target and time.time() < worker.started + 300:
            time.sleep(0.05)
        caught_up_s = time.time() - worker.started
        worker.stop()
        worker = None
        notes = receiver.notes()
    finally:
        if worker is not None:
            worker.stop()
        if receiver.process.poll() is None:
            receiver.process.kill()
        engine.dispose()
    delays = [
        arrived - parse_instant(planned) / 1e6
        for arrived, alert, planned, _late in notes
        if planned is not None
    ][:streamed]
    arrivals = {alert for _, alert, _, _ in notes}
    return {
        "streamed": streamed,
        "delivered_stream": len(delays),
        "p50": statistics.median(delays) if delays else float("nan"),
        "p99": _pct(delays, 99) if delays else float("nan"),
        "max": max(delays) if delays else float("nan"),
        "outage": outage,
        "catch_up_s": caught_up_s,
        "rate": outage / caught_up_s,
        "distinct": len(arrivals),
        "received": len(notes),
        "scan_s": scan_s,
        "look_s": look_s,
        "scanned": scanned,
    }


def run(quick: bool = False) -> Section:
    section = Section(
        key="monitor",
        title="monitor: the worker",
        mode="quick" if quick else "full",
        run_at=now_text(),
    )
    open_count = 10_000 if quick else 100_000
    window_s, rate = (5.0, 100) if quick else (20.0, 100)
    outage = 4_000 if quick else 20_000
    delay = Table(
        title=f"Due instant to delivery at a local webhook receiver, {open_count:,} open clocks",
        columns=[
            "database",
            "warnings",
            "delivered",
            "p50",
            "p99",
            "max",
            "catch-up alerts",
            "catch-up rate",
        ],
    )
    poll = Table(
        title="Finding what is due: slakeeper's index against the polling design (same data)",
        columns=["database", "open clocks", "poller's scan", "indexed look", "ratio"],
    )
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as folder:
        for name, url, data in _databases(Path(folder)):
            data.mkdir(parents=True, exist_ok=True)
            r = _phases(url, Path(folder), open_count, window_s, rate, outage)
            delay.rows.append(
                [
                    name,
                    f"{r['streamed']:,.0f}",
                    f"{r['delivered_stream']:,.0f}",
                    f"{r['p50'] * 1000:.0f} ms",
                    f"{r['p99'] * 1000:.0f} ms",
                    f"{r['max'] * 1000:.0f} ms",
                    f"{r['outage']:,.0f}",
                    f"{r['rate']:,.0f}/s",
                ]
            )
            poll.rows.append(
                [
                    name,
                    f"{r['scanned']:,.0f}",
                    f"{r['scan_s'] * 1000:,.0f} ms",
                    f"{r['look_s'] * 1000:.2f} ms",
                    f"{r['scan_s'] / r['look_s']:,.0f}×",
                ]
            )
            figures += [
                Figure(
                    f"p99 delay from due to delivery, {open_count:,} open clocks ({name})",
                    f"≤ {TARGET_P99_S:.0f} s",
                    f"{r['p99'] * 1000:.0f} ms",
                    r["p99"] <= TARGET_P99_S and r["delivered_stream"] == r["streamed"],
                ),
                Figure(
                    f"catch-up after a one-hour outage ({name})",
                    f"≥ {TARGET_CATCH_UP:,.0f} alerts/s",
                    f"{r['rate']:,.0f} alerts/s",
                    r["rate"] >= TARGET_CATCH_UP,
                ),
            ]
    delay.notes.append(
        f"Stream: {rate} warnings/s due over {window_s:.0f} s; the other clocks are due later. "
        f"Catch-up: {outage:,} warnings planned over the past hour, timed from the worker's launch "
        "(process start-up included) to the last delivery. Worker, receiver and database share "
        "this machine's two cores."
    )
    poll.notes.append(
        "The poller's scan reads every open clock and plans its warnings; a poller finds a due "
        "warning no sooner than one scan (Zendesk's job runs hourly). slakeeper's look is the "
        "indexed query the worker makes between wake-ups."
    )
    section.tables += [delay, poll]
    section.figures = figures
    return section
