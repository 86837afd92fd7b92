"""Availability over slices as arrays (SPEC §7): the slice indicator of
:mod:`slakeeper.domain.availability` computed with numpy, for a year of one-minute slices.

:func:`batch_measure` answers exactly what :func:`~slakeeper.domain.availability.slice_measure`
answers for the same slices, maintenance and span — the same :class:`Measure` of
:class:`~fractions.Fraction` s, not a float near it — and :func:`batch_report` exactly what
:func:`~slakeeper.domain.availability.report` answers for an objective budgeted over slices.
The per-object loop looks at every slice for every span it is asked about; here the slices are
sorted by start once, a span is two binary searches, and what is counted over it is integer
sums and integer comparisons:

- ``occurrences`` — the good and total events summed;
- ``timeslices`` — a slice reaches the target ``n/d`` when ``good·d ≥ n·total`` (the sense turned
  for a negative total, as :class:`~fractions.Fraction` turns it);
- ``ratio_timeslices`` — the good events summed per distinct slice size, then ``Σ good/total``
  as one Fraction over the sizes' least common multiple: exact, whatever the order.

The counts are worked on in the smallest integer type that holds them (a byte a slice for
probe results), and where a product or a sum could leave int64 (or, for per-size sums taken as
float64, the integers a double holds exactly, 2⁵³) the same arithmetic is done on Python
integers instead. A slice is in maintenance when its start lies in a merged maintenance
interval, as in ``slice_measure``. A report's days are consecutive spans measured in one pass
(``np.add.reduceat`` over the day boundaries), each still exactly its ``slice_measure``. The
domain stays pure: no I/O and no clock — every function is given the instant it answers for.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from slakeeper.domain.availability import (
    _ONE_DAY,
    DAY,
    LOOKBACKS,
    UTC_ZONE,
    CalendarWindow,
    Interval,
    Maintenance,
    Measure,
    Objective,
    Report,
    Slice,
    _local_date,
    _midnight,
    budget,
    burn_rate,
    clipped,
    maintenance_of,
    merged,
    time_measure,
)
from slakeeper.domain.periods import Window

Int64s = npt.NDArray[np.int64]
Counts = npt.NDArray[np.signedinteger[Any]]

_INT64_MIN = int(np.iinfo(np.int64).min)
_INT64_MAX = int(np.iinfo(np.int64).max)
_FLOAT_EXACT = 2**53  # a double holds every integer of smaller magnitude exactly
_DENSE_TOTALS = 1 << 16  # slice sizes up to this index the per-size sums directly
_FEW_TOTALS = 16  # totals spanning fewer values are summed size by size
_CELLS = 1 << 20  # the most (span, size) sums kept in one table
_LCM_BITS = 4096  # beyond, the per-size Fractions are added one by one


@dataclass(frozen=True, slots=True, eq=False)
class SliceArrays:
    """Slices as three int64 columns of one length, sorted by start (a slice's end is not
    needed: a slice belongs to the span its start falls in). ``bound`` is the largest magnitude
    of a good or total count, kept to know when int64 arithmetic is safe; ``narrow_goods`` and
    ``narrow_totals`` are the counts in the smallest integer type that holds them, so that the
    arrays a measure works on are a byte a slice for probe results rather than eight."""

    starts: Int64s
    goods: Int64s
    totals: Int64s
    bound: int = field(init=False)
    narrow_goods: Counts = field(init=False, repr=False)
    narrow_totals: Counts = field(init=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("starts", "goods", "totals"):
            column = getattr(self, name)
            if not isinstance(column, np.ndarray) or column.dtype != np.int64 or column.ndim != 1:
                raise TypeError(f"SliceArrays.{name}: expected a 1-d int64 numpy array")
        if not len(self.starts) == len(self.goods) == len(self.totals):
            raise ValueError("SliceArrays: starts, goods and totals differ in length")
        if len(self.starts) > 1 and bool(np.any(self.starts[1:] < self.starts[:-1])):
            raise ValueError("SliceArrays: starts are not sorted")
        bound = 0
        for column in (self.goods, self.totals):
            if len(column):
                bound = max(bound, abs(int(column.min())), abs(int(column.max())))
        object.__setattr__(self, "bound", bound)
        narrow = _holding(bound)
        for name, column in (("narrow_goods", self.goods), ("narrow_totals", self.totals)):
            copy = column.astype(narrow)
            copy.flags.writeable = False
            object.__setattr__(self, name, copy)

    def __len__(self) -> int:
        return len(self.starts)

    @classmethod
    def from_slices(cls, slices: Iterable[Slice]) -> SliceArrays:
        """The slices as arrays, sorted by start (stably: slices starting together keep their
        order). Counts and starts must fit in int64 (OverflowError otherwise)."""
        items = list(slices)
        count = len(items)
        starts = np.fromiter((s.start for s in items), dtype=np.int64, count=count)
        goods = np.fromiter((s.good for s in items), dtype=np.int64, count=count)
        totals = np.fromiter((s.total for s in items), dtype=np.int64, count=count)
        return cls.from_columns(starts, goods, totals)

    @classmethod
    def from_columns(
        cls,
        starts: npt.ArrayLike,
        goods: npt.ArrayLike,
        totals: npt.ArrayLike,
    ) -> SliceArrays:
        """Slices from columns in any order: copied as int64, sorted by start (stably) and made
        read-only."""
        s = np.array(starts, dtype=np.int64)
        g = np.array(goods, dtype=np.int64)
        t = np.array(totals, dtype=np.int64)
        if s.ndim != 1 or not len(s) == len(g) == len(t):
            raise ValueError("SliceArrays: starts, goods and totals differ in length")
        if len(s) > 1 and bool(np.any(s[1:] < s[:-1])):
            order = np.argsort(s, kind="stable")
            s, g, t = s[order], g[order], t[order]
        for column in (s, g, t):
            column.flags.writeable = False
        return cls(s, g, t)


# -- spans ------------------------------------------------------------------------------------


def batch_measure(
    objective: Objective,
    arrays: SliceArrays,
    maintenance: Iterable[Interval],
    start: int,
    end: int,
    now: int,
) -> Measure:
    """Event-based availability of the slices that start in ``[start, min(end, now))`` — exactly
    :func:`~slakeeper.domain.availability.slice_measure` of the same slices."""
    end = min(end, now)
    windows = merged(clipped(maintenance, start, end))
    if end <= start:
        return Measure(Fraction(0), Fraction(0))
    return _measures(objective, arrays, windows, [start, end])[0]


def _measures(
    objective: Objective,
    arrays: SliceArrays,
    windows: Sequence[Interval],
    bounds: Sequence[int],
) -> list[Measure]:
    """The measures of the consecutive spans ``[bounds[k], bounds[k + 1])`` (``bounds`` never
    decreasing), each what ``slice_measure`` answers for it. ``windows`` are merged maintenance
    intervals: a slice is in maintenance when its start lies in one, wherever they were clipped,
    so any merged list holding the spans' maintenance serves all of them."""
    spans = len(bounds) - 1
    cuts = np.array([_position(arrays.starts, at) for at in bounds], dtype=np.intp)
    lo, hi = int(cuts[0]), int(cuts[-1])
    if hi <= lo:
        return [Measure(Fraction(0), Fraction(0)) for _ in range(spans)]
    local = cuts - lo  # the spans as offsets into the slices they hold
    goods = arrays.narrow_goods[lo:hi]
    totals = arrays.narrow_totals[lo:hi]
    bound = arrays.bound
    held = None  # slices whose start is in maintenance, when the policy excuses them
    if windows and objective.maintenance != "down":
        held = _inside(arrays.starts[lo:hi], windows)
    up = objective.maintenance == "up"
    if objective.method == "occurrences":
        if held is not None:  # in maintenance, the events are left out whatever the policy
            goods, totals = np.where(held, 0, goods), np.where(held, 0, totals)
        return [
            Measure(Fraction(g), Fraction(e))
            for g, e in zip(
                _group_sums(goods, local, bound), _group_sums(totals, local, bound), strict=True
            )
        ]
    empty = totals == 0
    known = ~empty
    if held is not None:
        known &= ~held
        empty &= ~held
    counted = known.copy()
    good = np.zeros_like(known)
    if objective.unknown != "excluded":
        counted |= empty
        if objective.unknown == "up":
            good |= empty
    if held is not None and up:
        counted |= held
        good |= held
    ratios: list[Fraction] | None = None
    if objective.method == "timeslices":
        good |= known & _reached(goods, totals, objective.slice_target, bound)
    else:
        ratios = _ratio_sums(goods, totals, known, local, bound)
    goods_counted = _group_counts(good, local)
    eligible = _group_counts(counted, local)
    if ratios is None:
        return [
            Measure(Fraction(g), Fraction(e)) for g, e in zip(goods_counted, eligible, strict=True)
        ]
    return [
        Measure(g + r, Fraction(e)) for g, r, e in zip(goods_counted, ratios, eligible, strict=True)
    ]


