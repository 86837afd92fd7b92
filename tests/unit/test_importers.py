"""History importers (docs/import.md): each reader on small hand-written exports in the vendor's
format, the events it must produce checked field by field; the mapping file's checks; the checks
of a ticket's history; a CSV round trip as a property."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from slakeeper.adapters.importers.common import (
    Bundle,
    Draft,
    Item,
    Problem,
    Unusable,
    json_records,
    parse_time,
)
from slakeeper.adapters.importers.csv_mapping import CsvStats, plan, read_csv, rows_at
from slakeeper.adapters.importers.history import SKIPPED_WITH_TICKET, assemble
from slakeeper.adapters.importers.jira_export import read_jira
from slakeeper.adapters.importers.load import JsonlSink, Sink, Tally, run
from slakeeper.adapters.importers.mapping import Mapping, load_mapping, parse_mapping
from slakeeper.adapters.importers.zendesk_export import ZendeskOptions, read_users, read_zendesk
from slakeeper.domain.calendar_spec import load_zone
from slakeeper.domain.errors import InvalidInput

ROOT = Path(__file__).resolve().parents[2]


def events_of(items: list[Item]) -> dict[str, list[dict[str, Any]]]:
    """Each good ticket's checked events, in order."""
    out: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        if isinstance(item, Bundle):
            drafts, problems = assemble(item)
            if not problems:
                out[item.ticket] = [d.event for d in drafts]
    return out


def problems_of(items: list[Item]) -> list[Problem]:
    out: list[Problem] = []
    for item in items:
        if isinstance(item, Problem):
            out.append(item)
        else:
            out.extend(assemble(item)[1])
    return out


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def read(tmp_path: Path, document: dict[str, Any], *texts: str) -> list[Item]:
    pending = jira_issue()
    pending["key"] = "SUP-5"
    del pending["changelog"]
    del pending["fields"]["resolutiondate"]
    pending["fields"]["updated"] = "2026-03-05T10:00:00.000+0100"
    pending["fields"]["status"] = {"name": "Waiting for customer"}
    last = events_of(read_jira_text(tmp_path, json.dumps(pending)))["jira:SUP-5"][-1]
    assert (last["id"], last["at"], last["status"]) == (
        "jira:SUP-5:status",
        "2026-03-05T09:00:00Z",
        "pending",
    )
    mapping = parse_mapping(document)
    paths = [write(tmp_path / f"export{i}.csv", text) for i, text in enumerate(texts)]
    return list(read_csv(plan(paths, mapping), mapping))


# -- times ---------------------------------------------------------------------------------------


def test_times_iso_with_offsets_and_naive_times_in_the_mapping_zone() -> None:
    berlin = load_zone("Europe/Berlin")
    assert parse_time("2026-03-02T08:00:00Z") == "2026-03-02T08:00:00Z"
    assert parse_time("2026-03-02T09:00:00.000+0100") == "2026-03-02T08:00:00Z"
    assert parse_time("2026-03-02 09:00", zone=berlin) == "2026-03-02T08:00:00Z"
    assert parse_time("02.03.2026 09:00", "%d.%m.%Y %H:%M", berlin) == "2026-03-02T08:00:00Z"
    assert parse_time("1772438400", "epoch") == "2026-03-02T08:00:00Z"
    # the repeated hour of October is read as its first occurrence (summer time)
    assert parse_time("2026-10-25 02:30", zone=berlin) == "2026-10-25T00:30:00Z"
    with pytest.raises(Unusable, match="no UTC offset"):
        parse_time("2026-03-02 09:00")
    with pytest.raises(Unusable, match="clocks jumped forward"):
        parse_time("2026-03-29 02:30", zone=berlin)
    with pytest.raises(Unusable, match="not a date and time"):
        parse_time("31.02.2026 08:00", "%d.%m.%Y %H:%M", berlin)


@settings(max_examples=300, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2040, 1, 1)),
    zone=st.sampled_from(
        ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu", "UTC"]
    ),
)
@example(moment=datetime(2026, 10, 4, 2, 45), zone="Australia/Lord_Howe")  # 30 min skipped
@example(moment=datetime(2026, 10, 4, 2, 15), zone="Australia/Lord_Howe")
@example(moment=datetime(2026, 4, 5, 1, 45), zone="Australia/Lord_Howe")  # 30 min repeated
@example(moment=datetime(2026, 3, 29, 2, 30), zone="Europe/Berlin")
@example(moment=datetime(2026, 10, 25, 2, 30), zone="Europe/Berlin")
def test_local_times_are_read_as_zoneinfo_reads_them(moment: Any, zone: str) -> None:
    """The hour cache of local times never disagrees with the zone: the earlier of a repeated
    time, a skipped time refused."""
    from datetime import UTC

    tz = load_zone(zone)
    moment = moment.replace(microsecond=0)
    text = moment.strftime("%Y-%m-%d %H:%M:%S")
    aware = moment.replace(tzinfo=tz, fold=0)
    exists = aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == moment
    expected = aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for fmt in (None, "%Y-%m-%d %H:%M:%S"):
        for _ in range(2):  # the second time from the cache
            if exists:
                assert parse_time(text, fmt, tz) == expected
            else:
                with pytest.raises(Unusable, match="clocks jumped forward"):
                    parse_time(text, fmt, tz)


# -- the mapping file ----------------------------------------------------------------------------


