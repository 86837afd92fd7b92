"""``slakeeper remote`` against a live server (uvicorn on 127.0.0.1, each database): pushing a
configuration and events (batches, repeats, stdin, a bad line, a refused event named by its
line), reading clocks (``--json`` equal to ``slakeeper evaluate``), the at-risk queue and the
alert log, and the one-line errors with exit status 2 — and the README's "Integrate in ten
minutes" shell steps, run as written by bash against a server on the real clock.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import Result
from sqlalchemy import Engine
from typer.testing import CliRunner

from slakeeper.client import Client
from slakeeper.entrypoints.cli import app
from tests.e2e.conftest import CONFIG, NOW, TestClock, expected, of_ticket, scenario
from tests.e2e.test_client import (
    ROOT,
    Live,
    alerting,
    free_port,
    guide_blocks,
    running_server,
)
from tests.factories import Events, config, policy
from tests.receivers import HttpReceiver

runner = CliRunner()
BIN = Path(sys.executable).parent


@pytest.fixture
def live(db_url: str, engine: Engine) -> Iterator[Live]:
    with running_server(db_url, TestClock(NOW)) as found:
        yield found


def remote(live: Live, *args: str, who: str | None = "admin", stdin: str | None = None) -> Result:
    """``slakeeper remote ARGS`` with SLAKEEPER_URL and SLAKEEPER_TOKEN (of ``who``) set."""
    env: dict[str, str | None] = {
        "SLAKEEPER_URL": live.url,
        "SLAKEEPER_TOKEN": None if who is None else live.tokens.get(who, who),
    }
    result = runner.invoke(app, ["remote", *args], env=env, input=stdin)
    assert "Traceback" not in result.output, result.output
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def failed(result: Result) -> list[str]:
    """The error lines of a command that must have failed with exit 2 and printed nothing."""
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    return result.stderr.splitlines()


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path, list[dict[str, Any]]]:
    sla = tmp_path / "sla.yaml"
    sla.write_text(yaml.safe_dump(CONFIG, sort_keys=False))
    events = scenario().items
    history = tmp_path / "events.jsonl"
    history.write_text("".join(json.dumps(e) + "\n" for e in events))
    return sla, history, events


# -- configuration ---------------------------------------------------------------------------------


def test_config_push_and_show(live: Live, files: tuple[Path, Path, Any]) -> None:
    sla, _, _ = files
    pushed = remote(live, "config", "push", str(sla))
    assert pushed.exit_code == 0, pushed.output
    assert pushed.stdout == (
        f"stored configuration version 1 on {live.url} (by admin, 2024-01-15 15:00:00 UTC)\n"
    )
    shown = remote(live, "config", "show", who="viewer")
    assert shown.exit_code == 0, shown.output
    assert shown.stdout == sla.read_text()
    assert shown.stderr.startswith("# configuration version 1, stored 2024-01-15 15:00:00 UTC")
    assert json.loads(remote(live, "config", "show", "--json").stdout) == CONFIG
    piped = remote(live, "config", "push", "-", stdin=sla.read_text())
    assert "version 2" in piped.stdout
    assert remote(live, "config", "show", "--version", "1").stdout == sla.read_text()


def test_a_refused_configuration_names_each_problem_by_file_and_place(
    live: Live, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(config(policy("Broken", {"resolution": {"high": "4x"}}))))
    lines = failed(remote(live, "config", "push", str(bad)))
    assert lines
    assert all(line.startswith(f"{bad}: policies[0].") for line in lines), lines
    assert any("'4x'" in line for line in lines)
    assert failed(remote(live, "config", "push", str(tmp_path / "nope.yaml"))) == [
        f"{tmp_path / 'nope.yaml'}: cannot read the file: No such file or directory"
    ]
    assert failed(remote(live, "config", "push", str(bad), who="agent")) == [
        f"the server at {live.url} does not let this token PUT /v1/config (403): "
        "this needs an admin token"
    ]


# -- events ----------------------------------------------------------------------------------------


def test_push_sends_batches_and_pushing_again_stores_nothing_twice(
    live: Live, files: tuple[Path, Path, list[dict[str, Any]]]
) -> None:
    sla, history, events = files
    remote(live, "config", "push", str(sla))
    pushed = remote(live, "push", str(history), "--batch-size", "5", who="agent")
    assert pushed.exit_code == 0, pushed.output
    n = len(events)
    batches = -(-n // 5)
    assert re.fullmatch(
        rf"pushed {n} events in {batches} batches to {re.escape(live.url)}: {n} new, "
        r"0 already stored, \d+ ticket updates\n",
        pushed.stdout,
    ), pushed.stdout
    again = remote(live, "push", "-", who="agent", stdin=history.read_text())
    assert again.exit_code == 0, again.output
    assert f"pushed {n} events in 1 batch to {live.url}: 0 new, {n} already stored" in again.stdout


def test_a_refused_event_is_named_by_its_line(live: Live, tmp_path: Path) -> None:
    remote(live, "config", "push", "-", stdin=yaml.safe_dump(CONFIG))
    e = Events(ticket="X-1", prefix="x")
    e.created("2024-01-15 10:00", priority="high")
    e.reply("2024-01-15 10:10")
    e.comment("2024-01-15 10:20", "robot")
    e.customer("2024-01-15 10:30")
    lines = [json.dumps(item) for item in e.items]
    history = tmp_path / "events.jsonl"
    history.write_text("\n".join([lines[0], lines[1], "", lines[2], lines[3]]) + "\n")
    errors = failed(remote(live, "push", str(history), "--batch-size", "2"))
    assert len(errors) == 2, errors
    assert errors[0].startswith(f"{history}: line 4 ('x3'): ")
    assert "robot" in errors[0]
    assert errors[1] == (
        "the 2 events before line 4 were stored (2 new); fix the file and push it again: "
        "events already stored are ignored"
    )


def test_a_line_that_is_not_json_stops_the_push(live: Live, tmp_path: Path) -> None:
    remote(live, "config", "push", "-", stdin=yaml.safe_dump(CONFIG))
    history = tmp_path / "events.jsonl"
    good = json.dumps(scenario().items[0])
    history.write_text(f"{good}\n{{not json\n")
    errors = failed(remote(live, "push", str(history)))
    assert errors[0].startswith(f"{history}: line 2: not valid JSON")
    assert errors[1] == "nothing was stored"
    assert failed(remote(live, "push", str(tmp_path / "none.jsonl"))) == [
        f"{tmp_path / 'none.jsonl'}: cannot read the file: No such file or directory"
    ]


# -- reading ---------------------------------------------------------------------------------------


def test_clocks_as_json_are_what_evaluate_writes(
    live: Live, files: tuple[Path, Path, list[dict[str, Any]]]
) -> None:
    sla, history, events = files
    remote(live, "config", "push", str(sla))
    remote(live, "push", str(history))
    evaluated = runner.invoke(
        app, ["evaluate", "-c", str(sla), "-e", str(history), "--at", NOW]
    ).stdout.splitlines()
    for ticket in ("A-1", "A-2", "G-1"):
        got = remote(live, "clocks", ticket, "--json")
        assert got.exit_code == 0, got.output
        want = [line for line in evaluated if json.loads(line)["ticket"] == ticket]
        assert got.stdout.splitlines() == want, ticket
        assert [json.loads(line) for line in want] == of_ticket(expected(events, NOW), ticket)
    table = remote(live, "clocks", "A-1")
    assert "SLA clocks of A-1" in table.stdout
    assert "first_response" in table.stdout
    assert "achieved" in table.stdout
    earlier = remote(live, "clocks", "A-1", "--json", "--at", "2024-01-15T10:10:00Z").stdout
    assert json.loads(earlier.splitlines()[0])["status"] == "active"


def test_the_at_risk_queue(live: Live, files: tuple[Path, Path, Any]) -> None:
    sla, history, _ = files
    remote(live, "config", "push", str(sla))
    remote(live, "push", str(history))
    table = remote(live, "at-risk", who="viewer")
    assert table.exit_code == 0, table.output
    rows = [line for line in table.stdout.splitlines() if "G-2" in line or "A-3" in line]
    cells = [[cell.strip() for cell in row.split("│")[1:-1]] for row in rows]
    assert [(c[0], c[-2]) for c in cells] == [("G-2", "0:10:00"), ("A-3", "0:20:00")]
    assert table.stderr == "2 clock(s) due within 0:30:00 of 2024-01-15 15:00:00 UTC\n"
    as_json = remote(live, "at-risk", "--within", "30m", "--json").stdout.splitlines()
    assert [(c["ticket"], c["due_at"]) for c in map(json.loads, as_json)] == [
        ("G-2", "2024-01-15T15:10:00Z"),
        ("A-3", "2024-01-15T15:20:00Z"),
    ]
    assert (
        len(
            remote(live, "at-risk", "--within", "20h", "--limit", "1", "--json").stdout.splitlines()
        )
        == 1
    )
    assert failed(remote(live, "at-risk", "--within", "2d")) == [
        f"the server at {live.url} refused GET /v1/at-risk (422): invalid input",
        "  within: '2d' uses the unit 'd', which does not exist; write hours, e.g. '24h'",
    ]


def test_alerts_and_a_retry(live: Live) -> None:
    with Client(live.url, live.tokens["admin"]) as api, alerting(live, api) as (run, receiver):
        receiver.fail_status, receiver.failures = 404, 1
        run("2024-01-15T10:30:00Z")
        table = remote(live, "alerts")
        assert table.exit_code == 0, table.output
        assert "A-1" in table.stdout
        assert "50%" in table.stdout
        assert "hook dead" in table.stdout
        (dead,) = [
            json.loads(line)
            for line in remote(live, "alerts", "--delivery", "dead", "--json").stdout.splitlines()
        ]
        assert (dead["ticket"], dead["threshold"], dead["planned_at"]) == (
            "A-1",
            "50%",
            "2024-01-15T10:30:00Z",
        )
        delivery = dead["deliveries"][0]["id"]
        retried = remote(live, "retry", str(delivery), who="agent")
        assert retried.stdout == f"delivery {delivery} (hook) is pending again\n"
        (missing,) = failed(remote(live, "retry", "999999", who="agent"))
        assert missing.startswith(f"not found at {live.url} (404): ")
        assert remote(live, "alerts", "--ticket", "G-1", "--json").stdout == ""


# -- errors ----------------------------------------------------------------------------------------


def test_errors_are_one_clear_line_and_exit_2(live: Live) -> None:
    assert failed(remote(live, "clocks", "A-1", who="slk_wrong")) == [
        f"the server at {live.url} refused the token (401): unknown or revoked token"
    ]
    assert failed(remote(live, "at-risk", who=None)) == [
        "no API token: pass --token or set SLAKEEPER_TOKEN "
        "(an admin makes one with `slakeeper tokens create`)"
    ]
    remote(live, "config", "push", "-", stdin=yaml.safe_dump(CONFIG))
    assert failed(remote(live, "clocks", "NOPE-1")) == [
        f"not found at {live.url} (404): no ticket 'NOPE-1'"
    ]
    down = f"http://127.0.0.1:{free_port()}"
    lines = failed(remote(live, "clocks", "A-1", "--url", down, "--token", "slk_x"))
    assert lines == [
        f"cannot connect to the server at {down} (connection refused); is slakeeper running "
        "there, and is the URL right?"
    ]
    assert failed(remote(live, "health", "--url", "localhost:8000")) == [
        "the server URL 'localhost:8000' must start with http:// or https:// "
        "(e.g. http://127.0.0.1:8000)"
    ]
    health = remote(live, "health", who=None)
    assert (
        health.stdout
        == f"ok: {live.url}, database {live.services.engine.dialect.name}, configuration version 1\n"
    )


def test_the_console_script_exits_2_without_a_traceback() -> None:
    down = f"http://127.0.0.1:{free_port()}"
    done = subprocess.run(
        [str(BIN / "slakeeper"), "remote", "at-risk", "--url", down, "--token", "slk_x"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith(f"cannot connect to the server at {down} (connection refused)")
    assert "Traceback" not in done.stderr


# -- the README's shell steps ----------------------------------------------------------------------


@pytest.fixture
def live_now(db_url: str, engine: Engine) -> Iterator[Live]:
    with running_server(db_url) as found:
        yield found


def test_the_readme_guide_runs_as_written(live_now: Live, db_url: str, tmp_path: Path) -> None:
    """Every shell step of "Integrate in ten minutes" but starting the server, in one bash, in a
    folder with the guide's sla.yaml and the checkout's examples/ — the server's address and the
    webhook's are this test's."""
    receiver = HttpReceiver()
    try:
        (sla,) = guide_blocks("yaml")
        (tmp_path / "sla.yaml").write_text(sla)
        (tmp_path / "examples").symlink_to(ROOT / "examples")
        steps = [b for b in guide_blocks("sh") if "slakeeper serve" not in b]
        assert len(steps) >= 5
        script = "set -euo pipefail\n" + "\n".join(steps)
        script = script.replace("http://127.0.0.1:8000", live_now.url)
        script = script.replace("https://hooks.example.com/sla", receiver.url)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SLAKEEPER_")}
        env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
        env["SLAKEEPER_DATABASE_URL"] = db_url
        env["COLUMNS"] = "200"
        done = subprocess.run(
            ["bash", "-c", script],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        out = done.stdout
        assert done.returncode == 0, f"{out}\n{done.stderr}"
        assert "Traceback" not in done.stderr
        assert f"ok: {live_now.url}, database" in out
        assert "stored configuration version 1" in out
        assert "3 new events, 0 already stored" in out
        assert "at risk: DESK-1001 first_response" in out
        assert '{"accepted":1,"duplicates":0,"tickets":1}' in out
        assert "pushed 398 events in 1 batch" in out
        assert "DESK-1001" in out
        assert "fired " in out
        bodies = [r["body"].decode() for r in receiver.requests]
        assert any("DESK-1001" in body and "75%" in body for body in bodies), bodies
        alerts = out.split("Alerts, newest first", 1)[1]
        assert "DESK-1001" in alerts
        assert "75%" in alerts
    finally:
        receiver.close()
