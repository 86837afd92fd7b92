"""Reports as rows of plain values, and their printing as a table, JSON or CSV."""

from __future__ import annotations

import csv
import json
import math
import sys
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from rich.console import Console
from rich.table import Table

from slakeeper.domain.reports import (
    WEEKDAY_NAMES,
    ComplianceRow,
    FirstContact,
    Satisfaction,
    Summary,
)

Row = dict[str, Any]


def percent(share: Fraction) -> float:
    return round(float(share * 100), 2)


def _seconds(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 3)


def _dims(by: Sequence[str], key: tuple[str | None, ...]) -> Row:
    return dict(zip(by, key, strict=True))


def compliance_rows(by: Sequence[str], rows: Sequence[ComplianceRow]) -> list[Row]:
    return [
        {
            **_dims(by, r.key),
            "met": r.met,
            "breached": r.breached,
            "judged": r.judged,
            "compliance_pct": percent(r.compliance),
            "breach_rate_pct": percent(r.breach_rate),
        }
        for r in rows
    ]


def time_rows(by: Sequence[str], rows: Sequence[Summary]) -> list[Row]:
    out = []
    for r in rows:
        row = {**_dims(by, r.key), "count": r.count}
        for name, values in (("business", r.business), ("calendar", r.calendar)):
            for stat, value in zip(("mean", "median", "p90"), values, strict=True):
                row[f"{name}_{stat}_s"] = _seconds(value)
        out.append(row)
    return out


def first_contact_rows(by: Sequence[str], rows: Sequence[FirstContact]) -> list[Row]:
    return [
        {
            **_dims(by, r.key),
            "solved": r.solved,
            "one_touch": r.one_touch,
            "reopened": r.reopened,
            "fcr_pct": percent(r.fcr),
            "reopen_rate_pct": percent(r.reopen_rate),
        }
        for r in rows
    ]


def satisfaction_rows(rows: Sequence[Satisfaction]) -> list[Row]:
    scores = sorted({score for r in rows for score in r.distribution})
    return [
        {
            "sla": r.group,
            "ratings": r.ratings,
            "average": None if r.average is None else round(float(r.average), 3),
            **{f"score_{s}": r.distribution.get(s, 0) for s in scores},
        }
        for r in rows
    ]


def hour_rows(grid: Sequence[Sequence[int]]) -> list[Row]:
    return [
        {"weekday": WEEKDAY_NAMES[d], **{f"{h:02d}": grid[d][h] for h in range(24)}}
        for d in range(7)
    ]


def write(rows: list[Row], form: str, title: str) -> None:
    if form == "json":
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    columns = list(dict.fromkeys(k for row in rows for k in row))
    if form == "csv":
        out = csv.DictWriter(sys.stdout, fieldnames=columns, lineterminator="\n")
        out.writeheader()
        out.writerows(rows)
        return
    table = Table(title=title)
    for column in columns:
        table.add_column(
            column, justify="left" if rows and isinstance(rows[0].get(column), str) else "right"
        )
    for row in rows:
        table.add_row(*("—" if row.get(c) is None else str(row.get(c)) for c in columns))
    Console().print(table)
