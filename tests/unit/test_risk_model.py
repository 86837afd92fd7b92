"""The breach-risk model: features from situations, fitting, saving and the reasons it gives."""

from __future__ import annotations

import random

import numpy as np
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slakeeper.domain.risk_features import FeatureSpec, Situation, hour_of_week
from slakeeper.domain.risk_metrics import roc_auc
from slakeeper.domain.risk_model import RiskModel

MINUTE = 60_000_000


def situation(rng: random.Random) -> tuple[Situation, bool]:
    """A synthetic desk: clocks breach when much of the target is used and the queue is long."""
    target = rng.choice([15, 60, 240]) * MINUTE
    share = rng.random()
    queue = rng.randint(0, 30)
    assigned = rng.random() < 0.5
    s = Situation(
        metric=rng.choice(["first_response", "resolution"]),
        priority=rng.choice(["urgent", "high", "normal"]),
        channel=rng.choice(["email", "chat", None]),
        customer=rng.choice(["acme", "globex", None]),
        group=rng.choice(["tier1", "tier2"]),
        status="open" if assigned else "new",
        assignee="ana" if assigned else None,
        target=target,
        elapsed=int(share * target),
        to_due=int((1 - share) * target) + 1,
        age=int(share * target),
        cycle=1,
        replies=0,
        reopens=0,
        queue=queue,
        group_queue=queue // 2,
        agent_load=rng.randint(1, 4) if assigned else 0,
        hour_of_week=rng.randrange(168),
        open_now=True,
        active_agents=rng.randint(0, 5),
        group_active=rng.randint(0, 3),
        assignee_idle=rng.randint(0, 600) * MINUTE,
        due_before=rng.randint(0, 10),
    )
    logit = 6 * share + 0.15 * queue - 6 + rng.gauss(0, 0.5)
    return s, logit > 0


def sample(n: int, seed: int) -> tuple[list[Situation], list[bool]]:
    rng = random.Random(seed)
    pairs = [situation(rng) for _ in range(n)]
    return [s for s, _ in pairs], [y for _, y in pairs]


@pytest.fixture(scope="module")
def fitted() -> RiskModel:
    situations, labels = sample(4000, 1)
    return RiskModel.fit(situations, labels)


def test_the_model_learns_what_drives_breaches(fitted: RiskModel) -> None:
    situations, labels = sample(2000, 2)
    risk = fitted.probabilities(situations)
    assert roc_auc(risk, labels) > 0.9
    assert ((risk > 0) & (risk < 1)).all()
    # calibrated on the whole: the mean risk is near the breach rate
    assert abs(float(risk.mean()) - float(np.mean(labels))) < 0.05


def test_a_saved_model_predicts_the_same(fitted: RiskModel) -> None:
    situations, _ = sample(200, 3)
    again = RiskModel.from_json(orjson.loads(orjson.dumps(fitted.to_json())))
    assert np.allclose(again.probabilities(situations), fitted.probabilities(situations))
    assert again.features == fitted.features


def test_reasons_name_the_facts_that_raise_the_risk(fitted: RiskModel) -> None:
    base, _ = situation(random.Random(4))
    late = base._replace(elapsed=int(base.target * 0.95), to_due=base.target // 20, queue=30)
    reasons = fitted.reasons(late)
    assert reasons, "a clock at 95% of its target with 30 tickets queued has reasons"
    families = [r.family for r in reasons]
    assert "share of target used" in families or "queue" in families
    texts = " ".join(r.text for r in reasons)
    assert "95% of the" in texts or "30 tickets waiting" in texts
    assert all(r.weight > 0 for r in reasons)
    risk, explained = fitted.explain([late, base])
    assert len(explained) == 2
    assert risk[0] > risk[1]


def test_values_never_seen_in_training_are_other(fitted: RiskModel) -> None:
    s, _ = situation(random.Random(5))
    odd = s._replace(customer="never-seen", channel="fax", group="tier9", priority="p0")
    (risk,) = fitted.probabilities([odd])
    assert 0 < risk < 1


def test_training_needs_both_outcomes() -> None:
    situations, _ = sample(50, 6)
    with pytest.raises(ValueError, match="breached and clocks that did not"):
        RiskModel.fit(situations, [False] * 50)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": "other"}, "format must be"),
        (
            {
                "trees": {
                    "base": 0,
                    "depth": 2,
                    "feature": [[0]],
                    "threshold": [[0]],
                    "value": [[0]],
                }
            },
            "3 splits and 7 values",
        ),
        ({"trees": {"base": "x", "depth": 2}}, "trees.base must be a number"),
        ({"features": {"priorities": [1]}}, "features.priorities"),
    ],
)
def test_a_broken_model_file_is_refused_with_a_reason(
    fitted: RiskModel, change: dict[str, object], message: str
) -> None:
    document = {**fitted.to_json(), **change}
    with pytest.raises(ValueError, match=message):
        RiskModel.from_json(document)


def test_the_columns_match_the_encoding(fitted: RiskModel) -> None:
    situations, _ = sample(10, 7)
    spec: FeatureSpec = fitted.features
    assert spec.encode(situations).shape == (10, len(spec.columns()))


def test_contributions_add_up_to_the_log_odds(fitted: RiskModel) -> None:
    situations, _ = sample(300, 8)
    x = fitted.features.encode(situations)
    booster = fitted.booster
    roots = booster.base + booster.value[:, 0].sum()
    assert np.allclose(booster.contributions(x).sum(axis=1) + roots, booster.log_odds(x))


def test_training_is_reproducible() -> None:
    situations, labels = sample(1500, 9)
    first = RiskModel.fit(situations, labels).to_json()
    assert RiskModel.fit(situations, labels).to_json() == first


@settings(max_examples=50)
@given(st.integers(0, 4_000_000_000), st.sampled_from(["UTC", "Europe/Berlin", "Asia/Kolkata"]))
def test_hour_of_week_matches_the_local_clock(seconds: int, zone: str) -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    local = datetime.fromtimestamp(seconds, UTC).astimezone(ZoneInfo(zone))
    assert hour_of_week(zone, seconds * 1_000_000) == local.weekday() * 24 + local.hour