def test_every_problem_of_a_mapping_file_is_named_with_its_path() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_mapping(
            {
                "tickets": {"ticket": "Id", "priorty": "Priority"},
                "values": {"status": {"Done": "finished"}, "csat": {"good": 7}, "colour": {}},
                "times": {"timezone": "Mars/Olympus", "format": "dd.mm.yyyy"},
                "csv": {"delimiter": ";;"},
                "defaults": {"priority": ""},
                "extra": 1,
            }
        )
    wheres = {issue.where for issue in caught.value.issues}
    assert wheres == {
        "extra",
        "tickets.priorty",
        "tickets.created_at",
        "values.status.Done",
        "values.csat.good",
        "values.colour",
        "times.timezone",
        "times.format",
        "csv.delimiter",
        "defaults.priority",
    }
    messages = " ".join(str(i) for i in caught.value.issues)
    assert "'finished' is not one of new, open, pending, on_hold, solved, closed" in messages
    assert "is required" in messages


def test_a_mapping_needs_a_section_and_the_example_mappings_are_valid(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="give a tickets section"):
        parse_mapping({"values": {"priority": {"P1": "urgent"}}})
    for name in ("import-mapping.yaml", "import-mapping-events.yaml"):
        assert isinstance(load_mapping(ROOT / "examples" / name), Mapping)
    bad = tmp_path / "bad.yaml"
    bad.write_text("tickets: [unclosed\n")
    with pytest.raises(InvalidInput) as caught:
        load_mapping(bad)
    assert caught.value.lines()[0].startswith(f"{bad}: line ")


def test_a_header_without_the_mapped_columns_is_refused_whole(tmp_path: Path) -> None:
    mapping = parse_mapping({"tickets": {"ticket": "Id", "created_at": "Created", "group": "Team"}})
    no_created = write(tmp_path / "a.csv", "Id,Opened\n1,2026-03-02T08:00:00Z\n")
    no_team = write(tmp_path / "b.csv", "Id,Created\n1,2026-03-02T08:00:00Z\n")
    with pytest.raises(InvalidInput) as caught:
        plan([no_created, no_team, str(tmp_path / "missing.csv")], mapping)
    lines = [str(i) for i in caught.value.issues]
    assert "'Created' (tickets.created_at)" in lines[0]
    assert "no column 'Team' (tickets.group)" in lines[1]
    assert "cannot read the file" in lines[2]


# -- CSV, one row per ticket ---------------------------------------------------------------------

TICKETS = {
    "tickets": {
        "ticket": "Ticket ID",
        "created_at": "Created",
        "first_reply_at": "First reply",
        "solved_at": "Solved",
        "closed_at": "Closed",
        "updated_at": "Updated",
        "status": "Status",
        "priority": "Priority",
        "channel": "Channel",
        "customer": "Organization",
        "group": "Group",
        "assignee": "Assignee",
        "tags": "Tags",
        "csat": "Satisfaction",
    },
    "ticket_prefix": "desk:",
    "values": {
        "priority": {"P1": "urgent", "P2": "high", "P3": "normal"},
        "csat": {"Good": 5, "Bad": 1, "Offered": "ignore"},
        "customer": {"ACME Corp": "acme"},
    },
    "defaults": {"channel": "email"},
    "times": {"format": "%d.%m.%Y %H:%M", "timezone": "Europe/Berlin"},
}
HEADER = (
    "Ticket ID,Created,First reply,Solved,Closed,Updated,Status,Priority,Channel,"
    "Organization,Group,Assignee,Tags,Satisfaction\n"
)


def test_a_ticket_row_becomes_its_creation_reply_solve_close_and_rating(tmp_path: Path) -> None:
    text = HEADER + (
        "4711,02.03.2026 09:12,02.03.2026 09:40,02.03.2026 15:05,04.03.2026 15:05,"
        '04.03.2026 15:05,Closed,P2,,ACME Corp,tier1,Ana,"vip, backup",good\n'
    )
    items = read(tmp_path, TICKETS, text)
    assert problems_of(items) == []
    assert events_of(items) == {
        "desk:4711": [
            {
                "id": "desk:4711:created",
                "ticket": "desk:4711",
                "type": "ticket.created",
                "at": "2026-03-02T08:12:00Z",
                "priority": "high",
                "channel": "email",  # the default: the cell is empty
                "customer": "acme",
                "group": "tier1",
                "assignee": "Ana",
                "tags": ["backup", "vip"],
            },
            {
                "id": "desk:4711:first_reply",
                "ticket": "desk:4711",
                "type": "comment.added",
                "at": "2026-03-02T08:40:00Z",
                "author": "agent",
                "public": True,
            },
            {
                "id": "desk:4711:solved",
                "ticket": "desk:4711",
                "type": "ticket.updated",
                "at": "2026-03-02T14:05:00Z",
                "status": "solved",
            },
            {
                "id": "desk:4711:csat",
                "ticket": "desk:4711",
                "type": "csat.rated",
                "at": "2026-03-02T14:05:00Z",  # no csat_at: rated when solved
                "score": 5,
            },
            {
                "id": "desk:4711:closed",
                "ticket": "desk:4711",
                "type": "ticket.updated",
                "at": "2026-03-04T14:05:00Z",
                "status": "closed",
            },
        ]
    }


