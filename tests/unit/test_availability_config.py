"""The availability sections of the configuration: what they mean, and every mistake named with
its path before anything is refused."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from slakeeper.adapters.config_file import parse_document
from slakeeper.domain.availability import CalendarWindow, RollingWindow
from slakeeper.domain.config import parse_config
from slakeeper.domain.errors import ConfigError
from slakeeper.entrypoints.serve import EXAMPLE_CONFIG
from tests.factories import config, us


def test_the_example_configuration() -> None:
    c = parse_config(parse_document(EXAMPLE_CONFIG.read_text(), "sla.yaml")).availability
    monthly, probes = c.services["storage"].objectives
    assert monthly.target == Fraction(999, 1000)
    assert isinstance(monthly.window, CalendarWindow)
    assert str(monthly.window.zone) == "Europe/Berlin"
    assert probes.window == RollingWindow(30)
    assert (probes.method, probes.maintenance, probes.unknown) == ("timeslices", "up", "excluded")
    (weekly,) = c.services["storage"].maintenance
    assert (weekly.weekdays, weekly.at, weekly.minutes) == ((6,), 120, 60)
    acme = c.contracts["acme"]
    assert [t.service for t in acme.services] == ["storage", "compute"]
    assert acme.services[1].objective == "compute-monthly"  # the service's first objective
    assert acme.services[0].cap == Fraction(1, 2)
    assert acme.minimum == Decimal(10)
    assert c.objective("storage", "storage-probes") is probes
    assert c.objective("storage") is monthly


def document(**sections: Any) -> dict[str, Any]:
    return {**config(), **sections}


def issues_of(doc: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(doc)
    return {i.where: i.message for i in caught.value.issues}


def test_every_mistake_is_named_with_its_path() -> None:
    got = issues_of(
        document(
            impact_weights={"major": "150%"},
            credit_tiers={"bad": [{"at_least": "99%", "credit": "10%"}]},
            services=[
                {
                    "name": "storage",
                    "objectives": [
                        {"name": "a", "target": 99.9, "window": {"calendar": "week"}},
                        {"name": "b", "target": "99%", "window": {"rolling_days": 0}},
                        {
                            "name": "c",
                            "target": "99%",
                            "window": {"calendar": "month", "timezone": "Mars/Base"},
                            "method": "guess",
                        },
                    ],
                    "maintenance": [
                        {
                            "name": "m",
                            "start": "2026-10-04T03:00:00Z",
                            "end": "2026-10-04T01:00:00Z",
                        },
                        {"name": "w", "every": ["sunday"], "at": "25:00", "minutes": 0},
                    ],
                }
            ],
            contracts=[
                {
                    "customer": "acme",
                    "currency": "euro",
                    "services": [
                        {
                            "service": "storage",
                            "objective": "zzz",
                            "monthly_fee": -5,
                            "tiers": "gold",
                        },
                        {
                            "service": "nowhere",
                            "monthly_fee": 5,
                            "tiers": [
                                {"at_least": "99%", "credit": "0%"},
                                {"at_least": "95%", "credit": "0%"},
                                {"at_least": "90%", "credit": "5%"},
                            ],
                            "cap": 2,
                        },
                    ],
                }
            ],
        )
    )
    expected = {
        "impact_weights.major": "between 0% and 100%",
        "credit_tiers.bad": "the highest tier must credit 0%",
        "services[0].objectives[0].target": "write 99.9% or 0.999",
        "services[0].objectives[0].window.calendar": "use month, quarter, year",
        "services[0].objectives[1].window.rolling_days": "1 to 366",
        "services[0].objectives[2].window.timezone": "unknown time zone",
        "services[0].objectives[2].method": "use time, occurrences",
        "services[0].maintenance[0].end": "after start",
        "services[0].maintenance[1].every": "use mon, tue",
        "services[0].maintenance[1].at": "a local time",
        "services[0].maintenance[1].minutes": "1 to 1440",
        "contracts[0].currency": "ISO 4217",
        "contracts[0].services[0].objective": "use one of",
        "contracts[0].services[0].monthly_fee": "positive amount",
        "contracts[0].services[0].tiers": "use one of",
        "contracts[0].services[1].service": "use one of storage",
        "contracts[0].services[1].cap": "between 0% and 100%",
    }
    for path, words in expected.items():
        assert path in got, f"{path} not reported; got {sorted(got)}"
        assert words in got[path], f"{path}: {got[path]!r} lacks {words!r}"


def test_tiers_must_not_pay_more_for_more_uptime() -> None:
    tiers = [
        {"at_least": "99.9%", "credit": "0%"},
        {"at_least": "99%", "credit": "30%"},
        {"at_least": "95%", "credit": "10%"},
    ]
    got = issues_of(document(credit_tiers={"odd": tiers}))
    assert "never earn a smaller credit" in got["credit_tiers.odd"]


def test_one_off_maintenance_is_an_instant_range() -> None:
    doc = document(
        services=[
            {
                "name": "s",
                "maintenance": [
                    {
                        "name": "m",
                        "start": "2026-10-04T01:00:00+02:00",
                        "end": "2026-10-04T03:00:00Z",
                    }
                ],
            }
        ]
    )
    (m,) = parse_config(doc).availability.services["s"].maintenance
    assert (m.start, m.end) == (us("2026-10-03T23:00:00Z"), us("2026-10-04T03:00:00Z"))
