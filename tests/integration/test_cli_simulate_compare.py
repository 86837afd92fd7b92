"""``slakeeper simulate --compare`` and ``--router sla_aware`` end to end (docs/simulation.md,
"Routing"): a small model with a weekday desk and a weekend agent, the comparison as a table and
as JSON, and what is refused."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

SLAKEEPER = Path(sys.executable).parent / "slakeeper"
ROOT = Path(__file__).resolve().parents[2]
SLA = ROOT / "examples" / "sla.yaml"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")

SMALL: dict[str, Any] = {
    "start": "2026-03-02T00:00:00Z",
    "days": 7,
    "seed": 3,
    "calendars": [
        {"name": "office", "timezone": "Europe/Berlin", "hours": {d: ["09:00-17:00"] for d in WEEKDAYS}},
        {"name": "weekend", "timezone": "Europe/Berlin", "hours": {"sat": ["10:00-16:00"]}},
    ],
    "arrivals": {"name": "eu", "timezone": "Europe/Berlin", "weekly_volume": 120, "tags": ["region-eu"],
                 "shape": {"weekdays": 1, "weekend": 0.5}},
    "customers": [{"name": "acme", "tier": "gold", "weight": 1}, {"weight": 2}],
    "categories": {"storage": {"handling": "20m", "service": "storage"}, "billing": {"handling": "10m"}},
    "information": {"probability": 0.3, "delay": "2h"},
    "csat": {"response_rate": 0.5},
    "agents": [
        {"name": "anna", "calendar": "office", "skills": ["storage"], "capacity": 2},
        {"name": "bea", "calendar": "office", "skills": ["*"], "capacity": 2},
        {"name": "wes", "calendar": "weekend", "skills": ["*"], "capacity": 2},
    ],
}  # fmt: skip


def cli(*args: str) -> subprocess.CompletedProcess[bytes]:
    done = subprocess.run([str(SLAKEEPER), *args], capture_output=True, timeout=120, check=False)
    assert b"Traceback" not in done.stderr, done.stderr.decode()
    return done


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("model") / "small.yaml"
    path.write_text(yaml.safe_dump(SMALL), encoding="utf-8")
    return path


def test_compare_prints_a_table(small: Path) -> None:
    done = cli("simulate", "-c", str(small), "--compare", "--sla", str(SLA))
    assert done.returncode == 0, done.stderr.decode()
    lines = done.stdout.decode().splitlines()
    assert lines[0].startswith("routers on the same ")
    assert "2026-03-02T00:00:00Z to 2026-03-09T00:00:00Z, seed 3" in lines[0]
    assert lines[1].split()[:4] == ["router", "judged", "breached", "rate"]
    rows = {line.split()[0]: line for line in lines[2:5]}
    assert set(rows) == {"round_robin", "least_loaded", "sla_aware"}
    assert "baseline" in rows["round_robin"]
    assert "×)" in rows["sla_aware"]
    assert "breached / judged (rate) per metric" in lines
    assert done.stderr == b""


def test_compare_as_json_with_seed_and_days(small: Path) -> None:
    done = cli(
        "simulate", "-c", str(small), "--compare", "--sla", str(SLA),
        "--seed", "5", "--days", "3", "--format", "json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()
    data = json.loads(done.stdout)
    assert (data["seed"], data["start"], data["end"]) == (
        5,
        "2026-03-02T00:00:00Z",
        "2026-03-05T00:00:00Z",
    )
    assert data["baseline"] == "round_robin"
    assert [r["router"] for r in data["routers"]] == ["round_robin", "least_loaded", "sla_aware"]
    for row in data["routers"]:
        assert row["judged"] == sum(m["judged"] for m in row["metrics"].values())
        assert row["breached"] == sum(m["breached"] for m in row["metrics"].values())
        if row["judged"]:
            assert row["breach_rate"] == pytest.approx(row["breached"] / row["judged"])
    assert data["tickets"] > 0


def test_compare_writes_to_out(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "comparison.json"
    done = cli(
        "simulate", "-c", str(small), "--compare", "--sla", str(SLA), "-f", "json", "-o", str(out)
    )
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout == b""
    assert json.loads(out.read_text(encoding="utf-8"))["routers"]


def test_the_sla_aware_router_writes_events(small: Path) -> None:
    done = cli(
        "simulate", "-c", str(small), "--router", "sla_aware", "--sla", str(SLA), "--days", "2"
    )
    assert done.returncode == 0, done.stderr.decode()
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert any("assignee" in e for e in events)
    assert "router sla_aware" in done.stderr.decode()
    again = cli(
        "simulate", "-c", str(small), "--router", "sla_aware", "--sla", str(SLA), "--days", "2"
    )
    assert again.stdout == done.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--compare"], "--sla: --compare needs the SLA configuration"),
        (["--router", "sla_aware"], "--sla: --router sla_aware needs the SLA configuration"),
        (["--format", "json"], "--format: only with --compare"),
        (["--compare", "--sla", "missing.yaml"], "missing.yaml: cannot read the file"),
        (["--compare", "--sla", str(SLA), "--format", "xml"], "xml"),
    ],
)
def test_bad_options_exit_2(small: Path, args: list[str], words: str) -> None:
    done = cli("simulate", "-c", str(small), *args)
    assert done.returncode == 2
    assert done.stdout == b""
    assert words in done.stderr.decode()


def test_a_bad_sla_file_names_its_path(small: Path, tmp_path: Path) -> None:
    bad = tmp_path / "sla.yaml"
    document = yaml.safe_load(SLA.read_text(encoding="utf-8"))
    document["agents"][0]["calendar"] = "moon"
    bad.write_text(yaml.safe_dump(document), encoding="utf-8")
    done = cli("simulate", "-c", str(small), "--compare", "--sla", str(bad))
    assert done.returncode == 2
    assert f"{bad}: agents[0].calendar: unknown calendar 'moon'" in done.stderr.decode()
