"""Payment-history features of an invoice, computed from what was known on a cut-off day.

The features of an invoice use only the debtor's invoices settled strictly
before a cut-off day, plus the invoice's own amount, billing channel and
dispute flag. The cut-off is the issue date for training and the backtest,
and the day after the reference date for scoring. Each debtor's invoices are sorted once,
so a whole portfolio costs O(n log n).
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

# How many of the latest settled invoices the "recent" features look at.
RECENT_LATE_WINDOW = 12
RECENT_DAYS_LATE_WINDOW = 5

FEATURE_NAMES: tuple[str, ...] = (
    "log_settled_count",
    "share_late",
    "recent_share_late",
    "mean_days_late",
    "recent_days_late",
    "mean_days_to_settle",
    "undisputed_days_to_settle",
    "disputed_share",
    "disputed",
    "paper",
    "log_amount",
    "disputed_x_undisputed_days_to_settle",
    "disputed_x_recent_share_late",
)


@dataclass(frozen=True)
class InvoiceRecord:
    """The columns of one invoice that scoring reads, with its dispute flag."""

    id: int
    debtor_id: int
    start_date: date
    due_date: date
    settled_date: date | None
    amount_minor: int
    open_minor: int
    paperless: bool | None
    disputed: bool

    @property
    def is_late(self) -> bool:
        return self.settled_date is not None and self.settled_date > self.due_date

    @property
    def days_late(self) -> int:
        if self.settled_date is None:
            return 0
        return max((self.settled_date - self.due_date).days, 0)

    @property
    def days_to_settle(self) -> int:
        if self.settled_date is None:
            return 0
        return max((self.settled_date - self.start_date).days, 0)

    @property
    def term_days(self) -> int:
        return max((self.due_date - self.start_date).days, 0)


def is_settled_by(record: InvoiceRecord, reference: date) -> bool:
    """Tell whether the invoice was settled on or before ``reference``, the last day whose settlements are known."""
    return record.settled_date is not None and record.settled_date <= reference


@dataclass
class PaymentHistory:
    """Running totals over a debtor's settled invoices, in settlement order."""

    settled: int = 0
    late: int = 0
    disputed: int = 0
    days_late_total: int = 0
    days_to_settle_total: int = 0
    undisputed: int = 0
    undisputed_days_to_settle_total: int = 0
    recent_late: deque[bool] = field(default_factory=lambda: deque(maxlen=RECENT_LATE_WINDOW))
    recent_days_late: deque[int] = field(default_factory=lambda: deque(maxlen=RECENT_DAYS_LATE_WINDOW))

    def add(self, record: InvoiceRecord) -> None:
        self.settled += 1
        self.late += record.is_late
        self.disputed += record.disputed
        self.days_late_total += record.days_late
        self.days_to_settle_total += record.days_to_settle
        if not record.disputed:
            self.undisputed += 1
            self.undisputed_days_to_settle_total += record.days_to_settle
        self.recent_late.append(record.is_late)
        self.recent_days_late.append(record.days_late)

    def mean_days_late(self) -> float:
        return self.days_late_total / self.settled if self.settled else 0.0

    def mean_days_to_settle(self, fallback: float) -> float:
        return self.days_to_settle_total / self.settled if self.settled else fallback

    def undisputed_days_to_settle(self, fallback: float) -> float:
        if not self.undisputed:
            return self.mean_days_to_settle(fallback)
        return self.undisputed_days_to_settle_total / self.undisputed


def _smoothed_share(hits: int, count: int) -> float:
    # Laplace smoothing: no history reads as an even chance, not as 0 or 1.
    return (hits + 1) / (count + 2)


