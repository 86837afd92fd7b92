"""Targets from history (domain/targets.py): the quantile, its binomial order-statistics interval
and the censoring rule, against brute-force references in exact fractions; the human steps; and
advice gathered from clocks."""

from __future__ import annotations

import math
from fractions import Fraction
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slakeeper.domain.clocks import ACHIEVED, ACTIVE, CANCELLED, PAUSED, Clock
from slakeeper.domain.errors import InvalidArgument
from slakeeper.domain.targets import (
    DAY,
    HOUR,
    MINUTE,
    SECOND,
    History,
    Sample,
    binomial_cdf,
    binomial_cdf_exact,
    quantile,
    round_up,
)

GOALS = st.sampled_from([Fraction(1, 2), Fraction(3, 4), Fraction(9, 10), Fraction(95, 100)])
CONFIDENCES = st.sampled_from(
    [Fraction(1, 2), Fraction(9, 10), Fraction(95, 100), Fraction(99, 100)]
)
DURATIONS = st.integers(0, 40).map(lambda m: m * MINUTE)  # ties are frequent


@cache
def cdf_table(n: int, p: Fraction) -> tuple[Fraction, ...]:
    """P(B <= k) for k = 0 .. n, summed term by term in exact fractions."""
    out, total = [], Fraction(0)
    for i in range(n + 1):
        total += math.comb(n, i) * p**i * (1 - p) ** (n - i)
        out.append(total)
    return tuple(out)


def brute_cdf(k: int, n: int, p: Fraction) -> Fraction:
    if k < 0:
        return Fraction(0)
    return cdf_table(n, p)[min(k, n)]


def order_statistics(
    values: list[int], goal: Fraction, confidence: Fraction
) -> tuple[int, int, int | None]:
    """The textbook answer for an uncensored sample: X(⌈goal·n⌉) and the binomial interval
    [X(l), X(u)] (l: the largest with P(B <= l-1) <= α/2, or 0 when none; u: the least with
    P(B <= u-1) >= 1-α/2, or None)."""
    x = sorted(values)
    n = len(x)
    tail = (1 - confidence) / 2
    rank = math.ceil(goal * n)
    lows = [r for r in range(1, n + 1) if brute_cdf(r - 1, n, goal) <= tail]
    highs = [r for r in range(1, n + 1) if brute_cdf(r - 1, n, goal) >= 1 - tail]
    return x[rank - 1], x[max(lows) - 1] if lows else 0, x[min(highs) - 1] if highs else None


def brute_censored(
    achieved: list[int], censored: list[int], goal: Fraction, confidence: Fraction
) -> tuple[int | None, int | None, int | None]:
    """The same tests as the module, by a linear scan of every candidate target."""
    tail = (1 - confidence) / 2
    found: list[int | None] = [None, None, None]
    for t in sorted({0, *achieved, *censored}):
        met = sum(1 for d in achieved if d <= t)
        n = len(achieved) + sum(1 for e in censored if e > t)
        tests = (
            n > 0 and Fraction(met, n) >= goal,
            brute_cdf(met, n, goal) > tail,
            n > 0 and brute_cdf(met - 1, n, goal) >= 1 - tail,
        )
        for i, passed in enumerate(tests):
            if passed and found[i] is None:
                found[i] = t
    return found[0], found[1], found[2]


# -- binomial tails --------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(n=st.integers(0, 120), data=st.data(), p=st.fractions(Fraction(1, 100), Fraction(99, 100)))
def test_binomial_tails_against_the_sum(n: int, data: st.DataObject, p: Fraction) -> None:
    k = data.draw(st.integers(-1, n + 1))
    exact = brute_cdf(min(k, n), n, p) if k >= 0 else Fraction(0)
    assert binomial_cdf_exact(k, n, p) == exact
    assert binomial_cdf(k, n, p) == pytest.approx(float(exact), abs=1e-12)


def test_large_binomial_tails_are_accurate() -> None:
    p = Fraction(9, 10)
    for n, k in ((1000, 880), (10_000, 9000), (10_000, 8950)):
        assert binomial_cdf(k, n, p) == pytest.approx(float(binomial_cdf_exact(k, n, p)), abs=1e-11)