def test_the_current_status_of_a_ticket_row_needs_its_time(tmp_path: Path) -> None:
    text = HEADER + (
        "1,02.03.2026 09:00,02.03.2026 09:30,,,03.03.2026 10:00,Pending,P3,,,,,,\n"
        "2,02.03.2026 09:00,,,,,Open,P3,,,,,,Offered\n"
        "3,02.03.2026 09:00,,,,,Pending,P3,,,,,,\n"
        "4,02.03.2026 09:00,,,,,Solved,P3,,,,,,\n"
    )
    items = read(tmp_path, TICKETS, text)
    found = events_of(items)
    assert found["desk:1"][-1] == {
        "id": "desk:1:status",
        "ticket": "desk:1",
        "type": "ticket.updated",
        "at": "2026-03-03T09:00:00Z",
        "status": "pending",
    }
    assert found["desk:2"] == [
        {
            "id": "desk:2:created",
            "ticket": "desk:2",
            "type": "ticket.created",
            "at": "2026-03-02T08:00:00Z",
            "priority": "normal",
            "channel": "email",
            "status": "open",  # open since its creation; the offered survey is no rating
        }
    ]
    problems = {p.ticket: p for p in problems_of(items)}
    assert set(problems) == {"desk:3", "desk:4"}
    assert problems["desk:3"].field == "Status"
    assert "map updated_at" in problems["desk:3"].reason
    assert "map solved_at or updated_at" in problems["desk:4"].reason


def test_bad_rows_are_reported_with_their_place_and_the_good_ones_read(tmp_path: Path) -> None:
    text = HEADER + (
        "10,31.02.2026 08:00,,,,,Open,P2,,,,,,\n"  # no such date
        "11,02.03.2026 09:00,,,,,Open,P9,,,,,,\n"  # an unknown priority
        "12,02.03.2026 09:00,02.03.2026 08:00,,,,Open,P2,,,,,,\n"  # a reply before creation
        ",02.03.2026 09:00,,,,,Open,P2,,,,,,\n"  # no ticket id
        "13,02.03.2026 09:00,02.03.2026 09:30,,,,Open,P1,,,,,,\n"  # good
        "13,02.03.2026 09:00,,,,,Open,P1,,,,,,\n"  # the same ticket again
        "14,02.03.2026 09:00,,,,,Open,P1,,,,,,Meh\n"  # a rating not in the map
    )
    items = read(tmp_path, TICKETS, text)
    assert set(events_of(items)) == {"desk:13"}
    problems = problems_of(items)
    assert [(p.place, p.ticket, p.field) for p in problems] == [
        ("line 2", "desk:10", "Created"),
        ("line 3", "desk:11", "Priority"),
        ("line 4", "desk:12", "First reply"),
        ("line 5", None, "Ticket ID"),
        ("line 7", "desk:13", None),
        ("line 8", "desk:14", "Satisfaction"),
    ]
    reasons = [p.reason for p in problems]
    assert reasons[0] == "'31.02.2026 08:00' is not a date and time in the format '%d.%m.%Y %H:%M'"
    assert reasons[1] == "'P9' is not one of 'P1', 'P2', 'P3'; add it to values.priority"
    assert reasons[2] == (
        "at 2026-03-02T07:00:00Z is before the ticket was created (2026-03-02T08:00:00Z)"
    )
    assert reasons[3] == "the ticket id is empty"
    assert "has a row already" in reasons[4]
    assert str(problems[1]) == (
        f"{tmp_path / 'export0.csv'}: line 3 (ticket desk:11): Priority: 'P9' is not one of "
        "'P1', 'P2', 'P3'; add it to values.priority"
    )
    copies = rows_at(problems, parse_mapping(TICKETS))
    assert copies[(str(tmp_path / "export0.csv"), 3)] == "11,02.03.2026 09:00,,,,,Open,P9,,,,,,"


def test_a_row_reports_every_problem_it_has(tmp_path: Path) -> None:
    text = HEADER + "5,yesterday,soon,,,,Open,P7,,,,,,\n"
    problems = problems_of(read(tmp_path, TICKETS, text))
    assert [p.field for p in problems] == ["Created", "Priority", "First reply"]


# -- CSV, one row per event ------------------------------------------------------------------------

EVENTS = {
    "events": {
        "ticket": "Ticket",
        "at": "Time",
        "kind": "Event",
        "value": "Value",
        "author": "Author",
        "public": "Visibility",
        "priority": "Priority",
        "group": "Group",
    },
    "values": {
        "kind": {
            "Ticket created": "created",
            "Public reply": "reply",
            "Note": "note",
            "Comment": "comment",
            "Status changed": "status",
            "Group changed": "group",
            "Rating": "csat",
            "Notification": "ignore",
        },
        "status": {"Pending": "pending", "Open": "open", "Solved": "solved"},
        "public": {"public": True, "internal": False},
    },
}
EVENT_HEADER = "Ticket,Time,Event,Value,Author,Visibility,Priority,Group\n"


