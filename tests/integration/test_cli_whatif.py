"""``slakeeper whatif``, ``targets`` and ``staffing`` end to end: the golden check (the current
configuration proposed again gives `slakeeper report compliance`'s numbers, on a hand-made history
and on a simulated one read in parallel), the formats, and bad input named with exit status 2."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.factories import config, policy
from tests.integration.test_cli_evaluate import cli
from tests.unit.test_reports import AT

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "examples" / "simulation.yaml"
SLA = ROOT / "examples" / "sla.yaml"
SLAKEEPER = Path(sys.executable).parent / "slakeeper"


def advice(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(SLAKEEPER), *args],
        input=stdin.decode() if stdin is not None else None,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=ROOT,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


def ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stderr
    return done.stdout


def report_pairs(sla: str, events: str, at: str) -> dict[tuple[str, str], tuple[int, int, float]]:
    rows = json.loads(
        ok(
            cli(
                "report", "compliance", "-c", sla, "-e", events, "--at", at,
                "--by", "metric,priority", "-f", "json",
            )
        )
    )  # fmt: skip
    return {
        (r["metric"], r["priority"]): (r["met"], r["breached"], r["compliance_pct"]) for r in rows
    }


def whatif_pairs(rows: list[dict[str, Any]]) -> dict[tuple[str, str], tuple[int, int, float]]:
    return {
        (r["metric"], r["priority"]): (r["met"], r["breached"], r["compliance_pct"])
        for r in rows
        if r["judged"]
    }


def test_the_current_configuration_again_is_the_report(files: tuple[str, str]) -> None:
    sla, events = files
    body = json.loads(ok(advice("whatif", "-c", sla, "-e", events, "--at", AT, "-f", "json")))
    assert body["at"] == AT
    assert whatif_pairs(body["by_metric_priority"]) == report_pairs(sla, events, AT)
    assert body["by_policy"][0]["policy"] == "Standard"


def test_a_proposal_against_a_baseline_in_every_format(
    files: tuple[str, str], tmp_path: Path
) -> None:
    sla, events = files
    strict = tmp_path / "strict.yaml"
    strict.write_text(
        yaml.safe_dump(
            config(
                policy(targets={"first_response": {"high": "10m"}, "resolution": {"high": "1h"}})
            )
        )
    )
    args = ("whatif", "-c", str(strict), "-e", events, "--baseline", sla, "--at", AT)
    body = json.loads(ok(advice(*args, "-f", "json")))
    (first, resolution) = body["by_metric_priority"]
    assert (first["metric"], first["met"], first["breached"]) == ("first_response", 0, 4)
    assert (first["baseline_met"], first["baseline_breached"], first["change_pp"]) == (1, 3, -25.0)
    assert resolution["baseline_compliance_pct"] > resolution["compliance_pct"]
    rows = list(csv.DictReader(io.StringIO(ok(advice(*args, "-f", "csv")))))
    assert [r["breakdown"] for r in rows] == ["metric_priority"] * 2 + ["policy"] * 2
    assert rows[0]["change_pp"] == "-25.0"
    table = ok(advice(*args))
    assert "compliance by metric and priority" in table
    assert "-25.00" in table


def test_the_instant_defaults_to_the_last_event(files: tuple[str, str]) -> None:
    sla, events = files
    body = json.loads(ok(advice("whatif", "-c", sla, "-e", events, "-f", "json")))
    last = max(json.loads(line)["at"] for line in Path(events).read_text().splitlines())
    assert body["at"] == last
    piped = advice("whatif", "-c", sla, "-e", "-", "-f", "json", stdin=Path(events).read_bytes())
    assert json.loads(ok(piped)) == body


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Eight weeks of the example team (about 9,500 tickets, 10 MB): read in parallel."""
    out = tmp_path_factory.mktemp("sim") / "events.jsonl"
    ok(cli("simulate", "--config", str(MODEL), "--days", "56", "--out", str(out)))
    assert out.stat().st_size > 8 * 1024 * 1024
    return out


def test_the_golden_check_on_a_simulated_history(simulated: Path) -> None:
    at = "2026-04-27T00:00:00Z"
    body = json.loads(
        ok(
            advice(
                "whatif",
                "-c",
                str(SLA),
                "-e",
                str(simulated),
                "--baseline",
                str(SLA),
                "--at",
                at,
                "-f",
                "json",
            )
        )
    )
    assert whatif_pairs(body["by_metric_priority"]) == report_pairs(str(SLA), str(simulated), at)
    assert all(r["change_pp"] == 0.0 for r in body["by_metric_priority"])
    assert body["tickets"] > 9000


def test_targets_in_every_format(files: tuple[str, str], simulated: Path) -> None:
    sla, events = files
    body = json.loads(
        ok(advice("targets", "-c", sla, "-e", events, "--at", AT, "-f", "json", "--goal", "0.5"))
    )
    rows = {(r["metric"], r["priority"], r["policy"]): r for r in body["targets"]}
    first = rows[("first_response", "high", None)]
    # two replies (30 and 75 business minutes) and two tickets still waiting
    assert (first["clocks"], first["censored"], first["compliance_pct"]) == (4, 2, 25.0)
    assert first["targets"] == "1h"
    assert body["goal"] == 0.5
    big = json.loads(ok(advice("targets", "-c", str(SLA), "-e", str(simulated), "-f", "json")))
    normal = {(r["metric"], r["priority"], r["policy"]): r for r in big["targets"]}[
        ("first_response", "normal", None)
    ]
    assert normal["clocks"] > 4000
    assert normal["lower_s"] <= normal["estimate_s"] <= normal["upper_s"] <= normal["recommended_s"]
    assert normal["recommended_compliance_pct"] >= 90
    rows_csv = list(
        csv.DictReader(
            io.StringIO(ok(advice("targets", "-c", sla, "-e", events, "--at", AT, "-f", "csv")))
        )
    )
    assert rows_csv[0]["metric"] == "first_response"
    assert "targets from history" in ok(advice("targets", "-c", sla, "-e", events, "--at", AT))


