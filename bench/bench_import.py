"""History import: a year of a help desk's tickets into the store, through ``slakeeper import``.

A year of history for 100,000 tickets (``--quick``: 10,000) is generated twice — as a CSV
export with one row per ticket (creation, first reply, solve, close, status, attributes, rating)
and as a Zendesk export (tickets with their audits as JSON Lines: comments, status changes,
ratings) — and each is imported by the console script into a fresh SQLite database and a fresh
PostgreSQL one (when one is reachable), the example SLA configuration stored first. Timed from
the command's start to its exit: reading, checking every ticket, ingesting in batches with the
clocks derived and stored. Also timed: a dry run (read and check only) and importing the CSV
again (everything already stored).
"""

from __future__ import annotations

import csv
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
import yaml

from bench.report import Figure, Section, Table, now_text

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = os.environ.get(
    "SLAKEEPER_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
TARGET_S = 300.0  # "a year for 100,000 tickets in minutes": five of them at most
START = datetime(2025, 1, 1, tzinfo=UTC)
_BERLIN = ZoneInfo("Europe/Berlin")
PRIORITIES = (("urgent", 0.05), ("high", 0.2), ("normal", 0.55), ("low", 0.2))
CUSTOMERS = ("acme", "globex", "initech", "umbrella")
SERVICES = ("storage", "compute", "network", "billing")
GROUPS = ("tier1", "tier2", "billing")
TAGS = ("vip", "backup", "outage", "invoice", "how-to")
COLUMNS = {
    "ticket": "Ticket ID",
    "created_at": "Created",
    "first_reply_at": "First reply",
    "solved_at": "Solved",
    "closed_at": "Closed",
    "updated_at": "Updated",
    "status": "Status",
    "priority": "Priority",
    "channel": "Channel",
    "customer": "Organization",
    "service": "Product",
    "group": "Group",
    "assignee": "Assignee",
    "tags": "Tags",
    "csat": "Satisfaction",
}
MAPPING = {
    "tickets": COLUMNS,
    "values": {"priority": {"P1": "urgent", "P2": "high", "P3": "normal", "P4": "low"}},
    "times": {"timezone": "Europe/Berlin"},
}
ZENDESK_MAPPING = {"values": {"customer": {str(100 + i): c for i, c in enumerate(CUSTOMERS)}}}


class _Ticket:
    """One generated ticket's history, as instants (whole seconds) and attributes."""

    __slots__ = (
        "agent",
        "closed",
        "created",
        "csat",
        "customer",
        "group",
        "number",
        "pending",
        "priority",
        "reply",
        "reply2",
        "service",
        "solved",
        "tags",
        "wake",
    )

    def __init__(self, number: int, rng: random.Random, span: int) -> None:
        self.number = number
        self.created = int(START.timestamp()) + rng.randrange(span)
        self.priority = rng.choices([p for p, _ in PRIORITIES], [w for _, w in PRIORITIES])[0]
        self.customer = rng.randrange(len(CUSTOMERS))
        self.service = rng.choice(SERVICES)
        self.group = rng.choice(GROUPS)
        self.agent = f"agent{rng.randrange(40)}"
        self.tags = sorted(set(rng.sample(TAGS, rng.randrange(3))))
        self.reply = self.created + rng.randrange(60, 6 * 3600) if rng.random() < 0.93 else None
        self.pending = self.reply is not None and rng.random() < 0.4
        self.wake = self.reply + rng.randrange(600, 86_400) if self.pending and self.reply else None
        self.reply2 = self.wake + rng.randrange(60, 4 * 3600) if self.wake else None
        last = self.reply2 or self.reply
        self.solved = last + rng.randrange(60, 2 * 86_400) if last and rng.random() < 0.9 else None
        self.closed = self.solved + 4 * 86_400 if self.solved and rng.random() < 0.7 else None
        self.csat = rng.choice((1, 5, 5, 5)) if self.solved and rng.random() < 0.2 else None


def tickets(count: int, seed: int = 17) -> Iterator[_Ticket]:
    rng = random.Random(seed)
    span = 365 * 86_400
    for number in range(1, count + 1):
        yield _Ticket(number, rng, span)


def _local(seconds: int | None) -> str:
    """Berlin time with its offset: without one, the repeated autumn hour is ambiguous."""
    if seconds is None:
        return ""
    return datetime.fromtimestamp(seconds, UTC).astimezone(_BERLIN).isoformat(" ")


def _utc(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_csv(path: Path, count: int) -> None:
    """One row per ticket, local Berlin times (ISO 8601 with offsets), as a report writes them."""
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(COLUMNS.values())
        for t in tickets(count):
            status = (
                "closed"
                if t.closed
                else "solved"
                if t.solved
                else "pending"
                if t.pending and not t.wake
                else "open"
            )
            updated = t.closed or t.solved or t.reply2 or t.reply or t.created
            writer.writerow(
                [
                    f"T{t.number:06d}",
                    _local(t.created),
                    _local(t.reply),
                    _local(t.solved),
                    _local(t.closed),
                    _local(updated),
                    status,
                    f"P{[p for p, _ in PRIORITIES].index(t.priority) + 1}",
                    "email",
                    CUSTOMERS[t.customer],
                    t.service,
                    t.group,
                    t.agent,
                    ",".join(t.tags),
                    t.csat or "",
                ]
            )


def write_zendesk(path: Path, count: int) -> None:
    """Tickets with their audits (the Ticket Audits API), one ticket a line."""
    with open(path, "wb") as stream:
        for t in tickets(count):
            stream.write(orjson.dumps(zendesk_ticket(t)))
            stream.write(b"\n")


def zendesk_ticket(t: _Ticket) -> dict[str, object]:
    requester, agent = 50_000 + t.number, 7000 + int(t.agent[5:])
    audits: list[dict[str, object]] = []
    numbers = iter(range(t.number * 100, t.number * 100 + 100))

    def audit(at: int, author: int, *events: dict[str, object]) -> None:
        audits.append(
            {
                "id": t.number * 100 + len(audits),
                "ticket_id": t.number,
                "created_at": _utc(at),
                "author_id": author,
                "events": [{"id": next(numbers), **event} for event in events],
            }
        )

    def change(field: str, value: object) -> dict[str, object]:
        return {"type": "Change", "field_name": field, "value": value}

    def comment(author: int, public: bool = True) -> dict[str, object]:
        return {"type": "Comment", "author_id": author, "public": public, "body": "..."}

    created = (
        ("status", "new"),
        ("priority", t.priority),
        ("group_id", GROUPS.index(t.group) + 10),
        ("organization_id", 100 + t.customer),
        ("tags", t.tags),
    )
    audit(
        t.created,
        requester,
        comment(requester),
        *({"type": "Create", "field_name": name, "value": value} for name, value in created),
    )
    if t.reply:
        status = "pending" if t.pending else "open"
        audit(
            t.reply, agent, comment(agent), change("status", status), change("assignee_id", agent)
        )
    if t.wake:
        audit(t.wake, requester, comment(requester), change("status", "open"))
    if t.reply2:
        audit(t.reply2, agent, comment(agent, False), comment(agent))
    if t.solved:
        audit(t.solved, agent, comment(agent), change("status", "solved"))
        if t.csat:
            rating = {"type": "SatisfactionRating", "score": "good" if t.csat == 5 else "bad"}
            audit(t.solved + 3600, requester, rating)
    if t.closed:
        audit(t.closed, -1, change("status", "closed"))
    return {
        "id": t.number,
        "created_at": _utc(t.created),
        "requester_id": requester,
        "via": {"channel": "email"},
        "audits": audits,
    }


def _exe() -> str:
    return shutil.which("slakeeper") or str(Path(sys.executable).parent / "slakeeper")


def _prepare(url: str) -> None:
    """Migrate and store the example SLA configuration."""
    from slakeeper.adapters.config_file import parse_document
    from slakeeper.bootstrap import bootstrap
    from slakeeper.entrypoints.serve import EXAMPLE_CONFIG
    from slakeeper.service.configuration import put_config
    from slakeeper.settings import Settings

    svc = bootstrap(Settings(database_url=url))
    try:
        text = EXAMPLE_CONFIG.read_text()
        document = parse_document(text, "sla.yaml")
        put_config(svc.uow, svc.config, document, text, "bench", svc.now())
    finally:
        svc.engine.dispose()


def _import(url: str, *args: str) -> tuple[float, int, int]:
    """Run ``slakeeper import``; (seconds, tickets, events) from its summary."""
    env = dict(os.environ, SLAKEEPER_DATABASE_URL=url)
    started = time.perf_counter()
    done = subprocess.run(
        [_exe(), "import", *args], env=env, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(
            f"slakeeper import {args[0]} exited {done.returncode}: {done.stderr[-2000:]}"
        )
    found = re.search(r"tickets\s+([\d,]+)", done.stdout)
    events = re.search(r"events\s+([\d,]+)", done.stdout)
    if found is None or events is None:
        raise RuntimeError(f"no summary in: {done.stdout}")
    return seconds, int(found.group(1).replace(",", "")), int(events.group(1).replace(",", ""))


def _databases(folder: Path) -> Iterator[tuple[str, str]]:
    yield "SQLite", f"sqlite:///{folder / 'sqlite.db'}"
    try:
        import psycopg

        name = f"slakeeper_bench_import_{os.getpid()}"
        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # no server: the SQLite figures stand alone
        print(f"PostgreSQL not available ({exc.__class__.__name__}): SQLite only", file=sys.stderr)
        return
    try:
        yield "PostgreSQL", PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(quick: bool = False) -> Section:
    count = 10_000 if quick else 100_000
    target = TARGET_S * count / 100_000
    section = Section(
        key="import",
        title="import: a year of ticket history",
        mode="quick" if quick else "full",
        run_at=now_text(),
    )
    table = Table(
        title=f"slakeeper import, a year for {count:,} tickets (console script, end to end)",
        columns=["export", "database", "tickets", "events", "time", "tickets/s", "events/s"],
    )
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        exports = {
            "CSV, one row per ticket": folder / "tickets.csv",
            "Zendesk, tickets with audits": folder / "zendesk.jsonl",
        }
        write_csv(exports["CSV, one row per ticket"], count)
        write_zendesk(exports["Zendesk, tickets with audits"], count)
        mapping = folder / "mapping.yaml"
        mapping.write_text(yaml.safe_dump(MAPPING))
        zendesk_mapping = folder / "zendesk.yaml"
        zendesk_mapping.write_text(yaml.safe_dump(ZENDESK_MAPPING))
        args = {
            "CSV, one row per ticket": [
                "csv",
                str(exports["CSV, one row per ticket"]),
                "-m",
                str(mapping),
            ],
            "Zendesk, tickets with audits": [
                "zendesk",
                str(exports["Zendesk, tickets with audits"]),
                "-m",
                str(zendesk_mapping),
            ],
        }
        sizes = {k: p.stat().st_size for k, p in exports.items()}

        def row(export: str, database: str, result: tuple[float, int, int]) -> None:
            seconds, n, events = result
            table.rows.append(
                [
                    export,
                    database,
                    f"{n:,}",
                    f"{events:,}",
                    f"{seconds:,.1f} s",
                    f"{n / seconds:,.0f}",
                    f"{events / seconds:,.0f}",
                ]
            )

        for export, command in args.items():
            row(export, "— (dry run)", _import("sqlite:///unused.db", *command, "--dry-run"))
        for database, url in _databases(folder):
            _prepare(url)
            for export, command in args.items():
                result = _import(url, *command)
                row(export, database, result)
                figures.append(
                    Figure(
                        f"a year for {count:,} tickets, {export} into {database}",
                        f"≤ {target:,.0f} s",
                        f"{result[0]:,.1f} s ({result[2] / result[0]:,.0f} events/s)",
                        result[0] <= target,
                    )
                )
            export = "CSV, one row per ticket"
            row(f"{export}, again (all stored)", database, _import(url, *args[export]))
    table.notes.append(
        f"Exports: {sizes['CSV, one row per ticket'] / 1e6:,.1f} MB of CSV and "
        f"{sizes['Zendesk, tickets with audits'] / 1e6:,.1f} MB of Zendesk JSON Lines, tickets "
        "spread over 2025. Time from the command's start to its exit (including interpreter "
        "start-up and the schema check): read, check each ticket's history, ingest in batches of "
        "20,000 events with every ticket's clocks derived and stored. The dry run reads and "
        "checks only; 'again' imports the same CSV a second time (every event already stored)."
    )
    section.tables.append(table)
    section.figures = figures
    return section
