"""The breach-risk model: L2-regularised logistic regression over :mod:`risk_features`.

Why a linear model: it trains in seconds on a year of history with numpy alone, its probabilities
are calibrated by construction (it minimises log loss), it is saved as plain JSON (no pickles: a
model file cannot run code), and every prediction splits into per-feature contributions, so a
warning can say *why* ("92% of the target used", "14 tickets unassigned"). Non-linear effects are
given to it as binned columns (the share of target used, per metric; loads; hours of the week).

Fitting is Newton's method (iteratively reweighted least squares) on the penalised log loss, the
intercept unpenalised; the Hessian is accumulated in chunks of rows so memory stays at one chunk.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from slakeeper.domain.risk_features import MINUTE, FeatureSpec, Matrix, Situation

FORMAT = "slakeeper.risk-model/1"
_CHUNK = 65_536
Vector = npt.NDArray[np.float64]


def sigmoid(z: Vector) -> Vector:
    out: Vector = 0.5 * (1.0 + np.tanh(0.5 * z))  # stable for large |z|
    return out


@dataclass(frozen=True, slots=True)
class Reason:
    family: str
    text: str
    weight: float  # the contribution to the log-odds, against the training average


@dataclass(frozen=True, slots=True)
class RiskModel:
    features: FeatureSpec
    intercept: float
    weights: tuple[float, ...]
    trained: Mapping[str, Any]  # what it was trained on: window, counts, evaluation figures

    # -- fitting -------------------------------------------------------------------------------

    @classmethod
    def fit(
        cls,
        situations: Sequence[Situation],
        breached: Sequence[bool],
        *,
        l2: float = 1.0,
        iterations: int = 25,
        trained: Mapping[str, Any] | None = None,
    ) -> RiskModel:
        """Fit on situations labelled with whether their clock went on to breach."""
        if len(situations) != len(breached):
            raise ValueError("one label per situation")
        y = np.asarray(breached, dtype=np.float64)
        if y.size == 0 or y.min() == y.max():
            raise ValueError("training needs clocks that breached and clocks that did not")
        spec = FeatureSpec.learn(situations)
        x = spec.encode(situations)
        intercept, weights = _newton(x, y, l2, iterations)
        return cls(spec, intercept, tuple(float(w) for w in weights), dict(trained or {}))

    # -- predicting ----------------------------------------------------------------------------

    def log_odds(self, situations: Sequence[Situation]) -> Vector:
        x = self.features.encode(situations)
        out: Vector = x @ np.asarray(self.weights) + self.intercept
        return out

    def probabilities(self, situations: Sequence[Situation]) -> Vector:
        """The probability that each situation's clock breaches."""
        if not situations:
            return np.zeros(0)
        return sigmoid(self.log_odds(situations))

    def explain(
        self, situations: Sequence[Situation], top: int = 3
    ) -> tuple[Vector, list[list[Reason]]]:
        """Each situation's risk and the facts that raise it most, strongest first: the feature
        families whose columns add most to the log-odds (numeric columns are standardised, so
        0 is the training average; a category column counts against the weight of its family's
        reference level, which has none)."""
        if not situations:
            return np.zeros(0), []
        x = self.features.encode(situations)
        weights = np.asarray(self.weights)
        families, member = self._families()
        by_family = (x * weights) @ member  # (n, families)
        risk = sigmoid(x @ weights + self.intercept)
        reasons = []
        for i, s in enumerate(situations):
            order = np.argsort(-by_family[i], kind="stable")[:top]
            reasons.append(
                [
                    Reason(families[j], describe(families[j], s), round(float(by_family[i, j]), 3))
                    for j in order
                    if by_family[i, j] > 0
                ]
            )
        return risk, reasons

    def reasons(self, situation: Situation, top: int = 3) -> list[Reason]:
        """The facts that raise this clock's risk most (see :meth:`explain`)."""
        return self.explain([situation], top)[1][0]

    def _families(self) -> tuple[list[str], Matrix]:
        names: list[str] = []
        index: dict[str, int] = {}
        columns = self.features.columns()
        owner = []
        for family, name in columns:
            if family == "numeric":
                family = self.features.family_of_numeric(name)
            owner.append(index.setdefault(family, len(index)))
            if len(index) > len(names):
                names.append(family)
        member = np.zeros((len(columns), len(names)))
        member[np.arange(len(columns)), owner] = 1.0
        return names, member

    # -- saving --------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "kind": "logistic",
            "features": self.features.to_json(),
            "intercept": self.intercept,
            "weights": list(self.weights),
            "trained": dict(self.trained),
        }

    @classmethod
    def from_json(cls, data: object) -> RiskModel:
        """A model from its JSON form; ``ValueError`` names what is wrong."""
        if not isinstance(data, dict):
            raise ValueError("a risk model is a JSON object")
        if data.get("format") != FORMAT:
            raise ValueError(f"format must be {FORMAT!r} (a file from `slakeeper model train`)")
        features = data.get("features")
        if not isinstance(features, dict):
            raise ValueError("features must be an object")
        spec = FeatureSpec.from_json(features)
        intercept = data.get("intercept")
        weights = data.get("weights")
        if not isinstance(intercept, int | float) or isinstance(intercept, bool):
            raise ValueError("intercept must be a number")
        width = len(spec.columns())
        if (
            not isinstance(weights, list)
            or len(weights) != width
            or not all(isinstance(w, int | float) and not isinstance(w, bool) for w in weights)
        ):
            raise ValueError(f"weights must be a list of {width} numbers for these features")
        trained = data.get("trained", {})
        if not isinstance(trained, dict):
            raise ValueError("trained must be an object")
        return cls(spec, float(intercept), tuple(float(w) for w in weights), trained)


