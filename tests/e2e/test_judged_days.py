"""The daily counts of judged clocks (``judged_days``) the compliance report reads for whole past
days: kept equal to the clocks through every way clocks change, and the report that mixes them
with counts from the clocks equal to the domain's reference for any window, zone and period."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from slakeeper.adapters.config_file import parse_document
from slakeeper.adapters.db import tables as t
from slakeeper.demo import iter_events
from slakeeper.domain import reports
from slakeeper.domain.config import parse_config
from slakeeper.domain.events import format_instant
from slakeeper.domain.review import review, with_timelines
from slakeeper.entrypoints import report_view as view
from slakeeper.entrypoints import review_view
from slakeeper.entrypoints.serve import EXAMPLE_CONFIG
from slakeeper.service.evaluate import ticket_facts
from slakeeper.service.reports import _period_starts, fold_kept_counts
from tests.e2e.conftest import Api
from tests.e2e.test_reports_api import _facts, _window, demo, load, reference
from tests.factories import records, us


def kept(api: Api) -> dict[tuple[Any, ...], int]:
    """The kept counts (daily and quarter-hourly), without the zero rows left where every clock
    moved away."""
    fold_kept_counts(api.services.uow)
    with api.services.uow.read() as store:
        found = {}
        for table in (t.judged_days, t.ticket_judged_days, t.breach_slices):
            rows = store.connection.execute(select(table))
            found.update({(table.name, *r[:-1]): int(r[-1]) for r in rows if r[-1]})
        return found


def recounted(api: Api) -> dict[tuple[Any, ...], int]:
    with api.services.uow() as store:
        store.recount()
    return kept(api)


def test_the_kept_counts_equal_a_recount_after_events_arrive_out_of_order(api: Api) -> None:
    doc, events, at = demo()
    rng = random.Random(5)
    rest = [e for e in events if e["type"] != "ticket.created"]
    rng.shuffle(rest)  # late events re-derive their tickets from the start
    shuffled = [e for e in events if e["type"] == "ticket.created"] + rest
    assert api.put_config(doc).status_code == 200
    api.clock.set(at)
    for i in range(0, len(shuffled), 37):
        assert api.post_events(shuffled[i : i + 37]).status_code == 200
    before = kept(api)
    assert before, "the demo history judges clocks"
    assert before == recounted(api)


def test_the_kept_counts_follow_a_configuration_change(api: Api) -> None:
    doc, events, at = demo()
    load(api, doc, events, at)
    changed = dict(doc)
    # a different objective re-derives every ticket: other due instants, other outcomes
    changed["policies"] = [
        {**p, "targets": {k: dict.fromkeys(v, "2h") for k, v in p.get("targets", {}).items()}}
        for p in doc["policies"]
    ]
    first = kept(api)
    assert api.put_config(changed).status_code == 200
    after = kept(api)
    assert after != first
    assert after == recounted(api)


def test_a_ticket_still_running_past_its_due_day_counts_as_breached_on_that_day(api: Api) -> None:
    doc, events, at = demo()
    load(api, doc, events, at)
    # the report at a later instant: running clocks due before then are breached on their day
    later = "2026-03-20T09:00:00Z"
    api.clock.set(later)
    query = {"by": "metric,period", "period": "day"}
    assert api.get("/v1/reports/compliance", **query).json() == reference(
        doc, events, later, **query
    )


ZONES = ("UTC", "Europe/Berlin", "America/Sao_Paulo", "Asia/Kolkata", "Pacific/Chatham")
DIMENSIONS = (
    "metric",
    "policy",
    "priority",
    "group",
    "customer",
    "service",
    "channel",
    "assignee",
)
START, END = us("2026-03-01T00:00:00Z"), us("2026-03-13T00:00:00Z")


def instants() -> st.SearchStrategy[str]:
    """Instants after the demo history's last event, to the second."""
    last = us("2026-03-12T12:00:00Z")
    return st.integers(last, last + 2 * 86_400_000_000).map(
        lambda v: format_instant(v // 1_000_000 * 1_000_000)
    )


@st.composite
def queries(draw: st.DrawFn) -> dict[str, str]:
    query: dict[str, str] = {
        "by": ",".join(draw(st.lists(st.sampled_from(DIMENSIONS), max_size=2, unique=True))),
        "tz": draw(st.sampled_from(ZONES)),
    }
    if draw(st.booleans()):
        query["by"] = ",".join(filter(None, [query["by"], "period"]))
        query["period"] = draw(st.sampled_from(("day", "week", "month")))
    minute = 60 * 1_000_000  # windows that start and end within quarter hours and days
    for name in ("from", "to"):
        if draw(st.booleans()):
            query[name] = format_instant(
                START + draw(st.integers(0, (END - START) // minute)) * minute
            )
    if draw(st.booleans()):
        query["customer"] = draw(st.sampled_from(("acme", "globex", "initech")))
    if draw(st.booleans()):
        query["channel"] = draw(st.sampled_from(("email", "chat")))
    return query


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_window_zone_and_period_equals_the_reference(api: Api, data: st.DataObject) -> None:
    doc, events, at = demo()
    if not api.count("events"):  # one history for every example
        load(api, doc, events, at)
    at = data.draw(instants())  # the report's instant: within a day and a quarter hour
    api.clock.set(at)
    query = data.draw(queries())
    if not query["by"]:
        del query["by"]
    got = api.get("/v1/reports/compliance", **query)
    assert got.status_code == 200, got.text
    assert got.json() == reference(doc, events, at, **query)


def long_demo() -> tuple[Any, list[dict[str, Any]], str]:
    """Ten weeks of the demo generator's history: reviews of whole months with earlier ones."""
    doc = parse_document(EXAMPLE_CONFIG.read_text(), str(EXAMPLE_CONFIG))
    start = datetime(2026, 1, 5, tzinfo=UTC)
    events = [dict(e) for e in iter_events(240, seed=8, start=start, days=70)]
    return doc, events, "2026-03-20T15:00:00Z"


@pytest.mark.parametrize(
    ("period", "tz", "as_"),
    [
        ("2026-02", "UTC", "admin"),
        ("2026-02", "Europe/Berlin", "admin"),
        ("2026-03", "Asia/Kolkata", "admin"),  # the period holds today
        ("2026-Q1", "America/Sao_Paulo", "admin"),
        ("2026-02", "Europe/Berlin", "acme"),
    ],
)
def test_the_review_from_the_counts_equals_the_domains(
    api: Api, period: str, tz: str, as_: str
) -> None:
    doc, events, at = long_demo()
    load(api, doc, events, at)
    got = api.get(f"/v1/reviews/{period}", tz=tz, objective="90", as_=as_).json()
    histories: dict[str, Any] = {}
    facts = ticket_facts(parse_config(doc), records(events), us(at), histories)
    scopes = review(facts, period, ZoneInfo(tz), Fraction(9, 10), us(at))
    if as_ != "admin":
        scopes = [s for s in scopes if s.scope == as_]
    expected = review_view.as_dict(period, tz, with_timelines(scopes, histories))
    assert got == expected
    assert any(s["example_breaches"] for s in got["scopes"])


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_breaches_by_hour_equal_the_reference(api: Api, data: st.DataObject) -> None:
    doc, events, at = demo()
    if not api.count("events"):  # one history for every example
        load(api, doc, events, at)
    at = data.draw(instants())
    api.clock.set(at)
    query = {k: v for k, v in data.draw(queries()).items() if k in ("tz", "from", "to")}
    as_ = data.draw(st.sampled_from(("admin", "acme")))
    got = api.get("/v1/reports/breaches-by-hour", as_=as_, **query)
    assert got.status_code == 200, got.text
    facts = _facts(doc, events, at)
    if as_ == "acme":
        facts = [f for f in facts if f.attrs.customer == "acme"]
    start, end = _window(query)
    items = reports.judged(facts, start, end)
    expected = view.hour_rows(reports.breaches_by_hour(items, ZoneInfo(query["tz"])))
    assert got.json() == expected


def test_counts_next_to_a_breach_take_the_quarter_hour_apart(api: Api) -> None:
    """Windows and report instants a second either side of breaches: the quarter hour and the
    day they fall in are counted from the clocks, not from the kept counts."""
    doc, events, at = demo()
    load(api, doc, events, at)
    later = us(at) + 86_400_000_000
    facts = _facts(doc, events, format_instant(later))
    dues = sorted({i.at for i in reports.judged(facts) if i.outcome == reports.BREACHED})
    running = sorted(c.due_at for f in facts for c in f.clocks if c.due_at and c.due_at > us(at))
    assert dues, "the demo history has breaches"
    assert running, "the demo history has clocks due after its last event"
    second = 1_000_000
    for due in dues[:: max(1, len(dues) // 8)]:
        for bound in (due - second, due + second):
            expected = view.hour_rows(
                reports.breaches_by_hour(reports.judged(_facts(doc, events, at), None, bound))
            )
            got = api.get("/v1/reports/breaches-by-hour", to=format_instant(bound)).json()
            assert got == expected
            by_day = {"by": "metric,period", "period": "day", "to": format_instant(bound)}
            assert api.get("/v1/reports/compliance", **by_day).json() == reference(
                doc, events, at, **by_day
            )
    for due in running[:6]:
        for now in (due - second, due + second):
            api.clock.set(format_instant(now))
            got = api.get("/v1/reports/breaches-by-hour").json()
            items = reports.judged(_facts(doc, events, format_instant(now)))
            assert got == view.hour_rows(reports.breaches_by_hour(items))
            by_day = {"by": "metric,period", "period": "day"}
            assert api.get("/v1/reports/compliance", **by_day).json() == reference(
                doc, events, format_instant(now), **by_day
            )


def test_every_period_start_within_a_day_is_found() -> None:
    """Two periods can start within one UTC day (a short local day near UTC): both are cuts."""
    quarter = 15 * 60 * 1_000_000
    day = 96 * quarter
    starts = [day + 3 * quarter, day + 90 * quarter]

    def local(at: int) -> str:
        return str(sum(at >= s for s in starts))

    assert _period_starts(local, day, 2 * day) == starts
    assert _period_starts(local, 0, day) == []
