"""Reports over HTTP equal the domain's reference (slakeeper.domain.reports) on the same events:
the hand-computed history, and the demo generator's, grouped every way, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from slakeeper.adapters.config_file import parse_document
from slakeeper.demo import iter_events
from slakeeper.domain import reports
from slakeeper.domain.config import parse_config
from slakeeper.domain.review import review, with_timelines
from slakeeper.entrypoints import report_view as view
from slakeeper.entrypoints import review_view
from slakeeper.entrypoints.serve import EXAMPLE_CONFIG
from slakeeper.entrypoints.web.routes import _margin
from slakeeper.service.evaluate import ticket_facts
from slakeeper.service.reports import ReportQuery, compliance_report
from tests.e2e.conftest import Api
from tests.factories import Events, config, records, us
from tests.unit.test_reports import AT, history


def _facts(doc: Any, events: list[dict[str, Any]], at: str) -> list[reports.TicketFacts]:
    return ticket_facts(parse_config(doc), records(events), us(at))


def _window(q: dict[str, Any]) -> tuple[int | None, int | None]:
    return (us(q["from"]) if "from" in q else None, us(q["to"]) if "to" in q else None)


def _dims(q: dict[str, Any], default: str) -> list[str]:
    return [d for d in q.get("by", default).split(",") if d]


def reference(doc: Any, events: list[dict[str, Any]], at: str, **q: Any) -> list[dict[str, Any]]:
    """GET /v1/reports/compliance as the domain computes it."""
    start, end = _window(q)
    dims = _dims(q, "metric")
    zone = ZoneInfo(q.get("tz", "UTC"))
    judged = reports.judged(_facts(doc, events, at), start, end)
    for dimension in FILTERS:
        if dimension in q:
            judged = [j for j in judged if _value_of(j, dimension) == q[dimension]]
    rows = reports.compliance(judged, dims, q.get("period", "month"), zone)
    return view.compliance_rows(dims, rows)


FILTERS = ("metric", "policy", "priority", "group", "customer", "service", "channel", "assignee")


def _value_of(item: reports.Judged, dimension: str) -> str | None:
    if dimension in ("metric", "policy"):
        value: str | None = getattr(item.clock, dimension)
        return value
    found: str | None = getattr(item.ticket.attrs, dimension)
    return found


def reference_times(
    doc: Any, events: list[dict[str, Any]], at: str, **q: Any
) -> list[dict[str, Any]]:
    """GET /v1/reports/times as the domain computes it."""
    start, end = _window(q)
    dims = _dims(q, "metric")
    rows = reports.durations(
        _facts(doc, events, at),
        q.get("metric", "first_response"),
        dims,
        q.get("period", "month"),
        ZoneInfo(q.get("tz", "UTC")),
        start,
        end,
    )
    return view.time_rows(dims, rows)


def reference_fcr(
    doc: Any, events: list[dict[str, Any]], at: str, **q: Any
) -> list[dict[str, Any]]:
    """GET /v1/reports/fcr as the domain computes it."""
    start, end = _window(q)
    dims = _dims(q, "")
    rows = reports.first_contact(_facts(doc, events, at), dims, start, end)
    return view.first_contact_rows(dims, rows)


def reference_csat(
    doc: Any, events: list[dict[str, Any]], at: str, **q: Any
) -> list[dict[str, Any]]:
    """GET /v1/reports/csat as the domain computes it."""
    start, end = _window(q)
    return view.satisfaction_rows(reports.satisfaction(_facts(doc, events, at), start, end))


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


def test_the_hand_computed_times_first_contact_and_satisfaction(api: Api) -> None:
    events = sorted(history(), key=lambda e: e["at"])
    load(api, config(), events, AT)
    first = api.get("/v1/reports/times").json()
    assert first == reference_times(config(), events, AT)
    assert first == [
        {
            "metric": "first_response",
            "count": 2,
            "business_mean_s": 3150.0,  # 30 min and 75 min
            "business_median_s": 3150.0,
            "business_p90_s": 4500.0,
            "calendar_mean_s": 31950.0,  # 30 min and 17h15
            "calendar_median_s": 31950.0,
            "calendar_p90_s": 62100.0,
        }
    ]
    for query in (
        {"metric": "resolution"},
        {"metric": "resolution", "by": "group,channel,period", "period": "day"},
        {"by": "priority,period", "period": "week", "tz": "Asia/Kathmandu"},
        {"by": "policy,assignee", "from": "2024-01-16T00:00:00Z"},
        {"metric": "resolution", "by": "", "to": "2024-01-16T00:00:00Z"},
    ):
        got = api.get("/v1/reports/times", **query).json()
        assert got == reference_times(config(), events, AT, **query), query
    assert api.get("/v1/reports/times", metric="resolution").json()[0]["business_p90_s"] == 9000.0

    fcr = api.get("/v1/reports/fcr").json()
    assert fcr == reference_fcr(config(), events, AT)
    assert fcr == [
        {"solved": 2, "one_touch": 1, "reopened": 1, "fcr_pct": 50.0, "reopen_rate_pct": 50.0}
    ]
    for query in (
        {"by": "channel"},
        {"by": "group,priority"},
        {"by": "customer,service,assignee", "from": "2024-01-16T00:00:00Z"},
        {"to": "2024-01-15T00:00:00Z"},  # nothing solved yet: no rows
    ):
        got = api.get("/v1/reports/fcr", **query).json()
        assert got == reference_fcr(config(), events, AT, **query), query
    assert api.get("/v1/reports/fcr", to="2024-01-15T00:00:00Z").json() == []

    csat = api.get("/v1/reports/csat").json()
    assert csat == reference_csat(config(), events, AT)
    assert csat == [
        {"sla": "met", "ratings": 1, "average": 5.0, "score_2": 0, "score_5": 1},
        {"sla": "breached", "ratings": 1, "average": 2.0, "score_2": 1, "score_5": 0},
    ]
    monday = {"from": "2024-01-15T00:00:00Z", "to": "2024-01-16T00:00:00Z"}
    got = api.get("/v1/reports/csat", **monday).json()
    assert got == reference_csat(config(), events, AT, **monday)
    assert got == [
        {"sla": "met", "ratings": 1, "average": 5.0, "score_5": 1},
        {"sla": "breached", "ratings": 0, "average": None, "score_5": 0},
    ]


def test_a_rated_ticket_with_no_judged_clock_is_left_out_of_satisfaction(api: Api) -> None:
    e = Events()
    e.created("2024-01-15T10:00:00Z", ticket="T-1", priority="high")  # first response due 11:00
    e.csat("2024-01-15T10:10:00Z", 4, ticket="T-1")
    e.created("2024-01-15T10:00:00Z", ticket="T-2", priority="high")
    e.reply("2024-01-15T10:20:00Z", ticket="T-2")  # met; resolution still running
    e.csat("2024-01-15T10:30:00Z", 3, ticket="T-2")
    events = sorted(e, key=lambda x: x["at"])
    load(api, config(), events, "2024-01-15T10:40:00Z")
    for at, expected in (
        # T-1 has nothing judged yet (left out); T-2's first response was met
        ("2024-01-15T10:40:00Z", [(3.0, {"score_3": 1}), (None, {"score_3": 0})]),
        # 11:00 passed: T-1's first response is breached though its stored row is still running
        (
            "2024-01-15T11:30:00Z",
            [(3.0, {"score_3": 1, "score_4": 0}), (4.0, {"score_3": 0, "score_4": 1})],
        ),
    ):
        api.clock.set(at)
        got = api.get("/v1/reports/csat").json()
        assert got == reference_csat(config(), events, at)
        scores = [{k: v for k, v in r.items() if k.startswith("score_")} for r in got]
        assert [r["average"] for r in got] == [a for a, _ in expected]
        assert scores == [s for _, s in expected]


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
    doc, events, at = demo()
    load(api, doc, events, at)
    assert api.get("/v1/reports/compliance", **query).json() == reference(doc, events, at, **query)


def demo() -> tuple[Any, list[dict[str, Any]], str]:
    """The example configuration, the demo generator's history and the instant to report at."""
    doc = parse_document(EXAMPLE_CONFIG.read_text(), str(EXAMPLE_CONFIG))
    start = datetime(2026, 3, 2, tzinfo=UTC)
    events = [dict(e) for e in iter_events(120, seed=3, start=start, days=10)]
    return doc, events, "2026-03-12T12:00:00Z"


