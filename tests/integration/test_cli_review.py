"""`slakeeper review` end to end: JSON, CSV, HTML and a PDF printed by Chromium."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.integration.test_cli_evaluate import cli
from tests.unit.test_reports import AT

CHROMIUM = Path("/usr/lib/chromium/chromium")


def review(files: tuple[str, str], *args: str) -> str:
    done = cli("review", "--period", "2024-01", "--at", AT, *args, "-c", files[0], "-e", files[1])
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_json_csv_and_html(files: tuple[str, str]) -> None:
    found = json.loads(review(files, "-f", "json", "--objective", "40"))
    (overall,) = found["scopes"]
    assert (overall["met"], overall["breached"], overall["meets_objective"]) == (3, 4, True)
    rows = list(csv.DictReader(io.StringIO(review(files, "-f", "csv"))))
    assert rows[0]["metric"] == "all"
    assert rows[0]["compliance_pct"] == "42.86"
    page = review(files)
    assert "SLA review — 2024-01" in page
    assert 'data-scope="overall"' in page


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_a_pdf(files: tuple[str, str], tmp_path: Path) -> None:
    target = tmp_path / "review.pdf"
    done = cli(
        "review",
        "--period",
        "2024-01",
        "-f",
        "pdf",
        "-o",
        str(target),
        "-c",
        files[0],
        "-e",
        files[1],
    )
    assert done.returncode == 0, done.stderr
    assert target.read_bytes().startswith(b"%PDF")


def test_by_default_the_review_is_as_of_the_periods_end(files: tuple[str, str]) -> None:
    done = cli("review", "--period", "2024-01", "-f", "json", "-c", files[0], "-e", files[1])
    (overall,) = json.loads(done.stdout)["scopes"]
    assert (overall["met"], overall["breached"]) == (3, 5)  # T-4's resolution breached by then


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--period", "2024-13"), "--period"),
        (("--period", "2024-01", "--tz", "Nowhere/Else"), "--tz"),
        (("--period", "2024-01", "-f", "pdf"), "needs --output"),
    ],
)
def test_bad_options(files: tuple[str, str], args: tuple[str, ...], message: str) -> None:
    done = cli("review", *args, "-c", files[0], "-e", files[1])
    assert done.returncode == 2
    assert message in done.stderr
