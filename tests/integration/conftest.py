"""Shared fixtures of the command-line tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.factories import config
from tests.unit.test_reports import history


@pytest.fixture
def files(tmp_path: Path) -> tuple[str, str]:
    sla = tmp_path / "sla.yaml"
    sla.write_text(yaml.safe_dump(config()))
    events = tmp_path / "events.jsonl"
    items = sorted(history(), key=lambda e: e["at"])
    events.write_text("".join(json.dumps(e) + "\n" for e in items))
    return str(sla), str(events)
