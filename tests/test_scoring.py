"""Risk scoring on hand-built portfolios: features, default weights, factors and client scope."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from hub.cases.models import Segment
from hub.errors import ValidationError
from hub.scoring.backtest import run_backtest, split_size
from hub.scoring.factors import CaseFacts, top_factors
from hub.scoring.features import FEATURE_NAMES, PaymentHistory, labelled_features
from hub.scoring.loading import load_invoice_records
from hub.scoring.model import (
    DEFAULT_INTERCEPT,
    DEFAULT_WEIGHT_DISPUTED,
    DEFAULT_WEIGHT_PER_SHARE_LATE,
    SOURCE_DEFAULT,
    default_model,
)
from hub.scoring.service import score_cases, segment_for
from tests.scoring_factories import add_client_row, add_debtor, add_invoice, add_open_case, add_payment_history

ISSUED = date(2024, 1, 1)
LOG_COUNT = FEATURE_NAMES.index("log_settled_count")
SHARE_LATE = FEATURE_NAMES.index("share_late")


def _sigmoid(logit: float) -> float:
    return 1.0 / (1.0 + math.exp(-logit))


def _features_of(data, invoice_id: int) -> np.ndarray:  # type: ignore[no-untyped-def]
    return data.features[[record.id for record in data.records].index(invoice_id)]


async def test_features_skip_later_settlements(session: AsyncSession) -> None:
    client = await add_client_row(session, "acme")
    debtor = await add_debtor(session, client, "D1")
    target_issue = ISSUED + timedelta(days=60)
    # Settled on time before the target's issue date: the only history it may use.
    await add_invoice(session, debtor, "known", ISSUED, settled=ISSUED + timedelta(days=20))
    # Settled late on the target's issue date and after it, so unknown when the target was issued.
    await add_invoice(session, debtor, "same-day", ISSUED, settled=target_issue)
    await add_invoice(session, debtor, "later", ISSUED + timedelta(days=10), settled=target_issue + timedelta(days=30))
    target = await add_invoice(session, debtor, "target", target_issue, settled=target_issue + timedelta(days=20))

    data = labelled_features(await load_invoice_records(session, client), date(2025, 1, 1))
    features = _features_of(data, target.id)

    assert features[LOG_COUNT] == math.log1p(1)
    assert features[SHARE_LATE] == (0 + 1) / (1 + 2)


async def test_features_skip_settlements_after_reference(session: AsyncSession) -> None:
    client = await add_client_row(session, "acme")
    debtor = await add_debtor(session, client, "D1")
    await add_invoice(session, debtor, "after", ISSUED, settled=ISSUED + timedelta(days=90))
    await add_invoice(session, debtor, "before", ISSUED, settled=ISSUED + timedelta(days=10))

    data = labelled_features(await load_invoice_records(session, client), ISSUED + timedelta(days=30))

    assert [record.settled_date for record in data.records] == [ISSUED + timedelta(days=10)]


async def test_labelled_features_sorted_by_issue(session: AsyncSession) -> None:
    client = await add_client_row(session, "acme")
    debtor = await add_debtor(session, client, "D1")
    for index, offset in enumerate((50, 10, 30)):
        issued = ISSUED + timedelta(days=offset)
        await add_invoice(session, debtor, f"I{index}", issued, settled=issued + timedelta(days=5))

    data = labelled_features(await load_invoice_records(session, client), date(2025, 1, 1))
    issue_dates = [record.start_date for record in data.records]

    assert issue_dates == sorted(issue_dates)


def test_split_size_keeps_one_for_test() -> None:
    assert split_size(10) == 8
    assert split_size(2) == 1
    assert split_size(2466) == 1972


async def test_backtest_split_small_history(session: AsyncSession) -> None:
    client = await add_client_row(session, "acme")
    debtor = await add_debtor(session, client, "D1")
    await add_payment_history(session, debtor, ISSUED, [True, False] * 5, "H")

    result = await run_backtest(session, client)

    assert result.n_train == 8
    assert result.n_test == 2
    assert result.score_source == SOURCE_DEFAULT


async def test_backtest_rejects_empty_history(session: AsyncSession) -> None:
    client = await add_client_row(session, "acme")

    with pytest.raises(ValidationError, match="client 'acme' has 0 invoices settled"):
        await run_backtest(session, client)


async def test_default_weights_without_history(session: AsyncSession) -> None:
    client = await add_client_row(session, "acme", as_of=date(2024, 6, 1))
    debtor = await add_debtor(session, client, "D1")
    await add_invoice(session, debtor, "open", ISSUED)
    case = await add_open_case(session, client, debtor)

    result = await score_cases(session, client)
    expected = round(100 * _sigmoid(DEFAULT_INTERCEPT + DEFAULT_WEIGHT_PER_SHARE_LATE * 0.5))

    assert result.score_source == SOURCE_DEFAULT
    assert case.score_source == SOURCE_DEFAULT
    assert case.risk_score == expected
    assert case.segment == segment_for(expected)


async def test_default_weights_raise_disputed(session: AsyncSession) -> None:
    client = await add_client_row(session, "acme", as_of=date(2024, 6, 1))
    debtor = await add_debtor(session, client, "D1")
    await add_invoice(session, debtor, "open", ISSUED, disputed=True)
    case = await add_open_case(session, client, debtor)

    await score_cases(session, client)
    logit = DEFAULT_INTERCEPT + DEFAULT_WEIGHT_PER_SHARE_LATE * 0.5 + DEFAULT_WEIGHT_DISPUTED

    assert case.risk_score == round(100 * _sigmoid(logit))
    assert "disputed invoice open" in case.risk_factors


async def test_default_weights_word_history(session: AsyncSession) -> None:
    client = await add_client_row(session, "acme", as_of=date(2025, 6, 1))
    debtor = await add_debtor(session, client, "D1")
    await add_payment_history(session, debtor, ISSUED, [True] * 9 + [False] * 3, "H")
    await add_invoice(session, debtor, "open", date(2025, 3, 1), paperless=False)
    case = await add_open_case(session, client, debtor)

    await score_cases(session, client)

    assert case.risk_factors == ["paid 9 of 12 invoices late", "average 8 days late", "paper billing"]
    assert case.segment == Segment.HIGH


def _history(late_flags: list[bool], days_late: int) -> PaymentHistory:
    history = PaymentHistory()
    history.settled = len(late_flags)
    history.late = sum(late_flags)
    history.days_late_total = days_late * sum(late_flags)
    history.days_to_settle_total = 30 * len(late_flags)
    history.recent_late.extend(late_flags)
    return history


def _contributions(**by_feature: float) -> np.ndarray:
    values = np.zeros(len(FEATURE_NAMES))
    for name, value in by_feature.items():
        values[FEATURE_NAMES.index(name)] = value
    return values


def test_factors_word_recent_lateness() -> None:
    late_flags = [False] * 4 + [True] * 9 + [False] * 3
    facts = CaseFacts(_history(late_flags, 16), dispute_open=True, paper=True, amount_above_usual=False)
    contributions = _contributions(recent_share_late=2.0, disputed=1.5, mean_days_late=1.0, paper=0.5)

    factors = top_factors(contributions, facts)

    assert factors == ["paid 9 of the last 12 invoices late", "disputed invoice open", "average 9 days late"]


def test_factors_word_missing_history() -> None:
    facts = CaseFacts(PaymentHistory(), dispute_open=False, paper=True, amount_above_usual=True)
    contributions = _contributions(share_late=1.0, recent_share_late=0.9, paper=0.4, log_amount=0.2)

    factors = top_factors(contributions, facts)

    assert factors == ["no payment history", "paper billing", "open invoices larger than usual"]


def test_factors_list_lowering_for_safe_case() -> None:
    facts = CaseFacts(_history([False] * 14, 0), dispute_open=False, paper=True, amount_above_usual=False)
    contributions = _contributions(recent_share_late=-1.5, disputed=-0.8, paper=0.6, log_amount=-0.1)

    factors = top_factors(contributions, facts)

    assert factors == [
        "paid 0 of the last 12 invoices late",
        "no disputed invoice open",
        "open invoices smaller than usual",
    ]


async def test_score_leaves_other_client(session: AsyncSession) -> None:
    scored = await add_client_row(session, "alpha", as_of=date(2024, 6, 1))
    other = await add_client_row(session, "beta", as_of=date(2024, 6, 1))
    cases = {}
    for client in (scored, other):
        debtor = await add_debtor(session, client, "D1")
        await add_invoice(session, debtor, "open", ISSUED)
        cases[client.slug] = await add_open_case(session, client, debtor)

    result = await score_cases(session, scored)

    assert result.scored_cases == 1
    assert cases["alpha"].risk_score is not None
    assert cases["beta"].risk_score is None
    assert cases["beta"].scored_at is None


async def test_score_weights_open_amounts(session: AsyncSession) -> None:
    client = await add_client_row(session, "acme", as_of=date(2024, 6, 1))
    debtor = await add_debtor(session, client, "D1")
    await add_invoice(session, debtor, "small-disputed", ISSUED, amount_minor=100, disputed=True)
    await add_invoice(session, debtor, "large", ISSUED, amount_minor=9_900)
    case = await add_open_case(session, client, debtor)

    await score_cases(session, client)
    base = DEFAULT_INTERCEPT + DEFAULT_WEIGHT_PER_SHARE_LATE * 0.5
    expected = 0.01 * _sigmoid(base + DEFAULT_WEIGHT_DISPUTED) + 0.99 * _sigmoid(base)

    assert case.risk_score == round(100 * expected)


def test_default_model_matches_constants() -> None:
    model = default_model()
    features = np.zeros(len(FEATURE_NAMES))

    assert model.predict_late(features)[0] == _sigmoid(DEFAULT_INTERCEPT)


def test_factors_short_history_said_once() -> None:
    facts = CaseFacts(_history([True] * 6, 10), dispute_open=False, paper=True, amount_above_usual=True)
    contributions = _contributions(recent_share_late=2.0, share_late=1.8, mean_days_late=1.0, paper=0.5)

    factors = top_factors(contributions, facts)

    assert factors == ["paid 6 of 6 invoices late", "average 10 days late", "paper billing"]