def test_event_rows_anywhere_in_the_files_make_each_ticket_in_order(tmp_path: Path) -> None:
    first = EVENT_HEADER + (
        "A,2026-03-02T08:30:00Z,Public reply,,,,,\n"
        "B,2026-03-02T09:00:00Z,Ticket created,,,,urgent,tier2\n"
        "A,2026-03-02T08:00:00Z,Ticket created,,,,high,tier1\n"
        "A,2026-03-02T09:00:00Z,Status changed,Pending,,,,\n"
        "A,2026-03-02T09:00:00Z,Notification,,,,,\n"
    )
    second = EVENT_HEADER + (
        "A,2026-03-02T10:00:00Z,Comment,,customer,public,,\n"
        "A,2026-03-02T10:00:00Z,Comment,,customer,public,,\n"  # the same comment twice
        "A,2026-03-02T10:05:00Z,Note,,,,,\n"
        "B,2026-03-02T09:10:00Z,Group changed,,,,,\n"  # unassigned from the group
        "A,2026-03-02T11:00:00Z,Rating,4,,,,\n"
    )
    mapping = parse_mapping(EVENTS)
    paths = [write(tmp_path / "1.csv", first), write(tmp_path / "2.csv", second)]
    stats = CsvStats()
    items = list(read_csv(plan(paths, mapping), mapping, None, stats))
    assert stats.rows == 10
    assert stats.ignored == 1
    found = events_of(items)
    a = found["A"]
    assert [(e["type"], e["at"]) for e in a] == [
        ("ticket.created", "2026-03-02T08:00:00Z"),
        ("comment.added", "2026-03-02T08:30:00Z"),
        ("ticket.updated", "2026-03-02T09:00:00Z"),
        ("comment.added", "2026-03-02T10:00:00Z"),
        ("comment.added", "2026-03-02T10:00:00Z"),
        ("comment.added", "2026-03-02T10:05:00Z"),
        ("csat.rated", "2026-03-02T11:00:00Z"),
    ]
    assert a[0] == {
        "id": "A:created",
        "ticket": "A",
        "type": "ticket.created",
        "at": "2026-03-02T08:00:00Z",
        "priority": "high",
        "group": "tier1",
    }
    assert a[1]["author"] == "agent"
    assert a[1]["public"] is True
    assert a[2]["status"] == "pending"
    assert (a[3]["author"], a[3]["public"]) == ("customer", True)
    assert a[4]["id"] == a[3]["id"] + ":2"  # identical rows: distinct, deterministic ids
    assert (a[5]["author"], a[5]["public"]) == ("agent", False)
    assert a[6]["score"] == 4
    assert found["B"][1] == {
        "id": found["B"][1]["id"],
        "ticket": "B",
        "type": "ticket.updated",
        "at": "2026-03-02T09:10:00Z",
        "group": None,
    }
    again = events_of(list(read_csv(plan(paths, mapping), mapping)))
    assert again == found  # the same files give the same ids


def test_a_bad_event_row_skips_its_whole_ticket_naming_every_row(tmp_path: Path) -> None:
    text = EVENT_HEADER + (
        "A,2026-03-02T08:00:00Z,Ticket created,,,,high,\n"
        "A,2026-03-02T07:00:00Z,Public reply,,,,,\n"  # before the creation
        "A,2026-03-02T09:00:00Z,Status changed,Closed,,,,\n"  # not in values.status
        "B,2026-03-02T09:00:00Z,Public reply,,,,,\n"  # no creation for B
        "C,2026-03-02T09:00:00Z,Escalated,,,,,\n"  # an unknown kind
        "C,2026-03-02T08:00:00Z,Ticket created,,,,,\n"
    )
    items = read(tmp_path, EVENTS, text)
    assert events_of(items) == {}
    problems = problems_of(items)
    by_ticket: dict[str | None, list[tuple[str, str]]] = {}
    for p in problems:
        by_ticket.setdefault(p.ticket, []).append((p.place, p.kind))
    assert by_ticket["A"] == [
        ("line 4", "value: a value not in values.status"),
        ("line 2", SKIPPED_WITH_TICKET),
        ("line 3", SKIPPED_WITH_TICKET),
    ]
    assert by_ticket["B"] == [("line 5", "the ticket has no creation")]
    assert by_ticket["C"] == [
        ("line 6", "kind: a value not in values.kind"),
        ("line 7", SKIPPED_WITH_TICKET),
    ]


# -- the checks of one ticket ----------------------------------------------------------------------


def _bundle(*events: dict[str, Any]) -> Bundle:
    drafts = [Draft(e, "x.jsonl", f"line {n}") for n, e in enumerate(events, 1)]
    return Bundle("T", drafts)


def _event(kind: str, at: str, n: int, **fields: Any) -> dict[str, Any]:
    return {"id": f"e{n}", "ticket": "T", "type": kind, "at": at, **fields}


def test_a_history_is_checked_as_slakeeper_applies_it() -> None:
    created = _event("ticket.created", "2026-03-02T08:00:00Z", 1)
    closed = _event("ticket.updated", "2026-03-02T09:00:00Z", 2, status="closed")
    late = _event("comment.added", "2026-03-02T10:00:00Z", 3, author="agent")
    drafts, problems = assemble(_bundle(late, closed, created))
    assert drafts == []
    assert [(p.place, p.kind) for p in problems] == [
        ("line 1", "an event after the ticket was closed")
    ]
    again = _event("ticket.created", "2026-03-02T08:30:00Z", 4)
    assert "a second creation" in assemble(_bundle(created, again))[1][0].reason
    other = {**created, "priority": "high"}
    assert "repeated" in assemble(_bundle(created, other))[1][0].reason
    drafts, problems = assemble(_bundle(created, dict(created)))  # the same record twice
    assert (len(drafts), problems) == (1, [])
    bad = _event("comment.added", "2026-03-02T08:10:00Z", 5, author="robot")
    problem = assemble(_bundle(created, bad))[1][0]
    assert problem.reason == "author 'robot' must be one of agent, customer, system"


def test_the_creation_goes_first_among_events_at_its_instant() -> None:
    reply = _event("comment.added", "2026-03-02T08:00:00Z", 1, author="agent")
    created = _event("ticket.created", "2026-03-02T08:00:00Z", 2)
    drafts, problems = assemble(_bundle(reply, created))
    assert problems == []
    assert [d.event["id"] for d in drafts] == ["e2", "e1"]


# -- Zendesk ---------------------------------------------------------------------------------------