def test_staffing_at_the_models_own_size_is_the_model(tmp_path: Path) -> None:
    args = ("--model", str(MODEL), "--sla", str(SLA), "--days", "14", "--warmup-days", "0")
    body = json.loads(ok(advice("staffing", *args, "--sizes", "9,14", "-f", "json")))
    sizes = {r["size"]: r for r in body["sizes"]}
    assert list(sizes) == [9, 14]
    assert body["team"] == 14
    # the model's own team is the model: its first responses are those the report gives
    events = tmp_path / "events.jsonl"
    ok(cli("simulate", "--config", str(MODEL), "--days", "14", "--out", str(events)))
    at = "2026-03-16T00:00:00Z"
    reported = json.loads(
        ok(cli("report", "compliance", "-c", str(SLA), "-e", str(events), "--at", at, "-f", "json"))
    )
    (first,) = [r for r in reported if r["metric"] == "first_response"]
    assert (sizes[14]["met"], sizes[14]["breached"]) == (first["met"], first["breached"])
    assert sizes[9]["compliance_pct"] <= sizes[14]["compliance_pct"]
    erlang = body["erlang"]
    assert erlang["tickets_per_hour"] > 0
    assert erlang["places_on_duty"] > erlang["traffic_erlangs"]
    table = ok(advice("staffing", *args, "--sizes", "13..14"))
    assert "Erlang C" in table
    assert "simulation:" in table


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (("whatif", "-c", "{missing}", "-e", "{events}"), "missing.yaml: cannot read the file"),
        (
            ("whatif", "-c", "{bad_sla}", "-e", "{events}"),
            "bad.yaml: policies[0].targets.first_response.default",
        ),
        (
            ("whatif", "-c", "{sla}", "-e", "{bad_events}"),
            "bad.jsonl: line 2: event 'e2': unknown field(s) colour",
        ),
        (("whatif", "-c", "{sla}", "-e", "{events}", "--baseline", "{missing}"), "missing.yaml"),
        (("whatif", "-c", "{sla}", "-e", "{events}", "--at", "tuesday"), "--at 'tuesday'"),
        (("whatif", "-c", "{sla}", "-e", "{nowhere}"), "nowhere.jsonl: cannot read the file"),
        (
            ("targets", "-c", "{sla}", "-e", "{events}", "--goal", "1.5"),
            "--goal 1.5 must lie strictly",
        ),
        (
            ("targets", "-c", "{sla}", "-e", "{events}", "--confidence", "0"),
            "--confidence 0.0 must lie",
        ),
        (("targets", "-c", "{sla}", "-e", "{bad_events}"), "bad.jsonl: line 2"),
        (
            (
                "whatif",
                *("-c", "{sla}", "-e", "{events}"),
                *("--from", "2024-01-16T00:00:00Z", "--to", "2024-01-15T00:00:00Z"),
            ),
            "--to 2024-01-15T00:00:00Z must come after --from",
        ),
        (("staffing", "-m", "{model}", "-s", "{sla}", "--sizes", "many"), "--sizes: 'many'"),
        (("staffing", "-m", "{model}", "-s", "{sla}", "--metric", "speed"), "--metric: 'speed'"),
        (
            ("staffing", "-m", "{model}", "-s", "{sla}", "--router", "dice"),
            "--router: unknown router",
        ),
        (("staffing", "-m", "{bad_model}", "-s", "{sla}"), "sim.yaml: agents"),
        (("staffing", "-m", "{model}", "-s", "{sla}", "--days", "0"), "--days: 0"),
    ],
)
def test_bad_input_is_named_with_exit_2(
    files: tuple[str, str], tmp_path: Path, command: tuple[str, ...], message: str
) -> None:
    sla, events = files
    bad = config(policy(targets={"first_response": {"default": "4x"}}))
    places = {
        "sla": sla,
        "events": events,
        "missing": str(tmp_path / "missing.yaml"),
        "nowhere": str(tmp_path / "nowhere.jsonl"),
        "bad_sla": write(tmp_path, "bad.yaml", yaml.safe_dump(bad)),
        "bad_events": write(
            tmp_path,
            "bad.jsonl",
            '{"id": "e1", "ticket": "T-1", "type": "ticket.created", "at": "2024-01-15T10:00:00Z"}\n'
            '{"id": "e2", "ticket": "T-1", "type": "comment.added", "at": "2024-01-15T10:05:00Z", '
            '"author": "agent", "colour": "red"}\n',
        ),
        "model": str(MODEL),
        "bad_model": write(
            tmp_path, "sim.yaml", MODEL.read_text().replace("agents:\n", "agents: 3\nx:\n")
        ),
    }
    done = advice(*(part.format(**places) for part in command))
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert message in done.stderr
    assert done.stdout == ""
