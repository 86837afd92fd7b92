"""``slakeeper model train|show|install`` end to end (docs/prediction.md): a simulated history in,
a judged model out, installed in a database; bad input refused with exit 2 and one clear line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.histories import SLA, simulated

SLAKEEPER = Path(sys.executable).parent / "slakeeper"


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(SLAKEEPER), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, **(env or {})},
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("history") / "events.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in simulated(10)), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def trained(history: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("model") / "model.json"
    done = cli("model", "train", "-c", str(SLA), "-e", str(history), "-o", str(out))
    assert done.returncode == 0, done.stderr
    return out, done.stdout


def test_train_reports_the_held_out_figures_and_writes_the_model(trained: tuple[Path, str]) -> None:
    out, text = trained
    for part in ("ROC AUC", "Brier", "calibration", "caught 75%", "lead risk", "model written to"):
        assert part in text
    model = json.loads(out.read_text(encoding="utf-8"))
    assert model["format"] == "slakeeper.risk-model/2"
    assert 0.5 < model["trained"]["auc"] <= 1.0
    assert 0 < model["trained"]["threshold"] < 1


def test_train_as_json_gives_every_figure(history: Path) -> None:
    done = cli("model", "train", "-c", str(SLA), "-e", str(history), "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    held = report["held_out"]
    assert 0.5 < held["roc_auc"] <= 1.0
    assert 0.0 <= held["brier"] < held["brier_base_rate"]
    assert sum(b["situations"] for b in held["calibration"]) == held["situations"]
    leads = [a["min_lead_minutes"] for a in report["alerts"]]
    assert leads == [0, 5, 15, 30, 60]
    for a in report["alerts"]:
        assert a["risk"]["alerts"] >= a["rule_75"]["alerts"]
        assert a["rule_75"]["caught"] <= a["rule_75"]["breaches"]
    # with no lead asked for, the 75% rule warns every clock that goes on to breach
    zero = report["alerts"][0]["rule_75"]
    assert zero["caught"] == zero["breaches"]


def test_show_and_install(trained: tuple[Path, str], tmp_path: Path) -> None:
    out, _ = trained
    shown = cli("model", "show", str(out))
    assert shown.returncode == 0, shown.stderr
    assert "auc" in shown.stdout
    assert "trees of depth" in shown.stdout
    env = {"SLAKEEPER_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"}
    first = cli("model", "install", str(out), env=env)
    second = cli("model", "install", str(out), env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "installed risk model version 1"
    assert second.stdout.strip() == "installed risk model version 2"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "-c", str(SLA), "-e", "/nope.jsonl"], "/nope.jsonl: cannot read the file"),
        (["train", "-c", "/nope.yaml", "-e", "-"], "nope.yaml"),
        (["show", "/nope.json"], "/nope.json: cannot read the file"),
    ],
)
def test_missing_files_are_named(args: list[str], message: str) -> None:
    done = cli("model", *args)
    assert done.returncode == 2
    assert message in done.stderr


def test_a_short_history_is_refused_with_the_reason(tmp_path: Path) -> None:
    short = tmp_path / "short.jsonl"
    short.write_text("".join(json.dumps(e) + "\n" for e in simulated(1)[:40]), encoding="utf-8")
    done = cli("model", "train", "-c", str(SLA), "-e", str(short))
    assert done.returncode == 2
    assert "needs clocks that breached and clocks that met their target" in done.stderr


def test_bad_events_and_bad_models_are_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x"}\nnot json\n', encoding="utf-8")
    done = cli("model", "train", "-c", str(SLA), "-e", str(bad))
    assert done.returncode == 2
    assert "line 2" in done.stderr
    model = tmp_path / "model.json"
    model.write_text('{"format": "something else"}', encoding="utf-8")
    shown = cli("model", "show", str(model))
    assert shown.returncode == 2
    assert "format must be" in shown.stderr
    holdout = cli("model", "train", "-c", str(SLA), "-e", str(bad), "--holdout", "0.99")
    assert holdout.returncode == 2
