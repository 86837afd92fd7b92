"""The HTTP API end to end, on SQLite and on PostgreSQL: configuration, events, clocks, tokens,
limits and bad input. Expected clocks come from ``service.evaluate`` on the same input."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine

from slakeeper.domain.events import parse_instant
from tests.e2e.conftest import (
    CONFIG,
    NOW,
    SCOPES,
    Api,
    expected,
    make_api,
    of_ticket,
    scenario,
)
from tests.factories import Events, config, pick, policy, us

YAML_CONFIG = """\
calendars:
  - name: biz
    timezone: UTC
    hours: {mon: "10:00-18:00", tue: "10:00-18:00", wed: "10:00-18:00"}
policies:
  - name: Standard
    calendar: biz
    targets:
      first_response: {high: 1h, default: 4h}
      resolution: {high: 4h, default: 24h}
"""


def loaded(api: Api, events: Events | None = None) -> Events:
    """The shared configuration and the scenario (or ``events``), sent at ``NOW``."""
    api.clock.set(NOW)
    assert api.put_config(CONFIG).status_code == 200
    events = events if events is not None else scenario()
    response = api.post_events(events)
    assert response.status_code == 200, response.text
    return events


def wheres(response: Any) -> list[str]:
    return [issue["where"] for issue in response.json()["issues"]]


# -- configuration ---------------------------------------------------------------------------------


def test_put_config_as_yaml_then_json_stores_two_versions(api: Api) -> None:
    first = api.put_config(YAML_CONFIG)
    assert first.status_code == 200, first.text
    assert first.json()["version"] == 1
    assert first.json()["author"] == "admin"
    assert first.json()["source"] == YAML_CONFIG
    assert first.json()["document"]["policies"][0]["name"] == "Standard"

    api.clock.set("2024-01-15T10:00:00Z")
    second = api.put_config(CONFIG, fmt="json")
    assert second.status_code == 200, second.text
    assert second.json()["version"] == 2
    assert second.json()["created_at"] == "2024-01-15T10:00:00Z"

    current = api.get("/v1/config").json()
    assert current["version"] == 2
    assert current["document"] == CONFIG
    versions = api.get("/v1/config/versions").json()
    assert [v["version"] for v in versions] == [2, 1]
    assert {v["author"] for v in versions} == {"admin"}
    old = api.get("/v1/config/versions/1").json()
    assert old["source"] == YAML_CONFIG  # nothing is overwritten
    assert old["document"]["policies"][0]["targets"]["resolution"] == {
        "high": "4h",
        "default": "24h",
    }
    assert api.get("/v1/config/versions/3").status_code == 404


def test_calendar_and_policy_resources_follow_the_current_version(api: Api) -> None:
    assert api.put_config(CONFIG).status_code == 200
    assert [c["name"] for c in api.get("/v1/calendars").json()] == ["biz"]
    assert api.get("/v1/calendars/biz").json()["timezone"] == "UTC"
    assert [p["name"] for p in api.get("/v1/policies").json()] == [
        "Gold acme",
        "Storage",
        "Standard",
    ]
    assert api.get("/v1/policies/Storage").json()["calendar"] == "24x7"
    assert api.get("/v1/policies/nope").status_code == 404
    assert api.get("/v1/calendars/nope").status_code == 404


def test_a_bad_config_is_refused_with_every_path_and_nothing_is_stored(api: Api) -> None:
    assert api.put_config(YAML_CONFIG).status_code == 200
    bad = config(
        policy("One", targets={"resolution": {"high": "4d", "default": "24h"}}),
        policy("Two", calendar="nowhere", targets={"first_response": {"urgent": "-5m"}}),
    )
    for fmt in ("yaml", "json"):
        response = api.put_config(bad, fmt=fmt)
        assert response.status_code == 422, response.text
        found = wheres(response)
        assert "policies[0].targets.resolution.high" in found
        assert any(w.startswith("policies[1]") and "calendar" in w for w in found), found
        assert any(w == "policies[1].targets.first_response.urgent" for w in found), found
    assert api.put_config("calendars: [\n  - {name: x", fmt="yaml").status_code == 422
    assert api.put_config('{"policies": [', fmt="json").status_code == 422
    assert api.put_config("[1, 2]", fmt="json").status_code == 422
    assert api.put_config(config(policy("X"), policy("X"))).status_code == 422  # names unique
    assert [v["version"] for v in api.get("/v1/config/versions").json()] == [1]
    assert api.get("/v1/config").json()["version"] == 1


def test_events_need_a_configuration_first(api: Api) -> None:
    response = api.post_events(scenario().items[:1])
    assert response.status_code == 422
    assert "config" in response.text
    assert api.count("events") == 0


# -- events ----------------------------------------------------------------------------------------


def test_events_as_a_json_array_and_as_json_lines(api: Api) -> None:
    api.clock.set(NOW)
    assert api.put_config(CONFIG).status_code == 200
    events = scenario().items
    half = len(events) // 2
    first = api.post_events(events[:half])
    assert first.status_code == 200, first.text
    assert first.json()["accepted"] == half
    assert first.json()["duplicates"] == 0
    second = api.post_events(events[half:], ndjson=True)
    assert second.status_code == 200, second.text
    assert second.json()["accepted"] == len(events) - half
    assert api.count("events") == len(events)
    assert api.all_clocks() == expected(events, NOW)


def test_json_lines_skip_blank_lines_and_take_other_line_types(api: Api) -> None:
    api.clock.set(NOW)
    assert api.put_config(CONFIG).status_code == 200
    events = scenario().items[:3]
    body = b"\n\n" + b"\r\n".join(orjson.dumps(e) for e in events) + b"\n  \n"
    for kind in ("application/x-ndjson", "application/jsonl; charset=utf-8"):
        response = api.request(
            "POST", "/v1/events", as_="agent", content=body, headers={"Content-Type": kind}
        )
        assert response.status_code == 200, response.text
    assert api.count("events") == 3


def test_the_same_batch_twice_doubles_nothing(api: Api) -> None:
    events = loaded(api)
    before = api.all_clocks()
    for ndjson in (False, True):
        again = api.post_events(events, ndjson=ndjson)
        assert again.status_code == 200, again.text
        assert again.json() == {"accepted": 0, "duplicates": len(events), "tickets": 0}
    repeated_inside = api.post_events([events.items[0], events.items[0], events.items[1]])
    assert repeated_inside.json()["accepted"] == 0
    assert repeated_inside.json()["duplicates"] == 3
    assert api.count("events") == len(events)
    assert api.count("tickets") == len(SCOPES)
    assert api.all_clocks() == before == expected(events, NOW)


def test_a_repeat_written_differently_is_the_same_event(api: Api) -> None:
    """Same content, another offset for the instant and another key order: a duplicate."""
    events = loaded(api)
    first = dict(events.items[0])
    moved = {k: first[k] for k in reversed(first)}
    moved["at"] = "2024-01-15T11:00:00+01:00"  # = 10:00Z
    assert first["at"] == "2024-01-15T10:00:00Z"
    response = api.post_events([moved])
    assert response.status_code == 200, response.text
    assert response.json()["duplicates"] == 1


@pytest.mark.parametrize("ndjson", [False, True], ids=["array", "ndjson"])
def test_one_bad_event_rejects_the_whole_batch(api: Api, ndjson: bool) -> None:
    loaded(api)
    e = Events(prefix="b")
    e.created("2024-01-15 14:00", ticket="B-1", customer="acme")  # good, new ticket
    e.reply("2024-01-15 14:05", ticket="A-3")  # good, known ticket
    e.created("2024-01-15 14:06", ticket="B-2", priority=42)  # bad value
    e.comment("2024-01-15 14:07", "robot", ticket="B-1")  # bad author
    response = api.post_events(e, ndjson=ndjson)
    assert response.status_code == 422, response.text
    found = wheres(response)
    bad = ["line 3", "line 4"] if ndjson else ["events[2]", "events[3]"]
    assert len(found) == 2, found
    for where, label in zip(found, bad, strict=True):
        assert where.startswith(label), found
    assert "b3" in found[0]
    assert "b4" in found[1]
    assert not {"b1", "b2"} & api.event_ids()  # nothing of the batch is stored
    assert api.get("/v1/tickets/B-1").status_code == 404
    assert api.all_clocks() == expected(scenario(), NOW)


def test_a_line_that_is_not_json_names_its_line(api: Api) -> None:
    loaded(api)
    good = orjson.dumps({**scenario().items[0], "id": "n1", "ticket": "N-9"})
    body = good + b"\n{not json\n"
    response = api.request(
        "POST",
        "/v1/events",
        as_="agent",
        content=body,
        headers={"Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 422, response.text
    assert wheres(response) == ["line 2"]
    assert "n1" not in api.event_ids()


def test_an_event_before_ticket_created_is_refused(api: Api) -> None:
    loaded(api)
    e = Events(prefix="x")
    e.reply("2024-01-15 14:00", ticket="NEW-1")
    response = api.post_events(e)
    assert response.status_code == 422, response.text
    assert "x1" in response.text
    assert "x1" not in api.event_ids()


def test_an_event_after_closed_in_a_later_batch_is_refused(api: Api) -> None:
    loaded(api)
    e = Events(prefix="c")
    e.status("2024-01-15 14:56", "closed", ticket="G-1")  # after its rating at 14:55
    assert api.post_events(e).status_code == 200
    later = Events(prefix="d")
    later.created("2024-01-15 14:30", ticket="D-1")  # good, and must not be stored
    later.customer("2024-01-15 14:57", ticket="G-1")
    response = api.post_events(later)
    assert response.status_code == 422, response.text
    assert any("d2" in w for w in wheres(response)), response.text
    assert "closed" in response.text
    assert not {"d1", "d2"} & api.event_ids()
    assert api.get("/v1/tickets/D-1").status_code == 404


def test_a_second_ticket_created_earlier_than_the_first_names_the_new_event(api: Api) -> None:
    """A late ``ticket.created`` for a known ticket sorts first: the error must still name the
    event of the batch, not the stored one it displaced."""
    loaded(api)
    e = Events(prefix="z")
    e.created("2024-01-15 09:00", ticket="A-1")
    response = api.post_events(e)
    assert response.status_code == 422, response.text
    assert any(w.startswith("events[0]") for w in wheres(response)), response.text
    assert "z1" not in api.event_ids()


def test_a_known_id_with_other_content_is_refused(api: Api) -> None:
    events = loaded(api)
    changed = {**events.items[1], "at": "2024-01-15T10:21:00Z"}
    fresh = {**events.items[0], "id": "f1", "ticket": "F-1"}
    response = api.post_events([fresh, changed])
    assert response.status_code == 422, response.text
    assert wheres(response)[0].startswith("events[1]")
    assert "f1" not in api.event_ids()
    inside = api.post_events([fresh, {**fresh, "priority": "urgent"}])
    assert inside.status_code == 422
    assert wheres(inside)[0].startswith("events[1]")
    assert "f1" not in api.event_ids()


def test_a_late_event_re_derives_its_ticket_only(api: Api) -> None:
    api.clock.set(NOW)
    assert api.put_config(CONFIG).status_code == 200
    e = Events(prefix="l")
    e.created("2024-01-15 10:00", ticket="L-1", priority="high")  # Standard: 4h first response
    e.created("2024-01-15 10:00", ticket="L-2", priority="high")
    e.reply("2024-01-15 14:30", ticket="L-1")
    e.status("2024-01-15 14:40", "pending", ticket="L-1")
    assert api.post_events(e).status_code == 200
    resolution = pick(api.all_clocks(), "resolution", ticket="L-1")
    assert resolution["status"] == "paused"
    assert resolution["elapsed_seconds"] == (4 * 60 + 40) * 60

    late = Events(prefix="late")
    late.status("2024-01-15 11:00", "on_hold", ticket="L-1")  # before the reply and the pending
    response = api.post_events(late)
    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": 1, "duplicates": 0, "tickets": 1}
    everything = [*e.items, *late.items]
    stored = api.all_clocks()
    assert stored == expected(everything, NOW)
    resolution = pick(stored, "resolution", ticket="L-1")
    assert resolution["elapsed_seconds"] == 60 * 60  # on hold from 11:00: one business hour
    assert pick(stored, "first_response", ticket="L-1")["elapsed_seconds"] == 60 * 60
    assert api.clocks_of("L-1", "2024-01-15T16:00:00Z") == of_ticket(
        expected(everything, "2024-01-15T16:00:00Z"), "L-1"
    )


# -- clocks of one ticket --------------------------------------------------------------------------

INSTANTS = [
    "2024-01-15T09:59:59Z",
    "2024-01-15T10:00:00Z",
    "2024-01-15T10:20:00Z",
    "2024-01-15T11:59:59.5Z",
    "2024-01-15T13:40:00+01:00",
    "2024-01-15T14:52:00Z",
    NOW,
    "2024-01-16T09:00:00-05:00",
    "2024-01-22T12:00:00Z",
]


def test_ticket_clocks_at_any_instant_equal_evaluate(api: Api) -> None:
    events = loaded(api)
    for at in INSTANTS:
        clocks = expected(events, at)
        for ticket in SCOPES:
            assert api.clocks_of(ticket, at) == of_ticket(clocks, ticket), (ticket, at)
    api.clock.set("2024-01-16T11:00:00Z")  # without ?at= the clocks are those of now
    for ticket in SCOPES:
        assert api.clocks_of(ticket) == of_ticket(expected(events, "2024-01-16T11:00:00Z"), ticket)


def test_unknown_tickets_are_404(api: Api) -> None:
    loaded(api)
    for path in ("/v1/tickets/NOPE", "/v1/tickets/NOPE/clocks"):
        response = api.get(path)
        assert response.status_code == 404, response.text
        assert "NOPE" in response.json()["error"]


def test_ticket_view_has_the_timeline_and_explanations(api: Api) -> None:
    events = loaded(api)
    retarget = Events(prefix="r")
    retarget.updated("2024-01-15 14:58", ticket="A-1", priority="urgent")
    assert api.post_events(retarget).status_code == 200
    response = api.get("/v1/tickets/A-1", at=NOW)
    assert response.status_code == 200, response.text
    view = response.json()
    assert view["id"] == "A-1"
    assert (view["customer"], view["service"], view["group"]) == SCOPES["A-1"]
    assert (view["priority"], view["status"]) == ("urgent", "pending")
    assert view["created_at"] == "2024-01-15T10:00:00Z"
    assert view["last_event_at"] == "2024-01-15T14:58:00Z"
    mine = [e for e in [*events.items, *retarget.items] if e["ticket"] == "A-1"]
    assert [e["id"] for e in view["events"]] == [e["id"] for e in mine]
    assert all(e["at"].endswith("Z") for e in view["events"])

    clocks = [c["clock"] for c in view["clocks"]]
    everything = [*events.items, *retarget.items]
    assert clocks == of_ticket(expected(everything, NOW), "A-1")
    resolution = next(c for c in view["clocks"] if c["clock"]["metric"] == "resolution")
    assert resolution["calendar"] == "biz"
    assert resolution["selection"][0]["policy"] == "Gold acme"
    assert resolution["selection"][0]["applies"] is True
    assert resolution["selection"][0]["reason"]
    assert [m["what"] for m in resolution["marks"]][:1] == ["started"]
    assert resolution["marks"][0]["event"] == "s1"
    assert any(not s["running"] and s["status"] == "pending" for s in resolution["segments"])
    assert [r["event"] for r in resolution["retargets"]] == ["r1"]  # high 4h -> urgent 8h
    assert resolution["retargets"][0]["target_seconds"] == 8 * 3600


# -- lists of clocks -------------------------------------------------------------------------------


def test_stored_clocks_equal_evaluate_now_and_later(api: Api) -> None:
    events = loaded(api)
    clocks = api.all_clocks()
    assert clocks == expected(events, NOW)
    assert {c["status"] for c in clocks} == {"active", "paused", "achieved", "cancelled"}
    api.clock.set("2024-01-16T17:30:00Z")  # running clocks are brought forward to now
    assert api.all_clocks() == expected(events, "2024-01-16T17:30:00Z")


FILTERS: list[dict[str, Any]] = [
    {"status": "active"},
    {"status": "paused"},
    {"status": "achieved"},
    {"status": "cancelled"},
    {"breached": "true"},
    {"breached": "false"},
    {"metric": "first_response"},
    {"metric": "next_response"},
    {"metric": "periodic_update"},
    {"metric": "resolution", "status": "active"},
    {"customer": "acme"},
    {"customer": "globex", "metric": "resolution"},
    {"customer": "nobody"},
    {"service": "storage"},
    {"group": "tier1"},
    {"policy": "Gold acme"},
    {"policy": "Storage", "breached": "false"},
    {"due_after": "2024-01-15T15:00:00Z", "due_before": "2024-01-15T15:30:00Z"},
    {"due_after": "2024-01-15T16:00:00+01:00"},
    {"due_before": "2024-01-15T12:00:00Z", "status": "active"},
]


def _matches(clock: dict[str, Any], f: dict[str, Any]) -> bool:
    customer, service, group = SCOPES[clock["ticket"]]
    due = None if clock["due_at"] is None else parse_instant(clock["due_at"])
    checks = {
        "status": lambda v: clock["status"] == v,
        "breached": lambda v: clock["breached"] == (v == "true"),
        "metric": lambda v: clock["metric"] == v,
        "customer": lambda v: customer == v,
        "service": lambda v: service == v,
        "group": lambda v: group == v,
        "policy": lambda v: clock["policy"] == v,
        "due_after": lambda v: due is not None and due >= parse_instant(v),
        "due_before": lambda v: due is not None and due < parse_instant(v),
    }
    return all(checks[key](value) for key, value in f.items())


@pytest.mark.parametrize("later", [False, True], ids=["now", "later"])
def test_clock_filters(api: Api, later: bool) -> None:
    events = loaded(api)
    at = "2024-01-15T17:10:00Z" if later else NOW
    api.clock.set(at)
    everything = expected(events, at)
    seen_nonempty = 0
    for f in FILTERS:
        want = [c for c in everything if _matches(c, f)]
        assert api.all_clocks(**f) == want, f
        seen_nonempty += bool(want)
    assert seen_nonempty >= len(FILTERS) - 2  # the scenario gives most filters something


def test_cursor_pagination_walks_every_clock_once(api: Api) -> None:
    events = loaded(api)
    everything = expected(events, NOW)
    assert len(everything) > 10
    for limit in (1, 2, 3, 7):
        walked = api.all_clocks(limit=limit)
        assert walked == everything, limit
        keys = [(c["ticket"], c["metric"], c["cycle"]) for c in walked]
        assert len(set(keys)) == len(keys)
    first = api.get("/v1/clocks", limit=4).json()
    assert len(first["clocks"]) == 4
    assert first["next_cursor"]
    filtered = api.all_clocks(limit=1, customer="acme", status="active")
    assert filtered == [
        c for c in everything if _matches(c, {"customer": "acme", "status": "active"})
    ]
    last = api.get("/v1/clocks", limit=len(everything)).json()
    assert last["next_cursor"] is None


def test_at_risk_lists_running_clocks_due_in_the_window_soonest_first(api: Api) -> None:
    events = loaded(api)
    start = us(NOW)
    for within, seconds in (("30m", 1800), ("1h30m", 5400), ("45s", 45), ("20h", 72000)):
        response = api.get("/v1/at-risk", within=within)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["at"] == NOW
        assert body["within_seconds"] == seconds
        assert all(c.pop("risk") is None for c in body["clocks"]), "no risk model installed"
        clocks = body["clocks"]
        want = [
            c
            for c in expected(events, NOW)
            if c["status"] == "active"
            and c["due_at"] is not None
            and start <= parse_instant(c["due_at"]) < start + seconds * 1_000_000
        ]
        key = lambda c: (c["ticket"], c["metric"], c["cycle"])  # noqa: E731
        assert sorted(clocks, key=key) == sorted(want, key=key), within
        dues = [parse_instant(c["due_at"]) for c in clocks]
        assert dues == sorted(dues)
    soon = api.get("/v1/at-risk", within="30m").json()["clocks"]
    assert [(c["ticket"], c["due_at"]) for c in soon] == [
        ("G-2", "2024-01-15T15:10:00Z"),
        ("A-3", "2024-01-15T15:20:00Z"),
    ]
    assert api.get("/v1/at-risk").json()["within_seconds"] == 1800  # 30m is the default
    assert len(api.get("/v1/at-risk", within="20h", limit=1).json()["clocks"]) == 1


def test_a_config_change_re_derives_open_clocks(api: Api) -> None:
    events = loaded(api)
    assert not [c for c in api.all_clocks(breached="true") if c["ticket"] == "N-1"]
    tighter = config(
        policy(
            "Tight",
            calendar="24x7",
            targets={"first_response": {"default": "10m"}, "resolution": {"default": "1h"}},
        )
    )
    api.clock.set("2024-01-15T15:01:00Z")
    assert api.put_config(tighter).status_code == 200
    breached = api.all_clocks(breached="true")
    n1 = [c for c in breached if c["ticket"] == "N-1"]
    assert [(c["metric"], c["policy"], c["status"]) for c in n1] == [
        ("first_response", "Tight", "active")  # 14:40 + 10m < 15:01
    ]
    assert pick(n1, "first_response")["target_seconds"] == 600
    stored = api.all_clocks()
    assert stored == expected(events, "2024-01-15T15:01:00Z", tighter)
    assert not [c for c in stored if c["policy"] != "Tight"]
    soon = api.get("/v1/at-risk", within="30m").json()["clocks"]
    assert [(c["ticket"], c["metric"], c["due_at"]) for c in soon] == [
        ("G-2", "resolution", "2024-01-15T15:10:00Z")  # the 24x7 hour from 14:10
    ]


# -- system ----------------------------------------------------------------------------------------


def test_healthz_and_metrics(api: Api) -> None:
    health = api.get("/healthz", as_=None)
    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    assert health.json()["config_version"] is None
    assert health.json()["database"] == api.services.engine.dialect.name
    events = loaded(api)
    assert api.get("/healthz", as_=None).json()["config_version"] == 1
    metrics = api.get("/metrics", as_=None)
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    lines = metrics.text.splitlines()
    clocks = expected(events, NOW)
    active = sum(1 for c in clocks if c["metric"] == "resolution" and c["status"] == "active")
    assert f'slakeeper_clocks{{metric="resolution",status="active"}} {float(active)}' in lines
    assert f"slakeeper_tickets {float(len(SCOPES))}" in lines
    assert f"slakeeper_events_ingested_total {float(len(events))}" in lines


def test_openapi_document_and_docs(api: Api) -> None:
    schema = api.get("/openapi.json", as_=None)
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in ("/v1/config", "/v1/events", "/v1/tickets/{ticket}/clocks", "/v1/at-risk"):
        assert path in paths
    assert api.get("/docs", as_=None).status_code == 200


# -- authentication and roles ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer ", "Bearer slk_not-a-token", "Basic YWRtaW46YWRtaW4=", "slk_x"],
)
def test_without_a_valid_token_everything_is_401(api: Api, authorization: str | None) -> None:
    loaded(api)
    headers = {} if authorization is None else {"Authorization": authorization}
    for method, path in [
        ("GET", "/v1/config"),
        ("PUT", "/v1/config"),
        ("POST", "/v1/events"),
        ("GET", "/v1/tickets/A-1"),
        ("GET", "/v1/tickets/A-1/clocks"),
        ("GET", "/v1/clocks"),
        ("GET", "/v1/at-risk"),
        ("GET", "/v1/tokens"),
        ("POST", "/v1/tokens"),
        ("DELETE", "/v1/tokens/1"),
    ]:
        response = api.request(method, path, as_=None, headers=headers, content=b"[]")
        assert response.status_code == 401, (method, path, response.text)
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["error"]


def test_roles(api: Api) -> None:
    events = loaded(api)
    one = [{**events.items[0], "id": "role-1", "ticket": "R-1"}]
    assert api.post_events(one, as_="viewer").status_code == 403
    assert api.post_events(one, as_="acme").status_code == 403
    assert "role-1" not in api.event_ids()
    assert api.post_events(one, as_="admin").status_code == 200  # admins may send events too
    for who in ("agent", "viewer"):
        assert api.put_config(CONFIG, as_=who).status_code == 403, who
        assert api.get("/v1/tokens", as_=who).status_code == 403, who
        response = api.request("POST", "/v1/tokens", as_=who, json={"name": "x", "role": "admin"})
        assert response.status_code == 403, who
        assert api.get("/v1/config", as_=who).status_code == 200, who  # staff may read it
        assert api.get("/v1/clocks", as_=who).status_code == 200, who
    assert [v["version"] for v in api.get("/v1/config/versions").json()] == [1]


def test_tokens_are_created_listed_and_revoked(api: Api) -> None:
    loaded(api)
    response = api.request("POST", "/v1/tokens", json={"name": "helpdesk", "role": "agent"})
    assert response.status_code == 201, response.text
    created = response.json()
    token = created["token"]
    assert token.startswith("slk_")
    assert (created["name"], created["role"], created["customer"]) == ("helpdesk", "agent", None)
    assert api.get("/v1/clocks", as_=token).status_code == 200
    assert api.post_events(scenario().items[:1], as_=token).status_code == 200

    listed = api.get("/v1/tokens").json()
    mine = next(t for t in listed if t["id"] == created["id"])
    assert mine["revoked_at"] is None
    assert token not in api.get("/v1/tokens").text  # only the hash is stored
    assert {t["name"] for t in listed} >= {"admin", "agent", "viewer", "acme", "helpdesk"}

    scoped = api.request(
        "POST", "/v1/tokens", json={"name": "acme-portal", "role": "viewer", "customer": "acme"}
    )
    assert scoped.status_code == 201
    assert scoped.json()["customer"] == "acme"
    for bad in (
        {"name": "x", "role": "root"},
        {"name": "", "role": "viewer"},
        {"name": "x", "role": "admin", "customer": "acme"},
        {"role": "viewer"},
    ):
        assert api.request("POST", "/v1/tokens", json=bad).status_code == 422, bad

    api.clock.set("2024-01-15T16:00:00Z")
    assert api.request("DELETE", f"/v1/tokens/{created['id']}").status_code == 204
    assert api.get("/v1/clocks", as_=token).status_code == 401
    assert api.post_events(scenario().items[:1], as_=token).status_code == 401
    revoked = next(t for t in api.get("/v1/tokens").json() if t["id"] == created["id"])
    assert revoked["revoked_at"] == "2024-01-15T16:00:00Z"
    assert api.request("DELETE", f"/v1/tokens/{created['id']}").status_code == 404
    assert api.request("DELETE", "/v1/tokens/9999").status_code == 404
    assert api.request("DELETE", "/v1/tokens/x").status_code == 422


# -- limits and bad input --------------------------------------------------------------------------


@pytest.fixture
def small_api(db_url: str, engine: Engine) -> Iterator[Api]:
    """The app with a 4 KiB limit on request bodies."""
    yield from make_api(db_url, max_body_bytes=4096)


def test_a_body_over_the_limit_is_413_and_stores_nothing(small_api: Api) -> None:
    api = small_api
    assert api.put_config(CONFIG).status_code == 200
    big = [
        {"id": f"big-{i}", "ticket": f"BIG-{i}", "type": "ticket.created", "at": NOW}
        for i in range(100)
    ]
    assert len(orjson.dumps(big)) > 4096
    for ndjson in (False, True):
        response = api.post_events(big, ndjson=ndjson)
        assert response.status_code == 413, response.text
        assert response.json()["error"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit counts what streams in
        body = orjson.dumps(big)
        for i in range(0, len(body), 1000):
            yield body[i : i + 1000]

    streamed = api.request(
        "POST",
        "/v1/events",
        as_="agent",
        content=chunks(),
        headers={"Content-Type": "application/json"},
    )
    assert streamed.status_code == 413, streamed.text
    padded = "# " + "x" * 5000 + "\n" + orjson.dumps(CONFIG).decode()
    assert api.put_config(padded).status_code == 413
    assert api.count("events") == 0
    assert [v["version"] for v in api.get("/v1/config/versions").json()] == [1]
    assert api.post_events(big[:10]).status_code == 200  # under the limit: fine


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (b"[{", "application/json"),
        (b"{not json}", "application/json"),
        (b"\xff\xfe\x00", "application/json"),
        (b'"just a string"', "application/json"),
        (b"42", "application/json"),
        (b"[1, null, []]", "application/json"),
        (b"", "application/json"),
        (b"   \n", "application/x-ndjson"),
        (b"[1]\n2\n", "application/x-ndjson"),
        (b'{"id": "q"}', "text/plain"),
    ],
)
def test_malformed_event_bodies_are_422(api: Api, body: bytes, kind: str) -> None:
    loaded(api)
    response = api.request(
        "POST", "/v1/events", as_="agent", content=body, headers={"Content-Type": kind}
    )
    assert response.status_code == 422, response.text
    assert response.json()["issues"], response.text


def test_malformed_bodies_elsewhere_are_422(api: Api) -> None:
    loaded(api)
    for body in (b"{", b"[]", b'{"name": 1, "role": []}', b"\xff"):
        response = api.request(
            "POST", "/v1/tokens", content=body, headers={"Content-Type": "application/json"}
        )
        # FastAPI answers a body it cannot decode at all with 400
        assert response.status_code in ((400, 422) if body == b"\xff" else (422,)), response.text
    config_bad = api.request(
        "PUT", "/v1/config", content=b"\xff\xfe", headers={"Content-Type": "application/yaml"}
    )
    assert config_bad.status_code == 422


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v1/clocks", {"status": "bogus"}),
        ("/v1/clocks", {"breached": "maybe"}),
        ("/v1/clocks", {"metric": "happiness"}),
        ("/v1/clocks", {"cursor": "garbage"}),
        ("/v1/clocks", {"cursor": "9.1.T-1"}),
        ("/v1/clocks", {"cursor": "1.x.T-1"}),
        ("/v1/clocks", {"cursor": "1.1."}),
        ("/v1/clocks", {"limit": "0"}),
        ("/v1/clocks", {"limit": "100000"}),
        ("/v1/clocks", {"limit": "ten"}),
        ("/v1/clocks", {"due_after": "tomorrow"}),
        ("/v1/clocks", {"due_before": "2024-01-15T10:00:00"}),  # no offset
        ("/v1/at-risk", {"within": "4x"}),
        ("/v1/at-risk", {"within": "2d"}),
        ("/v1/at-risk", {"within": "-5m"}),
        ("/v1/at-risk", {"within": "0"}),
        ("/v1/at-risk", {"within": ""}),
        ("/v1/at-risk", {"limit": "-1"}),
        ("/v1/tickets/A-1/clocks", {"at": "yesterday"}),
        ("/v1/tickets/A-1/clocks", {"at": "2024-02-30T10:00:00Z"}),
        ("/v1/tickets/A-1", {"at": "1705312800"}),
    ],
)
def test_unknown_query_values_are_422(api: Api, path: str, params: dict[str, str]) -> None:
    loaded(api)
    response = api.get(path, **params)
    assert response.status_code == 422, response.text
    assert response.json()["error"]
    assert response.json()["issues"], response.text


LONG = "x" * 300


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", "/v1/clocks", {"params": {"cursor": "1.99999999999999999999.A-1"}}),
        ("GET", "/v1/clocks", {"params": {"customer": "a\x00b"}}),
        ("GET", "/v1/at-risk", {"params": {"within": "99999999999h"}}),
        ("GET", "/v1/tickets/a%00b", {}),
        ("GET", "/v1/config/versions/99999999999999999999", {}),
        ("DELETE", "/v1/tokens/99999999999999999999", {}),
        ("POST", "/v1/tokens", {"json": {"name": "n", "role": "viewer", "customer": "a\x00b"}}),
        ("PUT", "/v1/config", {"json": config(policy("a\x00b"))}),
        (
            "PUT",
            "/v1/config",
            {"json": config(policy(targets={"resolution": {"default": "99999999999h"}}))},
        ),
        (
            "POST",
            "/v1/events",
            {
                "json": [
                    {
                        "id": "y1",
                        "ticket": "Y-1",
                        "type": "ticket.created",
                        "at": "0001-01-01T00:00:00+01:00",
                    }
                ]
            },
        ),
        (
            "POST",
            "/v1/events",
            {
                "json": [
                    {
                        "id": "y9",
                        "ticket": "Y-9",
                        "type": "ticket.created",
                        "at": "9999-12-31T23:59:59-01:00",
                    }
                ]
            },
        ),
        (
            "POST",
            "/v1/events",
            {"json": [{"id": LONG, "ticket": "L-1", "type": "ticket.created", "at": NOW}]},
        ),
        (
            "POST",
            "/v1/events",
            {"json": [{"id": "l2", "ticket": LONG, "type": "ticket.created", "at": NOW}]},
        ),
        (
            "POST",
            "/v1/events",
            {
                "json": [
                    {
                        "id": "l3",
                        "ticket": "L-3",
                        "type": "ticket.created",
                        "at": NOW,
                        "customer": LONG,
                    }
                ]
            },
        ),
        (
            "POST",
            "/v1/events",
            {"json": [{"id": "a\x00b", "ticket": "L-4", "type": "ticket.created", "at": NOW}]},
        ),
        (
            "POST",
            "/v1/events",
            {
                "json": [
                    {
                        "id": "l5",
                        "ticket": "L-5",
                        "type": "ticket.created",
                        "at": NOW,
                        "customer": "a\x00b",
                        "tags": ["t\x00"],
                    }
                ]
            },
        ),
    ],
    ids=[
        "cursor-huge-cycle",
        "customer-nul",
        "within-huge",
        "ticket-nul",
        "version-huge",
        "token-id-huge",
        "token-customer-nul",
        "config-nul",
        "config-huge-target",
        "event-year-0",
        "event-year-10000",
        "event-long-id",
        "event-long-ticket",
        "event-long-customer",
        "event-id-nul",
        "event-fields-nul",
    ],
)
def test_extreme_input_is_answered_with_a_4xx_never_500(
    api: Api, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    """What a fuzzer sends: huge numbers, NUL characters, instants at the ends of time, ids longer
    than the columns. Each is either taken or refused with a 4xx; a refused batch stores nothing."""
    loaded(api)
    before = api.count("events")
    response = api.request(method, path, **kwargs)
    assert response.status_code < 500, response.text
    if path == "/v1/events" and response.status_code != 200:
        assert response.status_code == 422, response.text
        assert api.count("events") == before
