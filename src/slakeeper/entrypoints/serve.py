"""``slakeeper serve`` and ``slakeeper tokens``: run the service, manage access."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

from slakeeper.adapters.config_file import parse_document
from slakeeper.bootstrap import Services
from slakeeper.service.configuration import put_config
from slakeeper.service.ingest import ingest_events
from slakeeper.service.tokens import create_token

EXAMPLE_CONFIG = Path(__file__).resolve().parents[3] / "examples" / "sla.yaml"
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
    return version.version, stored


def new_admin_token(svc: Services, name: str) -> str:
    _, token = create_token(svc.uow, name, "admin", None, svc.now())
    return token
