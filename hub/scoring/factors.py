"""Plain-word risk factors, ranked by how much each group of features moved a case's score."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from hub.scoring.features import FEATURE_NAMES, PaymentHistory

FACTOR_COUNT = 3

# Features that describe one fact are ranked together, in this order on ties.
FACTOR_GROUPS: dict[str, tuple[str, ...]] = {
    "recent_late": ("recent_share_late",),
    "share_late": ("share_late",),
    "days_late": ("mean_days_late", "recent_days_late"),
    "open_dispute": ("disputed", "disputed_x_undisputed_days_to_settle", "disputed_x_recent_share_late"),
    # The share of disputed invoices corrects the mean for the days that disputes add.
    "days_to_settle": ("mean_days_to_settle", "undisputed_days_to_settle", "disputed_share"),
    "billing": ("paper",),
    "history": ("log_settled_count",),
    "amount": ("log_amount",),
}

NO_HISTORY = "no payment history"


@dataclass(frozen=True)
class CaseFacts:
    """Facts about a case that the factor phrases quote, beside the feature contributions."""

    history: PaymentHistory
    dispute_open: bool
    paper: bool | None
    amount_above_usual: bool


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _word_recent_late(facts: CaseFacts) -> str:
    recent = facts.history.recent_late
    if len(recent) == facts.history.settled:
        # The window covers the whole history, so both lateness phrases would state one fact.
        return _word_share_late(facts)
    return f"paid {sum(recent)} of the last {_plural(len(recent), 'invoice')} late"


def _word_share_late(facts: CaseFacts) -> str:
    history = facts.history
    return f"paid {history.late} of {_plural(history.settled, 'invoice')} late"


def _word_days_late(facts: CaseFacts) -> str:
    return f"average {_plural(round(facts.history.mean_days_late()), 'day')} late"


def _word_days_to_settle(facts: CaseFacts) -> str:
    return f"settles in {_plural(round(facts.history.mean_days_to_settle(0.0)), 'day')} on average"


def _word_open_dispute(facts: CaseFacts) -> str:
    return "disputed invoice open" if facts.dispute_open else "no disputed invoice open"


def _word_billing(facts: CaseFacts) -> str:
    if facts.paper is None:
        return "billing channel unknown"
    return "paper billing" if facts.paper else "electronic billing"


def _word_history(facts: CaseFacts) -> str:
    return f"{_plural(facts.history.settled, 'settled invoice')} on record"


def _word_amount(facts: CaseFacts) -> str:
    return "open invoices larger than usual" if facts.amount_above_usual else "open invoices smaller than usual"


HISTORY_GROUPS = frozenset({"recent_late", "share_late", "days_late", "days_to_settle", "history"})

WORDINGS: dict[str, Callable[[CaseFacts], str]] = {
    "recent_late": _word_recent_late,
    "share_late": _word_share_late,
    "days_late": _word_days_late,
    "open_dispute": _word_open_dispute,
    "days_to_settle": _word_days_to_settle,
    "billing": _word_billing,
    "history": _word_history,
    "amount": _word_amount,
}


def group_contributions(contributions: np.ndarray) -> dict[str, float]:
    """Sum a case's per-feature contributions into FACTOR_GROUPS."""
    index = {name: position for position, name in enumerate(FEATURE_NAMES)}
    return {group: float(sum(contributions[index[name]] for name in names)) for group, names in FACTOR_GROUPS.items()}


def word_group(group: str, facts: CaseFacts) -> str:
    if group in HISTORY_GROUPS and facts.history.settled == 0:
        return NO_HISTORY
    return WORDINGS[group](facts)


def top_factors(contributions: np.ndarray, facts: CaseFacts) -> list[str]:
    """Return the FACTOR_COUNT distinct phrases whose groups moved the score most in the direction it went.

    A case riskier than the model's centre lists what raised its score, and
    a safer one lists what lowered it.
    """
    by_group = group_contributions(contributions)
    direction = 1.0 if sum(by_group.values()) >= 0 else -1.0
    ranked = sorted(FACTOR_GROUPS, key=lambda group: -direction * by_group[group])
    phrases: list[str] = []
    for group in ranked:
        phrase = word_group(group, facts)
        if phrase not in phrases:
            phrases.append(phrase)
        if len(phrases) == FACTOR_COUNT:
            break
    return phrases