def _holding(bound: int) -> type[np.signedinteger[Any]]:
    """The smallest signed integer type holding every integer of magnitude ``bound``."""
    for kind in (np.int8, np.int16, np.int32):
        if bound <= int(np.iinfo(kind).max):
            return kind
    return np.int64


def _position(starts: Int64s, at: int) -> int:
    """How many of the sorted ``starts`` lie before ``at`` (which may be any Python int)."""
    if at > _INT64_MAX:
        return len(starts)
    if at <= _INT64_MIN:
        return 0
    return int(np.searchsorted(starts, at, side="left"))


def _inside(starts: Int64s, windows: Sequence[Interval]) -> npt.NDArray[np.bool_] | None:
    """Which of the sorted ``starts`` lie in one of the merged (sorted, disjoint) ``windows``;
    None when none does."""
    flat = [at for window in windows for at in window]
    if flat[0] >= _INT64_MIN and flat[-1] <= _INT64_MAX:  # sorted: the ends bound them all
        edges = np.searchsorted(starts, np.array(flat, dtype=np.int64), side="left")
    else:
        edges = np.array([_position(starts, at) for at in flat], dtype=np.intp)
    opens, closes = edges[0::2], edges[1::2]
    if not bool(np.any(closes > opens)):
        return None
    # the edges never decrease: the slices run outside, inside, outside, … between them
    lengths = np.diff(np.concatenate(([0], edges, [len(starts)])))
    pattern = np.zeros(len(lengths), dtype=np.bool_)
    pattern[1::2] = True
    inside: npt.NDArray[np.bool_] = np.repeat(pattern, lengths)
    return inside