def _newton(x: Matrix, y: Vector, l2: float, iterations: int) -> tuple[float, Vector]:
    """Minimise mean log loss + l2/(2n)·|w|² with an unpenalised intercept."""
    n, d = x.shape
    design = np.hstack([np.ones((n, 1)), x])
    beta = np.zeros(d + 1)
    base = float(np.clip(y.mean(), 1e-6, 1 - 1e-6))
    beta[0] = np.log(base / (1 - base))
    penalty = np.full(d + 1, l2)
    penalty[0] = 0.0
    previous = np.inf
    for _ in range(iterations):
        gradient = penalty * beta
        hessian = np.diag(penalty)
        loss = 0.5 * float(np.sum(penalty * beta * beta))
        for lo in range(0, n, _CHUNK):
            part = design[lo : lo + _CHUNK]
            z = part @ beta
            p = sigmoid(z)
            t = y[lo : lo + _CHUNK]
            gradient += part.T @ (p - t)
            w = p * (1 - p) + 1e-9
            hessian += (part * w[:, None]).T @ part
            loss += float(np.sum(np.logaddexp(0.0, z) - t * z))
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if previous - loss < 1e-7 * max(abs(loss), 1.0):
            break
        previous = loss
    return float(beta[0]), beta[1:]


def _duration(us: int) -> str:
    minutes = max(us, 0) // MINUTE
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h{minutes:02d}m" if minutes else f"{hours}h"
    return f"{hours // 24}d{hours % 24}h"


def describe(family: str, s: Situation) -> str:
    """A feature family as a fact about this situation, for a person."""
    share = s.elapsed / s.target if s.target else 1.0
    metric = s.metric.replace("_", " ")
    if family == "share of target used":
        return f"{share:.0%} of the {metric} target used"
    if family == "business time left":
        return f"{_duration(s.target - s.elapsed)} of business time left"
    if family == "time to due":
        return f"due in {_duration(s.to_due)}"
    if family == "target":
        return f"a {_duration(s.target)} {metric} target"
    if family == "ticket age":
        return f"ticket open for {_duration(s.age)}"
    if family == "closed hours before due":
        return f"{_duration(s.to_due - (s.target - s.elapsed))} of closed hours before due"
    if family == "queue":
        where = f" ({s.group_queue} in {s.group})" if s.group else ""
        return f"{s.queue} tickets waiting for an assignee{where}"
    if family == "assignee load":
        if s.assignee is None:
            return "nobody is assigned"
        return f"{s.assignee} has {s.agent_load} open tickets"
    if family == "replies":
        return f"{s.replies} replies, cycle {s.cycle}, {s.reopens} reopens"
    if family == "agents active":
        where = f", {s.group_active} on {s.group}" if s.group else ""
        return f"{s.active_agents} agents replied in the last hour{where}"
    if family == "assignee idle":
        if s.assignee is None:
            return "nobody is assigned"
        return f"{s.assignee} last replied {_duration(s.assignee_idle)} ago"
    if family == "clocks due before":
        pool = "its assignee's" if s.assignee is not None else f"unassigned {s.group or ''}"
        return f"{s.due_before} clocks on {pool.strip()} tickets due before it"
    if family == "hour of week":
        days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
        hour = s.hour_of_week % 168
        state = "open" if s.open_now else "closed"
        return f"{days[hour // 24]} {hour % 24:02d}h local, calendar {state}"
    value = {
        "metric": s.metric,
        "priority": s.priority,
        "channel": s.channel,
        "customer": s.customer,
        "group": s.group,
        "status": s.status,
    }.get(family)
    return f"{family} {value if value is not None else 'none'}"
