"""Train a breach-risk model on a history and judge it on a later, held-out period.

The history is split at an instant: the model learns from the situations before it whose clocks'
outcomes were known before it (nothing from the held-out period leaks into training) and is judged
on the situations after it — ROC AUC, Brier score against always predicting the training breach
rate, a calibration table — and on the warnings it would have sent to the clocks started after the
split, against the 75% rule at the same alert volume (:mod:`slakeeper.domain.risk_metrics`).

Sampling is coarser while training (every ``train_step``) than while judging (every
``test_step``, the resolution of the warning comparison: the live worker scores more often, so the
judged lead times are, if anything, short).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from slakeeper.domain.config import SlaConfig
from slakeeper.domain.risk_features import Situation
from slakeeper.domain.risk_metrics import (
    AlertOutcome,
    CalibrationBin,
    Trajectory,
    brier,
    calibration,
    compare_alerts,
    roc_auc,
)
from slakeeper.domain.risk_model import RiskModel, Vector
from slakeeper.domain.risk_trees import DEFAULT, Settings
from slakeeper.service.evaluate import Record
from slakeeper.service.risk_history import Sampled, history_events, replay_events

MINUTE = 60_000_000
LEADS = (0, 5 * MINUTE, 15 * MINUTE, 30 * MINUTE, 60 * MINUTE)  # the minimum leads compared
HEADLINE_LEAD = 15 * MINUTE


@dataclass(frozen=True, slots=True)
class AlertComparison:
    min_lead: int
    rule: AlertOutcome
    risk: AlertOutcome
    threshold: float


@dataclass(frozen=True, slots=True)
class TrainingReport:
    model: RiskModel
    start: int
    split: int
    end: int
    train_situations: int
    train_clocks: int
    train_breach_rate: float
    test_situations: int
    test_clocks: int
    test_breach_rate: float
    auc: float
    brier: float
    brier_base: float  # always predicting the training breach rate
    calibration: list[CalibrationBin]
    alerts: list[AlertComparison]
    alert_clocks: int  # clocks started in the held-out period with a known outcome

    @property
    def headline(self) -> AlertComparison:
        return next((a for a in self.alerts if a.min_lead == HEADLINE_LEAD), self.alerts[0])


def train(
    config: SlaConfig,
    records: Iterable[Record],
    *,
    holdout: float = 0.25,
    train_step: int = 30 * MINUTE,
    test_step: int = 5 * MINUTE,
    end: int | None = None,
    settings: Settings = DEFAULT,
    leads: Sequence[int] = LEADS,
) -> TrainingReport:
    """Replay, split, fit and judge. ``ValueError`` when a period has too little to learn from
    or judge."""
    if not 0.05 <= holdout <= 0.9:
        raise ValueError("the held-out share must lie between 0.05 and 0.9")
    split_holder: list[int] = []

    def step(t: int) -> int:
        return test_step if split_holder and t >= split_holder[0] else train_step

    events = history_events(records)
    if not events:
        raise ValueError("the history holds no events")
    start = events[0].at
    stop = events[-1].at if end is None else end
    split = start + int((stop - start) * (1 - holdout))
    split -= split % MINUTE
    split_holder.append(split)
    sampled = replay_events(config, events, step, end=stop)
    return judge_split(sampled, split, settings=settings, leads=leads)


def judge_split(
    sampled: Sampled,
    split: int,
    *,
    settings: Settings = DEFAULT,
    leads: Sequence[int] = LEADS,
) -> TrainingReport:
    clocks = sampled.clocks
    at = np.asarray(sampled.at, dtype=np.int64)
    owner = np.asarray(sampled.clock, dtype=np.int64)
    outcome = np.array([-1 if c.breached is None else int(c.breached) for c in clocks])
    settled = np.array([c.settled_at if c.settled_at is not None else 2**62 for c in clocks])
    label = outcome[owner] if len(owner) else np.zeros(0, dtype=np.int64)
    known = label >= 0
    train_rows = np.flatnonzero((at < split) & known & (settled[owner] <= split))
    test_rows = np.flatnonzero((at >= split) & known)
    for name, rows in (("training", train_rows), ("held-out", test_rows)):
        labels = label[rows]
        if len(rows) == 0 or labels.min() == labels.max():
            raise ValueError(
                f"the {name} period needs clocks that breached and clocks that met their target; "
                "use a longer history or another --holdout"
            )
    situations = sampled.situations
    train_situations = [situations[i] for i in train_rows]
    train_labels = label[train_rows].astype(bool)
    base_rate = float(train_labels.mean())
    model = RiskModel.fit(
        train_situations,
        list(train_labels),
        settings=settings,
        trained={
            "from": sampled.start,
            "split": split,
            "to": sampled.end,
            "situations": len(train_rows),
            "breach_rate": base_rate,
        },
    )
    test_situations = [situations[i] for i in test_rows]
    test_labels = label[test_rows].astype(bool)
    risk = _probabilities(model, test_situations)
    auc = roc_auc(risk, test_labels)
    score = brier(risk, test_labels)
    trajectories = _trajectories(sampled, split, test_rows, risk)
    comparisons = []
    for lead in leads:
        rule, by_risk, threshold = compare_alerts(trajectories, lead)
        comparisons.append(AlertComparison(lead, rule, by_risk, threshold))
    headline = next((c for c in comparisons if c.min_lead == HEADLINE_LEAD), comparisons[0])
    model = model.with_trained(auc=auc, brier=score, threshold=headline.threshold)
    return TrainingReport(
        model=model,
        start=sampled.start,
        split=split,
        end=sampled.end,
        train_situations=len(train_rows),
        train_clocks=len(set(owner[train_rows].tolist())),
        train_breach_rate=base_rate,
        test_situations=len(test_rows),
        test_clocks=len(set(owner[test_rows].tolist())),
        test_breach_rate=float(test_labels.mean()),
        auc=auc,
        brier=score,
        brier_base=brier(np.full(len(test_labels), base_rate), test_labels),
        calibration=calibration(risk, test_labels),
        alerts=comparisons,
        alert_clocks=len(trajectories),
    )


def _probabilities(model: RiskModel, situations: Sequence[Situation]) -> Vector:
    """Risks in chunks (the matrix of a million situations would not fit at once)."""
    step = 50_000
    out = [model.probabilities(situations[i : i + step]) for i in range(0, len(situations), step)]
    return np.concatenate(out) if out else np.zeros(0)


def _trajectories(
    sampled: Sampled,
    split: int,
    rows: npt.NDArray[np.int64],
    risk: Vector,
) -> list[Trajectory]:
    """Clocks started in the held-out period with a known outcome, with their risk over time."""
    by_clock: dict[int, list[int]] = {}
    for position, row in enumerate(rows.tolist()):
        by_clock.setdefault(sampled.clock[row], []).append(position)
    at = np.asarray(sampled.at, dtype=np.int64)[rows]
    out = []
    for index, track in enumerate(sampled.clocks):
        if track.started_at < split or track.breached is None:
            continue
        positions = by_clock.get(index, [])
        out.append(
            Trajectory(
                breached=track.breached,
                breach_at=track.breach_at,
                rule_at=track.rule_at,
                times=at[positions].astype(np.float64),
                risks=risk[positions],
            )
        )
    return out