def _reduce(values: npt.NDArray[Any], local: npt.NDArray[np.intp], dtype: type) -> list[int]:
    """The sums of ``values`` over each span ``[local[k], local[k + 1])``."""
    if len(local) == 2:
        return [int(values.sum(dtype=dtype))]
    out: npt.NDArray[Any] = np.zeros(len(local) - 1, dtype=dtype)
    filled = local[:-1] < local[1:]  # reduceat answers an empty span with one value, not 0
    if bool(filled.any()):
        out[filled] = np.add.reduceat(values, local[:-1][filled], dtype=dtype)
    return [int(x) for x in out.tolist()]


def _group_counts(mask: npt.NDArray[np.bool_], local: npt.NDArray[np.intp]) -> list[int]:
    return _reduce(mask.view(np.int8), local, np.int64)


def _group_sums(values: Counts, local: npt.NDArray[np.intp], bound: int) -> list[int]:
    """Exact sums per span: in int64 when no partial sum can overflow, else Python integers."""
    if bound * len(values) <= _INT64_MAX:
        return _reduce(values, local, np.int64)
    return _reduce(values.astype(object), local, object)


def _reached(goods: Counts, totals: Counts, target: Fraction, bound: int) -> npt.NDArray[np.bool_]:
    """Which slices have ``Fraction(good, total) >= target`` (meaningless where total is 0):
    ``good·den ≥ num·total``, in the smallest integer type holding the products."""
    num, den = target.numerator, target.denominator
    largest = max(bound, 1) * max(abs(num), den)
    lhs: npt.NDArray[Any]
    rhs: npt.NDArray[Any]
    if largest <= _INT64_MAX:
        kind = _holding(largest)
        lhs = goods if den == 1 else np.multiply(goods, den, dtype=kind)
        rhs = totals if num == 1 else np.multiply(totals, num, dtype=kind)
    else:
        lhs, rhs = goods.astype(object) * den, totals.astype(object) * num
    reached: npt.NDArray[np.bool_]
    if not len(totals) or int(totals.min()) >= 0:
        reached = np.asarray(lhs >= rhs, dtype=np.bool_)
    else:  # good/total ≥ num/den: multiplied by total·den, the sense turns where total < 0
        reached = np.asarray(np.where(totals > 0, lhs >= rhs, lhs <= rhs), dtype=np.bool_)
    return reached


