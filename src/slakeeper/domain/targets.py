"""Targets from history: how long the team takes, and the target it meets with a chosen probability.

For one group of clocks (a metric and a priority, of one policy or of all), the question is the
``goal``-quantile of the business time a clock takes to be met — the least target ``T`` that
``goal`` of the clocks (0.9: nine in ten) meet — with a confidence interval that assumes nothing
about the distribution, and a **recommended target**: the interval's upper end rounded up to a
human step, so that the team meets it with at least the goal probability, at the confidence asked.

**The sample.** A clock that stopped achieved took its ``elapsed`` business time: an exact
duration. Every other clock is *censored* — one still running or paused at the end of history,
and one cancelled (the ticket was solved with nothing owed): its ``elapsed`` is a lower bound. A
censored clock counts as **not met by any target below its elapsed** and is **not counted** by a
target at or above it — exactly what a report would say had the target been ``T``: a clock past
its due instant is breached whatever happens next, one not yet due is not judged (docs/metrics.md).
So for a target ``T``::

    met(T)    = achieved clocks with elapsed <= T
    judged(T) = achieved clocks + censored clocks with elapsed > T
    compliance(T) = met(T) / judged(T)

which never falls as ``T`` grows.

**The estimate** is the least ``T`` with ``compliance(T) >= goal`` — with nothing censored, the
nearest-rank order statistic ``X(⌈goal·n⌉)`` (the reports' p90 for a goal of 0.9).

**The interval** is the binomial order-statistics interval (distribution-free, exact): with
``B ~ Binomial(n, goal)``, the upper end is ``X(u)`` for the least ``u`` with
``P(B <= u − 1) >= 1 − α/2`` and the lower end ``X(l)`` for the largest ``l`` with
``P(B <= l − 1) <= α/2``, α = 1 − confidence; then ``P(X(l) <= q <= X(u)) >= confidence`` for the
true quantile ``q`` of any distribution. Written as tests at each candidate target ``T`` — the
upper end is the least ``T`` with ``P(B >= met(T)) <= α/2``, the lower the least with
``P(B <= met(T)) > α/2`` — they take the censored clocks in with ``n = judged(T)``: with nothing
censored this *is* the order-statistics interval; with censored clocks it is the same test
inverted at each target with the clocks that target would judge. The upper end is also a
one-sided bound at ``1 − α/2``: the true quantile lies below it with at least that confidence,
which is why it is the one recommended. Too few clocks give no upper end (``goal^n > α/2``: 36
clocks at least for 0.9 and 95%).

Binomial tails are computed from the regularized incomplete beta function (a continued fraction)
and decided exactly, in integers, whenever a tail lies within 1e-7 of the threshold, so every
comparison is the exact one. Durations are integer µs; probabilities :class:`~fractions.Fraction`.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from slakeeper.domain.clocks import ACHIEVED, Clock
from slakeeper.domain.errors import InvalidArgument
from slakeeper.domain.policy import METRICS
from slakeeper.domain.reports import MET, judge

SECOND = 1_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR
STEPS = (  # (up to this size, round up to a multiple of)
    (15 * MINUTE, MINUTE),
    (HOUR, 5 * MINUTE),
    (6 * HOUR, 15 * MINUTE),
    (72 * HOUR, HOUR),
)  # beyond 72 hours: whole days (24 hours of business time)
PRIORITY_ORDER = ("urgent", "high", "normal", "low")
_NEAR = 1e-7  # a float tail this close to its threshold is decided in exact arithmetic


def human_step(duration: int) -> int:
    """The step a target of ``duration`` µs is rounded to: 1 min up to 15 min, 5 min up to an
    hour, 15 min up to 6 hours, an hour up to 72 hours, then a day (24 h)."""
    for below, step in STEPS:
        if duration <= below:
            return step
    return DAY


def round_up(duration: int) -> int:
    """``duration`` rounded up to its human step; at least a minute (targets are positive)."""
    duration = max(duration, 1)
    step = human_step(duration)
    return -(-duration // step) * step


# -- binomial tails ---------------------------------------------------------------------------------


def _continued_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 100_000):
        m2 = 2 * m
        for aa in (
            m * (b - m) * x / ((qam + m2) * (a + m2)),
            -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)),
        ):
            d = 1.0 + aa * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + aa / c
            c = c if abs(c) > tiny else tiny
            delta = d * c
            h *= delta
        if abs(delta - 1.0) < 3e-16:
            break
    return h


def _beta_regularized(a: float, b: float, x: float) -> float:
    """I_x(a, b) for a, b > 0 and 0 < x < 1."""
    front = math.exp(
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _continued_fraction(a, b, x) / a
    return 1.0 - front * _continued_fraction(b, a, 1.0 - x) / b


def binomial_cdf(k: int, n: int, p: Fraction) -> float:
    """P(B <= k) for B ~ Binomial(n, p), as a float."""
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    if p <= 0:
        return 1.0
    if p >= 1:
        return 0.0
    return min(1.0, max(0.0, _beta_regularized(n - k, k + 1, float(1 - p))))


def binomial_cdf_exact(k: int, n: int, p: Fraction) -> Fraction:
    """P(B <= k) exactly (0 < p < 1), summed in integers over the shorter tail."""
    if k < 0:
        return Fraction(0)
    if k >= n:
        return Fraction(1)
    a, b = p.numerator, p.denominator  # p = a / b
    if k < n - k - 1:  # the lower tail has fewer terms
        return Fraction(_tail_sum(n, a, b - a, k), b**n)
    return 1 - Fraction(_tail_sum(n, b - a, a, n - k - 1), b**n)


def _tail_sum(n: int, x: int, y: int, k: int) -> int:
    """Sum over i <= k of C(n, i) x^i y^(n-i)."""
    total = 0
    term = y**n
    for i in range(k + 1):
        total += term
        term = term * (n - i) * x // ((i + 1) * y)
    return total


def _cdf_above(k: int, n: int, p: Fraction, threshold: Fraction) -> bool:
    """P(B <= k) > threshold, decided exactly."""
    value = binomial_cdf(k, n, p)
    if abs(value - float(threshold)) > _NEAR:
        return value > threshold
    return binomial_cdf_exact(k, n, p) > threshold


def _cdf_at_least(k: int, n: int, p: Fraction, threshold: Fraction) -> bool:
    """P(B <= k) >= threshold, decided exactly."""
    value = binomial_cdf(k, n, p)
    if abs(value - float(threshold)) > _NEAR:
        return value >= threshold
    return binomial_cdf_exact(k, n, p) >= threshold


# -- the quantile and its interval -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sample:
    """Business-time durations (µs) of one group of clocks, each tuple sorted ascending."""

    achieved: tuple[int, ...]  # clocks that stopped achieved: how long they took
    censored: tuple[int, ...] = ()  # the rest: elapsed so far, a lower bound

    @classmethod
    def of(cls, achieved: Iterable[int], censored: Iterable[int] = ()) -> Sample:
        return cls(tuple(sorted(achieved)), tuple(sorted(censored)))

    def met(self, target: int) -> int:
        """Clocks a target of ``target`` µs would have met."""
        return bisect_right(self.achieved, target)

    def judged(self, target: int) -> int:
        """Clocks a target of ``target`` µs would have judged (met or breached)."""
        return len(self.achieved) + len(self.censored) - bisect_right(self.censored, target)

    def compliance(self, target: int) -> Fraction | None:
        """The share met under ``target`` (None: nothing judged)."""
        judged = self.judged(target)
        return Fraction(self.met(target), judged) if judged else None

    def candidates(self) -> list[int]:
        """Every target at which ``met`` or ``judged`` changes, and 0."""
        return sorted({0, *self.achieved, *self.censored})


@dataclass(frozen=True, slots=True)
class Quantile:
    goal: Fraction
    confidence: Fraction
    estimate: int | None  # µs; None without an achieved clock
    lower: int | None  # 0 when the sample bounds it by nothing above 0
    upper: int | None  # None: too few clocks for this confidence


MAX_DENOMINATOR = 1_000_000  # goals and confidences to six decimals at most


def probability(value: Fraction, name: str) -> Fraction:
    """``value`` if it is a goal or confidence slakeeper computes with: strictly between 0 and 1,
    written with at most six decimals (0.9, 0.95, 0.999); else :class:`InvalidArgument`."""
    if not 0 < value < 1:
        raise InvalidArgument(f"{name} {float(value)!r} must lie strictly between 0 and 1")
    if value.denominator > MAX_DENOMINATOR:
        raise InvalidArgument(f"{name} {float(value)!r}: write it with at most six decimals")
    return value


def _first(candidates: Sequence[int], test: Callable[[int], bool]) -> int | None:
    """The first candidate passing ``test`` (False ... False True ... True), by bisection."""
    lo, hi = 0, len(candidates)
    while lo < hi:
        mid = (lo + hi) // 2
        if test(candidates[mid]):
            hi = mid
        else:
            lo = mid + 1
    return candidates[lo] if lo < len(candidates) else None


def quantile(sample: Sample, goal: Fraction, confidence: Fraction) -> Quantile:
    """The ``goal``-quantile of ``sample`` with its ``confidence`` interval (module docstring)."""
    goal = probability(goal, "goal")
    confidence = probability(confidence, "confidence")
    if not sample.achieved:
        return Quantile(goal, confidence, None, None, None)
    tail = (1 - confidence) / 2
    candidates = sample.candidates()
    met, judged = sample.met, sample.judged

    def reaches(t: int) -> bool:
        n = judged(t)
        return n > 0 and met(t) * goal.denominator >= goal.numerator * n

    def above_lower(t: int) -> bool:  # P(B <= met) > α/2
        return _cdf_above(met(t), judged(t), goal, tail)

    def below_upper(t: int) -> bool:  # P(B >= met) <= α/2, i.e. P(B <= met - 1) >= 1 - α/2
        n = judged(t)
        return n > 0 and _cdf_at_least(met(t) - 1, n, goal, 1 - tail)

    return Quantile(
        goal,
        confidence,
        _first(candidates, reaches),
        _first(candidates, above_lower),
        _first(candidates, below_upper),
    )


# -- advice per metric, priority and policy --------------------------------------------------------

Key = tuple[str, str, str | None]  # metric, priority, policy (None: every policy)


@dataclass(frozen=True, slots=True)
class Advice:
    key: Key
    achieved: int
    censored: int
    quantile: Quantile
    recommended: int | None  # µs: the upper end rounded up to a human step
    recommended_compliance: Fraction | None  # what it would have had on this history
    targets: tuple[int, ...]  # the targets these clocks had, µs ascending
    met: int  # judged under those targets, as reports judge them
    breached: int

    @property
    def current_compliance(self) -> Fraction | None:
        judged = self.met + self.breached
        return Fraction(self.met, judged) if judged else None


@dataclass(slots=True)
class _Group:
    achieved: list[int] = field(default_factory=list)
    censored: list[int] = field(default_factory=list)
    targets: set[int] = field(default_factory=set)
    met: int = 0
    breached: int = 0


@dataclass(slots=True)
class History:
    """The durations and verdicts of clocks, gathered by metric, priority and policy (and over
    every policy); :meth:`merge` joins the histories of parts of the tickets."""

    groups: dict[Key, _Group] = field(default_factory=dict)

    def add(self, priority: str, clock: Clock) -> None:
        """One clock; ``priority`` is the ticket's at the clock's end (the one its target was
        chosen by)."""
        for key in ((clock.metric, priority, None), (clock.metric, priority, clock.policy)):
            group = self.groups.get(key)
            if group is None:
                group = self.groups[key] = _Group()
            if clock.status == ACHIEVED and clock.stopped_at is not None:
                group.achieved.append(clock.elapsed)
            else:
                group.censored.append(clock.elapsed)
            group.targets.add(clock.target)
            verdict = judge(clock)
            if verdict is not None:
                if verdict[0] == MET:
                    group.met += 1
                else:
                    group.breached += 1

    def merge(self, other: History) -> None:
        for key, theirs in other.groups.items():
            mine = self.groups.get(key)
            if mine is None:
                self.groups[key] = theirs
                continue
            mine.achieved.extend(theirs.achieved)
            mine.censored.extend(theirs.censored)
            mine.targets |= theirs.targets
            mine.met += theirs.met
            mine.breached += theirs.breached

    def advise(self, goal: Fraction, confidence: Fraction) -> list[Advice]:
        """One :class:`Advice` per group: metrics in SPEC order, then priorities (urgent
        first), then every policy before each policy by name."""
        out = []
        for key in sorted(self.groups, key=_order):
            group = self.groups[key]
            sample = Sample.of(group.achieved, group.censored)
            q = quantile(sample, goal, confidence)
            recommended = None if q.upper is None else round_up(q.upper)
            out.append(
                Advice(
                    key,
                    len(sample.achieved),
                    len(sample.censored),
                    q,
                    recommended,
                    None if recommended is None else sample.compliance(recommended),
                    tuple(sorted(group.targets)),
                    group.met,
                    group.breached,
                )
            )
        return out


def _order(key: Key) -> tuple[int, int, str, bool, str]:
    metric, priority, policy = key
    rank = PRIORITY_ORDER.index(priority) if priority in PRIORITY_ORDER else len(PRIORITY_ORDER)
    return (METRICS.index(metric), rank, priority, policy is not None, policy or "")
