"""``slakeeper serve`` and ``slakeeper tokens``: run the service, manage access."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from slakeeper.adapters.config_file import parse_document
from slakeeper.bootstrap import Services
from slakeeper.service.configuration import put_config
from slakeeper.service.ingest import ingest_events
from slakeeper.service.risk_watch import install_model
from slakeeper.service.tokens import create_token

EXAMPLE_CONFIG = Path(__file__).resolve().parents[3] / "examples" / "sla.yaml"
EXAMPLE_RISK_MODEL = EXAMPLE_CONFIG.parent / "risk-model.json"  # `make evaluation` trains it
BATCH = 1000


def load_demo(svc: Services, config_path: Path, tickets: int, days: int) -> tuple[int, int]:
    """Store the example configuration and a live demo history ending now; (version, events)."""
    from slakeeper.demo import iter_events

    text = config_path.read_text(encoding="utf-8")
    now = svc.now()
    version = put_config(
        svc.uow, svc.config, parse_document(text, str(config_path)), text, "demo", now
    )
    start = datetime.fromtimestamp(now / 1_000_000, UTC).replace(microsecond=0) - timedelta(
        days=days
    )
    stream = (e for e in iter_events(tickets, seed=7, start=start, days=days))
    stored = 0
    for number in itertools.count():
        chunk = list(itertools.islice(stream, BATCH))
        if not chunk:
            break
        records: list[tuple[int, object]] = [(number * BATCH + i, e) for i, e in enumerate(chunk)]
        stored += ingest_events(svc.uow, svc.config, records, svc.now(), states=svc.states).accepted
    _demo_incidents(svc, now)
    if EXAMPLE_RISK_MODEL.exists():  # the worker scores the running clocks with it
        install_model(svc.uow, orjson.loads(EXAMPLE_RISK_MODEL.read_bytes()), "demo", now)
    return version.version, stored


def _demo_incidents(svc: Services, now: int) -> None:
    """A few incidents of the example's services, in the last month and this one, so the
    availability pages and the statements have something to show."""
    from slakeeper.domain.availability import Incident
    from slakeeper.service.availability import record_incident

    hour = 3_600_000_000
    day = 24 * hour
    with svc.uow.read() as store:
        config = svc.config.current(store)
    if config is None or "storage" not in config.config.availability.services:
        return
    for name, service, ago, hours, impact in (
        ("DEMO-1", "storage", 40 * day, 2, "major"),
        ("DEMO-2", "storage", 33 * day, 5, "partial"),
        ("DEMO-3", "storage", 2 * day, 3, "partial"),
        ("DEMO-4", "storage", 3 * hour, 1, "major"),
    ):
        start = now - ago
        incident = Incident(name, service, start, start + hours * hour, impact)
        record_incident(svc.uow, svc.config, incident, now, "demo")


def new_admin_token(svc: Services, name: str) -> str:
    _, token = create_token(svc.uow, name, "admin", None, svc.now())
    return token
