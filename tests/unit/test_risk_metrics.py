"""The arithmetic that judges a breach-risk model: ROC AUC, Brier score, calibration, and warnings
at an equal alert volume against the 75% rule."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from slakeeper.domain.risk_metrics import (
    Trajectory,
    brier,
    calibration,
    compare_alerts,
    risk_alerts,
    roc_auc,
    threshold_for,
)

scores = st.lists(
    st.tuples(st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.9, 1.0]), st.booleans()), min_size=2
).filter(lambda xs: any(y for _, y in xs) and not all(y for _, y in xs))


def brute_auc(pairs: list[tuple[float, bool]]) -> float:
    """Every (breached, met) pair: 1 when the breached one scores higher, ½ on a tie."""
    positives = [s for s, y in pairs if y]
    negatives = [s for s, y in pairs if not y]
    wins = sum(
        1.0 if p > n else 0.5 if p == n else 0.0 for p, n in itertools.product(positives, negatives)
    )
    return wins / (len(positives) * len(negatives))


@given(scores)
def test_auc_is_the_share_of_pairs_ranked_right(pairs: list[tuple[float, bool]]) -> None:
    s = [p for p, _ in pairs]
    y = [b for _, b in pairs]
    assert roc_auc(s, y) == pytest.approx(brute_auc(pairs))


@given(scores)
def test_auc_of_reversed_scores_is_its_complement(pairs: list[tuple[float, bool]]) -> None:
    s = np.array([p for p, _ in pairs])
    y = [b for _, b in pairs]
    assert roc_auc(s, y) + roc_auc(-s, y) == pytest.approx(1.0)


def test_auc_needs_both_outcomes() -> None:
    with pytest.raises(ValueError, match="both"):
        roc_auc([0.1, 0.2], [True, True])


@given(st.lists(st.tuples(st.floats(0, 1), st.booleans()), min_size=1))
def test_brier_is_the_mean_squared_error(pairs: list[tuple[float, bool]]) -> None:
    p = [a for a, _ in pairs]
    y = [b for _, b in pairs]
    expected = sum((a - float(b)) ** 2 for a, b in pairs) / len(pairs)
    assert brier(p, y) == pytest.approx(expected)
    assert 0.0 <= brier(p, y) <= 1.0


@given(st.lists(st.tuples(st.floats(0, 1), st.booleans()), min_size=1))
def test_calibration_bins_hold_every_prediction_once(pairs: list[tuple[float, bool]]) -> None:
    p = [a for a, _ in pairs]
    y = [b for _, b in pairs]
    bins = calibration(p, y)
    assert sum(b.count for b in bins) == len(pairs)
    for b in bins:
        assert b.low <= b.predicted <= b.high
        assert 0.0 <= b.observed <= 1.0


def track(
    breached: bool, breach_at: int | None, rule_at: int | None, points: list[tuple[int, float]]
) -> Trajectory:
    return Trajectory(
        breached,
        breach_at,
        rule_at,
        np.array([t for t, _ in points], dtype=np.float64),
        np.array([r for _, r in points]),
    )


def test_equal_volume_risk_warns_as_many_clocks_as_the_rule() -> None:
    clocks = [
        # breaches the rule sees late (lead 5) and the model early (lead 50)
        track(True, 100, 95, [(50, 0.9), (90, 0.95)]),
        track(True, 200, 195, [(150, 0.8)]),
        # met clocks: the rule warns one of them, the model is unsure about both
        track(False, None, 300, [(280, 0.3)]),
        track(False, None, None, [(10, 0.1)]),
    ]
    rule, risk, threshold = compare_alerts(clocks, min_lead=10)
    assert rule.alerts == 3
    assert risk.alerts == 3
    assert threshold == pytest.approx(0.3)
    assert (rule.breaches, rule.caught, risk.caught) == (2, 0, 2)
    assert risk.median_lead == pytest.approx(50.0)
    assert rule.median_lead is None
    # without a lead requirement the rule catches every breach: it warns every clock that breaches
    rule0, risk0, _ = compare_alerts(clocks, min_lead=0)
    assert rule0.caught == 2
    assert risk0.caught == 2
    assert rule0.median_lead == pytest.approx(5.0)


@given(st.lists(st.lists(st.floats(0, 1), min_size=1, max_size=5), min_size=1, max_size=20))
def test_the_threshold_warns_at_least_the_asked_volume(risks: list[list[float]]) -> None:
    clocks = [track(False, None, None, [(i, r) for i, r in enumerate(rs)]) for rs in risks]
    for asked in range(1, len(clocks) + 1):
        warned = sum(at is not None for at in risk_alerts(clocks, threshold_for(clocks, asked)))
        peaks = sorted((max(rs) for rs in risks), reverse=True)
        ties = sum(p == peaks[asked - 1] for p in peaks[asked:])
        assert asked <= warned <= asked + ties


def test_a_risk_warning_is_the_first_instant_the_threshold_is_reached() -> None:
    clock = track(True, 100, 80, [(10, 0.2), (20, 0.7), (30, 0.4), (40, 0.9)])
    assert risk_alerts([clock], 0.6) == [20]
    assert risk_alerts([clock], 0.95) == [None]
