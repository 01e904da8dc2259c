"""Late-payment models: a logistic regression fitted per client, or documented default weights.

Both kinds are a ``LinearRiskModel``: ``logit = intercept + sum(coef * (x - center) / scale)``.
The term ``coef * (x - center) / scale`` of each feature is its contribution,
which the risk factors shown to agents are ranked by.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from hub.scoring.features import FEATURE_NAMES

SOURCE_MODEL = "model"
SOURCE_DEFAULT = "default"

# A client gets a model of its own only with at least this much settled
# history; below it the default weights apply.
MIN_SETTLED_INVOICES = 200
MIN_LATE_INVOICES = 20
MIN_ON_TIME_INVOICES = 20

# Inverse L2 regularisation strength of the fitted logistic regression.
REGULARISATION_C = 1.0

# Default weights: a hand-set logistic model on raw feature values. An
# invoice of a debtor without history, not disputed and billed
# electronically scores about 0.38, which is a medium risk.
DEFAULT_INTERCEPT = -2.0
DEFAULT_WEIGHT_PER_SHARE_LATE = 3.0
DEFAULT_WEIGHT_PER_DAY_LATE = 0.05
DEFAULT_WEIGHT_DISPUTED = 1.5
DEFAULT_WEIGHT_PAPER = 0.3
DEFAULT_WEIGHTS: dict[str, float] = {
    "share_late": DEFAULT_WEIGHT_PER_SHARE_LATE,
    "mean_days_late": DEFAULT_WEIGHT_PER_DAY_LATE,
    "disputed": DEFAULT_WEIGHT_DISPUTED,
    "paper": DEFAULT_WEIGHT_PAPER,
}


@dataclass(frozen=True)
class LinearRiskModel:
    """Logistic model over FEATURE_NAMES with per-feature centering and scaling."""

    source: str
    intercept: float
    center: np.ndarray
    scale: np.ndarray
    coef: np.ndarray

    def contributions(self, features: np.ndarray) -> np.ndarray:
        """Return the logit contribution of each feature, one row per invoice."""
        return self.coef * (np.atleast_2d(features) - self.center) / self.scale

    def predict_late(self, features: np.ndarray) -> np.ndarray:
        """Return the probability that each invoice is paid after its due date."""
        logit = self.intercept + self.contributions(features).sum(axis=1)
        return 1.0 / (1.0 + np.exp(-logit))


def has_enough_history(late: np.ndarray) -> bool:
    """Tell whether settled history with these late flags may train a model of its own."""
    late_count = int(late.sum())
    on_time_count = len(late) - late_count
    return (
        len(late) >= MIN_SETTLED_INVOICES and late_count >= MIN_LATE_INVOICES and on_time_count >= MIN_ON_TIME_INVOICES
    )


def fit_model(features: np.ndarray, late: np.ndarray) -> LinearRiskModel:
    """Fit a standardised L2 logistic regression on settled invoices."""
    scaler = StandardScaler().fit(features)
    regression = LogisticRegression(C=REGULARISATION_C, max_iter=1000)
    regression.fit(scaler.transform(features), late)
    # StandardScaler gives a constant column a scale of 1, so contributions never divide by zero.
    return LinearRiskModel(
        source=SOURCE_MODEL,
        intercept=float(regression.intercept_[0]),
        center=scaler.mean_.copy(),
        scale=scaler.scale_.copy(),
        coef=regression.coef_[0].copy(),
    )


def default_model() -> LinearRiskModel:
    """Return the default weights as a model, with weight zero for every feature not in DEFAULT_WEIGHTS."""
    coef = np.array([DEFAULT_WEIGHTS.get(name, 0.0) for name in FEATURE_NAMES])
    size = len(FEATURE_NAMES)
    return LinearRiskModel(
        source=SOURCE_DEFAULT,
        intercept=DEFAULT_INTERCEPT,
        center=np.zeros(size),
        scale=np.ones(size),
        coef=coef,
    )


def choose_model(features: np.ndarray, late: np.ndarray) -> LinearRiskModel:
    """Fit a model when the history is large enough, else return the default weights."""
    if not has_enough_history(late):
        return default_model()
    return fit_model(features, late)
