"""The service over HTTP, measured from a separate client process on loopback.

For SQLite and PostgreSQL in turn: start ``slakeeper serve`` on a fresh database, then from this
process (the client)
- bulk ingestion: JSON Lines batches of 1,000 events, one after another, clocks updated;
- the at-risk queue with 100,000 open tickets: ``GET /v1/at-risk?within=30m`` latency;
- single-event POST latency at a steady 200 requests per second (each request is scheduled on a
  fixed timetable, and latency is measured from the scheduled instant, so a slow answer delays
  the measure of the ones queued behind it: no coordinated omission).
"""

from __future__ import annotations

import itertools
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import orjson

from bench.report import Figure, Section, Table, now_text

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "examples" / "sla.yaml"
PG_ADMIN = os.environ.get(
    "SLAKEEPER_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
BATCH = 1000
TARGET_BULK = 10_000
TARGET_P99_MS = 25.0
TARGET_AT_RISK_MS = 50.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _exe() -> str:
    return shutil.which("slakeeper") or str(Path(sys.executable).parent / "slakeeper")


class Server:
    """``slakeeper serve`` in its own process, on a fresh database."""

    def __init__(self, database_url: str, data_dir: Path) -> None:
        self.port = _free_port()
        self.env = dict(
            os.environ, SLAKEEPER_DATABASE_URL=database_url, SLAKEEPER_DATA_DIR=str(data_dir)
        )
        subprocess.run([_exe(), "migrate"], env=self.env, check=True, capture_output=True)
        made = subprocess.run(
            [_exe(), "tokens", "create", "--role", "admin", "--name", "bench"],
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        )
        self.token = made.stdout.strip().splitlines()[-1]
        self.process = subprocess.Popen(
            [_exe(), "serve", "--port", str(self.port)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("slakeeper serve did not start")

    def client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {self.token}"}, timeout=60
        )

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _ndjson(events: list[dict[str, object]]) -> bytes:
    return b"\n".join(orjson.dumps(e) for e in events)


def _post(client: httpx.Client, events: list[dict[str, object]]) -> None:
    answer = client.post(
        "/v1/events", content=_ndjson(events), headers={"Content-Type": "application/x-ndjson"}
    )
    if answer.status_code != 200:
        raise RuntimeError(f"POST /v1/events answered {answer.status_code}: {answer.text[:300]}")


def bulk(server: Server, tickets: int) -> tuple[int, float]:
    from slakeeper.demo import iter_events

    events = list(iter_events(tickets, seed=11, start=datetime(2026, 3, 2, tzinfo=UTC), days=20))
    with server.client() as client:
        started = time.perf_counter()
        for i in range(0, len(events), BATCH):
            _post(client, events[i : i + BATCH])
        return len(events), time.perf_counter() - started


def open_tickets(server: Server, count: int, now: datetime) -> list[str]:
    """``count`` tickets created over the last two hours and not answered: all clocks running."""
    rng = random.Random(5)
    ids = [f"OPEN-{n:06d}" for n in range(count)]
    with server.client() as client:
        for i in range(0, count, BATCH):
            batch = []
            for ticket in ids[i : i + BATCH]:
                at = now - timedelta(seconds=rng.randrange(0, 7200))
                batch.append(
                    {
                        "id": f"{ticket}-c",
                        "ticket": ticket,
                        "type": "ticket.created",
                        "at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "priority": rng.choice(["urgent", "high", "normal", "low"]),
                        "customer": rng.choice(["acme", "globex", "initech", "umbrella"]),
                        "service": rng.choice(["storage", "compute", "network"]),
                        "channel": "email",
                    }
                )
            _post(client, batch)
    return ids


def _timed_gets(server: Server, path: str, count: int) -> list[float]:
    out = []
    with server.client() as client:
        client.get(path)  # warm
        for _ in range(count):
            started = time.perf_counter()
            answer = client.get(path)
            out.append((time.perf_counter() - started) * 1000)
            if answer.status_code != 200:
                raise RuntimeError(f"GET {path} answered {answer.status_code}")
    return out


def steady_posts(server: Server, tickets: list[str], rate: int, seconds: float) -> list[float]:
    """Single-event POSTs on a fixed timetable; latency from the scheduled instant, in ms."""
    total = int(rate * seconds)
    start = time.perf_counter() + 0.5
    latencies: list[float] = []
    lock = threading.Lock()
    counter = itertools.count()
    now = datetime.now(UTC)

    def worker() -> None:
        with server.client() as client:
            while True:
                n = next(counter)
                if n >= total:
                    return
                due = start + n / rate
                wait = due - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
                ticket = tickets[n % len(tickets)]
                event = {
                    "id": f"steady-{n}",
                    "ticket": ticket,
                    "type": "comment.added",
                    "at": (now + timedelta(milliseconds=n)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                    "author": "customer" if n % 2 else "agent",
                }
                answer = client.post(
                    "/v1/events",
                    content=orjson.dumps([event]),
                    headers={"Content-Type": "application/json"},
                )
                done = time.perf_counter()
                if answer.status_code != 200:
                    raise RuntimeError(f"POST answered {answer.status_code}: {answer.text[:200]}")
                with lock:
                    latencies.append((done - due) * 1000)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _databases(tmp: Path) -> Iterator[tuple[str, str, Path]]:
    yield "SQLite", f"sqlite:///{tmp / 'sqlite' / 'bench.db'}", tmp / "sqlite"
    import psycopg

    name = f"slakeeper_bench_{os.getpid()}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield "PostgreSQL", PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", tmp / "pg"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(quick: bool = False) -> Section:
    section = Section(
        key="service",
        title="service: HTTP API",
        mode="quick" if quick else "full",
        run_at=now_text(),
    )
    bulk_tickets = 2_000 if quick else 15_000
    open_count = 10_000 if quick else 100_000
    steady_s = 3.0 if quick else 10.0
    table = Table(
        title="HTTP API (client in a separate process, loopback)",
        columns=[
            "database",
            "bulk events",
            "bulk events/s",
            "at-risk p50",
            "at-risk p99",
            "POST p50 @200/s",
            "POST p99 @200/s",
        ],
    )
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as folder:
        for name, url, data in _databases(Path(folder)):
            data.mkdir(parents=True, exist_ok=True)
            server = Server(url, data)
            try:
                with server.client() as client:
                    answer = client.put(
                        "/v1/config",
                        content=CONFIG.read_bytes(),
                        headers={"Content-Type": "application/yaml"},
                    )
                    answer.raise_for_status()
                events, seconds = bulk(server, bulk_tickets)
                ids = open_tickets(server, open_count, datetime.now(UTC))
                risk = _timed_gets(server, "/v1/at-risk?within=30m", 50)
                posts = steady_posts(server, ids, 200, steady_s)
            finally:
                server.stop()
            rate = events / seconds
            table.rows.append(
                [
                    name,
                    f"{events:,}",
                    f"{rate:,.0f}",
                    f"{statistics.median(risk):.1f} ms",
                    f"{_pct(risk, 99):.1f} ms",
                    f"{statistics.median(posts):.1f} ms",
                    f"{_pct(posts, 99):.1f} ms",
                ]
            )
            figures += [
                Figure(
                    f"bulk ingestion into {name}",
                    f"≥ {TARGET_BULK:,} events/s",
                    f"{rate:,.0f} events/s",
                    rate >= TARGET_BULK,
                ),
                Figure(
                    f"single-event POST p99 at 200/s ({name})",
                    f"≤ {TARGET_P99_MS:.0f} ms",
                    f"{_pct(posts, 99):.1f} ms",
                    _pct(posts, 99) <= TARGET_P99_MS,
                ),
                Figure(
                    f"GET /v1/at-risk with {open_count:,} open tickets ({name})",
                    f"≤ {TARGET_AT_RISK_MS:.0f} ms",
                    f"p50 {statistics.median(risk):.1f} ms",
                    statistics.median(risk) <= TARGET_AT_RISK_MS,
                ),
            ]
    table.notes.append(
        f"Bulk: {bulk_tickets:,} demo tickets' histories as JSON Lines batches of {BATCH:,}, sent one "
        f"after another. At-risk: {open_count:,} tickets created in the last two hours, 50 sequential "
        f"GETs (client-side latency, an upper bound of server time). POST: {int(200 * steady_s):,} "
        "single-event POSTs on a 200/s timetable from 16 client threads, latency from the scheduled instant."
    )
    section.tables.append(table)
    section.figures = figures
    return section
