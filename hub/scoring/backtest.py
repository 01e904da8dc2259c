"""Time-split backtest: train on the earliest settled invoices, measure on the latest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from sklearn.metrics import roc_auc_score
from sqlalchemy.ext.asyncio import AsyncSession

from hub.clients.models import Client
from hub.clients.services import reference_date
from hub.errors import ValidationError
from hub.scoring.features import labelled_features
from hub.scoring.loading import load_invoice_records
from hub.scoring.model import choose_model

# Share of settled invoices, earliest by issue date, that the backtest trains on.
BACKTEST_TRAIN_SHARE = 0.8
MIN_BACKTEST_INVOICES = 2


@dataclass(frozen=True)
class BacktestResult:
    """Metrics of the late-payment model on the latest settled invoices of a client."""

    client: str
    reference_date: date
    score_source: str
    n_train: int
    n_test: int
    # None when the test invoices are all late or all on time.
    auc: float | None
    brier: float
    base_rate: float
    mean_predicted: float

    def as_dict(self) -> dict[str, object]:
        return {
            "client": self.client,
            "reference_date": self.reference_date.isoformat(),
            "score_source": self.score_source,
            "n_train": self.n_train,
            "n_test": self.n_test,
            "auc": None if self.auc is None else round(self.auc, 4),
            "brier": round(self.brier, 4),
            "base_rate": round(self.base_rate, 4),
            "mean_predicted": round(self.mean_predicted, 4),
        }


def split_size(settled_count: int) -> int:
    """Return how many of ``settled_count`` invoices go to training; at least one stays for testing."""
    return min(max(int(settled_count * BACKTEST_TRAIN_SHARE), 1), settled_count - 1)


def _auc(late: np.ndarray, predicted: np.ndarray) -> float | None:
    if late.min() == late.max():
        return None
    return float(roc_auc_score(late, predicted))


async def run_backtest(session: AsyncSession, client: Client) -> BacktestResult:
    """Fit on the earliest 80 % of the invoices settled by the reference date and score the rest."""
    reference = reference_date(client)
    data = labelled_features(await load_invoice_records(session, client), reference)
    if len(data.late) < MIN_BACKTEST_INVOICES:
        raise ValidationError(
            f"client {client.slug!r} has {len(data.late)} invoices settled on or before {reference}: "
            f"a backtest needs at least {MIN_BACKTEST_INVOICES}, so import settled invoices first"
        )

    cut = split_size(len(data.late))
    model = choose_model(data.features[:cut], data.late[:cut])
    test_late = data.late[cut:]
    predicted = model.predict_late(data.features[cut:])

    return BacktestResult(
        client=client.slug,
        reference_date=reference,
        score_source=model.source,
        n_train=cut,
        n_test=len(test_late),
        auc=_auc(test_late, predicted),
        brier=float(np.mean((predicted - test_late) ** 2)),
        base_rate=float(test_late.mean()),
        mean_predicted=float(predicted.mean()),
    )
