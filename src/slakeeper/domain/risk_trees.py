"""Gradient-boosted decision trees for a probability, in numpy alone (the breach-risk model).

Boosting on the log loss with Newton steps, as XGBoost and LightGBM do, kept small: every
feature's values are cut into at most :data:`MAX_BINS` bins at training quantiles; a tree is grown
level by level to a fixed depth from histograms of the gradients (one ``bincount`` per feature and
level), each split the one with the largest gain ``G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ)``; a node
without a useful split passes everything to its left child, so every tree is a full binary tree
of the same depth and is stored as flat arrays. Each tree learns from a random half of the rows
(seeded: training is reproducible).

A prediction's log-odds split into per-feature contributions by following its path: each split
credits its feature with the change in the node's value (Saabas' method) — what the model's
reasons are made of.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float64]
Vector = npt.NDArray[np.float64]
MAX_BINS = 64


@dataclass(frozen=True, slots=True)
class Settings:
    trees: int = 150
    depth: int = 5
    learning_rate: float = 0.1
    l2: float = 1.0
    min_hessian: float = 2.0  # each child's summed p(1-p): no split on a handful of rows
    subsample: float = 0.5
    seed: int = 7


DEFAULT = Settings()


@dataclass(frozen=True, slots=True)
class Booster:
    """``base`` + the sum of the trees' leaf values = the log-odds. Tree ``t``'s internal node
    ``i`` (level order) splits on ``feature[t, i]`` (−1: no split, all go left) at
    ``x <= threshold[t, i]``; ``value[t, j]`` is node ``j``'s value (internal nodes, then
    leaves), already scaled by the learning rate."""

    base: float
    depth: int
    feature: npt.NDArray[np.int64]  # (trees, 2^depth − 1)
    threshold: Matrix  # (trees, 2^depth − 1)
    value: Matrix  # (trees, 2^(depth+1) − 1)

    @classmethod
    def fit(cls, x: Matrix, y: Vector, settings: Settings | None = None) -> Booster:
        settings = settings or DEFAULT
        n, k = x.shape
        cuts = [_cuts(x[:, j]) for j in range(k)]
        bins = np.empty((n, k), dtype=np.int64)
        for j in range(k):
            bins[:, j] = np.searchsorted(cuts[j], x[:, j], side="left")
        rate = float(np.clip(y.mean(), 1e-6, 1 - 1e-6))
        base = float(np.log(rate / (1 - rate)))
        score = np.full(n, base)
        rng = np.random.default_rng(settings.seed)
        internal, nodes = 2**settings.depth - 1, 2 ** (settings.depth + 1) - 1
        features = np.full((settings.trees, internal), -1, dtype=np.int64)
        thresholds = np.zeros((settings.trees, internal))
        values = np.zeros((settings.trees, nodes))
        for t in range(settings.trees):
            p = 1.0 / (1.0 + np.exp(-score))
            g, h = p - y, p * (1 - p)
            rows = np.flatnonzero(rng.random(n) < settings.subsample)
            split_bin = _grow(bins[rows], g[rows], h[rows], settings, features[t], values[t])
            for i in range(internal):
                f = features[t, i]
                if f >= 0:
                    thresholds[t, i] = cuts[f][split_bin[i]]
            values[t] *= settings.learning_rate
            score += _leaf_values(features[t], thresholds[t], values[t], settings.depth, x)
        return cls(base, settings.depth, features, thresholds, values)

    def log_odds(self, x: Matrix) -> Vector:
        out = np.full(len(x), self.base)
        for t in range(len(self.feature)):
            out += _leaf_values(self.feature[t], self.threshold[t], self.value[t], self.depth, x)
        return out

    def contributions(self, x: Matrix) -> Matrix:
        """(rows, features): what each feature adds to each row's log-odds, against the value of
        the trees' roots (their sum plus ``base`` is the average log-odds of training)."""
        n, k = x.shape
        out = np.zeros((n, k))
        rows = np.arange(n)
        for t in range(len(self.feature)):
            feature, threshold, value = self.feature[t], self.threshold[t], self.value[t]
            node = np.zeros(n, dtype=np.int64)  # position within its level
            for level in range(self.depth):
                first = 2**level - 1
                f = feature[first + node]
                split = f >= 0
                right = split & (x[rows, np.maximum(f, 0)] > threshold[first + node])
                child = 2 * node + right
                parent_value = value[first + node]
                child_value = value[2 ** (level + 1) - 1 + child]
                np.add.at(out, (rows[split], f[split]), (child_value - parent_value)[split])
                node = child
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "base": self.base,
            "depth": self.depth,
            "feature": self.feature.tolist(),
            "threshold": self.threshold.tolist(),
            "value": self.value.tolist(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], features: int) -> Booster:
        """A booster from its JSON form; ``ValueError`` names what is wrong."""
        depth = data.get("depth")
        base = data.get("base")
        if not isinstance(depth, int) or isinstance(depth, bool) or not 1 <= depth <= 12:
            raise ValueError("trees.depth must be a whole number from 1 to 12")
        if not isinstance(base, int | float) or isinstance(base, bool):
            raise ValueError("trees.base must be a number")
        internal, nodes = 2**depth - 1, 2 ** (depth + 1) - 1
        try:
            feature = np.array(data.get("feature"), dtype=np.int64)
            threshold = np.array(data.get("threshold"), dtype=np.float64)
            value = np.array(data.get("value"), dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(
                "trees.feature, threshold and value must be arrays of numbers"
            ) from None
        trees = len(feature)
        if (
            feature.shape != (trees, internal)
            or threshold.shape != (trees, internal)
            or value.shape != (trees, nodes)
        ):
            raise ValueError(f"trees arrays must have {internal} splits and {nodes} values a tree")
        if trees and (feature.min() < -1 or feature.max() >= features):
            raise ValueError(f"trees.feature must name columns 0 to {features - 1} (or -1)")
        if not (np.isfinite(threshold).all() and np.isfinite(value).all()):
            raise ValueError("trees hold a value that is not a finite number")
        return cls(float(base), depth, feature, threshold, value)


def _cuts(column: Vector) -> Vector:
    """Bin edges: the distinct values when they are few, else quantiles."""
    distinct = np.unique(column)
    if len(distinct) <= MAX_BINS:
        return distinct[:-1].astype(np.float64)  # x <= distinct[i] for each but the largest
    qs = np.quantile(column, np.linspace(0, 1, MAX_BINS + 1)[1:-1])
    return np.unique(qs).astype(np.float64)


def _grow(
    bins: npt.NDArray[np.int64],
    g: Vector,
    h: Vector,
    s: Settings,
    feature: npt.NDArray[np.int64],
    value: Vector,
) -> npt.NDArray[np.int64]:
    """Grow one tree into ``feature`` and ``value`` (node values unscaled); the bin of each
    internal node's split (its threshold is that bin's cut)."""
    n, k = bins.shape
    width = MAX_BINS + 1
    split_bin = np.zeros(len(feature), dtype=np.int64)
    node = np.zeros(n, dtype=np.int64)
    total_g, total_h = np.array([g.sum()]), np.array([h.sum()])
    value[0] = -total_g[0] / (total_h[0] + s.l2)
    for level in range(s.depth):
        count = 2**level
        first = count - 1
        best_gain = np.zeros(count)
        best_feature = np.full(count, -1, dtype=np.int64)
        best_bin = np.zeros(count, dtype=np.int64)
        parent = total_g**2 / (total_h + s.l2)
        base = node * width
        for j in range(k):
            index = base + bins[:, j]
            hist_g = np.bincount(index, weights=g, minlength=count * width).reshape(count, width)
            hist_h = np.bincount(index, weights=h, minlength=count * width).reshape(count, width)
            left_g = np.cumsum(hist_g, axis=1)[:, :-1]
            left_h = np.cumsum(hist_h, axis=1)[:, :-1]
            right_g = total_g[:, None] - left_g
            right_h = total_h[:, None] - left_h
            gain = left_g**2 / (left_h + s.l2) + right_g**2 / (right_h + s.l2) - parent[:, None]
            gain[(left_h < s.min_hessian) | (right_h < s.min_hessian)] = 0.0
            at = np.argmax(gain, axis=1)
            top = gain[np.arange(count), at]
            better = top > best_gain + 1e-12
            best_gain[better] = top[better]
            best_feature[better] = j
            best_bin[better] = at[better]
        feature[first : first + count] = best_feature
        split_bin[first : first + count] = best_bin
        split = best_feature[node] >= 0
        goes_right = np.zeros(n, dtype=bool)
        rows = np.flatnonzero(split)
        goes_right[rows] = bins[rows, best_feature[node[rows]]] > best_bin[node[rows]]
        node = 2 * node + goes_right
        children = 2 * count
        total_g = np.bincount(node, weights=g, minlength=children)
        total_h = np.bincount(node, weights=h, minlength=children)
        start = 2 ** (level + 1) - 1
        value[start : start + children] = -total_g / (total_h + s.l2)
        empty = total_h == 0  # a child nobody reached keeps its parent's value
        if empty.any():
            parents = np.arange(children) // 2
            value[start : start + children][empty] = value[first + parents[empty]]
    return split_bin


def _leaf_values(
    feature: npt.NDArray[np.int64], threshold: Vector, value: Vector, depth: int, x: Matrix
) -> Vector:
    n = len(x)
    rows = np.arange(n)
    node = np.zeros(n, dtype=np.int64)
    for level in range(depth):
        first = 2**level - 1
        f = feature[first + node]
        right = (f >= 0) & (x[rows, np.maximum(f, 0)] > threshold[first + node])
        node = 2 * node + right
    out: Vector = value[2**depth - 1 + node]
    return out
