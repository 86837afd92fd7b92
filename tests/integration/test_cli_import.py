"""``slakeeper import`` end to end on SQLite and PostgreSQL (docs/import.md): a generated export
with bad rows is imported through the console script; the report names every bad row, the exit
status says some were skipped, the good tickets are stored with the right clocks, a dry run
stores nothing, importing again changes nothing, and unusable input exits 2 without a traceback."""

from __future__ import annotations

import csv
import json
import os
import random
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from slakeeper.bootstrap import bootstrap
from slakeeper.service.configuration import put_config
from slakeeper.service.queries import ticket_clocks
from slakeeper.settings import Settings
from tests.factories import config, policy, us
from tests.integration.test_cli_evaluate import SLAKEEPER
from tests.unit.test_importers import jira_issue, zendesk_ticket

SLA = config(
    policy(
        "Standard",
        {"first_response": {"default": "1h"}, "resolution": {"default": "8h"}},
        calendar="24x7",
    )
)
MAPPING = {
    "tickets": {
        "ticket": "Key",
        "created_at": "Created",
        "first_reply_at": "First reply",
        "solved_at": "Solved",
        "priority": "Priority",
        "group": "Team",
        "tags": "Tags",
    },
    "values": {"priority": {"P1": "urgent", "P2": "high", "P3": "normal", "P4": "low"}},
    "times": {"timezone": "Europe/Berlin"},
}
HEADER = ["Key", "Created", "First reply", "Solved", "Priority", "Team", "Tags"]
GOOD = 120
BAD_ROWS = {  # line in the file -> the row, and the column and words its report names
    12: (["BAD-1", "2026-02-30 09:00", "", "", "P2", "tier1", ""], "Created", "not a date"),
    40: (["BAD-2", "2026-03-02 09:00", "", "", "P7", "tier1", ""], "Priority", "'P7'"),
    77: (
        ["BAD-3", "2026-03-02 09:00", "2026-03-02 08:00", "", "P2", "tier1", ""],
        "First reply",
        "before the ticket was created",
    ),
    101: (["", "2026-03-02 09:00", "", "", "P2", "tier1", ""], "Key", "ticket id is empty"),
}


def export(folder: Path) -> tuple[str, str]:
    """A generated ticket-per-row export (local Berlin times) with four bad rows, and its mapping."""
    rng = random.Random(8)
    start = datetime(2026, 3, 2, 9, 0)
    rows: list[list[str]] = [
        # T-0000 is checked clock by clock: created 09:00, replied 09:30, solved 13:00 (Berlin)
        ["T-0000", "2026-03-02 09:00", "2026-03-02 09:30", "2026-03-02 13:00", "P2", "tier1", ""]
    ]
    for n in range(1, GOOD):
        created = start + timedelta(minutes=rng.randrange(0, 60 * 24 * 20))
        reply = created + timedelta(minutes=rng.randrange(1, 180))
        solved = reply + timedelta(minutes=rng.randrange(1, 900))
        rows.append(
            [
                f"T-{n:04d}",
                created.strftime("%Y-%m-%d %H:%M"),
                reply.strftime("%Y-%m-%d %H:%M"),
                solved.strftime("%Y-%m-%d %H:%M") if n % 3 else "",
                rng.choice(["P1", "P2", "P3", "P4"]),
                rng.choice(["tier1", "tier2"]),
                rng.choice(["", "vip", "vip,backup"]),
            ]
        )
    for line in sorted(BAD_ROWS):
        rows.insert(line - 2, BAD_ROWS[line][0])  # line 1 is the header
    path = folder / "tickets.csv"
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(HEADER)
        writer.writerows(rows)
    mapping = folder / "mapping.yaml"
    mapping.write_text(yaml.safe_dump(MAPPING))
    return str(path), str(mapping)


