"""Properties of clocks on random ticket histories (SPEC §4–§6).

- Applying events one at a time and evaluating after each agrees with a full replay of the same
  prefix evaluated at the same instant (the state keeps nothing stale).
- ``service.evaluate`` on a shuffled file (each ticket's ties kept in their order) equals the
  evaluation of the file in order, at any evaluation instant.
- Every reported clock is internally consistent: ``elapsed`` is at most the business time between
  its start and its end, ``breached == (due_at < end)``, ``due_at`` is null only while paused below
  the target, stopped clocks are achieved or cancelled and running ones are not.
- ``first_response`` and ``resolution`` (with ``continue``) agree with a small independent oracle
  written from the SPEC §5 table, reading the raw events.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slakeeper.adapters.jsonl import clock_dict
from slakeeper.domain.clocks import Clock, clocks
from slakeeper.domain.config import SlaConfig, parse_config
from slakeeper.domain.events import Event, parse_event, parse_instant
from slakeeper.domain.ticket import Rules, TicketState, replay
from slakeeper.service.evaluate import evaluate
from tests.factories import records
from tests.strategies_events import (
    BASE,
    MINUTE,
    event_files,
    shuffle_keeping_ties,
    sla_documents,
    ticket_histories,
)

PROPERTY = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
DONE = ("solved", "closed")

_configs: dict[str, SlaConfig] = {}


def sla_of(document: dict[str, Any]) -> SlaConfig:
    """Parsing is cached by the document's text: calendars are costly to build."""
    key = repr(document)
    found = _configs.get(key)
    if found is None:
        found = _configs[key] = parse_config(document)
    return found


def parsed(events: list[dict[str, Any]]) -> list[Event]:
    out = [parse_event(e, seq, seq + 1) for seq, e in enumerate(events)]
    out.sort(key=lambda e: (e.at, e.seq))
    return out


def rules_of(sla: SlaConfig) -> Rules:
    return Rules(sla.system_replies_count, sla.resolution_on_reopen)


# -- incremental == replay -------------------------------------------------------------------------


@PROPERTY
@given(history=ticket_histories(max_events=20), document=sla_documents())
def test_incremental_application_agrees_with_a_full_replay(
    history: list[dict[str, Any]], document: dict[str, Any]
) -> None:
    sla = sla_of(document)
    rules = rules_of(sla)
    events = parsed(history)
    state = TicketState("T-1", rules)
    for i, event in enumerate(events):
        state.apply(event)
        fresh = replay("T-1", events[: i + 1], rules)
        instants = [event.at]
        if i + 1 < len(events):
            instants.append(events[i + 1].at)  # just before the next event is applied
        else:
            instants.append(event.at + 7 * 24 * 60 * MINUTE)
        for now in instants:
            assert clocks(state, sla, now) == clocks(fresh, sla, now), (i, now)


# -- shuffled file == file in order ----------------------------------------------------------------


@PROPERTY
@given(
    events=event_files(),
    document=sla_documents(),
    data=st.data(),
)
def test_a_shuffled_file_evaluates_like_the_file_in_order(
    events: list[dict[str, Any]], document: dict[str, Any], data: st.DataObject
) -> None:
    sla = sla_of(document)
    order = data.draw(st.permutations(range(len(events))))
    shuffled = shuffle_keeping_ties(events, list(order))
    last = max(parse_instant(e["at"]) for e in events)
    now = data.draw(st.integers(BASE, last + 3 * 24 * 60 * MINUTE))
    in_order = evaluate(sla, records(events), now)
    other = evaluate(sla, records(shuffled), now)
    assert other.clocks == in_order.clocks
    assert (other.events, other.duplicates, other.tickets) == (
        in_order.events,
        in_order.duplicates,
        in_order.tickets,
    )


@PROPERTY
@given(events=event_files(max_tickets=2), document=sla_documents(), data=st.data())
def test_evaluate_equals_replaying_the_events_up_to_the_instant(
    events: list[dict[str, Any]], document: dict[str, Any], data: st.DataObject
) -> None:
    sla = sla_of(document)
    last = max(parse_instant(e["at"]) for e in events)
    now = data.draw(st.integers(BASE, last + 24 * 60 * MINUTE))
    expected: list[Clock] = []
    all_events = parsed(events)
    for ticket in sorted({e.ticket for e in all_events}):
        mine = [e for e in all_events if e.ticket == ticket and e.at <= now]
        if mine:
            expected.extend(clocks(replay(ticket, mine, rules_of(sla)), sla, now))
    assert evaluate(sla, records(events), now).clocks == expected


