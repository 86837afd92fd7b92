"""What an availability objective warns about (SPEC §7): multi-window, multi-burn-rate alerts, an
exhausted error budget, and a projected uptime that would cross a credit tier.

A burn-rate rule fires when the burn rate over its long window AND over its short window are both
strictly above its factor — the factor being the rate that spends the rule's share of the
window's budget in the long window (2% of a 30-day budget in an hour: 14.4). The default table is
the SRE workbook's for 30 days; a calendar month's factors follow its own length.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from slakeeper.domain.availability import Report, burn_factor, floor_percent
from slakeeper.domain.credits import Tier

_MIN = 60 * 1_000_000
_HOUR = 60 * _MIN


@dataclass(frozen=True, slots=True)
class BurnRule:
    budget: Fraction  # share of the window's budget spent in ``long`` at the firing rate
    long: int  # µs
    short: int  # µs
    severity: str = "page"  # page | ticket

    def factor(self, window: int) -> Fraction:
        return burn_factor(self.budget, window, self.long)


WORKBOOK = (
    BurnRule(Fraction(2, 100), _HOUR, 5 * _MIN, "page"),
    BurnRule(Fraction(5, 100), 6 * _HOUR, 30 * _MIN, "page"),
    BurnRule(Fraction(10, 100), 24 * _HOUR, 2 * _HOUR, "ticket"),
    BurnRule(Fraction(10, 100), 72 * _HOUR, 6 * _HOUR, "ticket"),
)


@dataclass(frozen=True, slots=True)
class AlertRules:
    burn_rates: tuple[BurnRule, ...] = WORKBOOK
    budget_exhausted: bool = True
    credit_tiers: bool = True

    @property
    def lookbacks(self) -> tuple[int, ...]:
        """Every window a burn rate is needed over."""
        return tuple(sorted({w for r in self.burn_rates for w in (r.long, r.short)}))


@dataclass(frozen=True, slots=True)
class Signal:
    kind: str  # burn_rate | budget_exhausted | credit_tier
    key: str  # stable while the condition holds: "14.4x 1h/5m", "budget", "tier 99% acme"
    severity: str  # page | ticket | warning
    message: str


def span_label(us: int) -> str:
    """A window's length as 5m, 2h or 3d."""
    minutes = us // _MIN
    if minutes % 1440 == 0:
        return f"{minutes // 1440}d"
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}m"


def signals(
    r: Report, rules: AlertRules, contracts: Sequence[tuple[str, Sequence[Tier]]] = ()
) -> list[Signal]:
    """The signals that hold for report ``r``; ``contracts`` are (customer, credit tiers) of the
    contracts judged by this objective."""
    o = r.objective
    length = r.window.end - r.window.start
    out: list[Signal] = []
    for rule in rules.burn_rates:
        factor = rule.factor(length)
        long, short = r.burn.get(rule.long), r.burn.get(rule.short)
        if long is not None and short is not None and long > factor and short > factor:
            spans = f"{span_label(rule.long)}/{span_label(rule.short)}"
            out.append(
                Signal(
                    "burn_rate",
                    f"{_rate(factor)}x {spans}",
                    rule.severity,
                    f"{o.service} ({o.name}) is spending its error budget {_rate(long)}x as "
                    f"fast as allowed over {span_label(rule.long)} and {_rate(short)}x over "
                    f"{span_label(rule.short)} (threshold {_rate(factor)}x)",
                )
            )
    if rules.budget_exhausted and r.budget.total and r.budget.remaining <= 0:
        out.append(
            Signal(
                "budget_exhausted",
                "budget",
                "page",
                f"{o.service} ({o.name}) has spent its error budget for {r.window.label}",
            )
        )
    if rules.credit_tiers and r.uptime is not None and r.projected is not None:
        out.extend(_tier_signals(r, contracts))
    return out


def _tier_signals(r: Report, contracts: Sequence[tuple[str, Sequence[Tier]]]) -> list[Signal]:
    """A warning per tier bound the uptime still reaches and the projection falls below."""
    assert r.uptime is not None
    assert r.projected is not None
    crossed: dict[Fraction, list[tuple[str, Fraction]]] = {}
    for customer, tiers in contracts:
        for tier in tiers:
            if r.projected < tier.at_least <= r.uptime:
                credit = _credit_below(tiers, tier.at_least)
                crossed.setdefault(tier.at_least, []).append((customer, credit))
    out = []
    for bound, owed in sorted(crossed.items(), reverse=True):
        who = ", ".join(f"{c} {floor_percent(credit, 2)}%" for c, credit in owed)
        out.append(
            Signal(
                "credit_tier",
                f"tier {floor_percent(bound, 5)}%",
                "warning",
                f"{r.objective.service} ({r.objective.name}) is projected at "
                f"{floor_percent(r.projected, 5)}% for {r.window.label}, below the "
                f"{floor_percent(bound, 5)}% credit tier (credits: {who})",
            )
        )
    return out


def _credit_below(tiers: Sequence[Tier], bound: Fraction) -> Fraction:
    """The credit of the tier just below ``bound``."""
    lower = [t for t in tiers if t.at_least < bound]
    return max(lower, key=lambda t: t.at_least).credit if lower else Fraction(0)


def _rate(value: Fraction) -> str:
    return f"{float(value):.4g}"
