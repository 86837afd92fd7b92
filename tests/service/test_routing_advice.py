"""Live routing advice from a stored history: the ticket's clocks from its events, the agents'
loads from the store's open tickets, the ranking from the domain (docs/routing.md)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from slakeeper.adapters.db.store import SqlUnitOfWork
from slakeeper.domain.routing import AWAY, FREE, FULL, UNSKILLED
from slakeeper.service.configuration import ConfigCache, put_config
from slakeeper.service.ingest import ingest_events
from slakeeper.service.queries import NotFound
from slakeeper.service.routing_advice import NO_ROSTER, TicketAdvice, ticket_advice
from tests.factories import Events, calendar, config, policy, records, us

NOW = "2024-01-15 15:00"  # Monday: the business calendar is open 10:00-18:00 UTC
ROSTER = [
    {"name": "anna", "calendar": "biz", "skills": ["storage"], "capacity": 2},
    {"name": "bob", "calendar": "biz", "skills": ["storage", "network"], "capacity": 2},
    {"name": "carl", "calendar": "night", "skills": ["storage"]},
    {"name": "dora", "calendar": "biz", "skills": ["billing"], "capacity": 3},
]


def document(agents: list[dict[str, Any]] | None = ROSTER) -> dict[str, Any]:
    out = config(
        policy(targets={"first_response": {"default": "1h"}, "resolution": {"default": "8h"}}),
        calendars=[calendar(), calendar("night", shift="22:00-06:00")],
    )
    if agents is not None:
        out["agents"] = agents
    return out


def history() -> Events:
    e = Events()
    e.created("2024-01-15 14:30", ticket="T-1", service="storage", priority="high", customer="acme")
    for ticket in ("B-1", "B-2"):  # bob has two open tickets: no free place
        e.created("2024-01-15 11:00", ticket=ticket, service="network", assignee="bob")
    e.created("2024-01-15 11:00", ticket="A-1", service="storage", assignee="anna")
    e.status("2024-01-15 12:00", "solved", ticket="A-1")  # done: anna's load is 0
    e.created("2024-01-15 12:00", ticket="D-1", group="billing", assignee="dora")
    e.created("2024-01-15 13:00", ticket="T-2", service="storage", assignee="anna")
    return e


@pytest.fixture
def store(engine: Engine) -> tuple[SqlUnitOfWork, ConfigCache]:
    uow, cache = SqlUnitOfWork(engine), ConfigCache()
    put_config(uow, cache, document(), "", "test", us(NOW))
    ingest_events(uow, cache, records(history()), us(NOW))
    return uow, cache


def advice(store: tuple[SqlUnitOfWork, ConfigCache], ticket: str, **kw: Any) -> TicketAdvice:
    uow, cache = store
    return ticket_advice(uow, cache, ticket, us(kw.pop("at", NOW)), **kw)


def test_a_skilled_free_agent_comes_first_and_loads_come_from_the_store(store: Any) -> None:
    found = advice(store, "T-1")
    assert found.note is None
    assert found.assignee is None
    assert found.status == "new"
    ranked = {a.name: a for a in found.agents}
    assert [a.name for a in found.agents] == ["anna", "bob", "carl", "dora"]
    assert [a.rank for a in found.agents] == [1, 2, 3, 4]
    assert (ranked["anna"].tier, ranked["anna"].load, ranked["anna"].capacity) == (FREE, 1, 2)
    assert ranked["anna"].available
    assert ranked["anna"].on_shift
    assert (ranked["bob"].tier, ranked["bob"].load) == (FULL, 2)
    assert "no free place: 2 of 2 tickets in work" in ranked["bob"].reasons
    assert ranked["carl"].tier == AWAY
    assert not ranked["carl"].on_shift
    assert ranked["carl"].starts_at == us("2024-01-15 22:00")
    assert ranked["dora"].tier == UNSKILLED
    assert ranked["dora"].score is None
    assert not ranked["dora"].skilled
    assert ranked["dora"].load == 1
    assert found.best == "anna"
    assert found.wait_for is None
    assert found.reasons
    assert found.reasons[0].startswith("first response (Standard) due")


def test_the_ticket_does_not_count_against_its_own_assignee(store: Any) -> None:
    found = advice(store, "T-2")
    assert found.assignee == "anna"
    anna = next(a for a in found.agents if a.name == "anna")
    assert anna.load == 0  # T-2 is hers already; T-1 is unassigned, A-1 is solved
    assert found.best == "anna"


def test_a_done_ticket_gets_no_agents_but_a_note(store: Any) -> None:
    found = advice(store, "A-1")
    assert found.agents == ()
    assert found.best is None
    assert found.note == "the ticket is solved: nobody needs to take it"
    assert found.assignee == "anna"
    earlier = advice(store, "A-1", at="2024-01-15 11:30")  # open then
    assert earlier.note is None
    assert earlier.agents[0].name == "anna"


def test_before_the_ticket_exists_there_is_nothing_to_advise(store: Any) -> None:
    found = advice(store, "T-1", at="2024-01-15 14:00")
    assert found.agents == ()
    assert found.status == ""
    assert found.note == "the ticket was not created yet at this instant"


def test_without_a_roster_the_note_says_how_to_add_one(store: Any) -> None:
    uow, cache = store
    put_config(uow, cache, document(None), "", "test", us(NOW))
    found = advice(store, "T-1")
    assert found.agents == ()
    assert found.note == NO_ROSTER
    assert NO_ROSTER == "no roster: add agents: to the configuration (docs/routing.md)"


def test_an_unknown_or_invisible_ticket_is_not_found(store: Any) -> None:
    with pytest.raises(NotFound):
        advice(store, "NOPE")
    with pytest.raises(NotFound):
        advice(store, "T-1", customer="globex")
    assert advice(store, "T-1", customer="acme").best == "anna"