WINDOW = {"from": "2026-03-04T00:00:00Z", "to": "2026-03-10T00:00:00Z"}


@pytest.mark.parametrize(
    "query",
    [
        {"metric": "first_response"},
        {"metric": "resolution", "by": "", "period": "day"},
        {
            "metric": "resolution",
            "by": "metric,priority,period",
            "period": "day",
            "tz": "Asia/Kathmandu",
        },
        {"by": "policy,customer,period", "period": "week", "tz": "America/Sao_Paulo"},
        {"metric": "resolution", "by": "group,channel,assignee,service"},
        {"by": "period,priority", "period": "day", "tz": "Pacific/Chatham", **WINDOW},
        {"metric": "resolution", "by": "period", "period": "quarter", "tz": "Asia/Kolkata"},
    ],
)
def test_times_equal_the_reference_on_demo_history(api: Api, query: dict[str, str]) -> None:
    doc, events, at = demo()
    load(api, doc, events, at)
    got = api.get("/v1/reports/times", **query).json()
    assert got == reference_times(doc, events, at, **query)
    assert sum(r["count"] for r in got) > 10


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"by": "priority,group"},
        {"by": "channel,assignee", **WINDOW},
        {"by": "customer,service", "from": "2026-03-06T12:00:00Z"},
    ],
)
def test_first_contact_equals_the_reference_on_demo_history(
    api: Api, query: dict[str, str]
) -> None:
    doc, events, at = demo()
    load(api, doc, events, at)
    got = api.get("/v1/reports/fcr", **query).json()
    assert got == reference_fcr(doc, events, at, **query)
    assert sum(r["solved"] for r in got) > 10


