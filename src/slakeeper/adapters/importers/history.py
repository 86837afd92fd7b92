"""Check one ticket's imported history before anything of it is written.

Each drafted event is validated alone (SPEC §4), then the ticket's events are put in order — by
instant, the creation first among events at its instant, the reader's order otherwise — and
replayed as slakeeper would apply them: one creation, nothing before it, nothing after ``closed``.
Any problem skips the whole ticket, and every row it was read from is reported.
"""

from __future__ import annotations

from slakeeper.adapters.importers.common import Bundle, Draft, Problem
from slakeeper.domain.events import CREATED, BadEvent, Event, format_instant, parse_event
from slakeeper.domain.ticket import Rules, TicketState

SKIPPED_WITH_TICKET = "skipped with its ticket"
_RULES = Rules()  # the sequence rules do not depend on the configuration's switches


def _problem(draft: Draft, ticket: str, reason: str, kind: str) -> Problem:
    return Problem(draft.source, draft.place, reason, kind, ticket, draft.field, draft.line)


def _reason(exc: BadEvent, event_id: object) -> str:
    """A validation message without the event's id (the place names the row instead)."""
    return str(exc).removeprefix(f"event {event_id!r}: ")


def assemble(bundle: Bundle) -> tuple[list[Draft], list[Problem]]:
    """The ticket's drafted events in order, or (``[]``, why the ticket is skipped)."""
    ticket = bundle.ticket
    problems = list(bundle.problems)
    parsed: list[tuple[Event, Draft]] = []
    seen: dict[str, Event] = {}
    for number, draft in enumerate(bundle.drafts):
        event_id = draft.event.get("id")
        try:
            event = parse_event(draft.event, seq=number)
        except BadEvent as exc:
            problems.append(_problem(draft, ticket, _reason(exc, event_id), "not a valid event"))
            continue
        first = seen.setdefault(event.id, event)
        if first is not event:
            if not first.same_content(event):
                problems.append(
                    _problem(
                        draft, ticket, f"event id {event.id!r} repeated", "an event id repeated"
                    )
                )
            continue  # an exact repeat (the same record twice) is read once
        parsed.append((event, draft))
    if not problems:
        problems = _sequence(ticket, parsed, bundle)
    if problems:
        return [], with_rows(bundle, problems)
    return [draft for _, draft in parsed], []


def _sequence(ticket: str, parsed: list[tuple[Event, Draft]], bundle: Bundle) -> list[Problem]:
    parsed.sort(key=lambda pair: (pair[0].at, pair[0].type != CREATED, pair[0].seq))
    creations = [pair for pair in parsed if pair[0].type == CREATED]
    if not creations:
        draft = parsed[0][1] if parsed else (bundle.drafts[0] if bundle.drafts else None)
        if draft is None:
            return []
        return [
            _problem(
                draft,
                ticket,
                "the ticket has no creation (no created time or creation row for it)",
                "the ticket has no creation",
            )
        ]
    if len(creations) > 1:
        first = creations[0][1]
        return [
            _problem(
                draft,
                ticket,
                f"a second creation of the ticket (the first: {first.source} {first.place})",
                "the ticket is created twice",
            )
            for _, draft in creations[1:]
        ]
    created_at = creations[0][0].at
    state = TicketState(ticket, _RULES)
    problems: list[Problem] = []
    for event, draft in parsed:
        if event.at < created_at:
            problems.append(
                _problem(
                    draft,
                    ticket,
                    f"at {format_instant(event.at)} is before the ticket was created "
                    f"({format_instant(created_at)})",
                    "an event before the ticket's creation",
                )
            )
            continue
        if state.closed:
            problems.append(
                _problem(
                    draft,
                    ticket,
                    f"at {format_instant(event.at)} comes after the ticket was closed "
                    "(closed is final)",
                    "an event after the ticket was closed",
                )
            )
            continue
        try:
            state.apply(event)
        except BadEvent as exc:
            problems.append(
                _problem(draft, ticket, _reason(exc, event.id), "not in the ticket's order")
            )
    return problems


def with_rows(bundle: Bundle, problems: list[Problem]) -> list[Problem]:
    """The problems, and every other row of the skipped ticket, named once."""
    named = {(p.source, p.place) for p in problems}
    first = problems[0]
    out = list(problems)
    for source, place, line in bundle.rows:
        if (source, place) in named:
            continue
        named.add((source, place))
        out.append(
            Problem(
                source,
                place,
                f"skipped with its ticket ({first.source} {first.place} cannot be imported)",
                SKIPPED_WITH_TICKET,
                bundle.ticket,
                None,
                line,
            )
        )
    return out
