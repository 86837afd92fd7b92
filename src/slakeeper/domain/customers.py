"""Customers and organisations from the CRM: attributes policies can look at, contract dates.

In the configuration (kept across versions when a document leaves them out; see
docs/semantics.md §12)::

    organisations:
      - {id: acme-group, name: ACME Group, attributes: {tier: gold, region: eu}}
    customers:
      - id: acme                      # the ticket's ``customer``
        name: ACME Storage
        organisation: acme-group      # attributes it does not set come from here
        attributes: {region: us}      # any names; values are texts
        contract: {start: 2026-01-01, end: 2026-12-31}

A policy's ``when`` may test them: ``customer_tier: [gold]`` holds when the ticket's customer
(or, failing that, its organisation) has ``tier`` gold; ``customer_organisation: [acme-group]``
tests the organisation itself. A customer unknown to the directory has no attributes. A
customer-level policy applies only to clocks that start within its customer's contract
(the organisation's when the customer has none).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any, NamedTuple

from slakeeper.domain.calendar_spec import parse_date
from slakeeper.domain.errors import Issue

ID = re.compile(r"^[^\x00-\x1f/]{1,200}$")
ATTRIBUTE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
ORGANISATION = "organisation"  # the condition customer_organisation tests the organisation's id
_CUSTOMER_KEYS = ("id", "name", "organisation", "attributes", "contract")
_ORGANISATION_KEYS = ("id", "name", "attributes", "contract")
KEYS = ("customers", "organisations")


@dataclass(frozen=True, slots=True)
class Party:
    """A customer or an organisation."""

    id: str
    name: str | None = None
    organisation: str | None = None  # customers only
    attributes: Mapping[str, str] = field(default_factory=dict)
    contract_start: date | None = None
    contract_end: date | None = None  # inclusive


@dataclass(frozen=True, slots=True)
class Directory:
    customers: Mapping[str, Party] = field(default_factory=dict)
    organisations: Mapping[str, Party] = field(default_factory=dict)

    def attribute(self, customer: str | None, name: str) -> str | None:
        """The customer's attribute ``name``, else its organisation's; None when neither has it."""
        found = self.customers.get(customer) if customer is not None else None
        if found is None:
            return None
        if name == ORGANISATION:
            return found.organisation
        value = found.attributes.get(name)
        if value is None and found.organisation is not None:
            org = self.organisations.get(found.organisation)
            value = org.attributes.get(name) if org is not None else None
        return value

    def effective(self, customer: str) -> dict[str, str]:
        """The customer's attributes with its organisation's it does not set."""
        found = self.customers.get(customer)
        if found is None:
            return {}
        org = self.organisations.get(found.organisation) if found.organisation else None
        return {**(dict(org.attributes) if org else {}), **dict(found.attributes)}

    def contract(self, customer: str) -> tuple[date | None, date | None]:
        """The customer's contract dates (inclusive), else its organisation's."""
        found = self.customers.get(customer)
        if found is None:
            return None, None
        if found.contract_start is not None or found.contract_end is not None:
            return found.contract_start, found.contract_end
        org = self.organisations.get(found.organisation) if found.organisation else None
        return (org.contract_start, org.contract_end) if org is not None else (None, None)


EMPTY = Directory()


def parse_directory(document: Mapping[str, Any], issues: list[Issue]) -> Directory:
    """The ``customers`` and ``organisations`` of a configuration, problems added to ``issues``."""
    organisations = _parties(document.get("organisations"), "organisations", issues)
    customers = _parties(document.get("customers"), "customers", issues)
    for i, party in enumerate(customers.values()):
        if party.organisation is not None and party.organisation not in organisations:
            issues.append(
                Issue(
                    f"customers[{i}].organisation",
                    f"unknown organisation {party.organisation!r}; define it under organisations",
                )
            )
    return Directory(MappingProxyType(customers), MappingProxyType(organisations))


def _parties(
    value: object, key: str, issues: list[Issue], customers: bool | None = None
) -> dict[str, Party]:
    if value is None:
        return {}
    if not isinstance(value, list):
        issues.append(Issue(key, "a list of {id: ..., attributes: {...}}"))
        return {}
    is_customers = key == "customers" if customers is None else customers
    allowed = _CUSTOMER_KEYS if is_customers else _ORGANISATION_KEYS
    found: dict[str, Party] = {}
    for i, item in enumerate(value):
        where = f"{key}[{i}]"
        if not isinstance(item, Mapping):
            issues.append(Issue(where, "a mapping with id and attributes"))
            continue
        before = len(issues)
        for name in item:
            if name not in allowed:
                issues.append(Issue(f"{where}.{name}", f"unknown field; use {', '.join(allowed)}"))
        ident = item.get("id")
        if not isinstance(ident, str) or not ID.match(ident):
            issues.append(Issue(f"{where}.id", f"{ident!r}: a text of 1–200 characters, no '/'"))
        elif ident in found:
            issues.append(Issue(f"{where}.id", f"{ident!r} is listed twice"))
        name = item.get("name")
        if name is not None and not isinstance(name, str):
            issues.append(Issue(f"{where}.name", "a text"))
        org = item.get("organisation")
        if org is not None and not isinstance(org, str):
            issues.append(Issue(f"{where}.organisation", "the id of an organisation"))
        attributes = _attributes(item.get("attributes"), f"{where}.attributes", issues)
        start, end = _contract(item.get("contract"), f"{where}.contract", issues)
        if len(issues) == before:
            assert isinstance(ident, str)
            found[ident] = Party(
                ident,
                name if isinstance(name, str) else None,
                org if isinstance(org, str) else None,
                MappingProxyType(attributes),
                start,
                end,
            )
    return found


def _attributes(value: object, where: str, issues: list[Issue]) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        issues.append(Issue(where, "a mapping of attribute names to values, e.g. {tier: gold}"))
        return {}
    out: dict[str, str] = {}
    for name, raw in value.items():
        if not isinstance(name, str) or not ATTRIBUTE.match(name) or name == ORGANISATION:
            issues.append(
                Issue(
                    f"{where}.{name}",
                    "an attribute name is lower-case letters, digits and '_' "
                    "(organisation is the customer's own field)",
                )
            )
            continue
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            issues.append(Issue(f"{where}.{name}", f"{raw!r}: a text or a number"))
            continue
        out[name] = str(raw)
    return out


def _contract(value: object, where: str, issues: list[Issue]) -> tuple[date | None, date | None]:
    if value is None:
        return None, None
    if not isinstance(value, Mapping) or set(value) - {"start", "end"}:
        issues.append(Issue(where, "write {start: YYYY-MM-DD, end: YYYY-MM-DD} (either optional)"))
        return None, None
    dates: list[date | None] = []
    for key in ("start", "end"):
        raw = value.get(key)
        try:
            dates.append(None if raw is None else parse_date(raw))
        except ValueError as exc:
            issues.append(Issue(f"{where}.{key}", str(exc)))
            dates.append(None)
    start, end = dates
    if start is not None and end is not None and end < start:
        issues.append(Issue(f"{where}.end", f"{end} is before the start {start}"))
    return start, end


def document_of(party: Party) -> dict[str, Any]:
    """A party as the configuration writes it (what :func:`parse_directory` reads back)."""
    out: dict[str, Any] = {"id": party.id}
    if party.name is not None:
        out["name"] = party.name
    if party.organisation is not None:
        out["organisation"] = party.organisation
    if party.attributes:
        out["attributes"] = dict(party.attributes)
    contract = {
        k: v.isoformat()
        for k, v in (("start", party.contract_start), ("end", party.contract_end))
        if v is not None
    }
    if contract:
        out["contract"] = contract
    return out


CSV_FIELDS = ("id", "name", "organisation", "contract_start", "contract_end")


class CsvEntries(NamedTuple):
    entries: list[dict[str, Any]]
    lines: list[str]  # where each entry was read (``file:line``), to name its problems
    issues: list[Issue]


def entries_from_csv(text: str, where: str = "csv") -> CsvEntries:
    """Rows of a CRM export as configuration entries: the columns ``id`` (required), ``name``,
    ``organisation``, ``contract_start``, ``contract_end``, and every other column an attribute
    (its header lower-cased, spaces as ``_``; empty cells are left out). Problems name the line."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = reader.fieldnames
    except csv.Error as exc:
        return CsvEntries([], [], [Issue(f"{where}:1", f"not CSV: {exc}")])
    names = [_header(h) for h in header or []]
    if "id" not in names:
        return CsvEntries([], [], [Issue(f"{where}:1", "the header needs an id column")])
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        return CsvEntries([], [], [Issue(f"{where}:1", f"columns named twice: {twice}")])
    entries: list[dict[str, Any]] = []
    lines: list[str] = []
    first_line: dict[str, int] = {}
    issues: list[Issue] = []
    rows = iter(reader)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as exc:
            issues.append(Issue(f"{where}:{reader.line_num}", f"not CSV: {exc}"))
            return CsvEntries(entries, lines, issues)
        line = reader.line_num
        if None in row:
            issues.append(Issue(f"{where}:{line}", "more cells than the header has columns"))
            continue
        cells = {_header(k): (v or "").strip() for k, v in row.items() if k is not None}
        entry: dict[str, Any] = {"id": cells.pop("id", "")}
        for key in ("name", "organisation"):
            if cells.get(key):
                entry[key] = cells[key]
            cells.pop(key, None)
        contract = {
            k: cells[f"contract_{k}"] for k in ("start", "end") if cells.get(f"contract_{k}")
        }
        cells.pop("contract_start", None)
        cells.pop("contract_end", None)
        if contract:
            entry["contract"] = contract
        attributes = {k: v for k, v in cells.items() if v}
        if attributes:
            entry["attributes"] = attributes
        row_issues: list[Issue] = []
        _parties([entry], "row", row_issues, customers=True)
        if row_issues:
            issues.extend(
                Issue(f"{where}:{line}", f"{_column(i.where)}: {i.message}") for i in row_issues
            )
            continue
        seen = first_line.setdefault(entry["id"], line)
        if seen != line:
            issues.append(Issue(f"{where}:{line}", f"id: {entry['id']!r} is also on line {seen}"))
            continue
        entries.append(entry)
        lines.append(f"{where}:{line}")
    return CsvEntries(entries, lines, issues)


def _header(name: str) -> str:
    return str(name).strip().lower().replace(" ", "_")


def _column(path: str) -> str:
    """``row[0].contract.start`` -> ``contract_start``: the CSV column a problem is in."""
    rest = path.removeprefix("row[0]").lstrip(".")
    return rest.replace("contract.", "contract_").replace("attributes.", "") or "row"