@pytest.mark.parametrize("query", [{}, WINDOW])
def test_satisfaction_equals_the_reference_on_demo_history(api: Api, query: dict[str, str]) -> None:
    doc, events, at = demo()
    load(api, doc, events, at)
    got = api.get("/v1/reports/csat", **query).json()
    assert got == reference_csat(doc, events, at, **query)
    assert [r["sla"] for r in got] == ["met", "breached"]
    assert all(r["ratings"] > 0 for r in got)


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
    own = [e for e in events if e["ticket"] == "T-1"]  # what acme may see, to the domain
    for metric in ("first_response", "resolution"):
        got = api.get("/v1/reports/times", as_="acme", metric=metric, by="metric,group").json()
        assert got == reference_times(config(), own, AT, metric=metric, by="metric,group")
        assert [r["count"] for r in got] == [1]
    fcr = api.get("/v1/reports/fcr", as_="acme", by="customer").json()
    assert fcr == reference_fcr(config(), own, AT, by="customer")
    assert [(r["customer"], r["solved"], r["one_touch"]) for r in fcr] == [("acme", 1, 1)]
    csat = api.get("/v1/reports/csat", as_="acme").json()
    assert csat == reference_csat(config(), own, AT)
    assert [r["ratings"] for r in csat] == [1, 0]
    assert api.get("/v1/reports/times", as_="globex").json() == []
    assert api.get("/v1/reports/fcr", as_="globex").json() == []
    assert [r["ratings"] for r in api.get("/v1/reports/csat", as_="globex").json()] == [0, 0]


def test_bad_queries_name_what_is_wrong(api: Api) -> None:
    for path, params, where in (
        ("compliance", {"by": "colour"}, "by"),
        ("compliance", {"tz": "Mars/Olympus"}, "tz"),
        ("compliance", {"period": "fortnight"}, "period"),
        ("compliance", {"from": "soon"}, "from"),
        ("times", {"metric": "next_response"}, "metric"),
        ("times", {"by": "metric,colour"}, "by"),
        ("times", {"by": "group,group"}, "by"),
        ("times", {"tz": "Mars/Olympus"}, "tz"),
        ("times", {"period": "fortnight"}, "period"),
        ("times", {"to": "2024-13-01T00:00:00Z"}, "to"),
        ("fcr", {"by": "metric"}, "by"),
        ("fcr", {"by": "group,policy"}, "by"),
        ("fcr", {"by": "period"}, "by"),
        ("fcr", {"by": "colour"}, "by"),
        ("fcr", {"from": "soon"}, "from"),
        ("csat", {"from": "soon"}, "from"),
        ("csat", {"to": "9999-01-01T00:00:00Z"}, "to"),
    ):
        answer = api.get(f"/v1/reports/{path}", **params)
        assert answer.status_code == 422, (path, params)
        named = {issue["where"].rsplit(".", 1)[-1] for issue in answer.json()["issues"]}
        assert named == {where}, (path, params, answer.text)
    for path in ("times", "fcr", "csat"):
        assert api.get(f"/v1/reports/{path}", as_=None).status_code == 401


