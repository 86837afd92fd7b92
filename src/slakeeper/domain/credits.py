"""Service credits (SPEC §7): what a provider owes a customer when a period's uptime misses its
contract, and the monthly statement that says so — the customer's view of a multi-level SLA.

A contract lists, per service, the objective it is judged by, the monthly fee and the credit
tiers: each tier has an inclusive lower bound of uptime and the share of the fee credited below
the tier above it (``>= 99.0%`` and ``< 99.9%`` → 10%). The credit is capped (a share of the fee)
and a credit smaller than the contract's minimum is not issued. Money is :class:`Decimal`,
rounded half up to the cent only once, at the end.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Tier:
    at_least: Fraction  # uptime, inclusive: 0.99 for 99%
    credit: Fraction  # share of the monthly fee: 0.1 for 10%


@dataclass(frozen=True, slots=True)
class ServiceTerms:
    service: str
    objective: str  # the objective's name the service is judged by
    monthly_fee: Decimal
    tiers: tuple[Tier, ...]  # any order; credit 0 above the highest bound
    cap: Fraction = Fraction(1)  # at most this share of the fee


@dataclass(frozen=True, slots=True)
class Contract:
    customer: str
    currency: str
    services: tuple[ServiceTerms, ...]
    minimum: Decimal = Decimal(0)  # a smaller credit is not issued
    claim_days: int = 30  # a credit must be claimed within this many days of the period's end
    start: int | None = None  # µs; the contract applies from (None: always)
    end: int | None = None  # µs; and until


def credit_share(tiers: Sequence[Tier], uptime: Fraction) -> Fraction:
    """The share of the fee a period with ``uptime`` earns: the credit of the tier with the
    highest lower bound the uptime reaches; below every bound, the lowest tier's (as if its
    bound were 0). The configuration makes the highest tier credit nothing and credits grow as
    bounds fall, so more uptime never earns more."""
    reached = [t for t in tiers if uptime >= t.at_least]
    if reached:
        return max(reached, key=lambda t: t.at_least).credit
    return min(tiers, key=lambda t: t.at_least).credit if tiers else Fraction(0)


@dataclass(frozen=True, slots=True)
class ServiceCredit:
    service: str
    objective: str
    uptime: Fraction | None  # None: nothing was eligible (no credit)
    share: Fraction  # after the cap
    amount: Decimal  # fee × share, to the cent
    note: str = ""  # why a credit is withheld


def service_credit(terms: ServiceTerms, uptime: Fraction | None) -> ServiceCredit:
    if uptime is None:
        return ServiceCredit(terms.service, terms.objective, None, Fraction(0), Decimal(0))
    share = min(credit_share(terms.tiers, uptime), terms.cap)
    return ServiceCredit(
        terms.service, terms.objective, uptime, share, money(terms.monthly_fee * _dec(share))
    )


@dataclass(frozen=True, slots=True)
class Statement:
    customer: str
    period: str  # "2026-10"
    currency: str
    services: tuple[ServiceCredit, ...]
    total: Decimal  # credits owed, after the minimum
    claim_by: int  # µs: the last instant a claim is accepted
    compliance: Fraction | None = None  # the customer's ticket-SLA compliance in the period
    judged: int = 0  # clocks judged for it


def statement(
    contract: Contract,
    period: str,
    period_end: int,
    uptimes: dict[str, Fraction | None],
    compliance: tuple[int, int] | None = None,
) -> Statement:
    """The customer's statement for a period: each service's uptime (by service name) and
    credit, the total owed, and the ticket SLAs' (met, breached) counts beside them."""
    credits = []
    for terms in contract.services:
        credit = service_credit(terms, uptimes.get(terms.service))
        credits.append(credit)
    owed = sum((c.amount for c in credits), Decimal(0))
    if owed and owed < contract.minimum:
        credits = [
            ServiceCredit(
                c.service,
                c.objective,
                c.uptime,
                c.share,
                Decimal(0),
                f"below the minimum credit of {contract.minimum} {contract.currency}"
                if c.amount
                else "",
            )
            for c in credits
        ]
        owed = Decimal(0)
    met, breached = compliance or (0, 0)
    return Statement(
        contract.customer,
        period,
        contract.currency,
        tuple(credits),
        money(owed),
        period_end + contract.claim_days * 86_400 * 1_000_000,
        Fraction(met, met + breached) if met + breached else None,
        met + breached,
    )


def money(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _dec(value: Fraction) -> Decimal:
    """A share as a Decimal exact enough for money (28 significant digits)."""
    return Decimal(value.numerator) / Decimal(value.denominator)