@PROPERTY
@given(events=event_files(max_tickets=2, max_events=10), document=sla_documents())
def test_repeating_every_line_changes_nothing(
    events: list[dict[str, Any]], document: dict[str, Any]
) -> None:
    sla = sla_of(document)
    now = max(parse_instant(e["at"]) for e in events) + 60 * MINUTE
    once = evaluate(sla, records(events), now)
    twice = evaluate(sla, records(events + events), now)
    assert twice.clocks == once.clocks
    assert twice.duplicates == len(events)


# -- each clock is consistent ----------------------------------------------------------------------


@PROPERTY
@given(events=event_files(), document=sla_documents(), data=st.data())
def test_every_clock_is_internally_consistent(
    events: list[dict[str, Any]], document: dict[str, Any], data: st.DataObject
) -> None:
    sla = sla_of(document)
    last = max(parse_instant(e["at"]) for e in events)
    now = data.draw(st.integers(BASE, last + 3 * 24 * 60 * MINUTE))
    policies = {p.name: p for p in sla.policies}
    for clock in evaluate(sla, records(events), now).clocks:
        calendar = policies[clock.policy].calendar
        end = now if clock.stopped_at is None else clock.stopped_at
        assert clock.started_at <= end <= now
        assert clock.target > 0
        assert 0 <= clock.elapsed <= calendar.elapsed_us(clock.started_at, end), clock
        assert clock.breached == (clock.due_at is not None and clock.due_at < end), clock
        if clock.elapsed > clock.target:
            assert clock.breached, clock
        if clock.elapsed < clock.target:
            assert not clock.breached, clock
        if clock.due_at is None:
            assert clock.status == "paused", clock
            assert clock.elapsed < clock.target, clock
        else:
            assert clock.due_at >= clock.started_at
        if clock.stopped_at is None:
            assert clock.status in ("active", "paused"), clock
        else:
            assert clock.status in ("achieved", "cancelled"), clock
        if clock.metric == "resolution":
            assert clock.status != "cancelled"
        # the SPEC §6 object is consistent with the clock
        elapsed_seconds = clock_dict(clock)["elapsed_seconds"]
        if clock.elapsed % 1_000_000 == 0:
            assert elapsed_seconds == clock.elapsed // 1_000_000
            assert isinstance(elapsed_seconds, int)
        else:
            assert elapsed_seconds == clock.elapsed / 1_000_000


# -- an independent oracle for first_response and resolution ---------------------------------------


def _status_timeline(events: list[Event]) -> list[tuple[int, str]]:
    timeline: list[tuple[int, str]] = []
    for e in events:
        values = dict(e.changes)
        if e.type == "ticket.created":
            timeline.append((e.at, values.get("status", "new")))
        elif (
            e.type == "ticket.updated"
            and "status" in values
            and values["status"] != timeline[-1][1]
        ):
            timeline.append((e.at, values["status"]))
    return timeline


def _running_time(
    calendar: Any, timeline: list[tuple[int, str]], start: int, end: int, stopped: frozenset[str]
) -> int:
    total = 0
    for i, (at, status) in enumerate(timeline):
        until = timeline[i + 1][0] if i + 1 < len(timeline) else end
        a, b = max(at, start), min(until, end)
        if b > a and status not in stopped:
            total += calendar.elapsed_us(a, b)
    return total


