"""How good a breach-risk model is: ROC AUC, Brier score, a calibration table, and warnings at an
equal alert volume against the plain "75% of target elapsed" rule.

Alerts. Both rules warn a clock at most once. The 75% rule warns when the clock's business time
used reaches 75% of its target; the risk rule warns the first time the clock's predicted risk
reaches a threshold. The threshold is chosen so that the risk rule warns as many clocks as the 75%
rule — the same alert volume for the people who read them. A breach is *caught* by a warning that
came at least ``min_lead`` (wall time) before the breach instant; the *lead time* of a caught
breach is that gap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Vector = npt.NDArray[np.float64]


def roc_auc(scores: Sequence[float] | Vector, labels: Sequence[bool] | Vector) -> float:
    """The probability that a random positive scores above a random negative (ties count half)."""
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels, dtype=bool)
    positives = int(y.sum())
    negatives = len(y) - positives
    if positives == 0 or negatives == 0:
        raise ValueError("ROC AUC needs both breached and met clocks")
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s))
    sorted_scores = s[order]
    # average ranks over ties
    starts = np.flatnonzero(np.r_[True, sorted_scores[1:] != sorted_scores[:-1]])
    ends = np.r_[starts[1:], len(s)]
    average = (starts + ends + 1) / 2.0  # 1-based average rank of each run of ties
    ranks[order] = np.repeat(average, ends - starts)
    u = ranks[y].sum() - positives * (positives + 1) / 2.0
    return float(u / (positives * negatives))


def brier(probabilities: Sequence[float] | Vector, labels: Sequence[bool] | Vector) -> float:
    """Mean squared difference between the predicted probability and what happened (0 or 1)."""
    p = np.asarray(probabilities, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    if len(p) == 0:
        raise ValueError("no predictions")
    return float(np.mean((p - y) ** 2))


@dataclass(frozen=True, slots=True)
class CalibrationBin:
    low: float
    high: float
    count: int
    predicted: float  # mean predicted probability in the bin
    observed: float  # share that breached


def calibration(
    probabilities: Sequence[float] | Vector,
    labels: Sequence[bool] | Vector,
    edges: Sequence[float] = (0.0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0),
) -> list[CalibrationBin]:
    """Predicted against observed breach rates, by bins of predicted probability (empty bins
    are left out)."""
    p = np.asarray(probabilities, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    out = []
    for i in range(len(edges) - 1):
        lo, hi = edges[i], edges[i + 1]
        last = i == len(edges) - 2
        inside = (p >= lo) & ((p <= hi) if last else (p < hi))
        n = int(inside.sum())
        if n:
            out.append(CalibrationBin(lo, hi, n, float(p[inside].mean()), float(y[inside].mean())))
    return out


@dataclass(frozen=True, slots=True)
class Trajectory:
    """One clock as the alert comparison sees it."""

    breached: bool
    breach_at: int | None  # the breach instant (µs) when breached
    rule_at: int | None  # when the 75% rule warned, if it did
    times: Vector  # instants the risk was computed (ascending)
    risks: Vector  # the risk at each of them


@dataclass(frozen=True, slots=True)
class AlertOutcome:
    rule: str
    alerts: int  # clocks warned
    breaches: int  # clocks that breached
    caught: int  # breaches warned at least min_lead before
    median_lead: float | None  # µs, over caught breaches
    precision: float  # caught / alerts


def _outcome(
    rule: str, alerts: Sequence[int | None], clocks: Sequence[Trajectory], min_lead: int
) -> AlertOutcome:
    leads = [
        c.breach_at - at
        for c, at in zip(clocks, alerts, strict=True)
        if c.breached
        and c.breach_at is not None
        and at is not None
        and c.breach_at - at >= min_lead
    ]
    warned = sum(at is not None for at in alerts)
    return AlertOutcome(
        rule=rule,
        alerts=warned,
        breaches=sum(c.breached for c in clocks),
        caught=len(leads),
        median_lead=float(np.median(leads)) if leads else None,
        precision=len(leads) / warned if warned else 0.0,
    )


def threshold_for(clocks: Sequence[Trajectory], alerts: int) -> float:
    """The risk threshold at which the risk rule warns ``alerts`` clocks: the ``alerts``-th
    highest peak risk (risks that tie across the cut warn a few more; the counts reported are
    the real ones). Above 1 when no alert is asked for."""
    peaks = np.sort(np.array([c.risks.max() if len(c.risks) else -1.0 for c in clocks]))[::-1]
    if alerts <= 0 or len(peaks) == 0:
        return 2.0
    return float(peaks[min(alerts, len(peaks)) - 1])


def risk_alerts(clocks: Sequence[Trajectory], threshold: float) -> list[int | None]:
    """When the risk rule warns each clock: the first instant its risk reaches the threshold."""
    out: list[int | None] = []
    for c in clocks:
        hits = np.flatnonzero(c.risks >= threshold)
        out.append(int(c.times[hits[0]]) if len(hits) else None)
    return out


def compare_alerts(
    clocks: Sequence[Trajectory], min_lead: int = 0
) -> tuple[AlertOutcome, AlertOutcome, float]:
    """(75% rule, risk rule at the same alert volume, the risk threshold that gives it)."""
    rule = _outcome("75% of target", [c.rule_at for c in clocks], clocks, min_lead)
    threshold = threshold_for(clocks, rule.alerts)
    risk = _outcome("risk", risk_alerts(clocks, threshold), clocks, min_lead)
    return rule, risk, threshold