def zendesk_ticket() -> dict[str, Any]:
    """A ticket of the Tickets API with its audits (Ticket Audits API), as Zendesk writes them."""
    return {
        "id": 101,
        "created_at": "2026-03-02T08:00:00Z",
        "updated_at": "2026-03-03T09:00:00Z",
        "requester_id": 9001,
        "status": "solved",
        "priority": "high",
        "via": {"channel": "email", "source": {"from": {}, "to": {}, "rel": None}},
        "audits": [
            {
                "id": 3,
                "ticket_id": 101,
                "created_at": "2026-03-02T10:00:00Z",
                "author_id": 9001,
                "events": [
                    {"id": 31, "type": "Comment", "author_id": 9001, "public": True, "body": "?"},
                    {
                        "id": 32,
                        "type": "Change",
                        "field_name": "status",
                        "value": "open",
                        "previous_value": "pending",
                    },
                ],
            },
            {
                "id": 1,
                "ticket_id": 101,
                "created_at": "2026-03-02T08:00:00Z",
                "author_id": 9001,
                "via": {"channel": "email"},
                "events": [
                    {"id": 11, "type": "Comment", "author_id": 9001, "public": True, "body": "!"},
                    {"id": 12, "type": "Create", "field_name": "status", "value": "new"},
                    {"id": 13, "type": "Create", "field_name": "priority", "value": None},
                    {"id": 14, "type": "Create", "field_name": "tags", "value": ["vip"]},
                    {"id": 15, "type": "Create", "field_name": "group_id", "value": 360001},
                    {"id": 16, "type": "Create", "field_name": "organization_id", "value": 77},
                    {"id": 17, "type": "Create", "field_name": "subject", "value": "Help"},
                ],
            },
            {
                "id": 2,
                "ticket_id": 101,
                "created_at": "2026-03-02T08:30:00Z",
                "author_id": 7001,
                "events": [
                    {"id": 21, "type": "Comment", "author_id": 7001, "public": True},
                    {"id": 22, "type": "Change", "field_name": "status", "value": "hold"},
                    {"id": 23, "type": "Change", "field_name": "priority", "value": "high"},
                    {"id": 24, "type": "Change", "field_name": "assignee_id", "value": "7001"},
                    {"id": 25, "type": "Notification", "body": "sent", "recipients": [9001]},
                ],
            },
            {
                "id": 4,
                "ticket_id": 101,
                "created_at": "2026-03-02T11:00:00Z",
                "author_id": 7001,
                "events": [
                    {"id": 41, "type": "Comment", "author_id": 7001, "public": False},
                    {"id": 42, "type": "Change", "field_name": "status", "value": "solved"},
                    {"id": 43, "type": "Comment", "author_id": 7001, "public": True},
                    {"id": 44, "type": "Change", "field_name": "tags", "value": ["vip", "done"]},
                ],
            },
            {
                "id": 5,
                "ticket_id": 101,
                "created_at": "2026-03-03T09:00:00Z",
                "author_id": -1,
                "events": [{"id": 51, "type": "SatisfactionRating", "score": "good", "body": ""}],
            },
        ],
    }


def read_zd(tmp_path: Path, text: str, options: ZendeskOptions | None = None) -> list[Item]:
    path = write(tmp_path / "zendesk.json", text)
    return list(read_zendesk([path], options or ZendeskOptions()))


def test_zendesk_tickets_with_audits(tmp_path: Path) -> None:
    items = read_zd(tmp_path, json.dumps(zendesk_ticket()) + "\n")
    assert problems_of(items) == []
    ticket = "zendesk:101"
    assert events_of(items)[ticket] == [
        {
            "ticket": ticket,
            "id": "zendesk:ticket:101:created",
            "type": "ticket.created",
            "at": "2026-03-02T08:00:00Z",
            "priority": "normal",  # no priority set in Zendesk
            "status": "new",
            "tags": ["vip"],
            "group": "360001",
            "customer": "77",
            "channel": "email",
        },
        {
            "ticket": ticket,
            "id": "zendesk:audit:2",
            "type": "ticket.updated",
            "status": "on_hold",
            "priority": "high",
            "assignee": "7001",
            "at": "2026-03-02T08:30:00Z",
        },
        {
            "ticket": ticket,
            "id": "zendesk:comment:21",
            "type": "comment.added",
            "author": "agent",
            "public": True,
            "at": "2026-03-02T08:30:00Z",
        },
        {  # the customer's comment reopens: the change goes first
            "ticket": ticket,
            "id": "zendesk:audit:3",
            "type": "ticket.updated",
            "status": "open",
            "at": "2026-03-02T10:00:00Z",
        },
        {
            "ticket": ticket,
            "id": "zendesk:comment:31",
            "type": "comment.added",
            "author": "customer",
            "public": True,
            "at": "2026-03-02T10:00:00Z",
        },
        {  # a reply that solves: the comments go first
            "ticket": ticket,
            "id": "zendesk:comment:41",
            "type": "comment.added",
            "author": "agent",
            "public": False,
            "at": "2026-03-02T11:00:00Z",
        },
        {
            "ticket": ticket,
            "id": "zendesk:comment:43",
            "type": "comment.added",
            "author": "agent",
            "public": True,
            "at": "2026-03-02T11:00:00Z",
        },
        {
            "ticket": ticket,
            "id": "zendesk:audit:4",
            "type": "ticket.updated",
            "status": "solved",
            "tags": ["done", "vip"],
            "at": "2026-03-02T11:00:00Z",
        },
        {
            "ticket": ticket,
            "id": "zendesk:csat:51",
            "type": "csat.rated",
            "score": 5,
            "at": "2026-03-03T09:00:00Z",
        },
    ]


