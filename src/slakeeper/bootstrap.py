"""Settings -> wired services. Nothing is built at import time."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sqlalchemy import Engine

from slakeeper.adapters.db.engine import make_engine
from slakeeper.adapters.db.migrate import upgrade
from slakeeper.adapters.db.store import SqlUnitOfWork
from slakeeper.service.configuration import ConfigCache
from slakeeper.service.derive import StateCache
from slakeeper.service.ports import Now
from slakeeper.settings import Settings


def system_now() -> int:
    """The system clock in µs since the epoch: read here, at the edge, and passed inwards."""
    return time.time_ns() // 1000


@dataclass
class Services:
    settings: Settings
    engine: Engine
    uow: SqlUnitOfWork
    config: ConfigCache
    now: Now
    states: StateCache = field(default_factory=StateCache)


def bootstrap(
    settings: Settings | None = None, *, migrate: bool = True, now: Now = system_now
) -> Services:
    settings = settings or Settings()
    engine = make_engine(settings.resolved_database_url())
    if migrate:
        upgrade(engine)
    return Services(settings, engine, SqlUnitOfWork(engine), ConfigCache(), now)
