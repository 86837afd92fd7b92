"""Use cases for the SLA configuration: store a new version, read the current one.

Every change is a new version with its author and time; nothing is overwritten. A new version
re-derives the clocks of every ticket that still has an open clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from threading import Lock

import orjson

from slakeeper.domain.config import SlaConfig, parse_config
from slakeeper.domain.errors import ConfigError, Issue
from slakeeper.service.derive import StateCache, derive_tickets
from slakeeper.service.ports import Store, UnitOfWork


@dataclass(frozen=True, slots=True)
class ConfigVersion:
    version: int
    created_at: int
    author: str
    document: object
    source: str
    config: SlaConfig


class ConfigCache:
    """The parsed configuration of the latest stored version, parsed once per version."""

    def __init__(self) -> None:
        self._lock = Lock()
        self._current: ConfigVersion | None = None

    def current(self, store: Store) -> ConfigVersion | None:
        latest = store.latest_version()  # a number: the document is read only when it changed
        if latest is None:
            return None
        with self._lock:
            if self._current is not None and self._current.version == latest:
                return self._current
        stored = store.config_version(latest)
        if stored is None:
            return None
        document = orjson.loads(stored.document)
        try:
            config = parse_config(document)
        except ConfigError as exc:  # stored versions were valid when stored
            raise ConfigError(
                exc.issues, f"stored configuration version {stored.version}"
            ) from None
        version = ConfigVersion(
            stored.version, stored.created_at, stored.author, document, stored.source, config
        )
        with self._lock:
            if self._current is None or self._current.version < version.version:
                self._current = version
        return version


def put_config(
    uow: UnitOfWork,
    cache: ConfigCache,
    document: object,
    source: str,
    author: str,
    now: int,
    states: StateCache | None = None,
) -> ConfigVersion:
    """Validate ``document`` as a whole, store it as the next version, re-derive open clocks."""
    config = parse_config(document)  # raises ConfigError listing every problem
    nul = _text_with_nul(document, "")
    if nul is not None:
        raise ConfigError([Issue(nul, "contains a NUL character, which cannot be stored")])
    try:
        encoded = orjson.dumps(document).decode()
    except TypeError as exc:
        raise ConfigError([Issue("", f"cannot be stored: {exc}")]) from None
    with uow() as store:
        store.change_configuration()  # no batch in flight derives under the old version now
        version = store.add_config(encoded, source, author, now)
        open_tickets = store.open_tickets()
        derive_tickets(
            store, config, version, list(open_tickets), now, cache=states, counts=open_tickets
        )
    return ConfigVersion(version, now, author, document, source, config)


def _text_with_nul(value: object, where: str) -> str | None:
    """The path of the first text (key or value) in ``value`` that holds a NUL character."""
    if isinstance(value, str):
        return where if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{where}.{key}" if where else str(key)
            if isinstance(key, str) and "\x00" in key:
                return path
            found = _text_with_nul(item, path)
            if found is not None:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _text_with_nul(item, f"{where}[{i}]")
            if found is not None:
                return found
    return None


def require_config(cache: ConfigCache, store: Store) -> ConfigVersion:
    current = cache.current(store)
    if current is None:
        raise ConfigError([Issue("", "no configuration yet: PUT /v1/config first")])
    return current