@PROPERTY
@given(history=ticket_histories(max_events=20), document=sla_documents(), data=st.data())
def test_first_response_and_resolution_agree_with_an_oracle(
    history: list[dict[str, Any]], document: dict[str, Any], data: st.DataObject
) -> None:
    document = dict(document, resolution_on_reopen="continue")
    sla = sla_of(document)
    events = parsed(history)
    now = data.draw(st.integers(events[-1].at, events[-1].at + 3 * 24 * 60 * MINUTE))
    found = {(c.metric, c.cycle): c for c in evaluate(sla, records(history), now).clocks}
    timeline = _status_timeline(events)
    created = events[0].at
    policies = {p.name: p for p in sla.policies}

    # first_response: the first public agent reply (or system, when counted) while not done,
    # unless the ticket is done first.
    stop: tuple[int, str] | None = None
    status = timeline[0][1]
    if status in DONE:
        stop = (created, "cancelled")
    for e in events[1:]:
        if stop is not None:
            break
        values = dict(e.changes)
        if e.type == "ticket.updated" and "status" in values:
            status = values["status"]
            if status in DONE:
                stop = (e.at, "cancelled")
        elif (
            e.type == "comment.added"
            and e.public
            and (e.author == "agent" or (e.author == "system" and sla.system_replies_count))
            and status not in DONE
        ):
            stop = (e.at, "achieved")
    fr = found.get(("first_response", 1))
    assert [k for k in found if k[0] == "first_response"] in ([], [("first_response", 1)])
    if fr is not None:
        pause = policies[fr.policy].pause_statuses
        end = now if stop is None else stop[0]
        assert fr.stopped_at == (None if stop is None else stop[0])
        assert fr.elapsed == _running_time(
            policies[fr.policy].calendar, timeline, created, end, pause
        )
        if stop is None:
            assert fr.status == ("paused" if timeline[-1][1] in pause else "active")
        else:
            assert fr.status == stop[1]

    # resolution with `continue`: one cycle, running whenever the ticket is neither done nor paused
    res = found.get(("resolution", 1))
    assert [k for k in found if k[0] == "resolution"] in ([], [("resolution", 1)])
    if res is not None:
        policy = policies[res.policy]
        current = timeline[-1]
        if current[1] in DONE:
            # stopped when it last became done (solved -> closed is not a new stop)
            first_done = next(
                at
                for i, (at, s) in enumerate(timeline)
                if s in DONE and all(x in DONE for _, x in timeline[i:])
            )
            assert (res.status, res.stopped_at) == ("achieved", first_done)
        else:
            assert res.stopped_at is None
            assert res.status == ("paused" if current[1] in policy.pause_statuses else "active")
        elapsed = _running_time(
            policy.calendar, timeline, created, now, policy.pause_statuses | set(DONE)
        )
        assert res.elapsed == elapsed


def _oracle_cycles(events: list[Event], sla: SlaConfig) -> dict[tuple[str, int], list[Any]]:
    """Every cycle as [started_at, stopped_at, outcome], straight from the SPEC §5 table."""
    cycles: dict[str, list[list[Any]]] = {
        m: [] for m in ("first_response", "next_response", "periodic_update", "resolution")
    }
    state = {"status": "", "replied": False}

    def is_open(metric: str) -> bool:
        return bool(cycles[metric]) and cycles[metric][-1][1] is None

    def start(metric: str, at: int) -> None:
        cycles[metric].append([at, None, None])

    def became_done(at: int) -> None:
        for metric in ("first_response", "next_response", "periodic_update"):
            if is_open(metric):
                cycles[metric][-1][1:] = [at, "cancelled"]
        if is_open("resolution"):
            cycles["resolution"][-1][1:] = [at, "achieved"]

    for e in events:
        values = dict(e.changes)
        if e.type == "ticket.created":
            state["status"] = values.get("status", "new")
            start("first_response", e.at)
            start("resolution", e.at)
            if state["status"] in DONE:
                became_done(e.at)
        elif (
            e.type == "ticket.updated" and values.get("status", state["status"]) != state["status"]
        ):
            was_done = state["status"] in DONE
            state["status"] = values["status"]
            if state["status"] in DONE and not was_done:
                became_done(e.at)
            elif was_done and state["status"] not in DONE:
                if sla.resolution_on_reopen == "restart":
                    start("resolution", e.at)
                else:
                    cycles["resolution"][-1][1:] = [None, None]
        elif e.type == "comment.added" and e.public:
            if e.author == "agent" or (e.author == "system" and sla.system_replies_count):
                for metric in ("first_response", "next_response", "periodic_update"):
                    if is_open(metric):
                        cycles[metric][-1][1:] = [e.at, "achieved"]
                state["replied"] = True
                if state["status"] not in DONE:
                    start("periodic_update", e.at)
            elif (
                e.author == "customer"
                and state["replied"]
                and state["status"] not in DONE
                and not is_open("next_response")
            ):
                start("next_response", e.at)
    return {(m, i): c for m, found in cycles.items() for i, c in enumerate(found, 1)}


@PROPERTY
@given(history=ticket_histories(max_events=24), document=sla_documents(), data=st.data())
def test_cycles_agree_with_an_oracle(
    history: list[dict[str, Any]], document: dict[str, Any], data: st.DataObject
) -> None:
    sla = sla_of(document)
    events = parsed(history)
    now = data.draw(st.integers(events[-1].at, events[-1].at + 24 * 60 * MINUTE))
    expected = _oracle_cycles(events, sla)
    state = replay("T-1", events, rules_of(sla))
    assert {(m, len(c)) for m, c in state.cycles.items()} == {
        (m, sum(1 for k in expected if k[0] == m)) for m in state.cycles
    }
    for clock in evaluate(sla, records(history), now).clocks:
        started, stopped, outcome = expected[(clock.metric, clock.cycle)]
        assert (clock.started_at, clock.stopped_at) == (started, stopped), clock
        if outcome is None:
            assert clock.status in ("active", "paused"), clock
        else:
            assert clock.status == outcome, clock
