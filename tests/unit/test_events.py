"""Ticket events (SPEC §4, semantics §4): one event's validation, the log, and sequence errors."""

from __future__ import annotations

from typing import Any

import pytest

from slakeeper.domain.config import parse_config
from slakeeper.domain.errors import EventError
from slakeeper.domain.events import (
    BadEvent,
    DuplicateEvent,
    EventLog,
    format_instant,
    parse_event,
    parse_instant,
)
from slakeeper.domain.ticket import Rules, SequenceError, TicketState
from slakeeper.service.evaluate import evaluate
from tests.factories import Events, evaluation, records, run

AT = "2024-01-15T10:00:00Z"
AT_US = parse_instant(AT)


def created(**fields: Any) -> dict[str, Any]:
    return {"id": "e1", "ticket": "T-1", "type": "ticket.created", "at": AT, **fields}


def comment(**fields: Any) -> dict[str, Any]:
    return {
        "id": "c1",
        "ticket": "T-1",
        "type": "comment.added",
        "at": AT,
        "author": "agent",
        **fields,
    }


# -- instants --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-15T10:00:00Z", "2024-01-15T10:00:00Z"),
        ("2024-01-15T12:00:00+02:00", "2024-01-15T10:00:00Z"),
        ("2024-01-15T05:30:00-04:30", "2024-01-15T10:00:00Z"),
        ("2024-01-15t10:00:00z", "2024-01-15T10:00:00Z"),
        ("2024-01-15T10:00:00.5Z", "2024-01-15T10:00:00.5Z"),
        ("2024-01-15T10:00:00.123456789Z", "2024-01-15T10:00:00.123456Z"),  # nanoseconds truncated
        ("2024-01-15T10:00:00.000000Z", "2024-01-15T10:00:00Z"),
    ],
)
def test_instants_are_read_with_their_offset_and_written_in_utc(text: str, expected: str) -> None:
    assert format_instant(parse_instant(text)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2024-01-15T10:00:00",  # no offset
        "2024-01-15",
        "2024-01-15T10:00Z",
        "2024-02-30T10:00:00Z",
        "yesterday",
        "",
        1705312800,
        None,
    ],
)
def test_bad_instants_are_refused(text: object) -> None:
    with pytest.raises(BadEvent):
        parse_instant(text)


# -- one event -------------------------------------------------------------------------------------


def test_created_with_defaults() -> None:
    event = parse_event(created(), seq=3, line=7)
    assert (event.id, event.ticket, event.type, event.at, event.seq, event.line) == (
        "e1",
        "T-1",
        "ticket.created",
        AT_US,
        3,
        7,
    )
    assert event.changes == ()
    state = TicketState("T-1", Rules())
    state.apply(event)
    assert state.status == "new"
    assert state.attrs.priority == "normal"


def test_created_with_every_field() -> None:
    event = parse_event(
        created(
            priority="urgent",
            status="open",
            channel="email",
            customer="acme",
            service="storage",
            group="tier1",
            assignee="ann",
            tags=["vip", "contract"],
        )
    )
    values = dict(event.changes)
    assert values["tags"] == frozenset({"vip", "contract"})
    assert values["priority"] == "urgent"
    assert event.as_dict()["tags"] == ["contract", "vip"]


@pytest.mark.parametrize(
    "obj",
    [
        {"id": "u1", "ticket": "T-1", "type": "ticket.updated", "at": AT},  # no fields: accepted
        {"id": "u1", "ticket": "T-1", "type": "ticket.updated", "at": AT, "status": "pending"},
        {
            "id": "u1",
            "ticket": "T-1",
            "type": "ticket.updated",
            "at": AT,
            "channel": None,
            "group": None,
        },
        {"id": "u1", "ticket": "T-1", "type": "ticket.updated", "at": AT, "tags": []},
        comment(),
        comment(author="customer", public=False),
        comment(author="system", public=True),
        {"id": "s1", "ticket": "T-1", "type": "csat.rated", "at": AT, "score": 1},
        {"id": "s1", "ticket": "T-1", "type": "csat.rated", "at": AT, "score": 5},
    ],
)
def test_valid_events(obj: dict[str, Any]) -> None:
    event = parse_event(obj)
    assert event.id == obj["id"]
    assert event.type == obj["type"]


def test_comment_public_defaults_to_true() -> None:
    assert parse_event(comment()).public is True
    assert parse_event(comment(public=False)).public is False


