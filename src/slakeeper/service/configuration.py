"""Use cases for the SLA configuration: store a new version, read the current one.

Every change is a new version with its author and time; nothing is overwritten. A new version
re-derives the clocks of every ticket that still has an open clock. The customers and
organisations (the CRM's, see :mod:`slakeeper.service.customers`) are kept from the current
version when a new document leaves both out.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from threading import Lock

import orjson

from slakeeper.domain.config import SlaConfig, parse_config
from slakeeper.domain.customers import KEYS as CUSTOMER_KEYS
from slakeeper.domain.errors import ConfigError, Issue
from slakeeper.service.derive import StateCache, derive_tickets
from slakeeper.service.ports import Store, UnitOfWork

MAX_NARROWED = 1000  # more changed customers than this: every open ticket is re-derived


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
    return change_config(uow, cache, lambda _: (document, source, None), author, now, states)


# the current version (None before the first) -> the new document, its source text and the
# customers whose open clocks it may change (None: every open clock)
Compose = Callable[["ConfigVersion | None"], tuple[object, str, Collection[str] | None]]


def change_config(
    uow: UnitOfWork,
    cache: ConfigCache,
    compose: Compose,
    author: str,
    now: int,
    states: StateCache | None = None,
) -> ConfigVersion:
    """Store the document ``compose`` makes of the current one as the next version, in one
    transaction that holds off other configuration changes (so two changes made of the same
    version cannot lose one another), and re-derive the open clocks — only those of
    ``customers`` when just they changed. Raises :class:`ConfigError` listing every problem."""
    with uow() as store:
        store.change_configuration()  # no batch in flight derives under the old version now
        current = cache.current(store)
        document, source, customers = compose(current)
        document = with_kept_customers(document, current)
        config = parse_config(document)
        nul = _text_with_nul(document, "")
        if nul is not None:
            raise ConfigError([Issue(nul, "contains a NUL character, which cannot be stored")])
        try:
            encoded = orjson.dumps(document).decode()
        except TypeError as exc:
            raise ConfigError([Issue("", f"cannot be stored: {exc}")]) from None
        version = store.add_config(encoded, source, author, now)
        if customers is None or len(customers) > MAX_NARROWED:
            open_tickets = store.open_tickets()
        else:
            open_tickets = store.open_tickets(sorted(customers)) if customers else {}
        derive_tickets(
            store, config, version, list(open_tickets), now, cache=states, counts=open_tickets
        )
    return ConfigVersion(version, now, author, document, source, config)


def with_kept_customers(document: object, current: ConfigVersion | None) -> object:
    """The document with the current version's customers and organisations when it gives
    neither (a policy file does not wipe what the CRM sent, nor drop the directory that
    ``customer_tier`` conditions read)."""
    if not isinstance(document, Mapping) or any(k in document for k in CUSTOMER_KEYS):
        return document
    kept = current.document if current is not None else None
    if not isinstance(kept, Mapping) or not any(kept.get(k) for k in CUSTOMER_KEYS):
        return document
    return {**document, **{k: kept[k] for k in CUSTOMER_KEYS if kept.get(k)}}


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