def test_zendesk_value_maps_users_and_bad_tickets(tmp_path: Path) -> None:
    good = zendesk_ticket()
    odd = zendesk_ticket()
    odd["id"] = 102
    odd["audits"][2]["events"][1]["value"] = "escalated"  # a custom status
    lost = {"id": 103, "created_at": "2026-03-02T08:00:00Z", "audits": [{"id": 9, "events": []}]}
    users = write(
        tmp_path / "users.json",
        json.dumps({"users": [{"id": 7001, "role": "end-user"}, {"id": 9001, "role": "agent"}]}),
    )
    mapping = parse_mapping(
        {"values": {"group": {"360001": "tier1"}, "status": {"escalated": "open"}}},
        columns=False,
    )
    text = "\n".join(json.dumps(t) for t in (good, odd, lost)) + "\n{oops\n"
    items = read_zd(tmp_path, text, ZendeskOptions(mapping, read_users([users])))
    found = events_of(items)
    assert found["zendesk:101"][0]["group"] == "tier1"
    assert found["zendesk:101"][2]["author"] == "customer"  # an end user, by --users
    assert found["zendesk:102"][1]["status"] == "open"
    problems = problems_of(items)
    assert [(p.place, p.ticket, p.field) for p in problems] == [
        ("line 3", "zendesk:103", "audits"),
        ("line 4", None, None),
    ]
    assert problems[1].reason.startswith("not valid JSON")
    plain = read_zd(tmp_path, json.dumps(odd))
    assert problems_of(plain)[0].reason == (
        "'escalated' is not one of 'new', 'open', 'pending', 'hold', 'on-hold', 'solved', "
        "'closed'; add it to values.status of --mapping"
    )


def test_zendesk_full_export_tickets_with_comments(tmp_path: Path) -> None:
    ticket = {
        "id": 7,
        "created_at": "2026-03-02T08:00:00Z",
        "updated_at": "2026-03-04T08:00:00Z",
        "status": "closed",
        "priority": "urgent",
        "requester_id": 1,
        "group_id": 5,
        "tags": ["a"],
        "via": {"channel": "web"},
        "satisfaction_rating": {"id": 3, "score": "bad"},
        "metric_set": {"solved_at": "2026-03-02T12:00:00Z"},
        "comments": [
            {"id": 70, "author_id": 1, "created_at": "2026-03-02T08:00:00Z", "public": True},
            {"id": 71, "author_id": 2, "created_at": "2026-03-02T08:20:00Z", "public": True},
            {"id": 72, "author_id": 1, "created_at": "2026-03-02T09:00:00Z", "public": True},
        ],
    }
    items = read_zd(tmp_path, json.dumps({"tickets": [ticket]}, indent=2))
    assert problems_of(items) == []
    found = events_of(items)["zendesk:7"]
    assert found[0] == {
        "ticket": "zendesk:7",
        "id": "zendesk:ticket:7:created",
        "type": "ticket.created",
        "at": "2026-03-02T08:00:00Z",
        "priority": "urgent",
        "group": "5",
        "tags": ["a"],
        "channel": "web",
    }
    assert [(e["id"], e["at"]) for e in found[1:]] == [
        ("zendesk:comment:71", "2026-03-02T08:20:00Z"),  # the description (70) is left out
        ("zendesk:comment:72", "2026-03-02T09:00:00Z"),
        ("zendesk:ticket:7:solved", "2026-03-02T12:00:00Z"),
        ("zendesk:csat:3", "2026-03-04T08:00:00Z"),
        ("zendesk:ticket:7:closed", "2026-03-04T08:00:00Z"),
    ]
    assert [found[1]["author"], found[2]["author"], found[4]["score"]] == ["agent", "customer", 1]


def test_zendesk_incremental_ticket_events_are_gathered_per_ticket(tmp_path: Path) -> None:
    pages = [
        {
            "ticket_events": [
                {
                    "id": 900,
                    "ticket_id": 55,
                    "timestamp": 1772438400,  # 2026-03-02T08:00:00Z
                    "updater_id": 1,
                    "via": "Mail",
                    "event_type": "Audit",
                    "child_events": [
                        {"id": 1, "via": "Mail", "status": "new", "event_type": "Create"},
                        {"id": 2, "via": "Mail", "priority": "high", "event_type": "Create"},
                        {"id": 3, "requester_id": 1, "event_type": "Create"},
                        {"id": 4, "comment_present": True, "comment_public": True},
                    ],
                },
                {
                    "id": 901,
                    "ticket_id": 56,
                    "created_at": "2026-03-02T08:05:00Z",
                    "updater_id": 2,
                    "child_events": [{"id": 5, "event_type": "Create", "status": "new"}],
                },
            ],
            "end_of_stream": False,
        },
        {
            "ticket_events": [
                {
                    "id": 902,
                    "ticket_id": 55,
                    "created_at": "2026-03-02T08:10:00Z",
                    "updater_id": 3,
                    "child_events": [
                        {
                            "id": 6,
                            "type": "Comment",
                            "event_type": "Comment",
                            "author_id": 3,
                            "public": True,
                        },
                        {
                            "id": 7,
                            "status": "pending",
                            "previous_value": "new",
                            "event_type": "Change",
                        },
                    ],
                }
            ],
            "end_of_stream": True,
        },
    ]
    items = read_zd(tmp_path, "\n".join(json.dumps(p) for p in pages) + "\n")
    assert problems_of(items) == []
    found = events_of(items)
    assert found["zendesk:55"] == [
        {
            "ticket": "zendesk:55",
            "id": "zendesk:ticket:55:created",
            "type": "ticket.created",
            "at": "2026-03-02T08:00:00Z",
            "priority": "high",
            "status": "new",
            "tags": [],
            "channel": "Mail",
        },
        {
            "ticket": "zendesk:55",
            "id": "zendesk:audit:902",
            "type": "ticket.updated",
            "status": "pending",
            "at": "2026-03-02T08:10:00Z",
        },
        {
            "ticket": "zendesk:55",
            "id": "zendesk:comment:6",
            "type": "comment.added",
            "author": "agent",
            "public": True,
            "at": "2026-03-02T08:10:00Z",
        },
    ]
    assert len(found["zendesk:56"]) == 1