# -- the quantile and its interval -----------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(values=st.lists(DURATIONS, min_size=1, max_size=60), goal=GOALS, confidence=CONFIDENCES)
def test_uncensored_is_the_order_statistics_interval(
    values: list[int], goal: Fraction, confidence: Fraction
) -> None:
    q = quantile(Sample.of(values), goal, confidence)
    assert (q.estimate, q.lower, q.upper) == order_statistics(values, goal, confidence)
    assert q.lower is not None
    assert q.estimate is not None
    assert q.lower <= q.estimate
    if q.upper is not None:
        assert q.estimate <= q.upper


@settings(max_examples=300, deadline=None)
@given(
    achieved=st.lists(DURATIONS, max_size=40),
    censored=st.lists(DURATIONS, max_size=15),
    goal=GOALS,
    confidence=CONFIDENCES,
)
def test_censored_clocks_against_a_linear_scan(
    achieved: list[int], censored: list[int], goal: Fraction, confidence: Fraction
) -> None:
    q = quantile(Sample.of(achieved, censored), goal, confidence)
    if not achieved:
        assert (q.estimate, q.lower, q.upper) == (None, None, None)
        return
    assert (q.estimate, q.lower, q.upper) == brute_censored(achieved, censored, goal, confidence)
    sample = Sample.of(achieved, censored)
    assert q.estimate is not None
    share = sample.compliance(q.estimate)
    assert share is not None
    assert share >= goal  # the estimate meets the goal on this history
    if q.upper is not None:
        assert q.estimate <= q.upper


@settings(max_examples=200, deadline=None)
@given(n=st.integers(1, 200), goal=GOALS, confidence=CONFIDENCES)
def test_the_interval_covers_the_quantile_with_the_confidence(
    n: int, goal: Fraction, confidence: Fraction
) -> None:
    # For a continuous distribution, [X(l), X(u)] misses the true quantile exactly when fewer
    # than l or at least u of the n values lie below it: B ~ Binomial(n, goal) outside [l, u-1].
    values = list(range(1, n + 1))  # ranks stand for the order statistics
    _, lower, upper = order_statistics(values, goal, confidence)
    q = quantile(Sample.of(values), goal, confidence)
    assert (q.lower, q.upper) == (lower, upper)
    if upper is None:
        assert goal**n > (1 - confidence) / 2  # too few values for an upper end
        return
    low_rank = lower or 0  # 0: no lower end, nothing missed below
    covered = brute_cdf(upper - 1, n, goal) - (brute_cdf(low_rank - 1, n, goal) if low_rank else 0)
    assert covered >= confidence


def test_a_hundred_minutes() -> None:
    # 1, 2, ..., 100 minutes: nine in ten took 90 minutes or less; the 95% interval is the 84th
    # to the 96th value, and the recommended target the upper end on 15-minute steps: 1h45m.
    sample = Sample.of(m * MINUTE for m in range(1, 101))
    q = quantile(sample, Fraction(9, 10), Fraction(95, 100))
    assert (q.estimate, q.lower, q.upper) == (90 * MINUTE, 84 * MINUTE, 96 * MINUTE)
    assert round_up(q.upper or 0) == 105 * MINUTE
    assert quantile(Sample.of([MINUTE] * 20), Fraction(9, 10), Fraction(95, 100)).upper is None


def test_censored_clocks_fail_the_targets_below_their_elapsed() -> None:
    # 8 replies within 10 minutes and 2 tickets still waiting after 3 hours: under a 1-hour
    # target the two are breached (judged: 10), under 4 hours they are not judged yet (8).
    sample = Sample.of([m * MINUTE for m in (1, 2, 3, 4, 5, 6, 8, 10)], [3 * HOUR, 3 * HOUR])
    assert sample.compliance(HOUR) == Fraction(8, 10)
    assert sample.compliance(4 * HOUR) == Fraction(1)
    q = quantile(sample, Fraction(9, 10), Fraction(1, 2))
    assert q.estimate == 3 * HOUR  # below three hours only 8 of 10 are met
    assert quantile(Sample.of([], [HOUR]), Fraction(9, 10), Fraction(9, 10)).estimate is None


