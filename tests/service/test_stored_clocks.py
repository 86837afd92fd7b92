"""The stored clocks (what /v1/clocks and the at-risk queue read) stay equal to a fresh evaluation.

Whatever the path — the state cache, a late event that forces a replay, a configuration change
in between, a duplicate batch — the clocks in the store, brought forward to an instant, are the
clocks ``slakeeper evaluate`` computes from all events at that instant.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slakeeper.adapters.db.engine import make_engine
from slakeeper.adapters.db.migrate import upgrade
from slakeeper.adapters.db.store import SqlUnitOfWork
from slakeeper.domain.config import parse_config
from slakeeper.domain.errors import EventError
from slakeeper.domain.events import parse_instant
from slakeeper.service.configuration import ConfigCache, put_config
from slakeeper.service.derive import StateCache
from slakeeper.service.evaluate import evaluate
from slakeeper.service.ingest import ingest_events
from slakeeper.service.queries import list_clocks
from slakeeper.service.records import ClockFilter
from tests.strategies_events import event_files, shuffle_keeping_ties, sla_documents

_RUNS = itertools.count()


def _stored(uow: SqlUnitOfWork, cache: ConfigCache, at: int) -> list[Any]:
    page = list_clocks(uow, cache, ClockFilter(now=at), None, 10_000)
    return sorted(page.clocks)


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    events=event_files(max_tickets=3, max_events=12),
    first=sla_documents(),
    second=sla_documents(),
    data=st.data(),
)
def test_stored_clocks_equal_a_fresh_evaluation(
    tmp_path: Path,
    events: list[dict[str, Any]],
    first: dict[str, Any],
    second: dict[str, Any],
    data: st.DataObject,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / f'db-{next(_RUNS)}.sqlite'}")  # one per example
    try:
        upgrade(engine)
        uow, cache, states = SqlUnitOfWork(engine), ConfigCache(), StateCache()
        last = max(parse_instant(e["at"]) for e in events)
        put_config(uow, cache, first, "", "test", last, states)
        order = data.draw(st.permutations(range(len(events))))
        if data.draw(st.booleans()):
            events = shuffle_keeping_ties(events, list(order))  # late events: replays
        cuts = sorted(data.draw(st.lists(st.integers(0, len(events)), max_size=4)))
        bounds = [0, *cuts, len(events)]
        switch = data.draw(st.integers(0, len(bounds) - 1))
        accepted: list[dict[str, Any]] = []
        last_batch: dict[str, int] = {}
        for n, (a, b) in enumerate(itertools.pairwise(bounds)):
            if n == switch:
                put_config(uow, cache, second, "", "test", last, states)
            if a < b:
                batch = events[a:b]
                try:
                    ingest_events(uow, cache, list(enumerate(batch)), last, states=states)
                except EventError:  # e.g. a comment arriving before its ticket.created
                    continue  # refused whole: nothing of it is stored
                accepted.extend(batch)
                for event in batch:
                    last_batch[event["ticket"]] = n
                if n == 0:  # the same batch again: duplicates only
                    ingest_events(uow, cache, list(enumerate(batch)), last, states=states)
        final = second if switch < len(bounds) - 1 else first
        at = last + 3_600_000_000
        expected = evaluate(parse_config(final), list(enumerate(accepted)), at).clocks
        # a ticket closed before the configuration changed keeps the clocks it was judged by
        closed = {e["ticket"] for e in accepted if e.get("status") == "closed"}
        judged = {t for t in closed if last_batch[t] < switch}
        stored = [c for c in _stored(uow, cache, at) if c.ticket not in judged]
        assert stored == sorted(c for c in expected if c.ticket not in judged)
    finally:
        engine.dispose()