# -- Jira ------------------------------------------------------------------------------------------


def jira_issue() -> dict[str, Any]:
    """An issue as /rest/api/2/search?expand=changelog returns it (Jira Service Management)."""
    customer = {"accountId": "c-1", "displayName": "Carl", "accountType": "customer"}
    agent = {"accountId": "a-2", "displayName": "Ana Agent", "accountType": "atlassian"}
    return {
        "id": "10001",
        "key": "SUP-1",
        "fields": {
            "created": "2026-03-02T09:00:00.000+0100",
            "resolutiondate": "2026-03-02T15:00:00.000+0100",
            "status": {"name": "Resolved", "statusCategory": {"key": "done"}},
            "priority": {"name": "High"},
            "labels": ["storage", "vip"],
            "assignee": agent,
            "reporter": customer,
            "comment": {
                "comments": [
                    {"id": "501", "author": agent, "created": "2026-03-02T09:20:00.000+0100"},
                    {
                        "id": "502",
                        "author": agent,
                        "created": "2026-03-02T09:25:00.000+0100",
                        "jsdPublic": False,
                    },
                    {"id": "503", "author": customer, "created": "2026-03-02T10:00:00.000+0100"},
                    {
                        "id": "504",
                        "author": {"accountId": "bot", "accountType": "app"},
                        "created": "2026-03-02T10:01:00.000+0100",
                    },
                ],
                "maxResults": 4,
                "total": 4,
                "startAt": 0,
            },
        },
        "changelog": {
            "startAt": 0,
            "maxResults": 3,
            "total": 3,
            "histories": [
                {
                    "id": "9003",
                    "author": agent,
                    "created": "2026-03-02T15:00:00.000+0100",
                    "items": [
                        {
                            "field": "status",
                            "fieldtype": "jira",
                            "from": "3",
                            "fromString": "In Progress",
                            "to": "5",
                            "toString": "Resolved",
                        },
                        {"field": "resolution", "fromString": None, "toString": "Done"},
                    ],
                },
                {
                    "id": "9001",
                    "created": "2026-03-02T09:10:00.000+0100",
                    "items": [
                        {"field": "assignee", "from": None, "fromString": None, "to": "a-2"}
                        | {"toString": "Ana Agent"},
                        {"field": "priority", "fromString": "Medium", "toString": "High"},
                    ],
                },
                {
                    "id": "9002",
                    "created": "2026-03-02T09:20:00.000+0100",
                    "items": [
                        {"field": "status", "fromString": "Open", "toString": "In Progress"},
                        {"field": "labels", "fromString": "vip", "toString": "storage vip"},
                    ],
                },
            ],
        },
    }


def read_jira_text(tmp_path: Path, text: str, mapping: Mapping | None = None) -> list[Item]:
    return list(read_jira([write(tmp_path / "jira.json", text)], mapping))


def test_jira_issue_with_changelog_and_comments(tmp_path: Path) -> None:
    items = read_jira_text(tmp_path, json.dumps({"startAt": 0, "issues": [jira_issue()]}))
    assert problems_of(items) == []
    ticket = "jira:SUP-1"
    assert events_of(items)[ticket] == [
        {  # the values at creation: the current ones rolled back through the changelog
            "id": "jira:issue:10001:created",
            "ticket": ticket,
            "type": "ticket.created",
            "at": "2026-03-02T08:00:00Z",
            "status": "new",
            "priority": "normal",
            "tags": ["vip"],
        },
        {
            "ticket": ticket,
            "id": "jira:changelog:9001",
            "type": "ticket.updated",
            "at": "2026-03-02T08:10:00Z",
            "assignee": "Ana Agent",
            "priority": "high",
        },
        {
            "ticket": ticket,
            "id": "jira:comment:501",
            "type": "comment.added",
            "at": "2026-03-02T08:20:00Z",
            "author": "agent",
            "public": True,
        },
        {
            "ticket": ticket,
            "id": "jira:changelog:9002",
            "type": "ticket.updated",
            "at": "2026-03-02T08:20:00Z",
            "status": "open",
            "tags": ["storage", "vip"],
        },
        {
            "ticket": ticket,
            "id": "jira:comment:502",
            "type": "comment.added",
            "at": "2026-03-02T08:25:00Z",
            "author": "agent",
            "public": False,
        },
        {
            "ticket": ticket,
            "id": "jira:comment:503",
            "type": "comment.added",
            "at": "2026-03-02T09:00:00Z",
            "author": "customer",
            "public": True,
        },
        {
            "ticket": ticket,
            "id": "jira:comment:504",
            "type": "comment.added",
            "at": "2026-03-02T09:01:00Z",
            "author": "system",
            "public": True,
        },
        {
            "ticket": ticket,
            "id": "jira:changelog:9003",
            "type": "ticket.updated",
            "at": "2026-03-02T14:00:00Z",
            "status": "solved",
        },
    ]


