"""The SLA-aware router and the comparison of routers (slakeeper.simulation.routing, .compare;
docs/simulation.md, "Routing"): the router sees only the views, reruns are byte-identical, a
router that orders the queue owns it, and every router plays the same tickets."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from slakeeper.adapters.config_file import load_config
from slakeeper.domain.config import SlaConfig
from slakeeper.domain.events import parse_instant
from slakeeper.service.evaluate import evaluate
from slakeeper.simulation import (
    ROUTER_NAMES,
    AgentView,
    RoundRobin,
    SimConfig,
    SlaAware,
    TicketView,
    compare,
    make_router,
    parse_simulation,
    simulate,
)
from slakeeper.simulation.routing import queue_order

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "examples" / "simulation.yaml"
RANK = {"urgent": 0, "high": 1, "normal": 2, "low": 3}


@pytest.fixture(scope="module")
def sla() -> SlaConfig:
    return load_config(ROOT / "examples" / "sla.yaml")


def model(**changes: Any) -> SimConfig:
    document: dict[str, Any] = yaml.safe_load(MODEL.read_text(encoding="utf-8"))
    document.update(changes)
    return parse_simulation(document)


def play(config: SimConfig, router: Any) -> bytes:
    return b"".join(
        orjson.dumps(e, option=orjson.OPT_APPEND_NEWLINE) for e in simulate(config, router).events()
    )


# -- only the views ----------------------------------------------------------------------------


def _fields(protocol: type) -> frozenset[str]:
    return frozenset(k for k, v in vars(protocol).items() if isinstance(v, property))


_TICKET_FIELDS, _AGENT_FIELDS = _fields(TicketView), _fields(AgentView)


class _View:
    """A live, read-only window on an engine object showing only the protocol's fields."""

    __slots__ = ("_fields", "_of")

    def __init__(self, of: object, fields: frozenset[str]) -> None:
        object.__setattr__(self, "_of", of)
        object.__setattr__(self, "_fields", fields)

    def __getattr__(self, name: str) -> Any:
        if name not in self._fields:
            raise AttributeError(f"a router may not read {name!r}")
        return getattr(self._of, name)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("a router may not change what it sees")


class _ThroughViews:
    """Hands the router views instead of the engine's objects."""

    def __init__(self, inner: SlaAware) -> None:
        self.inner, self.name = inner, inner.name
        self._agents: dict[int, _View] = {}
        self._tickets: dict[int, _View] = {}

    def _ticket(self, ticket: Any) -> Any:
        view = self._tickets.get(ticket.number)
        if view is None:
            view = self._tickets[ticket.number] = _View(ticket, _TICKET_FIELDS)
        return view

    def queue_key(self, ticket: TicketView) -> int:
        return self.inner.queue_key(self._ticket(ticket))

    def choose(self, ticket: TicketView, agents: Sequence[AgentView], now: int) -> Any:
        views = [self._agents.setdefault(a.index, _View(a, _AGENT_FIELDS)) for a in agents]
        chosen: Any = self.inner.choose(self._ticket(ticket), views, now)
        return None if chosen is None else agents[views.index(chosen)]


def test_the_sla_aware_router_sees_only_the_views(sla: SlaConfig) -> None:
    config = model(days=4)
    direct = play(config, SlaAware(sla, config.agents))
    viewed = play(config, _ThroughViews(SlaAware(sla, config.agents)))
    assert viewed == direct


def test_reruns_are_byte_identical(sla: SlaConfig) -> None:
    config = model(days=5)
    first = play(config, make_router("sla_aware", sla, config.agents))
    assert play(config, make_router("sla_aware", sla, config.agents)) == first
    other = model(days=5, seed=8)
    assert play(other, make_router("sla_aware", sla, other.agents)) != first


def test_the_plain_routers_are_unchanged() -> None:
    """The digests of the first week under each plain router, as before the SLA-aware router."""
    config = model(days=7)
    digests = {
        name: hashlib.sha256(play(config, make_router(name))).hexdigest()[:16]
        for name in ("round_robin", "least_loaded")
    }
    assert digests == {"round_robin": ROUND_ROBIN_7, "least_loaded": LEAST_LOADED_7}


ROUND_ROBIN_7 = "bf09136886040c1c"  # measured on the engine before queue-ordering routers
LEAST_LOADED_7 = "e9d926455af95d2b"