def cli(db_url: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SLAKEEPER_DATABASE_URL": db_url}
    done = subprocess.run(
        [str(SLAKEEPER), "import", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
        cwd=cwd,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


def configure(db_url: str) -> None:
    svc = bootstrap(Settings(database_url=db_url))
    try:
        put_config(svc.uow, svc.config, SLA, yaml.safe_dump(SLA), "test", us("2026-03-01 00:00"))
    finally:
        svc.engine.dispose()


def stored(db_url: str) -> tuple[int, dict[str, int]]:
    """The stored tickets and the stored events by type."""
    svc = bootstrap(Settings(database_url=db_url))
    try:
        with svc.uow.read() as store:
            count = store.count_tickets()
            tickets = [f"T-{n:04d}" for n in range(GOOD)] + ["zendesk:101", "jira:SUP-1"]
            types: dict[str, int] = {}
            for rows in store.histories(tickets).values():
                for row in rows:
                    kind = json.loads(row.body)["type"]
                    types[kind] = types.get(kind, 0) + 1
        return count, types
    finally:
        svc.engine.dispose()


def clocks_of(db_url: str, ticket: str, at: str) -> dict[str, Any]:
    svc = bootstrap(Settings(database_url=db_url))
    try:
        return {c.metric: c for c in ticket_clocks(svc.uow, svc.config, ticket, us(at))}
    finally:
        svc.engine.dispose()


def test_import_stores_the_good_rows_and_reports_each_bad_one(db_url: str, tmp_path: Path) -> None:
    path, mapping = export(tmp_path)
    configure(db_url)
    errors = tmp_path / "bad.csv"
    done = cli(db_url, "csv", path, "--mapping", mapping, "--errors", str(errors), cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    report = done.stderr.splitlines()
    assert len(report) == len(BAD_ROWS)
    for text, line in zip(report, sorted(BAD_ROWS), strict=True):
        _, column, words = BAD_ROWS[line]
        assert text.startswith(f"{path}: line {line}"), text
        assert f": {column}: " in text
        assert words in text
    assert f"tickets   {GOOD} imported, 3 skipped" in done.stdout
    assert "skipped   4 rows or records" in done.stdout
    count, types = stored(db_url)
    assert count == GOOD
    assert types["ticket.created"] == GOOD
    assert types["comment.added"] == GOOD
    assert f"stored    {sum(types.values())} new events, 0 were stored before" in done.stdout
    with open(errors, newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert [r["place"] for r in rows] == [f"line {n}" for n in sorted(BAD_ROWS)]
    assert rows[1]["ticket"] == "BAD-2"
    assert rows[1]["field"] == "Priority"
    assert rows[1]["row"] == ",".join(BAD_ROWS[40][0])

    # the clocks of an imported ticket: created 08:00Z, replied 08:30Z, solved 12:00Z
    clocks = clocks_of(db_url, "T-0000", "2026-03-10 00:00")
    first, resolution = clocks["first_response"], clocks["resolution"]
    assert (first.status, first.started_at, first.stopped_at) == (
        "achieved",
        us("2026-03-02 08:00"),
        us("2026-03-02 08:30"),
    )
    assert first.elapsed == 30 * 60 * 1_000_000
    assert first.breached is False
    assert (resolution.status, resolution.stopped_at) == ("achieved", us("2026-03-02 12:00"))
    assert resolution.due_at == us("2026-03-02 16:00")

    # the same import again is harmless: nothing new, nothing changed
    again = cli(db_url, "csv", path, "--mapping", mapping, cwd=tmp_path)
    assert again.returncode == 1
    assert f"stored    0 new events, {sum(types.values())} were stored before" in again.stdout
    assert stored(db_url) == (count, types)


def test_a_dry_run_stores_nothing(db_url: str, tmp_path: Path) -> None:
    path, mapping = export(tmp_path)
    configure(db_url)
    done = cli(db_url, "csv", path, "-m", mapping, "--dry-run", cwd=tmp_path)
    assert done.returncode == 1
    assert f"tickets   {GOOD} would be imported, 3 skipped" in done.stdout
    assert "stored    nothing (dry run)" in done.stdout
    assert "period    2026-03-02T08:00:00Z to " in done.stdout
    assert "not a date and time  (first: " in done.stdout
    assert stored(db_url)[0] == 0


def test_unusable_input_exits_2_with_a_clear_message(db_url: str, tmp_path: Path) -> None:
    path, mapping = export(tmp_path)
    missing = cli(db_url, "csv", str(tmp_path / "nope.csv"), "-m", mapping, cwd=tmp_path)
    assert (missing.returncode, missing.stderr.strip()) == (
        2,
        f"{tmp_path / 'nope.csv'}: no such file",
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text("tickets: {ticket: Key, priorty: Priority}\n")
    wrong = cli(db_url, "csv", path, "-m", str(bad), cwd=tmp_path)
    assert wrong.returncode == 2
    assert f"{bad}: tickets.priorty: unknown field" in wrong.stderr
    assert f"{bad}: tickets.created_at: is required" in wrong.stderr
    unconfigured = cli(db_url, "csv", path, "-m", mapping, cwd=tmp_path)
    assert unconfigured.returncode == 2
    assert "has no SLA configuration yet" in unconfigured.stderr
    assert unconfigured.stdout == ""
    both = cli(db_url, "csv", path, "-m", mapping, "--dry-run", "--out", "x", cwd=tmp_path)
    assert both.returncode == 2
    assert stored(db_url)[0] == 0


def test_zendesk_and_jira_exports_are_stored(db_url: str, tmp_path: Path) -> None:
    configure(db_url)
    deleted = zendesk_ticket()
    deleted["id"] = 102
    deleted["audits"][1]["events"][1]["value"] = "deleted"
    zendesk = tmp_path / "tickets.json"
    zendesk.write_text(json.dumps(zendesk_ticket()) + "\n" + json.dumps(deleted) + "\n")
    done = cli(db_url, "zendesk", str(zendesk), cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.startswith(f"{zendesk}: line 2 (ticket zendesk:102): audits[1].events[1]")
    assert "tickets   1 imported, 1 skipped" in done.stdout
    jira = tmp_path / "issues.json"
    jira.write_text(json.dumps({"issues": [jira_issue()]}))
    done = cli(db_url, "jira", str(jira), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "events    8: comment.added 4 · ticket.created 1 · ticket.updated 3" in done.stdout
    count, types = stored(db_url)
    assert count == 2
    assert types == {"ticket.created": 2, "ticket.updated": 6, "comment.added": 8, "csat.rated": 1}
    clocks = clocks_of(db_url, "jira:SUP-1", "2026-03-03 00:00")
    assert clocks["first_response"].stopped_at == us("2026-03-02 08:20")
    assert clocks["resolution"].stopped_at == us("2026-03-02 14:00")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_written_events_are_what_evaluate_reads(db_url: str, tmp_path: Path) -> None:
    path, mapping = export(tmp_path)
    out = tmp_path / "events.jsonl"
    done = cli(db_url, "csv", path, "-m", mapping, "--out", str(out), cwd=tmp_path)
    assert done.returncode == 1
    assert f"written   to {out}" in done.stdout
    sla = tmp_path / "sla.yaml"
    sla.write_text(yaml.safe_dump(SLA))
    clocks = subprocess.run(
        [
            str(SLAKEEPER),
            "evaluate",
            "-c",
            str(sla),
            "-e",
            str(out),
            "--at",
            "2026-04-01T00:00:00Z",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [json.loads(line) for line in clocks.stdout.splitlines()]
    assert len({c["ticket"] for c in lines}) == GOOD
    first = next(c for c in lines if c["ticket"] == "T-0000")
    assert first["stopped_at"] == "2026-03-02T08:30:00Z"
    assert stored(db_url)[0] == 0  # nothing stored with --out