@pytest.mark.parametrize(
    ("obj", "says"),
    [
        pytest.param({**created(), "type": "ticket.deleted"}, "unknown type", id="unknown-type"),
        pytest.param(
            {k: v for k, v in created().items() if k != "type"}, "unknown type", id="no-type"
        ),
        pytest.param(created(colour="red"), "colour", id="unknown-field"),
        pytest.param(comment(priority="high"), "priority", id="field-of-another-type"),
        pytest.param(created(status="resolved"), "resolved", id="bad-status"),
        pytest.param(created(status=None), "status", id="null-status"),
        pytest.param(created(priority=None), "priority", id="null-priority"),
        pytest.param(created(priority=""), "priority", id="empty-priority"),
        pytest.param(created(at="2024-01-15T10:00:00"), "offset", id="at-without-offset"),
        pytest.param(created(at="2024-01-15 10:00"), "2024-01-15 10:00", id="at-malformed"),
        pytest.param({k: v for k, v in created().items() if k != "at"}, "at", id="no-at"),
        pytest.param(created(id=""), "id", id="empty-id"),
        pytest.param(created(id=7), "id", id="id-not-text"),
        pytest.param(created(ticket=""), "ticket", id="empty-ticket"),
        pytest.param(
            {k: v for k, v in created().items() if k != "ticket"}, "ticket", id="no-ticket"
        ),
        pytest.param(
            {"id": "s", "ticket": "T-1", "type": "csat.rated", "at": AT, "score": 0},
            "score",
            id="score-0",
        ),
        pytest.param(
            {"id": "s", "ticket": "T-1", "type": "csat.rated", "at": AT, "score": 6},
            "score",
            id="score-6",
        ),
        pytest.param(
            {"id": "s", "ticket": "T-1", "type": "csat.rated", "at": AT, "score": True},
            "score",
            id="score-bool",
        ),
        pytest.param(
            {"id": "s", "ticket": "T-1", "type": "csat.rated", "at": AT, "score": 4.0},
            "score",
            id="score-float",
        ),
        pytest.param(
            {"id": "s", "ticket": "T-1", "type": "csat.rated", "at": AT, "score": "5"},
            "score",
            id="score-text",
        ),
        pytest.param(
            {"id": "s", "ticket": "T-1", "type": "csat.rated", "at": AT},
            "score",
            id="score-missing",
        ),
        pytest.param(comment(author="bot"), "author", id="author-invalid"),
        pytest.param(
            {k: v for k, v in comment().items() if k != "author"}, "author", id="author-missing"
        ),
        pytest.param(comment(public="yes"), "public", id="public-text"),
        pytest.param(comment(public=1), "public", id="public-int"),
        pytest.param(created(tags="vip"), "tags", id="tags-text"),
        pytest.param(created(tags=["vip", 3]), "tags", id="tags-not-texts"),
        pytest.param(created(tags=[""]), "tags", id="tags-empty-text"),
        pytest.param(created(channel=5), "channel", id="channel-not-text"),
    ],
)
def test_invalid_events_name_what_is_wrong(obj: object, says: str) -> None:
    with pytest.raises(BadEvent) as caught:
        parse_event(obj)
    assert says in str(caught.value)


def test_an_event_that_is_not_an_object_is_refused() -> None:
    for obj in ([1, 2], "event", None, 3):
        with pytest.raises(BadEvent):
            parse_event(obj)


def test_an_error_names_the_event() -> None:
    with pytest.raises(BadEvent) as caught:
        parse_event(created(id="evt-42", status="resolved"))
    assert "evt-42" in str(caught.value)


def test_bad_event_is_a_value_error() -> None:
    assert issubclass(BadEvent, ValueError)


# -- the log ---------------------------------------------------------------------------------------


def _event(obj: dict[str, Any], seq: int) -> Any:
    return parse_event(obj, seq, seq + 1)


def test_the_log_orders_by_at_with_ties_in_arrival_order() -> None:
    e = Events()
    e.created("2024-01-15 10:00")
    e.reply("2024-01-15 10:30")
    e.status("2024-01-15 10:30", "solved")
    e.customer("2024-01-15 10:10")
    e.created("2024-01-15 09:00", ticket="A-1")
    log = EventLog()
    arrival = [e.items[3], e.items[2], e.items[0], e.items[4], e.items[1]]
    for seq, obj in enumerate(arrival):
        assert log.add(_event(obj, seq)) is True
    assert log.tickets() == ["A-1", "T-1"]
    assert [ev.id for ev in log.history("T-1")] == ["e1", "e4", "e3", "e2"]  # solve arrived first
    assert [ev.id for ev in log] == ["e5", "e1", "e4", "e3", "e2"]
    assert len(log) == 5


def test_the_log_ignores_an_exact_repeat() -> None:
    log = EventLog()
    assert log.add(_event(created(), 0)) is True
    assert log.add(_event(created(), 1)) is False
    assert log.add(_event(created(at="2024-01-15T11:00:00+01:00"), 2)) is False  # same instant
    assert len(log) == 1
    assert [ev.seq for ev in log.history("T-1")] == [0]


def test_the_log_compares_tags_as_a_set() -> None:
    log = EventLog()
    log.add(_event(created(tags=["a", "b"]), 0))
    assert log.add(_event(created(tags=["b", "a"]), 1)) is False


@pytest.mark.parametrize(
    "other",
    [
        created(priority="high"),
        created(at="2024-01-15T10:00:01Z"),
        created(ticket="T-2"),
        {**comment(), "id": "e1"},
    ],
)
def test_the_log_refuses_a_repeated_id_with_other_content(other: dict[str, Any]) -> None:
    log = EventLog()
    log.add(_event(created(), 0))
    with pytest.raises(DuplicateEvent) as caught:
        log.add(_event(other, 1))
    assert "e1" in str(caught.value)
    assert "line 1" in str(caught.value)