def feature_vector(history: PaymentHistory, record: InvoiceRecord) -> list[float]:
    """Return the values of FEATURE_NAMES, in order, for ``record`` given its debtor's ``history``."""
    # Without history, the debtor is assumed to pay on the due date.
    settle_fallback = float(record.term_days)
    recent_share_late = _smoothed_share(sum(history.recent_late), len(history.recent_late))
    recent_days = history.recent_days_late
    undisputed_days = history.undisputed_days_to_settle(settle_fallback)
    disputed = float(record.disputed)
    return [
        math.log1p(history.settled),
        _smoothed_share(history.late, history.settled),
        recent_share_late,
        history.mean_days_late(),
        sum(recent_days) / len(recent_days) if recent_days else 0.0,
        history.mean_days_to_settle(settle_fallback),
        undisputed_days,
        history.disputed / (history.settled + 1),
        disputed,
        1.0 if record.paperless is False else 0.0,
        math.log1p(max(record.amount_minor, 0)),
        disputed * undisputed_days,
        disputed * recent_share_late,
    ]


def _group_by_debtor(records: Iterable[InvoiceRecord]) -> dict[int, list[InvoiceRecord]]:
    groups: dict[int, list[InvoiceRecord]] = defaultdict(list)
    for record in records:
        groups[record.debtor_id].append(record)
    return groups


def _settlement_order(records: list[InvoiceRecord], reference: date) -> list[InvoiceRecord]:
    settled = [record for record in records if is_settled_by(record, reference)]
    return sorted(settled, key=lambda r: (r.settled_date, r.start_date, r.id))


def histories_at_cutoffs(
    records: list[InvoiceRecord],
    targets: list[tuple[InvoiceRecord, date]],
    reference: date,
) -> Iterator[tuple[InvoiceRecord, PaymentHistory]]:
    """Yield each target invoice with its debtor's history of invoices settled before the target's cut-off.

    ``targets`` pairs an invoice with an exclusive cut-off day. Only invoices
    settled on or before ``reference`` count as history. The same
    PaymentHistory object is updated in place between yields, so a caller
    reads it before asking for the next target.
    """
    by_debtor = _group_by_debtor(records)
    targets_by_debtor: dict[int, list[tuple[InvoiceRecord, date]]] = defaultdict(list)
    for target, cutoff in targets:
        targets_by_debtor[target.debtor_id].append((target, cutoff))

    for debtor_id, debtor_targets in targets_by_debtor.items():
        queue = _settlement_order(by_debtor.get(debtor_id, []), reference)
        history = PaymentHistory()
        position = 0
        for target, cutoff in sorted(debtor_targets, key=lambda pair: (pair[1], pair[0].id)):
            while position < len(queue) and queue[position].settled_date < cutoff:  # type: ignore[operator]
                history.add(queue[position])
                position += 1
            yield target, history


@dataclass(frozen=True)
class LabelledSet:
    """Settled invoices in issue-date order, with features at issue and the late flag."""

    records: list[InvoiceRecord]
    features: np.ndarray
    late: np.ndarray


def labelled_features(records: list[InvoiceRecord], reference: date) -> LabelledSet:
    """Build the training set: every invoice settled by ``reference``, featured at its issue date."""
    settled = [record for record in records if is_settled_by(record, reference)]
    targets = [(record, record.start_date) for record in settled]
    rows = {
        record.id: feature_vector(history, record)
        for record, history in histories_at_cutoffs(records, targets, reference)
    }
    ordered = sorted(settled, key=lambda r: (r.start_date, r.id))
    features = np.array([rows[record.id] for record in ordered], dtype=float).reshape(len(ordered), len(FEATURE_NAMES))
    late = np.array([record.is_late for record in ordered], dtype=int)
    return LabelledSet(ordered, features, late)


def open_item_features(
    records: list[InvoiceRecord],
    open_items: list[InvoiceRecord],
    reference: date,
) -> dict[int, tuple[list[float], PaymentHistory]]:
    """Feature each open invoice with the history settled on or before ``reference``.

    Returns a map from invoice id to its features and a snapshot of the
    debtor's history, which the factor wording reads.
    """
    # The exclusive cut-off is the day after ``reference``, except at date.max, which has no next day.
    cutoff = reference + timedelta(days=1) if reference < date.max else date.max
    result: dict[int, tuple[list[float], PaymentHistory]] = {}
    for record, history in histories_at_cutoffs(records, [(item, cutoff) for item in open_items], reference):
        result[record.id] = (feature_vector(history, record), history)
    return result
