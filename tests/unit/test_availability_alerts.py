"""Availability signals: multi-window, multi-burn-rate rules (strict >, the workbook's table by
default, factors following the window's length), an exhausted budget, and a projection that
would cross a credit tier; their configuration named with paths."""

from __future__ import annotations

from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from slakeeper.domain.availability import (
    CalendarWindow,
    Incident,
    Measure,
    Objective,
    Report,
    RollingWindow,
    budget,
    report,
)
from slakeeper.domain.availability_alerts import WORKBOOK, AlertRules, BurnRule, signals
from slakeeper.domain.config import parse_config
from slakeeper.domain.credits import Tier
from slakeeper.domain.errors import ConfigError
from slakeeper.domain.periods import Window
from tests.factories import config, us

MIN = 60_000_000
HOUR = 60 * MIN
DAY = 24 * HOUR
TARGET = Fraction(999, 1000)


def objective(days: int = 30) -> Objective:
    return Objective("o", "storage", TARGET, RollingWindow(days))


def with_rates(rates: dict[int, Fraction], days: int = 30, **kw: Any) -> Report:
    o = objective(days)
    values: dict[str, Any] = {
        "objective": o,
        "window": Window("last", 0, days * DAY),
        "at": days * DAY,
        "measure": Measure(Fraction(days * DAY), Fraction(days * DAY)),
        "budget": budget(TARGET, Fraction(days * DAY), Fraction(0)),
        "burn": rates,
        "projected": Fraction(1),
        "days": [],
    }
    values.update(kw)
    return Report(**values)


def test_tv23_both_windows_must_burn_over_the_factor() -> None:
    page = AlertRules((WORKBOOK[0],), False, False)
    quiet = with_rates({HOUR: Fraction(15), 5 * MIN: Fraction(10, 900) / Fraction(1, 1000)})
    assert signals(quiet, page) == []
    loud = with_rates({HOUR: Fraction(15), 5 * MIN: Fraction(15)})
    (fired,) = signals(loud, page)
    assert (fired.kind, fired.key, fired.severity) == ("burn_rate", "14.4x 1h/5m", "page")
    assert "15x as fast" in fired.message


def test_tv24_a_burn_exactly_at_the_factor_does_not_fire() -> None:
    rules = AlertRules((WORKBOOK[0],), False, False)
    exact = with_rates({HOUR: Fraction(144, 10), 5 * MIN: Fraction(144, 10)})
    assert signals(exact, rules) == []


def test_a_31_day_window_has_its_own_factor() -> None:
    rules = AlertRules((WORKBOOK[0],), False, False)
    factor = Fraction(2, 100) * 31 * 24
    assert factor == Fraction(1488, 100)
    assert signals(with_rates({HOUR: Fraction(148, 10), 5 * MIN: Fraction(20)}, 31), rules) == []
    assert signals(with_rates({HOUR: Fraction(149, 10), 5 * MIN: Fraction(20)}, 31), rules)


def test_the_workbook_table_from_real_incidents() -> None:
    o = Objective("m", "storage", TARGET, CalendarWindow("month", ZoneInfo("UTC")))
    w = Window("2026-11", us("2026-11-01T00:00:00Z"), us("2026-12-01T00:00:00Z"))
    now = us("2026-11-10T12:00:00Z")
    down = [Incident("i", "storage", now - 90 * MIN, None, "major")]  # fully down for 90 minutes
    rules = AlertRules()
    r = report(o, down, [], [], w, now, rules.lookbacks)
    got = {(s.kind, s.key) for s in signals(r, rules)}
    # 100% errors over 1h and 5m: burn 1000 > 14.4; 6h/30m: 250 > 6; 24h/2h: 62.5 > 3;
    # 72h/6h: 250 and 20.8 > 1
    assert got == {
        ("burn_rate", "14.4x 1h/5m"),
        ("burn_rate", "6x 6h/30m"),
        ("burn_rate", "3x 1d/2h"),
        ("burn_rate", "1x 3d/6h"),
        ("budget_exhausted", "budget"),  # 90 minutes of a 43.2-minute budget
    }


def test_budget_and_credit_tier_signals() -> None:
    spent = with_rates({}, budget=budget(TARGET, Fraction(30 * DAY), Fraction(30 * DAY, 1000)))
    assert [s.kind for s in signals(spent, AlertRules((), True, False))] == ["budget_exhausted"]
    tiers = (Tier(Fraction(999, 1000), Fraction(0)), Tier(Fraction(99, 100), Fraction(1, 10)))
    drifting = with_rates(
        {},
        measure=Measure(Fraction(9995), Fraction(10_000)),
        projected=Fraction(9985, 10_000),
    )
    (warned,) = signals(drifting, AlertRules((), False, True), [("acme", tiers), ("globex", tiers)])
    assert (warned.kind, warned.key) == ("credit_tier", "tier 99.9%")
    assert "acme 10%, globex 10%" in warned.message
    safe = with_rates(
        {}, measure=Measure(Fraction(9995), Fraction(10_000)), projected=Fraction(9992, 10_000)
    )
    assert signals(safe, AlertRules((), False, True), [("acme", tiers)]) == []


def test_alert_rules_in_the_configuration() -> None:
    doc = {
        **config(),
        "services": [
            {
                "name": "s",
                "objectives": [
                    {
                        "name": "o",
                        "target": "99.9%",
                        "window": {"rolling_days": 28},
                        "alerts": {
                            "burn_rates": [
                                {"budget": "5%", "long": "6h", "short": "30m", "severity": "ticket"}
                            ],
                            "credit_tiers": False,
                        },
                    }
                ],
            }
        ],
    }
    c = parse_config(doc).availability
    o = c.objective("s", "o")
    assert o is not None
    assert c.alert_rules(o) == AlertRules(
        (BurnRule(Fraction(1, 20), 6 * HOUR, 30 * MIN, "ticket"),), True, False
    )
    bad = {
        "burn_rates": [{"budget": "5%", "long": "30m", "short": "6h", "severity": "loud"}],
        "budget_exhausted": "yes",
    }
    doc["services"][0]["objectives"][0]["alerts"] = bad
    with pytest.raises(ConfigError) as caught:
        parse_config(doc)
    got = {i.where: i.message for i in caught.value.issues}
    prefix = "services[0].objectives[0].alerts"
    assert "shorter than long" in got[f"{prefix}.burn_rates[0].short"]
    assert "page or ticket" in got[f"{prefix}.burn_rates[0].severity"]
    assert "true or false" in got[f"{prefix}.budget_exhausted"]
