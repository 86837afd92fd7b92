"""``slakeeper evaluate`` end to end (SPEC §6, semantics §6): the console script on real files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.factories import Events, calendar, config, policy, run

SLAKEEPER = Path(sys.executable).parent / "slakeeper"
AT = "2024-01-16T12:00:00Z"
SPEC_KEYS = [
    "ticket",
    "metric",
    "cycle",
    "policy",
    "target_seconds",
    "started_at",
    "stopped_at",
    "status",
    "elapsed_seconds",
    "due_at",
    "breached",
]


def cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(SLAKEEPER), *args],
        input=stdin.decode() if stdin is not None else None,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


def _document() -> dict[str, Any]:
    return config(
        policy(
            "Gold — ACME",
            {"first_response": {"default": "30m"}, "resolution": {"default": "2h"}},
            level="customer",
            customer="acme",
        ),
        policy(
            "Standard",
            {
                "first_response": {"high": "1h", "default": "4h"},
                "next_response": {"default": "2h"},
                "periodic_update": {"default": "3h"},
                "resolution": {"high": "4h", "default": "1h30m"},
            },
        ),
        calendars=[calendar(holidays=["2024-01-19"])],
    )


def _events() -> Events:
    e = Events()
    e.created("2024-01-15 09:30", ticket="T-2", priority="high", customer="acme")
    e.created("2024-01-15 12:00", priority="high")
    e.reply("2024-01-15 12:30")
    e.status("2024-01-15 12:30", "pending")
    e.status("2024-01-15 13:00", "open")
    e.customer("2024-01-15 13:10")
    e.reply("2024-01-15 16:00", ticket="T-2")
    e.status("2024-01-15 17:00", "solved", ticket="T-2")
    e.reply("2024-01-15 17:00")
    e.created("2024-01-16 09:00", ticket="T-10", tags=["x"])
    e.status("2024-01-16 11:00", "solved")
    e.created("2024-01-17 09:00", ticket="T-3")  # after the evaluation instant
    return e


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    config_path = tmp_path / "sla.yaml"
    config_path.write_text(yaml.safe_dump(_document(), allow_unicode=True), encoding="utf-8")
    events_path = tmp_path / "events.jsonl"
    lines = [json.dumps(e, ensure_ascii=False) for e in _events()]
    lines.insert(3, "")  # blank lines are skipped
    events_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config_path, events_path


def _objects(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_jsonl_output_equals_the_service_results(files: tuple[Path, Path]) -> None:
    config_path, events_path = files
    done = cli("evaluate", "--config", str(config_path), "--events", str(events_path), "--at", AT)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    objects = _objects(done.stdout)
    assert objects == run(_document(), _events(), AT)
    assert len(objects) >= 8
    assert {o["ticket"] for o in objects} == {"T-1", "T-2", "T-10"}  # T-3 comes after --at
    for line, obj in zip(done.stdout.splitlines(), objects, strict=True):
        assert list(obj) == SPEC_KEYS, line
        assert line.startswith("{")
        assert line.endswith("}")


def test_jsonl_output_is_ordered_by_ticket_metric_and_cycle(files: tuple[Path, Path]) -> None:
    config_path, events_path = files
    done = cli("evaluate", "-c", str(config_path), "-e", str(events_path), "--at", AT)
    order = ["first_response", "next_response", "periodic_update", "resolution"]
    got = [(o["ticket"], order.index(o["metric"]), o["cycle"]) for o in _objects(done.stdout)]
    assert got == sorted(got)
    assert got[0][0] == "T-1"
    assert list(dict.fromkeys(t for t, _, _ in got)) == ["T-1", "T-10", "T-2"]


def test_json_configuration_file(files: tuple[Path, Path], tmp_path: Path) -> None:
    _, events_path = files
    json_config = tmp_path / "sla.json"
    json_config.write_text(json.dumps(_document()), encoding="utf-8")
    done = cli("evaluate", "--config", str(json_config), "--events", str(events_path), "--at", AT)
    assert done.returncode == 0, done.stderr
    assert _objects(done.stdout) == run(_document(), _events(), AT)


def test_at_with_an_offset(files: tuple[Path, Path]) -> None:
    config_path, events_path = files
    done = cli(
        "evaluate",
        "--config",
        str(config_path),
        "--events",
        str(events_path),
        "--at",
        "2024-01-16T13:00:00+01:00",
    )
    assert done.returncode == 0, done.stderr
    assert _objects(done.stdout) == run(_document(), _events(), AT)


def test_table_format(files: tuple[Path, Path]) -> None:
    config_path, events_path = files
    done = cli(
        "evaluate",
        "--config",
        str(config_path),
        "--events",
        str(events_path),
        "--at",
        AT,
        "--format",
        "table",
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "SLA clocks" in out
    for text in ("T-1", "T-10", "T-2", "first_response", "resolution", "Standard", "Gold — ACME"):
        assert text in out, text
    assert "breached" in out
    assert not out.lstrip().startswith("{")


def test_events_from_standard_input(files: tuple[Path, Path]) -> None:
    config_path, events_path = files
    done = cli(
        "evaluate",
        "--config",
        str(config_path),
        "--events",
        "-",
        "--at",
        AT,
        stdin=events_path.read_bytes(),
    )
    assert done.returncode == 0, done.stderr
    assert _objects(done.stdout) == run(_document(), _events(), AT)


def test_an_empty_events_file_prints_nothing(tmp_path: Path, files: tuple[Path, Path]) -> None:
    config_path, _ = files
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    done = cli("evaluate", "--config", str(config_path), "--events", str(empty), "--at", AT)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_the_default_instant_is_now(files: tuple[Path, Path]) -> None:
    config_path, events_path = files
    done = cli("evaluate", "--config", str(config_path), "--events", str(events_path))
    assert done.returncode == 0, done.stderr
    objects = _objects(done.stdout)
    assert {o["ticket"] for o in objects} == {"T-1", "T-2", "T-10", "T-3"}


# -- bad input -------------------------------------------------------------------------------------


def test_a_bad_configuration_exits_2_naming_the_file_and_the_path(
    tmp_path: Path, files: tuple[Path, Path]
) -> None:
    _, events_path = files
    bad = tmp_path / "bad.yaml"
    document = config(
        policy("A", calendar="nowhere"),
        policy("B", {"resolution": {"high": "4x"}}),
    )
    bad.write_text(yaml.safe_dump(document), encoding="utf-8")
    done = cli("evaluate", "--config", str(bad), "--events", str(events_path), "--at", AT)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert any(line.startswith(f"{bad}: policies[0].calendar: ") for line in lines), lines
    assert any(
        line.startswith(f"{bad}: policies[1].targets.resolution.high: ") for line in lines
    ), lines


def test_bad_yaml_syntax_exits_2_naming_the_line(tmp_path: Path, files: tuple[Path, Path]) -> None:
    _, events_path = files
    bad = tmp_path / "bad.yaml"
    bad.write_text("policies:\n  - name: A\n   targets: x\n", encoding="utf-8")
    done = cli("evaluate", "--config", str(bad), "--events", str(events_path), "--at", AT)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith(f"{bad}: line 3: ")


def test_bad_events_exit_2_with_one_line_per_problem(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    config_path, _ = files
    e = Events()
    e.created("2024-01-15 10:00")
    e.status("2024-01-15 10:30", "resolved")  # line 2: bad status
    e.reply("2024-01-15 10:40", ticket="T-9")  # line 3: no ticket.created
    e.created("2024-01-15 11:00")  # line 5 (after the broken line): second created
    lines = [json.dumps(x) for x in e]
    lines.insert(3, '{"id": "broken", ')  # line 4: not JSON
    events_path = tmp_path / "bad.jsonl"
    events_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = cli("evaluate", "--config", str(config_path), "--events", str(events_path), "--at", AT)
    assert done.returncode == 2
    assert done.stdout == ""
    err = done.stderr.splitlines()
    assert len(err) == 4, err
    for line in err:
        assert line.startswith(f"{events_path}: line "), line
    numbers = sorted(int(line.removeprefix(f"{events_path}: line ").split(":")[0]) for line in err)
    assert numbers == [2, 3, 4, 5]
    by_line = {int(line.removeprefix(f"{events_path}: line ").split(":")[0]): line for line in err}
    assert "resolved" in by_line[2]
    assert "T-9" in by_line[3]
    assert "JSON" in by_line[4]
    assert "second" in by_line[5]


def test_bad_events_after_the_instant_still_fail(files: tuple[Path, Path], tmp_path: Path) -> None:
    config_path, _ = files
    e = Events()
    e.created("2024-01-15 10:00")
    e.csat("2024-01-20 10:00", 9)
    events_path = tmp_path / "late.jsonl"
    events_path.write_text("\n".join(json.dumps(x) for x in e) + "\n", encoding="utf-8")
    done = cli("evaluate", "--config", str(config_path), "--events", str(events_path), "--at", AT)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith(f"{events_path}: line 2: ")


def test_bad_events_on_standard_input_name_it(files: tuple[Path, Path]) -> None:
    config_path, _ = files
    done = cli(
        "evaluate",
        "--config",
        str(config_path),
        "--events",
        "-",
        "--at",
        AT,
        stdin=b'{"type": "x"}\n',
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("<stdin>: line 1: ")


def test_a_missing_configuration_file(tmp_path: Path, files: tuple[Path, Path]) -> None:
    _, events_path = files
    missing = tmp_path / "nope.yaml"
    done = cli("evaluate", "--config", str(missing), "--events", str(events_path), "--at", AT)
    assert done.returncode == 2
    assert done.stdout == ""
    assert str(missing) in done.stderr
    assert "cannot read" in done.stderr


def test_a_missing_events_file(tmp_path: Path, files: tuple[Path, Path]) -> None:
    config_path, _ = files
    missing = tmp_path / "nope.jsonl"
    done = cli("evaluate", "--config", str(config_path), "--events", str(missing), "--at", AT)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith(f"{missing}: ")
    assert "cannot read" in done.stderr


def test_a_directory_as_events(tmp_path: Path, files: tuple[Path, Path]) -> None:
    config_path, _ = files
    done = cli("evaluate", "--config", str(config_path), "--events", str(tmp_path), "--at", AT)
    assert done.returncode == 2
    assert done.stdout == ""
    assert str(tmp_path) in done.stderr


def test_a_bad_evaluation_instant(files: tuple[Path, Path]) -> None:
    config_path, events_path = files
    done = cli(
        "evaluate", "--config", str(config_path), "--events", str(events_path), "--at", "tomorrow"
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert "--at" in done.stderr
    assert "tomorrow" in done.stderr


def test_an_events_file_that_is_not_utf8(files: tuple[Path, Path], tmp_path: Path) -> None:
    config_path, _ = files
    bad = tmp_path / "latin1.jsonl"
    bad.write_bytes(
        b'{"id": "e1", "ticket": "T-\xe9", "type": "ticket.created", "at": "2024-01-15T10:00:00Z"}\n'
    )
    done = cli("evaluate", "--config", str(config_path), "--events", str(bad), "--at", AT)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith(f"{bad}: line 1: ")


def test_tags_written_as_one_text_are_bad_input_not_a_crash(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    """SPEC §4: ``tags`` is a list; ``"tags": "vip"`` is a bad value naming its line."""
    config_path, _ = files
    bad = tmp_path / "tags.jsonl"
    bad.write_text(
        '{"id": "e1", "ticket": "T-1", "type": "ticket.created", "at": "2024-01-15T10:00:00Z", "tags": "vip"}\n',
        encoding="utf-8",
    )
    done = cli("evaluate", "--config", str(config_path), "--events", str(bad), "--at", AT)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith(f"{bad}: line 1: ")


def test_a_byte_order_mark_and_windows_line_ends_are_read(tmp_path: Path) -> None:
    config = tmp_path / "sla.yaml"
    config.write_text(
        "policies:\n  - name: Std\n    targets: {first_response: {default: 1h}}\n", encoding="utf-8"
    )
    events = tmp_path / "events.jsonl"
    lines = [
        '{"id":"1","ticket":"T","type":"ticket.created","at":"2024-01-15T10:00:00Z"}',
        '{"id":"2","ticket":"T","type":"comment.added","at":"2024-01-15T10:30:00Z","author":"agent"}',
    ]
    events.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode() + b"\r\n")
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "slakeeper"),
            "evaluate",
            "-c",
            str(config),
            "-e",
            str(events),
            "--at",
            "2024-01-15T12:00:00Z",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[0])["elapsed_seconds"] == 1800
