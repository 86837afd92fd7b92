"""`slakeeper customers` end to end on both databases: a CRM's CSV exports imported as one
configuration version (re-targeting the open clocks of the customers that changed), a dry run,
bad rows named by line with nothing stored, and the list."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from slakeeper.bootstrap import bootstrap
from slakeeper.service.configuration import put_config
from slakeeper.service.ingest import ingest_events
from slakeeper.service.queries import ticket_clocks
from slakeeper.settings import Settings
from tests.factories import Events, config, policy, us
from tests.integration.test_cli_evaluate import SLAKEEPER

GOLD = {"first_response": {"default": "30m"}}
PLAIN = {"first_response": {"default": "4h"}}


def run(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SLAKEEPER_DATABASE_URL": db_url}
    done = subprocess.run(
        [str(SLAKEEPER), "customers", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


def stored(db_url: str) -> None:
    svc = bootstrap(Settings(database_url=db_url))
    try:
        doc = config(
            policy("Gold", GOLD, when={"customer_tier": ["gold"]}, calendar="24x7"),
            policy("Standard", PLAIN, calendar="24x7"),
            calendars=[],
        )
        now = us("2026-03-02T09:10:00Z")
        put_config(svc.uow, svc.config, doc, "", "test", now)
        events = Events()
        events.created("2026-03-02 09:00", ticket="A-1", customer="acme")
        parsed = [(i, e) for i, e in enumerate(events)]
        ingest_events(svc.uow, svc.config, parsed, now)
    finally:
        svc.engine.dispose()


def policy_of(db_url: str, ticket: str) -> str:
    svc = bootstrap(Settings(database_url=db_url))
    try:
        clocks = ticket_clocks(svc.uow, svc.config, ticket, us("2026-03-02T09:20:00Z"))
        return clocks[0].policy
    finally:
        svc.engine.dispose()


def test_import_a_crm_export(db_url: str, tmp_path: Path) -> None:
    stored(db_url)
    assert policy_of(db_url, "A-1") == "Standard"
    orgs = tmp_path / "orgs.csv"
    orgs.write_text("id,name,tier\nacme-group,ACME Group,gold\n")
    customers = tmp_path / "customers.csv"
    customers.write_text(
        "id,name,organisation,region,contract_start\n"
        "acme,ACME,acme-group,eu,2026-01-01\n"
        "globex,Globex,,us,\n"
    )
    dry = run(db_url, "import", str(customers), "--organisations", str(orgs), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.strip() == "2 customers and 1 organisations read; nothing stored (dry run)"
    assert policy_of(db_url, "A-1") == "Standard"

    done = run(db_url, "import", str(customers), "--organisations", str(orgs))
    assert done.returncode == 0, done.stderr
    assert "2 customers, 1 organisations; 2 changed (acme, globex)" in done.stdout
    assert policy_of(db_url, "A-1") == "Gold"

    listed = run(db_url, "list")
    assert listed.stdout.splitlines() == [
        "acme\tacme-group\tregion=eu (tier=gold)\t2026-01-01 – …",
        "globex\t-\tregion=us\t-",
    ]


def test_bad_rows_are_named_and_nothing_is_stored(db_url: str, tmp_path: Path) -> None:
    stored(db_url)
    customers = tmp_path / "customers.csv"
    customers.write_text("id,tier,contract_end\nacme,gold,2026-02-30\n,silver,\nglobex,gold,\n")
    done = run(db_url, "import", str(customers))
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"{customers}:2: contract_end: '2026-02-30' is not a date; write YYYY-MM-DD",
        f"{customers}:3: id: '': a text of 1–200 characters, no '/'",
    ]
    assert policy_of(db_url, "A-1") == "Standard"
    missing = run(db_url, "import", str(tmp_path / "nope.csv"))
    assert missing.returncode == 2
    assert "cannot be read" in missing.stderr
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("id,organisation\nacme,nobody\n")
    refused = run(db_url, "import", str(unknown))
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        f"{unknown}:2: organisation: 'nobody' is not an organisation of the directory; add it first"
    )
