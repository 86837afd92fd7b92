"""Open stretches of a business calendar as instants: when the next one starts and when the one
holding an instant ends — what an agent's shift is to the simulator and to routing advice.

Both come from :class:`~slakeeper.domain.calendar.BusinessCalendar`'s own arithmetic: the next
opening is ``add(t, 1 µs) − 1 µs``, and the end of an open stretch is the last instant up to which
``elapsed`` equals the wall time since its start (a gallop, then a bisection to the second — shift
boundaries fall on whole seconds, shifts being whole minutes and zone offsets whole seconds — and
to the microsecond only if one does not). Back-to-back shifts are one stretch, as in the calendar.
"""

from __future__ import annotations

from slakeeper.domain.calendar import BusinessCalendar

SECOND = 1_000_000
HOUR = 3600 * SECOND


def next_opening(calendar: BusinessCalendar, t: int) -> int:
    """The first open instant at or after ``t`` (the calendar opens some day)."""
    return calendar.add_us(t, 1) - 1


def stretch_end(calendar: BusinessCalendar, start: int, limit: int) -> int:
    """The end of the open stretch that holds ``start`` (an open instant), or ``limit`` when the
    calendar stays open until then."""
    elapsed = calendar.elapsed_us
    lo, step = start, HOUR  # [start, lo) is open throughout
    while True:
        probe = min(start + step, limit)
        if elapsed(start, probe) != probe - start:
            hi = probe  # [start, hi) is not
            break
        if probe >= limit:
            return limit
        lo, step = probe, step * 2
    while hi - lo > SECOND:
        mid = lo + max(SECOND, (hi - lo) // (2 * SECOND) * SECOND)
        if elapsed(start, mid) == mid - start:
            lo = mid
        else:
            hi = mid
    if hi - lo > 1 and elapsed(start, lo + 1) == lo + 1 - start:  # a boundary off the second
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if elapsed(start, mid) == mid - start:
                lo = mid
            else:
                hi = mid
    return lo
