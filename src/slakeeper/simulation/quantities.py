"""The random quantities of the workload model, and the parsing of each from the YAML document.

A :class:`Delay` is a duration that is either fixed (``"96h"``) or lognormal (``{median: 20m,
spread: 0.8}``); a :class:`Table` is a weighted choice (``{email: 50, web: 25}``). Every parser
appends an :class:`~slakeeper.domain.errors.Issue` naming the path of each problem to ``issues``
and returns ``None`` (or a harmless default) instead of raising, so that one validation run reports
everything that is wrong.

Every duration is drawn in whole seconds (as microseconds), at least one second: events of the
model then fall on whole seconds and two steps of one ticket never share an instant by accident.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from random import Random
from typing import Generic, TypeVar

from slakeeper.domain.durations import HINT, parse_duration
from slakeeper.domain.errors import Issue

T = TypeVar("T")

SECOND = 1_000_000
MINUTE = 60 * SECOND
HOUR = 3600 * SECOND
DAY = 24 * HOUR
MAX_SPREAD = 3.0  # a σ of 3 puts the 90th percentile at 47 times the median: plenty
CLIP = 4.0  # draws are clipped at 4 spreads from the median, so one draw never stalls a run


@dataclass(frozen=True, slots=True)
class Delay:
    """A positive duration: ``median_us`` exactly when ``spread`` is 0, else lognormal.

    ``spread`` is σ of the natural logarithm: half of the draws lie within a factor
    ``exp(0.674 σ)`` of the median, and 90% below ``median × exp(1.28 σ)``.
    """

    median_us: int
    spread: float = 0.0

    def draw(self, rng: Random) -> int:
        """One duration in whole seconds (µs), at least one second."""
        if self.spread == 0.0:
            return self.median_us
        z = rng.gauss(0.0, 1.0)
        z = CLIP if z > CLIP else -CLIP if z < -CLIP else z
        seconds = round(self.median_us * math.exp(self.spread * z) / SECOND)
        return (seconds if seconds > 1 else 1) * SECOND

    @property
    def mean_us(self) -> float:
        """The mean of the (unclipped) distribution."""
        return self.median_us * math.exp(self.spread * self.spread / 2)


class Table(Generic[T]):
    """A weighted choice made with one uniform draw and a binary search."""

    __slots__ = ("bounds", "items", "weights")

    def __init__(self, weighted: Sequence[tuple[T, float]]) -> None:
        total = sum(w for _, w in weighted)
        running = 0.0
        bounds: list[float] = []
        for _, weight in weighted:
            running += weight / total
            bounds.append(running)
        bounds[-1] = 1.0
        self.items: tuple[T, ...] = tuple(item for item, _ in weighted)
        self.weights: tuple[float, ...] = tuple(w / total for _, w in weighted)
        self.bounds: tuple[float, ...] = tuple(bounds)

    def pick(self, rng: Random) -> T:
        i = bisect_right(self.bounds, rng.random())
        return self.items[i if i < len(self.items) else -1]

    def share(self, item: T) -> float:
        """The probability of ``item`` (0 when it is not in the table)."""
        return sum(w for i, w in zip(self.items, self.weights, strict=True) if i == item)


def known(value: T | None) -> T:
    """A value that validation found (once no issue was found, none is missing)."""
    assert value is not None
    return value


def path(prefix: str, key: object) -> str:
    """``prefix.key`` (or ``key`` at the top, ``prefix[3]`` for an index)."""
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    return f"{prefix}.{key}" if prefix else str(key)


def check_keys(
    value: Mapping[object, object], allowed: Sequence[str], where: str, issues: list[Issue]
) -> None:
    for key in value:
        if key not in allowed:
            issues.append(Issue(path(where, key), f"unknown field; use {', '.join(allowed)}"))


def number(
    value: object,
    where: str,
    issues: list[Issue],
    *,
    low: float,
    high: float,
    low_open: bool = False,
) -> float | None:
    """A real number in ``[low, high]`` (``(low, high]`` when ``low_open``)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        issues.append(Issue(where, f"{value!r} must be a number"))
        return None
    below = value <= low if low_open else value < low
    if below or value > high:
        bracket = "(" if low_open else "["
        issues.append(Issue(where, f"{value!r} must lie in {bracket}{low:g}, {high:g}]"))
        return None
    return float(value)


def integer(value: object, where: str, issues: list[Issue], *, low: int, high: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        issues.append(Issue(where, f"{value!r} must be a whole number"))
        return None
    if not low <= value <= high:
        issues.append(Issue(where, f"{value} must lie between {low} and {high}"))
        return None
    return value


def text(value: object, where: str, issues: list[Issue]) -> str | None:
    if not isinstance(value, str) or not value.strip():
        issues.append(Issue(where, f"{value!r} must be a non-empty text"))
        return None
    if len(value) > 200:
        issues.append(Issue(where, f"{value[:20]!r}... is longer than 200 characters"))
        return None
    return value.strip()


def texts(value: object, where: str, issues: list[Issue]) -> tuple[str, ...]:
    """A list of non-empty texts (a single text is a list of one)."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        issues.append(Issue(where, "must be a list of texts"))
        return ()
    found = [text(item, path(where, i), issues) for i, item in enumerate(value)]
    return tuple(dict.fromkeys(t for t in found if t is not None))


def duration_us(value: object, where: str, issues: list[Issue]) -> int | None:
    """A SPEC §2 duration (``"90m"``, ``"4h"``, ``"45s"`` or minutes) in µs."""
    try:
        return int(parse_duration(value).total_seconds()) * SECOND
    except ValueError as exc:
        issues.append(Issue(where, str(exc)))
        return None


def delay(value: object, where: str, issues: list[Issue]) -> Delay | None:
    """A fixed duration (``"96h"``) or ``{median: <duration>, spread: <σ, 0 to 3>}``."""
    if isinstance(value, Mapping):
        check_keys(value, ("median", "spread"), where, issues)
        if "median" not in value:
            issues.append(Issue(path(where, "median"), f"missing; {HINT}"))
            return None
        median = duration_us(value["median"], path(where, "median"), issues)
        spread = number(
            value.get("spread", 0.0), path(where, "spread"), issues, low=0.0, high=MAX_SPREAD
        )
        if median is None or spread is None:
            return None
        return Delay(median, spread)
    if isinstance(value, str | int) and not isinstance(value, bool):
        fixed = duration_us(value, where, issues)
        return None if fixed is None else Delay(fixed)
    issues.append(Issue(where, "write a duration such as '96h', or {median: '20m', spread: 0.8}"))
    return None


def weights(
    value: object,
    where: str,
    issues: list[Issue],
    allowed: Sequence[str] | None = None,
) -> Table[str] | None:
    """A weighted list written as a mapping ``name: weight`` (weights >= 0, not all 0)."""
    if not isinstance(value, Mapping) or not value:
        issues.append(Issue(where, "write a mapping of name to weight, e.g. {email: 3, web: 1}"))
        return None
    before = len(issues)
    pairs: list[tuple[str, float]] = []
    for key, weight in value.items():
        place = path(where, key)
        name = text(key, place, issues)
        if name is not None and allowed is not None and name not in allowed:
            issues.append(Issue(place, f"unknown {name!r}; use {', '.join(allowed)}"))
        share = number(weight, place, issues, low=0.0, high=1e9)
        if name is not None and share is not None and share > 0:
            pairs.append((name, share))
    if len(issues) > before:
        return None
    if not pairs:
        issues.append(Issue(where, "every weight is 0; give at least one a positive weight"))
        return None
    return Table(pairs)
