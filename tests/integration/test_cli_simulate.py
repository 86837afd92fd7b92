"""``slakeeper simulate`` end to end (docs/simulation.md): the console script on the example model,
its output piped into ``slakeeper evaluate``, and bad input refused with exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

SLAKEEPER = Path(sys.executable).parent / "slakeeper"
ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "examples" / "simulation.yaml"
SLA = ROOT / "examples" / "sla.yaml"


def cli(*args: str) -> subprocess.CompletedProcess[bytes]:
    done = subprocess.run([str(SLAKEEPER), *args], capture_output=True, timeout=120, check=False)
    assert b"Traceback" not in done.stderr, done.stderr.decode()
    return done


def test_simulate_writes_a_file_and_a_summary(tmp_path: Path) -> None:
    out = tmp_path / "events.jsonl"
    done = cli("simulate", "--config", str(MODEL), "--days", "3", "--out", str(out))
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout == b""
    events = [json.loads(line) for line in out.read_bytes().splitlines()]
    tickets = sum(e["type"] == "ticket.created" for e in events)
    summary = done.stderr.decode()
    assert f"{tickets} tickets, {len(events)} events" in summary
    assert "seed 7, router round_robin" in summary
    assert "mean first-reply wait: " in summary
    assert "utilisation" in summary
    for name in ("anna", "eu-billing-2", "priya"):
        assert f"\n{name} " in summary
    assert events[0]["id"] == "sim-7-1"


def test_the_same_seed_gives_the_same_bytes_and_another_seed_others() -> None:
    first = cli("simulate", "-c", str(MODEL), "--days", "2")
    second = cli("simulate", "-c", str(MODEL), "--days", "2")
    other = cli("simulate", "-c", str(MODEL), "--days", "2", "--seed", "99")
    assert first.returncode == second.returncode == other.returncode == 0
    assert first.stdout == second.stdout
    assert first.stdout != other.stdout
    assert other.stdout.startswith(b'{"id":"sim-99-1"')


def test_simulate_piped_into_evaluate() -> None:
    """``slakeeper simulate ... | slakeeper evaluate --config examples/sla.yaml --events -``."""
    simulate = subprocess.Popen(
        [str(SLAKEEPER), "simulate", "-c", str(MODEL), "--days", "7", "--router", "least_loaded"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert simulate.stdout is not None
    evaluate = subprocess.run(
        [str(SLAKEEPER), "evaluate", "-c", str(SLA), "-e", "-", "--at", "2026-03-09T00:00:00Z"],
        stdin=simulate.stdout,
        capture_output=True,
        timeout=120,
        check=False,
    )
    simulate.stdout.close()
    assert simulate.wait(timeout=120) == 0
    assert simulate.stderr is not None
    assert b"router least_loaded" in simulate.stderr.read()
    simulate.stderr.close()
    assert evaluate.returncode == 0, evaluate.stderr.decode()
    assert evaluate.stderr == b""
    clocks = [json.loads(line) for line in evaluate.stdout.splitlines()]
    metrics = {c["metric"] for c in clocks}
    assert metrics == {"first_response", "next_response", "periodic_update", "resolution"}
    assert len({c["ticket"] for c in clocks}) > 1000
    assert any(c["breached"] for c in clocks)


def test_a_bad_model_exits_2_naming_the_file_and_every_problem(tmp_path: Path) -> None:
    document = yaml.safe_load(MODEL.read_text(encoding="utf-8"))
    document["agents"][0]["capacity"] = 0
    document["categories"]["storage"]["handling"] = "soon"
    bad = tmp_path / "sim.yaml"
    bad.write_text(yaml.safe_dump(document), encoding="utf-8")
    done = cli("simulate", "--config", str(bad))
    assert done.returncode == 2
    assert done.stdout == b""
    lines = done.stderr.decode().splitlines()
    assert lines[0].startswith(f"{bad}: agents[0].capacity: ") or lines[0].startswith(
        f"{bad}: categories.storage.handling: "
    )
    assert len(lines) == 2
    assert all(line.startswith(f"{bad}: ") for line in lines)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--days", "0"], "--days: 0 must lie between 1"),
        (["--seed", "-1"], "--seed: -1 must lie between 0"),
        (["--out", "/nonexistent/dir/events.jsonl"], "cannot write the file"),
    ],
)
def test_bad_options_exit_2(args: list[str], words: str) -> None:
    done = cli("simulate", "-c", str(MODEL), *args)
    assert done.returncode == 2
    assert done.stdout == b""
    assert words in done.stderr.decode()


def test_a_missing_or_broken_file_exits_2(tmp_path: Path) -> None:
    missing = cli("simulate", "-c", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 2
    assert "nope.yaml: cannot read the file" in missing.stderr.decode()
    broken = tmp_path / "broken.yaml"
    broken.write_text("start: [\n", encoding="utf-8")
    done = cli("simulate", "-c", str(broken))
    assert done.returncode == 2
    assert f"{broken}: line " in done.stderr.decode()
    assert "not valid YAML" in done.stderr.decode()


def test_an_unknown_router_is_refused() -> None:
    done = cli("simulate", "-c", str(MODEL), "--router", "psychic")
    assert done.returncode == 2
    assert "psychic" in done.stderr.decode()
