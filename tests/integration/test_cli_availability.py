"""`slakeeper availability` end to end on both databases: an objective's report and the monthly
statements read from the store, as JSON, CSV and tables; bad options named with exit status 2."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
from fractions import Fraction

from slakeeper.adapters.config_file import parse_document
from slakeeper.bootstrap import bootstrap
from slakeeper.domain.availability import Incident
from slakeeper.entrypoints.serve import EXAMPLE_CONFIG
from slakeeper.service.availability import record_incident
from slakeeper.service.configuration import put_config
from slakeeper.settings import Settings
from tests.factories import us
from tests.integration.test_cli_evaluate import SLAKEEPER


def run(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SLAKEEPER_DATABASE_URL": db_url}
    done = subprocess.run(
        [str(SLAKEEPER), "availability", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


def test_report_and_statements_from_the_store(db_url: str) -> None:
    svc = bootstrap(Settings(database_url=db_url))
    try:
        text = EXAMPLE_CONFIG.read_text()
        now = us("2026-10-20T00:00:00Z")
        put_config(svc.uow, svc.config, parse_document(text, "sla.yaml"), text, "test", now)
        down = Incident(
            "INC-9", "compute", us("2026-10-03T00:00:00Z"), us("2026-10-03T06:00:00Z"), "major"
        )
        record_incident(svc.uow, svc.config, down, now, "test")
    finally:
        svc.engine.dispose()
    done = run(db_url, "report", "--service", "compute", "--period", "2026-10", "-f", "json")
    assert done.returncode == 0, done.stderr
    (got,) = json.loads(done.stdout)
    assert Fraction(got["uptime"]) == Fraction(31 * 24 - 6, 31 * 24)
    assert got["uptime_pct"] == "99.19354"
    table = run(db_url, "report", "--service", "compute", "--period", "2026-10")
    assert "uptime per day" in table.stdout
    assert "2026-10-03" in table.stdout
    done = run(db_url, "statements", "--period", "2026-10", "-f", "csv")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    acme_compute = next(r for r in rows if r["customer"] == "acme" and r["service"] == "compute")
    assert acme_compute["credit"] == "80.00 EUR"  # 99.19%: 10% of 800
    assert acme_compute["status"] == "issued"
    for args, words in (
        (("report", "--service", "nowhere"), "nowhere"),
        (("report", "--service", "compute", "--period", "2026-13"), "period"),
        (("statements", "--period", "2026-Q4"), "monthly"),
        (("report", "--service", "compute", "-f", "xml"), "format"),
    ):
        bad = run(db_url, *args)
        assert bad.returncode == 2, (args, bad.stdout)
        assert words in bad.stderr