# -- sequence errors -------------------------------------------------------------------------------


def test_an_event_before_created_is_an_error() -> None:
    state = TicketState("T-1", Rules())
    with pytest.raises(SequenceError):
        state.apply(parse_event(comment()))


def _issue_lines(
    events: list[dict[str, Any]], at: str = "2024-01-20 00:00"
) -> list[tuple[str, str]]:
    with pytest.raises(EventError) as caught:
        evaluation(
            {"policies": [{"name": "P", "targets": {"resolution": {"default": "8h"}}}]}, events, at
        )
    return [(i.where, i.message) for i in caught.value.issues]


def test_an_event_before_its_tickets_creation_is_an_error_naming_the_line() -> None:
    e = Events()
    e.reply("2024-01-15 09:00")
    e.created("2024-01-15 10:00")
    found = _issue_lines(e.items)
    assert [w for w, _ in found] == ["line 1"]
    assert "e1" in found[0][1]
    assert "created" in found[0][1]


def test_an_event_for_a_ticket_never_created_is_an_error() -> None:
    e = Events()
    e.created("2024-01-15 10:00")
    e.reply("2024-01-15 10:30", ticket="T-9")
    found = _issue_lines(e.items)
    assert [w for w, _ in found] == ["line 2"]
    assert "T-9" in found[0][1]


def test_a_second_created_is_an_error() -> None:
    e = Events()
    e.created("2024-01-15 10:00")
    e.reply("2024-01-15 10:30")
    e.created("2024-01-15 11:00")
    found = _issue_lines(e.items)
    assert [w for w, _ in found] == ["line 3"]
    assert "e3" in found[0][1]
    assert "second" in found[0][1]


@pytest.mark.parametrize("kind", ["reply", "status", "csat", "customer"])
def test_any_event_after_closed_is_an_error(kind: str) -> None:
    e = Events()
    e.created("2024-01-15 10:00")
    e.status("2024-01-15 11:00", "closed")
    if kind == "reply":
        e.reply("2024-01-15 12:00")
    elif kind == "status":
        e.status("2024-01-15 12:00", "open")
    elif kind == "csat":
        e.csat("2024-01-15 12:00", 4)
    else:
        e.customer("2024-01-15 12:00")
    found = _issue_lines(e.items)
    assert [w for w, _ in found] == ["line 3"]
    assert "e3" in found[0][1]
    assert "closed" in found[0][1]


def test_a_ticket_created_closed_accepts_nothing_after() -> None:
    e = Events()
    e.created("2024-01-15 10:00", status="closed")
    e.reply("2024-01-15 10:01")
    assert [w for w, _ in _issue_lines(e.items)] == ["line 2"]


def test_solved_is_not_final() -> None:
    e = Events()
    e.created("2024-01-15 10:00")
    e.status("2024-01-15 11:00", "solved")
    e.csat("2024-01-15 11:30", 5)
    e.reply("2024-01-15 12:00")
    e.status("2024-01-15 12:00", "closed")
    assert run(
        {"policies": [{"name": "P", "targets": {"resolution": {"default": "8h"}}}]},
        e,
        "2024-01-16 00:00",
    )


def test_sequence_errors_name_the_line_in_the_file_not_the_sorted_position() -> None:
    e = Events()
    e.created("2024-01-15 10:00")
    e.status("2024-01-15 11:00", "closed")
    e.reply("2024-01-15 12:00")
    items = [e.items[2], e.items[1], e.items[0]]  # the bad reply is the file's first line
    assert [w for w, _ in _issue_lines(items)] == ["line 1"]


def test_every_bad_event_is_reported_and_no_clocks_are_returned() -> None:
    e = Events()
    e.created("2024-01-15 10:00")
    e.status("2024-01-15 10:30", "bogus")
    e.created("2024-01-15 11:00")  # second created
    e.comment("2024-01-15 11:30", "robot")
    found = _issue_lines(e.items)
    assert sorted(w for w, _ in found) == ["line 2", "line 3", "line 4"]


def test_undecodable_lines_are_reported_with_their_line() -> None:
    sla = {"policies": [{"name": "P", "targets": {"resolution": {"default": "8h"}}}]}
    e = Events()
    e.created("2024-01-15 10:00")
    e.reply("2024-01-15 10:30")
    recs = records(e.items)
    recs.append((3, BadEvent("not valid JSON: unexpected character")))
    with pytest.raises(EventError) as caught:
        _evaluate_records(sla, recs)
    assert [(i.where, i.message) for i in caught.value.issues] == [
        ("line 3", "not valid JSON: unexpected character")
    ]


def _evaluate_records(sla: dict[str, Any], recs: list[tuple[int, object]]) -> Any:
    return evaluate(parse_config(sla), recs, parse_instant("2024-01-16T00:00:00Z"))


def test_at_most_a_thousand_problems_are_listed_then_a_count() -> None:
    bad = [{"id": f"x{i}", "ticket": "T", "type": "nope", "at": AT} for i in range(1005)]
    found = _issue_lines(bad)
    assert len(found) == 1001
    assert found[-1][0] == ""
    assert "5 more" in found[-1][1]
