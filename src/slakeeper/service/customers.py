"""Customers and organisations from the CRM (docs/semantics.md §12): kept in the configuration,
so each change is a new version with its author, and re-derives the open clocks of just the
customers it changes (a tier decides which policy applies).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from slakeeper.domain.customers import Directory, parse_directory
from slakeeper.domain.errors import ConfigError, Issue
from slakeeper.service.configuration import ConfigCache, ConfigVersion, change_config
from slakeeper.service.derive import StateCache
from slakeeper.service.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class CustomersChanged:
    version: ConfigVersion
    changed: tuple[str, ...]  # customers whose attributes, organisation or contract changed
    customers: int  # how many there are now
    organisations: int


def directory_of(version: ConfigVersion | None) -> Directory:
    return Directory() if version is None else version.config.book.directory


def put_customers(
    uow: UnitOfWork,
    cache: ConfigCache,
    customers: Sequence[Mapping[str, Any]],
    organisations: Sequence[Mapping[str, Any]],
    author: str,
    now: int,
    states: StateCache | None = None,
    *,
    replace: Collection[str] = (),
    remove: Sequence[str] = (),
    names: Sequence[str] | None = None,
) -> CustomersChanged:
    """Add or update customers and organisations by id — the lists named in ``replace``
    (``customers``, ``organisations``) are set whole instead — and remove the ``remove``d
    customers. Entries are checked as the configuration's are; a problem of a given customer is
    named ``names[i]`` (a CSV line) or ``customers[i]``."""
    unknown = set(replace) - {"customers", "organisations"}
    if unknown:
        raise ValueError(f"replace names {sorted(unknown)}; use customers, organisations")
    _check(customers, organisations)
    changed: list[str] = []

    def compose(version: ConfigVersion | None) -> tuple[object, str, list[str]]:
        current = None if version is None else version.document
        if version is None or not isinstance(current, Mapping):
            raise ConfigError([Issue("", "no configuration yet: PUT /v1/config first")])
        before = _directory(current)
        document = dict(current)
        for key, entries in (("organisations", organisations), ("customers", customers)):
            merged = {} if key in replace else {e["id"]: e for e in document.get(key) or []}
            merged.update({str(e["id"]): dict(e) for e in entries})
            if key == "customers":
                for gone in remove:
                    merged.pop(gone, None)
            document[key] = list(merged.values())
        known = {str(o["id"]) for o in document["organisations"]}
        missing = [
            _unknown_organisation(e, i, names)
            for i, e in enumerate(customers)
            if e.get("organisation") is not None and str(e["organisation"]) not in known
        ]
        if missing:
            raise ConfigError(missing)
        after = _directory(document)
        changed[:] = _changed(before, after)
        return document, _source(version.source, document), changed

    version = change_config(uow, cache, compose, author, now, states)
    directory = directory_of(version)
    return CustomersChanged(
        version, tuple(changed), len(directory.customers), len(directory.organisations)
    )


def _unknown_organisation(
    entry: Mapping[str, Any], index: int, names: Sequence[str] | None
) -> Issue:
    message = f"{entry['organisation']!r} is not an organisation of the directory; add it first"
    if names:  # a CSV line: the column says which cell
        return Issue(names[index], f"organisation: {message}")
    return Issue(f"customers[{index}].organisation", message)


_NAMES_DIRECTORY = re.compile(r"""(?m)(^|[{,]\s*)["']?(customers|organisations)["']?\s*:""")


def _source(previous: str, document: Mapping[str, Any]) -> str:
    """The new version's source text: the one a person wrote, kept as it is when it leaves the
    customers out (storing it again keeps the directory, see ``change_config``); else the
    document as JSON, so that nobody edits a stale copy of the customers."""
    if previous.strip() and not _NAMES_DIRECTORY.search(previous):
        return previous
    return orjson.dumps(document, option=orjson.OPT_INDENT_2).decode()


def _check(
    customers: Sequence[Mapping[str, Any]], organisations: Sequence[Mapping[str, Any]]
) -> None:
    issues: list[Issue] = []
    parse_directory({"customers": list(customers), "organisations": list(organisations)}, issues)
    # an organisation named by a customer may be one already stored: checked with the document
    issues = [i for i in issues if not i.message.startswith("unknown organisation")]
    if issues:
        raise ConfigError(issues)


def _directory(document: Mapping[str, Any]) -> Directory:
    issues: list[Issue] = []
    return parse_directory(document, issues)


def _changed(before: Directory, after: Directory) -> Iterable[str]:
    """Customers whose effective attributes or contract differ between the two directories."""
    ids = set(before.customers) | set(after.customers)
    for customer in sorted(ids):
        if _effective(before, customer) != _effective(after, customer):
            yield customer


def _effective(directory: Directory, customer: str) -> object:
    party = directory.customers.get(customer)
    if party is None:
        return None
    return party.organisation, directory.effective(customer), directory.contract(customer)