def test_jira_statuses_cut_exports_and_issues_without_a_changelog(tmp_path: Path) -> None:
    custom = jira_issue()
    custom["key"] = "SUP-2"
    custom["changelog"]["histories"][2]["items"][0]["fromString"] = "Gate"
    cut = jira_issue()
    cut["key"] = "SUP-3"
    cut["changelog"]["total"] = 140
    cut["fields"]["comment"]["total"] = 60
    plain = jira_issue()
    plain["key"] = "SUP-4"
    del plain["changelog"]
    plain["fields"]["status"] = {"name": "Triaged", "statusCategory": {"key": "done"}}
    text = "\n".join(json.dumps(i) for i in (custom, cut, plain))
    items = read_jira_text(tmp_path, text)
    problems = problems_of(items)
    assert [(p.place, p.ticket, p.field) for p in problems] == [
        ("line 1", "jira:SUP-2", "fields.status"),
        ("line 2", "jira:SUP-3", "changelog"),
        ("line 2", "jira:SUP-3", "fields.comment"),
    ]
    assert "'Gate' is not one of" in problems[0].reason
    assert problems[0].reason.endswith("add it to values.status of --mapping")
    assert "holds 3 of the issue's 140 changes" in problems[1].reason
    found = events_of(items)["jira:SUP-4"]
    # without a changelog: new at its creation, solved at resolutiondate
    assert found[0]["status"] == "new"
    assert found[-1] == {
        "ticket": "jira:SUP-4",
        "id": "jira:SUP-4:resolved",
        "type": "ticket.updated",
        "at": "2026-03-02T14:00:00Z",
        "status": "solved",
    }
    mapping = parse_mapping(
        {"values": {"status": {"Gate": "new"}}, "ticket_prefix": "eu/"}, columns=False
    )
    mapped = events_of(read_jira_text(tmp_path, json.dumps(custom), mapping))
    assert mapped["eu/jira:SUP-2"][0]["status"] == "new"


# -- JSON containers and the loader ----------------------------------------------------------------


def test_json_containers() -> None:
    pages = ("issues",)

    def places(data: bytes) -> list[object]:
        return [
            found if isinstance(found, Problem) else found[0]
            for found in json_records(io.BytesIO(data), "f", pages)
        ]

    assert places(b'{"key": "A"}\n\n{"key": "B"}\n') == ["line 1", "line 3"]
    assert places(b'{"issues": [{"key": "A"}, {"key": "B"}]}\n{"issues": []}\n') == [
        "line 1: issues[0]",
        "line 1: issues[1]",
    ]
    assert places(b'{\n "issues": [\n  {"key": "A"}\n ]\n}\n') == ["issues[0]"]
    assert places(b'[{"key": "A"},\n {"key": "B"}]') == ["[0]", "[1]"]
    assert places(b"") == []
    (broken,) = places(b'{\n "issues": [\n')
    assert isinstance(broken, Problem)
    assert broken.place == "the file"


def test_the_loader_tallies_and_writes_json_lines(tmp_path: Path) -> None:
    text = HEADER + (
        "1,02.03.2026 09:00,02.03.2026 09:30,02.03.2026 12:00,,,Solved,P1,,,,,,Good\n"
        "2,03.03.2026 09:00,,,,,Open,P9,,,,,,\n"
    )
    mapping = parse_mapping(TICKETS)
    path = write(tmp_path / "t.csv", text)
    out = io.BytesIO()
    tally = run(read_csv(plan([path], mapping), mapping), JsonlSink(Tally(), out))
    assert tally.tickets == 1
    assert dict(tally.events) == {
        "ticket.created": 1,
        "comment.added": 1,
        "ticket.updated": 1,
        "csat.rated": 1,
    }
    assert (tally.first_at, tally.last_at) == (1772438400000000, 1772449200000000)
    assert tally.skipped_tickets == {"desk:2"}
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [list(line)[:4] for line in lines] == [["id", "ticket", "type", "at"]] * 4
    counted = run(read_csv(plan([path], mapping), mapping), Sink(Tally()))
    assert counted.total_events == 4


# -- a round trip --------------------------------------------------------------------------------

_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")),
    min_size=1,
    max_size=12,
).filter(lambda s: s.strip() == s and s != "")
_tickets = st.lists(
    st.fixed_dictionaries(
        {
            "id": _text,
            "minute": st.integers(0, 60 * 24 * 365),
            "reply": st.none() | st.integers(0, 600),
            "priority": st.sampled_from(["urgent", "high", "normal", "low"]),
            "group": st.none() | _text,
            "tags": st.lists(st.from_regex(r"[a-z0-9_-]{1,8}", fullmatch=True), max_size=3),
        }
    ),
    max_size=8,
    unique_by=lambda t: t["id"],
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tickets=_tickets)
def test_csv_round_trip(tmp_path: Path, tickets: list[dict[str, Any]]) -> None:
    """Tickets written as a CSV by any spreadsheet come back as the same events."""
    from datetime import UTC, timedelta

    start = datetime(2026, 1, 1, tzinfo=UTC)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["Id", "Opened", "Replied", "Priority", "Team", "Labels"])
    for t in tickets:
        opened = start + timedelta(minutes=t["minute"])
        replied = None if t["reply"] is None else opened + timedelta(minutes=t["reply"])
        writer.writerow(
            [
                t["id"],
                opened.isoformat(),
                "" if replied is None else replied.isoformat(),
                t["priority"].upper(),
                t["group"] or "",
                ";".join(t["tags"]),
            ]
        )
    mapping = parse_mapping(
        {
            "tickets": {
                "ticket": "Id",
                "created_at": "Opened",
                "first_reply_at": "Replied",
                "priority": "Priority",
                "group": "Team",
                "tags": "Labels",
            },
            "tags_separator": ";",
        }
    )
    path = write(tmp_path / "round.csv", buffer.getvalue())
    items = list(read_csv(plan([path], mapping), mapping))
    assert problems_of(items) == []
    found = events_of(items)
    assert set(found) == {t["id"] for t in tickets}
    for t in tickets:
        created = found[t["id"]][0]
        opened = start + timedelta(minutes=t["minute"])
        assert created["at"] == opened.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert created["priority"] == t["priority"]
        assert created.get("group") == t["group"]
        assert created.get("tags", []) == sorted(set(t["tags"]))
        assert len(found[t["id"]]) == (1 if t["reply"] is None else 2)
