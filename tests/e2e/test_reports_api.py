"""Reports over HTTP equal the domain's reference (slakeeper.domain.reports) on the same events:
the hand-computed history, and the demo generator's, grouped every way, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from slakeeper.adapters.config_file import parse_document
from slakeeper.demo import iter_events
from slakeeper.domain import reports
from slakeeper.domain.config import parse_config
from slakeeper.entrypoints import report_view as view
from slakeeper.entrypoints.serve import EXAMPLE_CONFIG
from slakeeper.service.evaluate import ticket_facts
from tests.e2e.conftest import Api
from tests.factories import config, records, us
from tests.unit.test_reports import AT, history


def reference(doc: Any, events: list[dict[str, Any]], at: str, **q: Any) -> list[dict[str, Any]]:
    facts = ticket_facts(parse_config(doc), records(events), us(at))
    start = us(q["from"]) if "from" in q else None
    end = us(q["to"]) if "to" in q else None
    dims = [d for d in q.get("by", "metric").split(",") if d]
    zone = ZoneInfo(q.get("tz", "UTC"))
    rows = reports.compliance(
        reports.judged(facts, start, end), dims, q.get("period", "month"), zone
    )
    return view.compliance_rows(dims, rows)


def load(api: Api, doc: Any, events: list[dict[str, Any]], at: str) -> None:
    assert api.put_config(doc).status_code == 200
    api.clock.set(min(e["at"] for e in events))
    for i in range(0, len(events), 500):
        answer = api.post_events(events[i : i + 500], ndjson=True)
        assert answer.status_code == 200, answer.text
    api.clock.set(at)


def test_the_hand_computed_history(api: Api) -> None:
    events = sorted(history(), key=lambda e: e["at"])
    load(api, config(), events, AT)
    got = api.get("/v1/reports/compliance", by="metric,group").json()
    assert got == reference(config(), events, AT, by="metric,group")
    assert [(r["met"], r["breached"]) for r in got] == [(1, 1), (0, 2), (1, 1), (1, 0)]
    hours = api.get("/v1/reports/breaches-by-hour", tz="Europe/Berlin").json()
    assert hours[0]["13"] == 1
    assert hours[1]["11"] == 1  # Tue 10:30 UTC


@pytest.mark.parametrize(
    "query",
    [
        {"by": "metric"},
        {"by": "metric,priority,period", "period": "day", "tz": "Asia/Kathmandu"},
        {"by": "policy,customer,period", "period": "week", "tz": "America/Sao_Paulo"},
        {"by": "group,channel,assignee,service"},
        {
            "by": "period",
            "period": "month",
            "from": "2026-03-04T00:00:00Z",
            "to": "2026-03-10T00:00:00Z",
        },
    ],
)
def test_every_grouping_equals_the_reference_on_demo_history(
    api: Api, query: dict[str, str]
) -> None:
    doc = parse_document(EXAMPLE_CONFIG.read_text(), str(EXAMPLE_CONFIG))
    start = datetime(2026, 3, 2, tzinfo=UTC)
    events = [dict(e) for e in iter_events(120, seed=3, start=start, days=10)]
    at = "2026-03-12T12:00:00Z"
    load(api, doc, events, at)
    assert api.get("/v1/reports/compliance", **query).json() == reference(doc, events, at, **query)


def test_a_customer_token_reports_on_its_own_tickets(api: Api) -> None:
    events = sorted(history(), key=lambda e: e["at"])
    for e in events:
        if e["ticket"] == "T-1":
            e["customer"] = "acme" if e["type"] == "ticket.created" else e.get("customer")
    events = [{k: v for k, v in e.items() if v is not None} for e in events]
    load(api, config(), events, AT)
    mine = api.get("/v1/reports/compliance", as_="acme").json()
    assert [(r["metric"], r["met"], r["breached"]) for r in mine] == [
        ("first_response", 1, 0),
        ("resolution", 1, 0),
    ]


def test_bad_queries_name_what_is_wrong(api: Api) -> None:
    for params, where in (
        ({"by": "colour"}, "by"),
        ({"tz": "Mars/Olympus"}, "tz"),
        ({"period": "fortnight"}, "period"),
        ({"from": "soon"}, "from"),
    ):
        answer = api.get("/v1/reports/compliance", **params)
        assert answer.status_code == 422, params
        assert where in answer.text
