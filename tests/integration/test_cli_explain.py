"""`slakeeper explain` on real files: the why, the how and the what of one ticket's clocks."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SLAKEEPER = str(Path(sys.executable).parent / "slakeeper")
CONFIG = str(ROOT / "examples" / "sla.yaml")
EVENTS = str(ROOT / "examples" / "events.jsonl")
AT = "2026-03-13T15:00:00Z"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SLAKEEPER, "explain", "-c", CONFIG, "-e", EVENTS, "--at", AT, *args],
        capture_output=True,
        text=True,
        check=False,
    )


def evaluated(ticket: str) -> list[dict[str, object]]:
    done = subprocess.run(
        [SLAKEEPER, "evaluate", "-c", CONFIG, "-e", EVENTS, "--at", AT],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    return [row for row in rows if row["ticket"] == ticket]


def test_json_explanations_carry_the_same_clocks_as_evaluate() -> None:
    done = run("-t", "T-000057", "--format", "json")
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert [item["clock"] for item in found] == evaluated("T-000057")
    for item in found:
        verdicts = item["selection"]
        assert verdicts[-1]["applies"] is True
        assert verdicts[-1]["policy"] == item["clock"]["policy"]
        assert all(not v["applies"] for v in verdicts[:-1])
        assert item["marks"][0]["what"] == "started"
        running = sum(s["business_seconds"] for s in item["segments"] if s["running"])
        assert running == item["clock"]["elapsed_seconds"]


def test_text_explanation_names_policy_and_reasons() -> None:
    done = run("-t", "T-000057")
    assert done.returncode == 0, done.stderr
    assert "why this policy" in done.stdout
    assert "Corporate — standard" in done.stdout


def test_unknown_ticket_is_bad_input() -> None:
    done = run("-t", "T-404")
    assert done.returncode == 2
    assert "no ticket 'T-404'" in done.stderr
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
