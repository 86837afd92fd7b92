"""Erlang C (domain/erlang.py) against published worked examples, the textbook formula, and as
properties: more servers never make things worse, and the least servers are the least."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slakeeper.domain import erlang
from slakeeper.domain.errors import InvalidArgument


def textbook_c(servers: int, traffic: Fraction) -> Fraction:
    """Erlang's C formula as textbooks write it, in exact fractions (small N only)."""
    top = traffic**servers / math.factorial(servers) * servers / (servers - traffic)
    bottom = sum(traffic**k / math.factorial(k) for k in range(servers)) + top
    return top / bottom


def log_space_c(servers: int, traffic: float) -> float:
    """The same in logarithms: no overflow for hundreds of servers."""
    logs = [k * math.log(traffic) - math.lgamma(k + 1) for k in range(servers)]
    top = (
        servers * math.log(traffic)
        - math.lgamma(servers + 1)
        + math.log(servers / (servers - traffic))
    )
    peak = max(*logs, top)
    below = sum(math.exp(x - peak) for x in logs)
    return math.exp(top - peak) / (below + math.exp(top - peak))


def test_call_centre_helper_worked_example() -> None:
    # Call Centre Helper, "Erlang C Formula – Made Simple With an Easy Worked Example"
    # (callcentrehelper.com): 100 calls in 30 minutes with an average handling time of 180 s
    # is A = 10 Erlangs; with N = 11 agents the probability a call waits is 0.6821, the share
    # answered within 20 s is 39%, the average speed of answer 122.8 s; stepping N up, 14 agents
    # are the first to answer 80% within 20 s (88.8%), before shrinkage.
    traffic = 100 * 180 / (30 * 60)
    assert traffic == 10
    at_11 = erlang.staffing(11, traffic, 20, 180)
    assert round(at_11.wait_probability, 4) == 0.6821
    assert round(at_11.service_level, 2) == 0.39
    assert round(at_11.average_speed_of_answer, 1) == 122.8
    assert round(at_11.occupancy, 3) == 0.909
    assert erlang.least_servers(traffic, 180, 0.8, {20: 1.0}) == 14
    assert round(erlang.service_level(14, traffic, 20, 180), 3) == 0.888
    assert erlang.service_level(13, traffic, 20, 180) < 0.8


def test_erlang_b_tables() -> None:
    # The Erlang B table every traffic engineering text prints: with 10 circuits, 1% of calls
    # are blocked at 4.46 Erlangs and 2% at 5.08; with 100 circuits, 1% at 84.06 Erlangs —
    # each printed to two decimals, so the load giving that blocking lies within 0.005 of it.
    for circuits, printed, blocking in ((10, 4.46, 0.01), (10, 5.08, 0.02), (100, 84.06, 0.01)):
        low = erlang.erlang_b(circuits, printed - 0.005)
        high = erlang.erlang_b(circuits, printed + 0.005)
        assert low < blocking < high


def test_the_textbook_formula_for_small_teams() -> None:
    for servers in range(1, 30):
        for tenths in (3, 17, 45, 99, 123, 250):
            traffic = Fraction(tenths, 10)
            if traffic >= servers:
                assert erlang.erlang_c(servers, float(traffic)) == 1.0
                continue
            exact = float(textbook_c(servers, traffic))
            assert erlang.erlang_c(servers, float(traffic)) == pytest.approx(exact, rel=1e-12)


def test_hundreds_of_servers_stay_finite_and_exact() -> None:
    for servers, traffic in ((200, 180.0), (500, 480.0), (1000, 950.0), (3000, 2900.5)):
        c = erlang.erlang_c(servers, traffic)
        assert 0.0 < c < 1.0
        assert c == pytest.approx(log_space_c(servers, traffic), rel=1e-9)
    # a large centre: 1,000 calls an hour of 15 minutes each is 250 Erlangs
    n = erlang.least_servers(250.0, 900.0, 0.8, {20.0: 1.0})
    assert (
        erlang.service_level(n, 250.0, 20.0, 900.0)
        >= 0.8
        > erlang.service_level(n - 1, 250.0, 20.0, 900.0)
    )


def test_an_overloaded_queue_never_answers_in_time() -> None:
    assert erlang.erlang_c(10, 10.0) == 1.0
    assert erlang.service_level(10, 12.0, 60, 180) == 0.0
    assert erlang.average_speed_of_answer(10, 10.0, 180) == math.inf
    assert erlang.staffing(0, 0.0, 1, 1).occupancy == math.inf
    assert erlang.least_servers(0.0, 60, 0.99, {0.0: 1.0}) == 1  # no traffic: one is enough


def test_a_mix_of_target_waits() -> None:
    mix = {20.0: 0.5, 600.0: 0.5}
    level = erlang.mixed_service_level(11, 10.0, mix, 180)
    assert level == pytest.approx(
        0.5 * erlang.service_level(11, 10.0, 20, 180)
        + 0.5 * erlang.service_level(11, 10.0, 600, 180)
    )
    n = erlang.least_servers(10.0, 180, 0.9, mix)
    assert erlang.mixed_service_level(n, 10.0, mix, 180) >= 0.9
    assert erlang.mixed_service_level(n - 1, 10.0, mix, 180) < 0.9


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: erlang.erlang_c(-1, 1.0), "servers"),
        (lambda: erlang.erlang_c(3, -1.0), "traffic"),
        (lambda: erlang.erlang_c(3, math.nan), "traffic"),
        (lambda: erlang.service_level(3, 1.0, -5, 180), "target wait"),
        (lambda: erlang.service_level(3, 1.0, 5, 0), "handling time"),
        (lambda: erlang.least_servers(1.0, 180, 1.0, {20: 1.0}), "goal"),
        (lambda: erlang.least_servers(1.0, 180, 0.8, {20: 0.5}), "add up to 1"),
    ],
)
def test_bad_arguments_are_refused(call: object, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        call()  # type: ignore[operator]


@settings(max_examples=200, deadline=None)
@given(
    traffic=st.floats(0.0, 400.0),
    servers=st.integers(0, 500),
    wait=st.floats(0.0, 3600.0),
    handling=st.floats(1.0, 7200.0),
)
def test_more_servers_never_make_it_worse(
    traffic: float, servers: int, wait: float, handling: float
) -> None:
    now = erlang.staffing(servers, traffic, wait, handling)
    more = erlang.staffing(servers + 1, traffic, wait, handling)
    for s in (now, more):
        assert 0.0 <= s.wait_probability <= 1.0
        assert 0.0 <= s.service_level <= 1.0
        assert s.average_speed_of_answer >= 0.0
    assert more.wait_probability <= now.wait_probability + 1e-12
    assert more.service_level >= now.service_level - 1e-12
    assert more.average_speed_of_answer <= now.average_speed_of_answer
    assert 0.0 <= erlang.erlang_b(servers, traffic) <= 1.0


@settings(max_examples=100, deadline=None)
@given(
    traffic=st.floats(0.0, 300.0),
    wait=st.floats(0.0, 600.0),
    handling=st.floats(10.0, 3600.0),
    goal=st.floats(0.05, 0.99),
)
def test_the_least_servers_are_the_least(
    traffic: float, wait: float, handling: float, goal: float
) -> None:
    n = erlang.least_servers(traffic, handling, goal, {wait: 1.0})
    assert n > traffic
    assert erlang.service_level(n, traffic, wait, handling) >= goal
    assert n == 1 or erlang.service_level(n - 1, traffic, wait, handling) < goal