@pytest.mark.parametrize(
    ("duration", "rounded"),
    [
        (0, MINUTE),
        (1, MINUTE),
        (14 * MINUTE + 1, 15 * MINUTE),
        (15 * MINUTE, 15 * MINUTE),
        (15 * MINUTE + SECOND, 20 * MINUTE),
        (58 * MINUTE, HOUR),
        (61 * MINUTE, HOUR + 15 * MINUTE),
        (5 * HOUR + 50 * MINUTE, 6 * HOUR),
        (6 * HOUR + MINUTE, 7 * HOUR),
        (71 * HOUR + SECOND, 72 * HOUR),
        (72 * HOUR + SECOND, 4 * DAY),
    ],
)
def test_human_steps(duration: int, rounded: int) -> None:
    assert round_up(duration) == rounded


@given(st.integers(0, 400 * HOUR))
def test_rounding_up_never_rounds_down(duration: int) -> None:
    found = round_up(duration)
    assert found >= max(duration, MINUTE)
    assert found % MINUTE == 0


def test_goals_and_confidences_lie_between_0_and_1() -> None:
    for goal, confidence in ((Fraction(1), Fraction(1, 2)), (Fraction(1, 2), Fraction(0))):
        with pytest.raises(InvalidArgument, match="strictly between 0 and 1"):
            quantile(Sample.of([1]), goal, confidence)


# -- advice from clocks ----------------------------------------------------------------------------


def clock(policy: str, status: str, elapsed_min: int, breached: bool = False) -> Clock:
    stopped = 10**12 + elapsed_min * MINUTE if status in (ACHIEVED, CANCELLED) else None
    return Clock(
        "T-1",
        "first_response",
        1,
        policy,
        HOUR,
        10**12,
        stopped,
        status,
        elapsed_min * MINUTE,
        10**12 + HOUR,
        breached,
    )


def test_advice_per_policy_and_over_every_policy() -> None:
    history = History()
    for minutes in range(1, 51):  # Gold: 1 to 50 minutes, all met under 1h
        history.add("high", clock("Gold", ACHIEVED, minutes))
    for minutes in (30, 90):  # Standard: one met, one late
        history.add("high", clock("Standard", ACHIEVED, minutes, breached=minutes > 60))
    history.add("high", clock("Standard", ACTIVE, 120, breached=True))  # still waiting: late
    history.add("high", clock("Standard", PAUSED, 10))  # paused early: not judged
    other = History()
    other.add("urgent", clock("Gold", CANCELLED, 5))  # solved without a reply: not judged
    history.merge(other)
    advice = {a.key: a for a in history.advise(Fraction(9, 10), Fraction(95, 100))}
    assert list(advice) == [
        ("first_response", "urgent", None),
        ("first_response", "urgent", "Gold"),
        ("first_response", "high", None),
        ("first_response", "high", "Gold"),
        ("first_response", "high", "Standard"),
    ]
    every = advice[("first_response", "high", None)]
    assert (every.achieved, every.censored, every.met, every.breached) == (52, 2, 51, 2)
    assert every.current_compliance == Fraction(51, 53)
    assert every.targets == (HOUR,)
    gold = advice[("first_response", "high", "Gold")]
    assert gold.quantile.estimate == 45 * MINUTE  # the 45th of 50
    assert gold.quantile.upper == 50 * MINUTE  # 50 clocks: only the largest bounds it at 95%
    assert gold.recommended == 50 * MINUTE
    assert gold.recommended_compliance == Fraction(1)
    standard = advice[("first_response", "high", "Standard")]
    assert standard.recommended is None  # four clocks are too few for 95%
    cancelled = advice[("first_response", "urgent", "Gold")]
    assert (cancelled.achieved, cancelled.censored, cancelled.quantile.estimate) == (0, 1, None)
