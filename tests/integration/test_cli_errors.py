"""What the command line does with a bug: one line naming it and how to see more, exit 70 —
never a traceback unless SLAKEEPER_DEBUG asks for it."""

from __future__ import annotations

import sys

import pytest

import slakeeper.bootstrap
from slakeeper.entrypoints import cli


def broken(*args: object, **kwargs: object) -> None:
    raise RuntimeError("boom\nsecond line")


def test_a_bug_is_one_line_and_exit_70(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(slakeeper.bootstrap, "bootstrap", broken)
    monkeypatch.setattr(sys, "argv", ["slakeeper", "tokens", "list"])
    monkeypatch.delenv("SLAKEEPER_DEBUG", raising=False)
    with pytest.raises(SystemExit) as stopped:
        cli.main()
    assert stopped.value.code == cli.INTERNAL_ERROR
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "slakeeper: unexpected error (RuntimeError: boom); this is a bug — run again with "
        "SLAKEEPER_DEBUG=1 for the details and report it"
    ]


def test_debug_shows_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(slakeeper.bootstrap, "bootstrap", broken)
    monkeypatch.setattr(sys, "argv", ["slakeeper", "tokens", "list"])
    monkeypatch.setenv("SLAKEEPER_DEBUG", "1")
    with pytest.raises(RuntimeError, match="boom"):
        cli.main()