def test_make_router_names_what_is_missing(sla: SlaConfig) -> None:
    with pytest.raises(ValueError, match="needs the SLA configuration"):
        make_router("sla_aware")
    with pytest.raises(ValueError, match="round_robin, least_loaded, sla_aware"):
        make_router("cleverest")
    assert make_router("sla_aware", sla).name == "sla_aware"
    assert ROUTER_NAMES == ("round_robin", "least_loaded", "sla_aware")


# -- a router that orders the queue --------------------------------------------------------------


class _Ordered(RoundRobin):
    """Round robin that orders the queue exactly as the engine does: the same events."""

    def queue_key(self, ticket: TicketView) -> int:
        return RANK[ticket.priority]


class _Picky(RoundRobin):
    """Declines every ticket of one customer."""

    def __init__(self, declined: str, owns_queue: bool) -> None:
        super().__init__()
        self.declined = declined
        if owns_queue:
            self.queue_key = lambda ticket: RANK[ticket.priority]

    def choose(self, ticket: TicketView, agents: Sequence[AgentView], now: int) -> Any:
        return None if ticket.customer == self.declined else super().choose(ticket, agents, now)


def test_a_router_with_the_engines_queue_order_changes_nothing() -> None:
    config = model(days=3)
    assert queue_order(_Ordered()) is not None
    assert queue_order(RoundRobin()) is None
    assert play(config, _Ordered()) == play(config, RoundRobin())


def test_a_router_that_owns_the_queue_passes_over_what_it_declines() -> None:
    config = model(days=3)

    def served(router: Any) -> tuple[set[Any], int]:
        events = list(simulate(config, router).events())
        customers = {
            e["ticket"]: e.get("customer") for e in events if e["type"] == "ticket.created"
        }
        assigned = {customers[e["ticket"]] for e in events if "assignee" in e}
        return assigned, sum("assignee" in e for e in events)

    owner, owner_count = served(_Picky("acme", owns_queue=True))
    blocked, blocked_count = served(_Picky("acme", owns_queue=False))
    assert "acme" not in owner
    assert "acme" not in blocked
    assert owner_count > blocked_count  # a declined head no longer holds up its category


# -- the comparison ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def week(sla: SlaConfig) -> Any:
    return compare(model(days=7), sla)


def test_every_router_plays_the_same_tickets(week: Any) -> None:
    created = [o.created for o in week.outcomes]
    assert [o.router for o in week.outcomes] == list(ROUTER_NAMES)
    assert created[0]
    assert all(c == created[0] for c in created)
    assert all(o.tickets == len(created[0]) for o in week.outcomes)


def test_the_comparison_counts_what_evaluate_reports(week: Any, sla: SlaConfig) -> None:
    config = model(days=7)
    for name in ("round_robin", "sla_aware"):
        events = list(simulate(config, make_router(name, sla, config.agents)).events())
        clocks = evaluate(sla, list(enumerate(events, 1)), config.end).clocks
        outcome = week.outcome(name)
        assert outcome.breached_total == sum(c.breached for c in clocks)
        for metric in outcome.breached:
            assert outcome.breached[metric] == sum(c.breached for c in clocks if c.metric == metric)
        ratings = [int(str(e["score"])) for e in events if e["type"] == "csat.rated"]
        assert outcome.ratings == len(ratings)
        assert outcome.csat_mean == pytest.approx(sum(ratings) / len(ratings))
    assert parse_instant(week.as_dict()["end"]) == config.end


def test_the_sla_aware_router_breaches_less_than_round_robin(week: Any) -> None:
    """A fixed seed and a generous bound: the week's figure is 0.64× (docs/simulation.md)."""
    ratio = week.ratio("sla_aware")
    assert ratio is not None
    assert ratio < 0.85
    assert week.ratio("round_robin") == 1.0
    rate = week.outcome("sla_aware").breach_rate()
    assert rate is not None
    assert 0 < rate < week.outcome("round_robin").breach_rate()


def test_the_comparison_as_a_table_and_as_json(week: Any) -> None:
    lines = week.lines()
    assert lines[0].startswith(f"routers on the same {week.outcomes[0].tickets:,} tickets")
    assert any(line.startswith("sla_aware ") for line in lines)
    data = week.as_dict()
    assert [r["router"] for r in data["routers"]] == list(ROUTER_NAMES)
    first = data["routers"][0]
    assert first["ratio_vs_baseline"] == 1.0
    assert set(first["metrics"]) == {
        "first_response",
        "next_response",
        "periodic_update",
        "resolution",
    }
    assert first["breached"] == sum(m["breached"] for m in first["metrics"].values())