def test_the_review_over_http_equals_the_command_lines(api: Api) -> None:
    events = sorted(history(), key=lambda e: e["at"])
    for e in events:
        if e["type"] == "ticket.created":
            e["customer"] = "acme" if e["ticket"] in ("T-1", "T-3") else "globex"
    load(api, config(), events, AT)
    got = api.get("/v1/reviews/2024-01", objective="50").json()
    histories: dict[str, Any] = {}
    facts = ticket_facts(parse_config(config()), records(events), us(AT), histories)
    scopes = review(facts, "2024-01", ZoneInfo("UTC"), Fraction(1, 2), us(AT))
    expected = review_view.as_dict("2024-01", "UTC", with_timelines(scopes, histories))
    assert got == expected
    assert [s["scope"] for s in got["scopes"]] == ["overall", "acme", "globex"]
    worst = got["scopes"][0]["example_breaches"][0]
    assert worst["ticket"] == "T-3"
    assert worst["timeline"] == [
        {
            "at": "2024-01-15T11:00:00Z",
            "what": "created: customer acme, group l1, channel email, priority high",
        }
    ] or worst["timeline"][0]["what"].startswith("created:")
    mine = api.get("/v1/reviews/2024-01", objective="50", as_="acme").json()
    assert [s["scope"] for s in mine["scopes"]] == ["acme"]
    assert mine["scopes"][0] == expected["scopes"][1]
    page = api.get("/v1/reviews/2024-01", format="html")
    assert page.headers["content-type"].startswith("text/html")
    assert "SLA review — 2024-01" in page.text
    assert api.get("/v1/reviews/2024-01", format="csv").text.startswith("period,scope,metric")
    for bad, where in (("2024-13", "period"), ("2024-Q9", "period")):
        answer = api.get(f"/v1/reviews/{bad}")
        assert answer.status_code == 422
        assert where in answer.text
    assert api.get("/v1/reviews/2024-01", tz="Nowhere/Else").status_code == 422


def test_the_dashboards_compliance_margins_equal_the_reports(api: Api) -> None:
    events = sorted(history(), key=lambda e: e["at"])
    load(api, config(), events, AT)
    svc, now, utc = api.services, us(AT), ZoneInfo("UTC")
    both = compliance_report(svc.uow, ReportQuery(["group", "period"], "day", utc, None, None, now))
    by_group = compliance_report(svc.uow, ReportQuery(["group"], "day", utc, None, None, now))
    by_day = compliance_report(svc.uow, ReportQuery(["period"], "day", utc, None, None, now))
    assert _margin(both, 0) == by_group
    assert _margin(both, 1) == by_day


@pytest.mark.parametrize(
    "query",
    [
        {"by": "metric", "priority": "high"},
        {"by": "period", "period": "day", "customer": "acme", "channel": "email"},
        {"by": "group", "metric": "resolution", "assignee": "sofia"},
        {"by": "priority", "policy": "Corporate — standard"},
    ],
)
def test_compliance_of_the_clocks_with_given_values(api: Api, query: dict[str, str]) -> None:
    doc = parse_document(EXAMPLE_CONFIG.read_text(), str(EXAMPLE_CONFIG))
    start = datetime(2026, 3, 2, tzinfo=UTC)
    events = [dict(e) for e in iter_events(120, seed=3, start=start, days=10)]
    at = "2026-03-12T12:00:00Z"
    load(api, doc, events, at)
    got = api.get("/v1/reports/compliance", **query).json()
    assert got == reference(doc, events, at, **query)
    assert got, "the filter should leave something to report"
