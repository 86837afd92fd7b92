"""Hypothesis strategies for ticket histories (SPEC §4) and SLA configurations (SPEC §3).

A history is a valid sequence of event dicts for one ticket, in order of ``at`` (ties allowed and
frequent): ``ticket.created`` first, then comments (agent, customer, system; public or internal),
status changes (including pauses, solves, reopens and, at most once and last, ``closed``),
priority / tag / scope changes and CSAT ratings. Instants are drawn on a minute grid around the
reference week (Monday 2024-01-15), sometimes with seconds or microseconds, and written with a
random UTC offset so that readers must compare instants, not text.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from slakeeper.domain.events import parse_instant

US = 1_000_000
MINUTE = 60 * US
BASE = parse_instant("2024-01-15T06:00:00Z")  # Monday, before business hours
PRIORITIES = ("low", "normal", "high", "urgent")
OPEN_STATUSES = ("new", "open", "pending", "on_hold")
TAGS = ("vip", "spam", "contract", "eu")
CUSTOMERS = ("acme", "globex")
SERVICES = ("storage", "network")
CHANNELS = ("email", "chat", "phone")
GROUPS = ("tier1", "tier2")
OFFSETS = (0, 0, 0, 60, 120, -300, 330, 345, -570)  # minutes east of UTC
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Gaps between consecutive events, in minutes: ties, short waits, a night, a weekend.
_GAPS = st.one_of(
    st.just(0),
    st.sampled_from([1, 5, 10, 30, 60, 120]),
    st.integers(0, 600),
    st.sampled_from([14 * 60, 60 * 60]),
)


def write_instant(instant: int, offset_minutes: int) -> str:
    """µs since the epoch as RFC 3339 text at a given UTC offset (``Z`` for zero)."""
    zone = timezone(timedelta(minutes=offset_minutes))
    moment = (_EPOCH + timedelta(microseconds=instant)).astimezone(zone)
    text = moment.isoformat()
    return text[:-6] + "Z" if offset_minutes == 0 else text


@st.composite
def instants_text(draw: st.DrawFn, instant: int) -> str:
    return write_instant(instant, draw(st.sampled_from(OFFSETS)))


@st.composite
def ticket_histories(
    draw: st.DrawFn, ticket: str = "T-1", prefix: str | None = None, max_events: int = 24
) -> list[dict[str, Any]]:
    """One ticket's valid history, in order of ``at``."""
    prefix = prefix if prefix is not None else f"{ticket}-"
    counter = iter(range(1, 10_000))
    t = BASE + draw(st.integers(0, 4 * 24 * 60)) * MINUTE
    events: list[dict[str, Any]] = []

    def add(kind: str, **fields: Any) -> None:
        event = {"id": f"{prefix}{next(counter)}", "ticket": ticket, "type": kind}
        event["at"] = draw(instants_text(t))
        event.update(fields)
        events.append(event)

    status = draw(st.sampled_from(("new", "new", "open", "pending", "solved")))
    created: dict[str, Any] = {}
    if draw(st.booleans()):
        created["status"] = status
    elif status != "new":
        status = "new"
    if draw(st.booleans()):
        created["priority"] = draw(st.sampled_from(PRIORITIES))
    if draw(st.booleans()):
        created["tags"] = draw(st.lists(st.sampled_from(TAGS), max_size=3, unique=True))
    for key, values in (
        ("customer", CUSTOMERS),
        ("service", SERVICES),
        ("channel", CHANNELS),
        ("group", GROUPS),
    ):
        if draw(st.booleans()):
            created[key] = draw(st.sampled_from(values))
    add("ticket.created", **created)

    for _ in range(draw(st.integers(0, max_events))):
        if status == "closed":
            break
        t += draw(_GAPS) * MINUTE
        if draw(st.integers(0, 9)) == 0:  # off the minute grid now and then
            t += draw(st.sampled_from([1, 30 * US // 60, 999_999]))
        kind = draw(
            st.sampled_from(
                (
                    "reply",
                    "reply",
                    "reply",
                    "customer",
                    "customer",
                    "system",
                    "note",
                    "status",
                    "status",
                    "status",
                    "priority",
                    "tags",
                    "scope",
                    "csat",
                )
            )
        )
        if kind == "reply":
            add("comment.added", author="agent")
        elif kind == "customer":
            add("comment.added", author="customer", **draw(_maybe_public()))
        elif kind == "system":
            add("comment.added", author="system", **draw(_maybe_public()))
        elif kind == "note":
            add(
                "comment.added",
                author=draw(st.sampled_from(("agent", "customer", "system"))),
                public=False,
            )
        elif kind == "status":
            if status == "solved":
                choices: tuple[str, ...] = ("open", "open", "pending", "new", "on_hold", "closed")
            else:
                choices = (*OPEN_STATUSES, "solved", "solved", "closed")
            new_status = draw(st.sampled_from(tuple(c for c in choices if c != status)))
            extra = (
                {"priority": draw(st.sampled_from(PRIORITIES))}
                if draw(st.integers(0, 4)) == 0
                else {}
            )
            add("ticket.updated", status=new_status, **extra)
            status = new_status
        elif kind == "priority":
            add("ticket.updated", priority=draw(st.sampled_from(PRIORITIES)))
        elif kind == "tags":
            add(
                "ticket.updated",
                tags=draw(st.lists(st.sampled_from(TAGS), max_size=3, unique=True)),
            )
        elif kind == "scope":
            key, values = draw(
                st.sampled_from(
                    (
                        ("customer", CUSTOMERS),
                        ("service", SERVICES),
                        ("channel", CHANNELS),
                        ("group", GROUPS),
                    )
                )
            )
            add("ticket.updated", **{key: draw(st.none() | st.sampled_from(values))})
        else:
            add("csat.rated", score=draw(st.integers(1, 5)))
    return events


def _maybe_public() -> st.SearchStrategy[dict[str, Any]]:
    return st.sampled_from(({}, {}, {"public": True}, {"public": False}))


@st.composite
def event_files(
    draw: st.DrawFn, max_tickets: int = 3, max_events: int = 16
) -> list[dict[str, Any]]:
    """Several tickets' histories merged in order of ``at`` (each ticket's ties kept in order)."""
    count = draw(st.integers(1, max_tickets))
    histories = [
        draw(ticket_histories(f"T-{i}", max_events=max_events)) for i in range(1, count + 1)
    ]
    merged = [
        (parse_instant(e["at"]), n, i, e) for n, h in enumerate(histories) for i, e in enumerate(h)
    ]
    merged.sort(key=lambda x: (x[0], x[1], x[2]))
    return [e for *_, e in merged]


def shuffle_keeping_ties(events: list[dict[str, Any]], order: list[int]) -> list[dict[str, Any]]:
    """``events`` rearranged by the permutation ``order``, then each group of events of one ticket
    with the same instant put back in its original relative order (the positions the group
    occupies stay the same)."""
    shuffled = [events[i] for i in order]
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for event in events:
        groups.setdefault((event["ticket"], parse_instant(event["at"])), []).append(event)
    taken = {key: iter(group) for key, group in groups.items()}
    return [next(taken[(e["ticket"], parse_instant(e["at"]))]) for e in shuffled]


# -- configurations --------------------------------------------------------------------------------

BIZ_CALENDAR = {
    "name": "biz",
    "timezone": "UTC",
    "hours": {d: ["10:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": ["2024-01-19"],
}
BERLIN_CALENDAR = {
    "name": "berlin",
    "timezone": "Europe/Berlin",
    "hours": {
        "mon": ["08:00-12:30", "13:30-17:00"],
        "tue": ["08:00-17:00"],
        "wed": ["22:00-06:00"],
        "thu": ["08:00-17:00"],
        "fri": ["08:00-14:00"],
        "sat": ["10:00-12:00"],
    },
}

_TARGETS = (
    {
        "first_response": {"urgent": "15m", "high": "1h", "default": "4h"},
        "next_response": {"urgent": "30m", "default": "2h"},
        "periodic_update": {"urgent": "1h", "default": "3h"},
        "resolution": {"urgent": "4h", "high": "8h", "default": "24h"},
    },
    {"first_response": {"default": "1h"}, "resolution": {"high": "4h", "low": "30m"}},
    {"next_response": {"default": 45}, "periodic_update": {"default": "1h30m"}},
    {"resolution": {"default": "2h"}, "first_response": {"urgent": "45s", "default": "20m"}},
)


@st.composite
def sla_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A valid configuration document with one to four policies of random scope and conditions."""
    policies = []
    for i in range(draw(st.integers(1, 4))):
        p: dict[str, Any] = {"name": f"P{i}", "targets": draw(st.sampled_from(_TARGETS))}
        level = draw(st.sampled_from(("corporate", "corporate", "customer", "service")))
        if level == "customer":
            p.update(level="customer", customer=draw(st.sampled_from(CUSTOMERS)))
            if draw(st.booleans()):
                p["service"] = draw(st.sampled_from(SERVICES))
        elif level == "service":
            p.update(level="service", service=draw(st.sampled_from(SERVICES)))
        when: dict[str, Any] = {}
        for key, values in (
            ("tags_any", TAGS),
            ("tags_all", TAGS),
            ("tags_none", TAGS),
            ("priority", PRIORITIES),
            ("channel", CHANNELS),
            ("group", GROUPS),
        ):
            if draw(st.integers(0, 5)) == 0:
                when[key] = draw(
                    st.lists(st.sampled_from(values), min_size=1, max_size=2, unique=True)
                )
        if when:
            p["when"] = when
        p["calendar"] = draw(st.sampled_from(("24x7", "biz", "berlin")))
        if draw(st.integers(0, 2)) == 0:
            p["pause_statuses"] = draw(
                st.lists(
                    st.sampled_from(("new", "open", "pending", "on_hold")), max_size=2, unique=True
                )
            )
        policies.append(p)
    document: dict[str, Any] = {"calendars": [BIZ_CALENDAR, BERLIN_CALENDAR], "policies": policies}
    document["system_replies_count"] = draw(st.booleans())
    document["resolution_on_reopen"] = draw(st.sampled_from(("continue", "restart")))
    return document