def _ratio_sums(
    goods: Counts,
    totals: Counts,
    known: npt.NDArray[np.bool_],
    local: npt.NDArray[np.intp],
    bound: int,
) -> list[Fraction]:
    """``Σ Fraction(good, total)`` over the ``known`` slices of each span, exactly: the goods
    summed per span and distinct total, then one Fraction per span over the totals' least
    common multiple. A few distinct totals are summed one at a time in int64; many, in one
    float64 table while every partial sum is an integer a double holds exactly."""
    spans = len(local) - 1
    count = len(totals)
    lowest, highest = int(totals.min()), int(totals.max())
    columns: list[list[int]] = []
    denominators: list[int] = []
    if highest - lowest < _FEW_TOTALS and bound * count <= _INT64_MAX:
        for size in range(lowest, highest + 1):
            if size == 0:
                continue
            mine = known & (totals == size)
            if not bool(mine.any()):
                continue
            sums = _reduce(np.where(mine, goods, 0), local, np.int64)
            if any(sums):
                columns.append(sums)
                denominators.append(size)
        cells = np.array(columns, dtype=np.int64).T
    elif bound * count < _FLOAT_EXACT:
        span_of = np.repeat(np.arange(spans, dtype=np.int64), np.diff(local))
        sizes: npt.NDArray[np.int64]
        if lowest >= 0 and highest <= _DENSE_TOTALS and spans * (highest + 1) <= _CELLS:
            sizes, rank = np.arange(highest + 1, dtype=np.int64), totals
        else:
            sizes, inverse = np.unique(totals, return_inverse=True)
            rank = inverse.ravel().astype(np.int64)
        width = len(sizes)
        if spans * width > _CELLS:
            return _ratio_sums_slowly(goods, totals, known, local)
        weights = np.where(known, goods, 0)
        table = np.bincount(span_of * width + rank, weights=weights, minlength=spans * width)
        table = table.reshape(spans, width)
        used = np.flatnonzero(table.any(axis=0))
        cells = table[:, used].astype(np.int64)
        denominators = [int(t) for t in sizes[used].tolist()]
    else:
        return _ratio_sums_slowly(goods, totals, known, local)
    if not denominators:
        return [Fraction(0) for _ in range(spans)]
    common = math.lcm(*denominators)
    if common.bit_length() > _LCM_BITS:  # many distinct sizes: add the Fractions instead
        return [
            sum((Fraction(g, t) for g, t in zip(row, denominators, strict=True) if g), Fraction(0))
            for row in cells.tolist()
        ]
    scales = [common // t for t in denominators]  # exact: every size divides the lcm
    if bound * count * max(abs(s) for s in scales) <= _INT64_MAX:
        numerators = (cells @ np.array(scales, dtype=np.int64)).tolist()
    else:
        numerators = [
            sum(g * s for g, s in zip(row, scales, strict=True)) for row in cells.tolist()
        ]
    return [Fraction(int(n), common) for n in numerators]


def _ratio_sums_slowly(
    goods: Counts,
    totals: Counts,
    known: npt.NDArray[np.bool_],
    local: npt.NDArray[np.intp],
) -> list[Fraction]:
    """As ``_ratio_sums``, in Python integers: for counts too large for the arrays' arithmetic
    or too many distinct totals for a table."""
    out = []
    for a, b in itertools.pairwise(local.tolist()):
        by_total: dict[int, int] = {}
        mask = known[a:b]
        for t, g in zip(totals[a:b][mask].tolist(), goods[a:b][mask].tolist(), strict=True):
            by_total[t] = by_total.get(t, 0) + g
        out.append(sum((Fraction(g, t) for t, g in by_total.items()), Fraction(0)))
    return out


# -- the report of an objective -------------------------------------------------------------------


def batch_report(
    objective: Objective,
    arrays: SliceArrays,
    maintenance_windows: Sequence[Maintenance],
    window: Window,
    now: int,
    lookbacks: Sequence[int] = LOOKBACKS,
) -> Report:
    """Everything about one slice objective over ``window`` as of ``now`` — exactly
    :func:`~slakeeper.domain.availability.report` with no incidents and the same slices."""
    if objective.method == "time":
        raise ValueError(
            f"objective {objective.name!r} is measured over time from incidents, not slices: "
            "use availability.report"
        )
    w = window
    maintenance = maintenance_of(objective.service, maintenance_windows, w.start - 3 * DAY, w.end)
    so_far = batch_measure(objective, arrays, maintenance, w.start, w.end, now)
    spent = budget(objective.target, so_far.eligible, so_far.bad)
    burn = {
        back: burn_rate(
            objective.target, batch_measure(objective, arrays, maintenance, now - back, now, now)
        )
        for back in lookbacks
    }
    return Report(
        objective,
        w,
        now,
        so_far,
        spent,
        burn,
        _projected(objective, arrays, maintenance, w, now, so_far),
        _days(objective, arrays, maintenance, w, now),
    )


def _projected(
    objective: Objective,
    arrays: SliceArrays,
    maintenance: Sequence[Interval],
    w: Window,
    now: int,
    so_far: Measure,
) -> Fraction | None:
    """As ``availability._projected``: the ratio so far and the last day's, weighted by the
    eligible time behind and ahead."""
    if so_far.ratio is None:
        return None
    if now >= w.end:
        return so_far.ratio
    recent = batch_measure(objective, arrays, maintenance, max(w.start, now - DAY), now, now)
    ahead = time_measure(objective, [], maintenance, now, w.end, w.end).eligible
    behind = time_measure(objective, [], maintenance, w.start, now, now).eligible
    if recent.ratio is None or not behind + ahead:
        return so_far.ratio
    return (so_far.ratio * behind + recent.ratio * ahead) / (behind + ahead)


def _days(
    objective: Objective,
    arrays: SliceArrays,
    maintenance: Sequence[Interval],
    w: Window,
    now: int,
) -> list[tuple[str, Measure]]:
    """As ``availability._days``: one measure per local day of the window up to ``now``, all
    days at once — they follow one another, so they are consecutive spans of the slices."""
    zone = objective.window.zone if isinstance(objective.window, CalendarWindow) else UTC_ZONE
    labels: list[str] = []
    spans: list[tuple[int, int, int]] = []  # begin, end, and where the day's slices stop
    day = _local_date(w.start, zone)
    midnight = _midnight(day, zone)
    while (begin := max(midnight, w.start)) < min(w.end, now):
        following = _midnight(day + _ONE_DAY, zone)
        end = min(following, w.end)
        labels.append(day.isoformat())
        spans.append((begin, end, min(end, now)))
        day, midnight = day + _ONE_DAY, following
    if not spans:
        return []
    if all(a[2] == b[0] for a, b in itertools.pairwise(spans)):
        bounds = [begin for begin, _, _ in spans] + [spans[-1][2]]
        windows = merged(clipped(maintenance, bounds[0], bounds[-1]))
        measures = _measures(objective, arrays, windows, bounds)
    else:  # days that do not follow one another (never seen): one at a time
        measures = [
            batch_measure(objective, arrays, maintenance, begin, end, now)
            for begin, end, _ in spans
        ]
    return list(zip(labels, measures, strict=True))
