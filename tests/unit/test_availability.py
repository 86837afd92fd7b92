"""Availability, error budgets and credits (SPEC §7): every availability row of VECTORS.md, and
the arithmetic's properties (weighted downtime never exceeds the window, merging is
order-independent, DST months have the right number of minutes, tiers are monotonic)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slakeeper.domain.availability import (
    CalendarWindow,
    Incident,
    Maintenance,
    Measure,
    Objective,
    RollingWindow,
    Slice,
    budget,
    burn_factor,
    burn_rate,
    floor_percent,
    maintenance_of,
    merged,
    period,
    report,
    slice_measure,
    time_measure,
    weighted_downtime,
)
from slakeeper.domain.credits import (
    Contract,
    ServiceTerms,
    Tier,
    credit_share,
    statement,
)
from slakeeper.domain.periods import window
from tests.factories import us

MIN = 60 * 1_000_000
HOUR = 60 * MIN
DAY = 24 * HOUR
UTC = ZoneInfo("UTC")
NEW_YORK = ZoneInfo("America/New_York")


def objective(**kw: object) -> Objective:
    values: dict[str, object] = {
        "name": "storage 99.9",
        "service": "storage",
        "target": Fraction(999, 1000),
        "window": CalendarWindow("month", UTC),
    }
    values.update(kw)
    return Objective(**values)  # type: ignore[arg-type]


def outage(start: int, end: int | None, impact: str = "major", id_: str = "i") -> Incident:
    return Incident(id_, "storage", start, end, impact)


def pct(ratio: Fraction | None, places: int = 5) -> float:
    assert ratio is not None
    return round(float(ratio * 100), places)


# -- TV-05: budgeting methods over slices ---------------------------------------------------------


def test_tv05_occurrences_timeslices_and_ratio_timeslices() -> None:
    slices = [
        Slice(0, MIN, 990, 1000),
        Slice(MIN, 2 * MIN, 5, 10),
        Slice(2 * MIN, 3 * MIN, 1000, 1000),
    ]
    got = {}
    for method in ("occurrences", "timeslices", "ratio_timeslices"):
        o = objective(method=method, slice_target=Fraction(95, 100))
        got[method] = slice_measure(o, slices, [], 0, 3 * MIN, 3 * MIN).ratio
    assert got["occurrences"] == Fraction(1995, 2010)
    assert round(float(got["occurrences"]), 6) == 0.992537
    assert got["timeslices"] == Fraction(2, 3)
    assert got["ratio_timeslices"] == (Fraction(99, 100) + Fraction(1, 2) + 1) / 3
    assert round(float(got["ratio_timeslices"]), 2) == 0.83


# -- TV-06, TV-12, TV-16: budgets and burn rates ----------------------------------------------


@pytest.mark.parametrize(
    ("days", "minutes"), [(28, "40.32"), (29, "41.76"), (30, "43.2"), (31, "44.64")]
)
def test_tv06_budget_minutes_at_999(days: int, minutes: str) -> None:
    allowed = budget(Fraction(999, 1000), Fraction(days * DAY), Fraction(0)).total
    assert allowed / MIN == Fraction(minutes)


@pytest.mark.parametrize(
    ("share", "lookback", "factor"),
    [("0.02", HOUR, 14.4), ("0.05", 6 * HOUR, 6), ("0.1", DAY, 3), ("0.1", 3 * DAY, 1)],
)
def test_tv12_burn_rate_factors(share: str, lookback: int, factor: float) -> None:
    assert burn_factor(Fraction(share), 30 * DAY, lookback) == Fraction(str(factor))


@pytest.mark.parametrize(("error", "remaining"), [("0.0005", "0.5"), ("0.003", "-2")])
def test_tv16_remaining_budget_is_never_clamped(error: str, remaining: str) -> None:
    eligible = Fraction(30 * DAY)
    spent = budget(Fraction(999, 1000), eligible, Fraction(error) * eligible)
    assert spent.remaining_ratio == Fraction(remaining)


def test_tv23_a_page_needs_both_windows_over_the_factor() -> None:
    target = Fraction(999, 1000)
    long = burn_rate(target, Measure(Fraction(10_000 - 150), Fraction(10_000)))
    short = burn_rate(target, Measure(Fraction(900 - 10), Fraction(900)))
    factor = burn_factor(Fraction(2, 100), 30 * DAY, HOUR)
    assert long == 15
    assert long > factor
    assert short is not None
    assert round(float(short), 1) == 11.1
    assert not (long > factor and short > factor)


def test_tv24_a_burn_exactly_at_the_factor_does_not_fire() -> None:
    target = Fraction(999, 1000)
    rate = burn_rate(target, Measure(Fraction(1) - Fraction(144, 10_000), Fraction(1)))
    assert rate == Fraction(144, 10)
    assert not rate > burn_factor(Fraction(2, 100), 30 * DAY, HOUR)


# -- TV-25, TV-26, TV-29, TV-57: uptime to credit ------------------------------------------------

TIERS = (
    Tier(Fraction(9999, 10000), Fraction(0)),
    Tier(Fraction(99, 100), Fraction(10, 100)),
    Tier(Fraction(95, 100), Fraction(30, 100)),
    Tier(Fraction(0), Fraction(1)),
)


@pytest.mark.parametrize(
    ("days", "down", "uptime", "credit"),
    [
        (30, 4, 99.99074, 0),
        (30, 5, 99.98843, 10),
        (30, 432, 99.0, 10),
        (30, 433, 98.99769, 30),
        (30, 2160, 95.0, 30),
        (30, 2161, 94.99769, 100),
        (31, 446, 99.00090, 10),
        (31, 447, 98.99866, 30),
    ],
)
def test_tv25_tv26_downtime_to_uptime_to_credit(
    days: int, down: int, uptime: float, credit: int
) -> None:
    start = us("2026-04-01T00:00:00Z") if days == 30 else us("2026-05-01T00:00:00Z")
    end = start + days * DAY
    o = objective()
    got = time_measure(o, [outage(start + DAY, start + DAY + down * MIN)], [], start, end, end)
    assert pct(got.ratio) == uptime
    assert got.ratio is not None
    assert credit_share(TIERS, got.ratio) == Fraction(credit, 100)


@pytest.mark.parametrize(
    ("k", "uptime", "credit"), [(1, 99.98843, 0), (8, 99.90741, 0), (9, 99.89583, 10)]
)
def test_tv29_five_minute_intervals(k: int, uptime: float, credit: int) -> None:
    five = 5 * MIN
    slices = [Slice(i * five, (i + 1) * five, 0 if i < k else 1, 1) for i in range(8640)]
    empty = [
        s if s.good == 0 or s.start % (2 * five) else Slice(s.start, s.end, 0, 0) for s in slices
    ]
    tiers = (Tier(Fraction(999, 1000), Fraction(0)), Tier(Fraction(0), Fraction(1, 10)))
    for method in ("timeslices", "ratio_timeslices"):
        for data in (slices, empty):  # the rest at 0% error, or without events
            got = slice_measure(objective(method=method), data, [], 0, 30 * DAY, 30 * DAY)
            assert pct(got.ratio) == uptime
            assert got.ratio is not None
            assert credit_share(tiers, got.ratio) == Fraction(credit, 100)


def test_tv57_exact_arithmetic_at_a_tier_boundary() -> None:
    start, end = 0, 30 * DAY
    down = int(Fraction(432, 100) * MIN)  # 4.32 minutes
    got = time_measure(objective(), [outage(DAY, DAY + down)], [], start, end, end)
    assert got.ratio == Fraction(9999, 10000)
    assert credit_share(TIERS, got.ratio) == 0


# -- TV-42..TV-45, TV-49, TV-50: weights and display -------------------------------------------


@pytest.mark.parametrize(
    ("spans", "hours"),
    [
        ([(0, 2, "1/2"), (1, 3, "1")], "5/2"),  # TV-42
        ([(0, 4, "1/2"), (1, 2, "1")], "5/2"),  # TV-43
        ([(0, 1, "1"), (1, 2, "1")], "2"),  # TV-44 adjacent
        ([(0, 2, "1"), (0, 2, "1")], "2"),  # TV-44 twice
    ],
)
def test_tv42_tv44_overlaps_take_the_largest_weight(
    spans: list[tuple[int, int, str]], hours: str
) -> None:
    got = weighted_downtime((a * HOUR, b * HOUR, Fraction(w)) for a, b, w in spans)
    assert got / HOUR == Fraction(hours)


def test_tv50_major_and_partial_overlapping() -> None:
    ten = us("2024-01-10T10:00:00Z")
    incidents = [outage(ten, ten + 30 * MIN), outage(ten + 15 * MIN, ten + 45 * MIN, "partial")]
    got = time_measure(objective(), incidents, [], ten - HOUR, ten + HOUR, ten + HOUR)
    assert got.bad / MIN == Fraction(75, 2)


@pytest.mark.parametrize(
    ("ratio", "shown"),
    [
        (Fraction(99_999, 100_000), "99.999"),
        (Fraction(1), "100"),
        (Fraction(29, 100), "29"),
        (Fraction(23, 80), "28.75"),
        (Fraction(289_995, 1_000_000), "28.999"),
    ],
)
def test_tv45_percentages_are_floored(ratio: Fraction, shown: str) -> None:
    assert floor_percent(ratio) == shown


@pytest.mark.parametrize(
    ("partial", "uptime"), [("0.3", 99.93056), ("0.5", 99.91512), ("1", 99.87654)]
)
def test_tv49_partial_weights_are_configurable(partial: str, uptime: float) -> None:
    weights = {"major": Fraction(1), "partial": Fraction(partial), "degraded": Fraction(0)}
    o = objective(weights=weights)
    end = 90 * DAY
    incidents = [outage(DAY, DAY + 60 * MIN), outage(2 * DAY, 2 * DAY + 100 * MIN, "partial")]
    assert pct(time_measure(o, incidents, [], 0, end, end).ratio) == uptime


# -- TV-53..TV-56: periods, zones and maintenance -------------------------------------------------


@pytest.mark.parametrize(
    ("label", "zone", "minutes"),
    [("2024-03", NEW_YORK, 44_580), ("2024-11", NEW_YORK, 43_260), ("2024-03", UTC, 44_640)],
)
def test_tv53_minutes_in_a_month(label: str, zone: ZoneInfo, minutes: int) -> None:
    w = window(label, zone)
    assert (w.end - w.start) // MIN == minutes


def test_tv54_an_outage_across_midnight_splits_by_the_objectives_zone() -> None:
    start, end = us("2024-04-01T03:30:00Z"), us("2024-04-01T04:30:00Z")  # 23:30-00:30 in New York
    down = [outage(start, end)]
    for zone, split in ((NEW_YORK, (30, 30)), (UTC, (0, 60))):
        o = objective(window=CalendarWindow("month", zone))
        march, april = window("2024-03", zone), window("2024-04", zone)
        got = [time_measure(o, down, [], w.start, w.end, w.end).bad / MIN for w in (march, april)]
        assert got == list(split)


def test_tv55_maintenance_across_months() -> None:
    m = Maintenance("m", "storage", us("2024-01-31T22:00:00Z"), us("2024-02-01T02:00:00Z"))
    jan, feb = window("2024-01", UTC), window("2024-02", UTC)
    assert [
        sum(b - a for a, b in maintenance_of("storage", [m], w.start, w.end)) // MIN
        for w in (jan, feb)
    ] == [120, 120]


@pytest.mark.parametrize(
    ("policy", "uptime"), [("up", 99.97760), ("excluded", 99.97754), ("down", 99.93280)]
)
def test_tv56_maintenance_policies(policy: str, uptime: float) -> None:
    jan = window("2024-01", UTC)
    maint = (us("2024-01-10T00:00:00Z"), us("2024-01-10T02:00:00Z"))
    down = [outage(maint[1] - 20 * MIN, maint[1] + 10 * MIN)]  # 20 of its 30 minutes inside
    got = time_measure(objective(maintenance=policy), down, [maint], jan.start, jan.end, jan.end)
    assert pct(got.ratio) == uptime
    if policy == "excluded":
        assert got.ratio == Fraction(44_520 - 10, 44_520)


# -- the report ----------------------------------------------------------------------------------


def test_a_month_to_date_report() -> None:
    oct_ = window("2026-10", UTC)
    now = oct_.start + 10 * DAY
    incidents = [
        outage(oct_.start + DAY, oct_.start + DAY + 20 * MIN),
        outage(now - HOUR, None, "partial", "open"),
    ]
    got = report(objective(), incidents, [], [], oct_, now)
    down = 20 * MIN + HOUR // 2
    assert got.measure == Measure(Fraction(10 * DAY - down), Fraction(10 * DAY))
    assert got.budget.total == Fraction(31 * DAY, 1000)
    assert got.budget.consumed == down
    assert got.burn[HOUR] == Fraction(1, 2) / Fraction(1, 1000)  # the open partial incident
    assert [d for d, m in got.days if m.bad] == ["2026-10-02", "2026-10-10"]
    assert got.projected is not None
    assert got.uptime is not None
    assert got.projected < got.uptime  # the last day burnt faster than the month so far
    assert got.met is False  # 50 minutes down in 10 days: 99.65%


def test_rolling_windows_end_at_the_instant_asked() -> None:
    o = objective(window=RollingWindow(30))
    now = us("2026-10-15T12:00:00Z")
    w = period(o, now)
    assert (w.start, w.end) == (now - 30 * DAY, now)


def test_weekly_maintenance_follows_local_time() -> None:
    sunday_two_am = Maintenance(
        "weekly",
        "storage",
        us("2024-03-01T00:00:00Z"),
        us("2024-04-01T00:00:00Z"),
        weekdays=(6,),
        at=120,
        minutes=60,
        zone=NEW_YORK,
    )
    got = maintenance_of(
        "storage", [sunday_two_am], us("2024-03-01T00:00:00Z"), us("2024-04-01T00:00:00Z")
    )
    # 02:00 New York is 07:00 UTC before 10 March and 06:00 UTC after
    assert [a for a, _ in got][:3] == [
        us("2024-03-03T07:00:00Z"),
        us("2024-03-10T07:00:00Z"),
        us("2024-03-17T06:00:00Z"),
    ]
    assert len(got) == 5
    assert all(b - a == HOUR for a, b in got)


# -- credits and statements ------------------------------------------------------------------------


def test_a_statement_caps_rounds_and_withholds_small_credits() -> None:
    terms = ServiceTerms("storage", "storage 99.9", Decimal("1234.56"), TIERS, cap=Fraction(1, 2))
    compute = ServiceTerms("compute", "compute 99.9", Decimal("10.00"), TIERS)
    contract = Contract("acme", "EUR", (terms, compute), minimum=Decimal("5.00"))
    got = statement(
        contract, "2026-10", 0, {"storage": Fraction(98, 100), "compute": Fraction(1)}, (9, 1)
    )
    assert [c.amount for c in got.services] == [Decimal("370.37"), Decimal(0)]  # 30% of 1234.56
    assert got.total == Decimal("370.37")
    assert got.compliance == Fraction(9, 10)
    capped = statement(contract, "2026-10", 0, {"storage": Fraction(90, 100)})
    assert capped.services[0].share == Fraction(1, 2)  # 100% capped at 50%
    small = statement(contract, "2026-10", 0, {"compute": Fraction(985, 1000)})
    assert small.total == 0
    assert "minimum" in small.services[1].note
    assert small.claim_by == 30 * DAY


# -- properties -------------------------------------------------------------------------------------

spans = st.lists(
    st.tuples(
        st.integers(0, 10_000), st.integers(0, 10_000), st.sampled_from(["0", "1/2", "3/10", "1"])
    ),
    max_size=12,
)


@given(spans)
def test_weighted_downtime_never_exceeds_the_covered_time(
    items: list[tuple[int, int, str]],
) -> None:
    weighted = [(min(a, b), max(a, b), Fraction(w)) for a, b, w in items]
    down = weighted_downtime(weighted)
    covered = sum(b - a for a, b in merged((a, b) for a, b, w in weighted if Fraction(w) > 0))
    assert 0 <= down <= covered <= 10_000


@given(spans, st.randoms())
def test_merging_and_weighting_are_order_independent(
    items: list[tuple[int, int, str]], rng: object
) -> None:
    weighted = [(min(a, b), max(a, b), Fraction(w)) for a, b, w in items]
    shuffled = weighted[:]
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    assert weighted_downtime(shuffled) == weighted_downtime(weighted)
    assert merged((a, b) for a, b, _ in shuffled) == merged((a, b) for a, b, _ in weighted)


@given(
    st.integers(1971, 2100),
    st.integers(1, 12),
    st.sampled_from(["America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "UTC"]),
)
def test_a_month_has_its_days_plus_or_minus_the_dst_change(
    year: int, month: int, name: str
) -> None:
    import calendar

    zone = ZoneInfo(name)
    w = window(f"{year}-{month:02d}", zone)
    days = calendar.monthrange(year, month)[1]
    # the offsets in force just before each end: a change exactly at a month's midnight (Lord Howe
    # moved from +10:00 to +10:30 at 1981-03-01 00:00) shortens the month it opens, not the one
    # it closes
    start = datetime_of(w.start - 1, zone)
    end = datetime_of(w.end - 1, zone)
    shift = (start.utcoffset() - end.utcoffset()).total_seconds() // 60  # type: ignore[operator]
    assert (w.end - w.start) // MIN == days * 1440 + shift


def datetime_of(at: int, zone: ZoneInfo):  # type: ignore[no-untyped-def]
    from datetime import UTC as utc
    from datetime import datetime, timedelta

    return (datetime(1970, 1, 1, tzinfo=utc) + timedelta(microseconds=at)).astimezone(zone)


@given(st.fractions(0, 1), st.fractions(0, 1))
def test_more_uptime_never_earns_more_credit(a: Fraction, b: Fraction) -> None:
    low, high = sorted((a, b))
    assert credit_share(TIERS, high) <= credit_share(TIERS, low)
