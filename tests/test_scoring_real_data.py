"""The late-payment model on the public receivables sample, imported as of a day and in full."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.cases.models import Case, CaseStatus, Segment
from hub.cases.services import refresh_case_balances
from hub.scoring.backtest import BACKTEST_TRAIN_SHARE, run_backtest
from hub.scoring.model import SOURCE_MODEL
from hub.scoring.service import HIGH_RISK_MIN_SCORE, MEDIUM_RISK_MIN_SCORE, score_cases
from tests.scoring_factories import AR_SAMPLE, add_client_row, load_ar_sample, read_ar_rows

AS_OF = date(2013, 9, 30)
MIN_AUC = 0.91
MAX_BRIER = 0.11


def _settled_count(shared_dir: Path, as_of: date | None) -> int:
    return sum(1 for row in read_ar_rows(shared_dir / AR_SAMPLE, as_of) if row["settled_date"] is not None)


async def test_backtest_as_of_meets_bar(session: AsyncSession, shared_dir: Path) -> None:
    client = await add_client_row(session, "ibm", as_of=AS_OF)
    await load_ar_sample(session, shared_dir, client)

    result = await run_backtest(session, client)

    assert result.score_source == SOURCE_MODEL
    assert result.auc is not None
    assert result.auc >= MIN_AUC, result
    assert result.brier <= MAX_BRIER, result


async def test_backtest_full_file_meets_bar(session: AsyncSession, shared_dir: Path) -> None:
    client = await add_client_row(session, "ibm")
    await load_ar_sample(session, shared_dir, client)

    result = await run_backtest(session, client)

    assert result.auc is not None
    assert result.auc >= MIN_AUC, result
    assert result.brier <= MAX_BRIER, result


async def test_backtest_as_of_split_sizes(session: AsyncSession, shared_dir: Path) -> None:
    client = await add_client_row(session, "ibm", as_of=AS_OF)
    await load_ar_sample(session, shared_dir, client)
    settled = _settled_count(shared_dir, AS_OF)

    result = await run_backtest(session, client)

    assert result.n_train == int(settled * BACKTEST_TRAIN_SHARE)
    assert result.n_train + result.n_test == settled


async def test_backtest_ignores_settlements_after_as_of(session: AsyncSession, shared_dir: Path) -> None:
    without_dates = await add_client_row(session, "blank", as_of=AS_OF)
    with_dates = await add_client_row(session, "kept", as_of=AS_OF)
    await load_ar_sample(session, shared_dir, without_dates)
    await load_ar_sample(session, shared_dir, with_dates, keep_late_settlements=True)

    expected = await run_backtest(session, without_dates)
    result = await run_backtest(session, with_dates)

    assert result.n_test == expected.n_test
    assert result.auc == expected.auc
    assert result.brier == expected.brier


async def test_scoring_as_of_stores_scores(session: AsyncSession, shared_dir: Path) -> None:
    client = await add_client_row(session, "ibm", as_of=AS_OF)
    await load_ar_sample(session, shared_dir, client)
    await refresh_case_balances(session, client)

    result = await score_cases(session, client)
    cases = (await session.scalars(select(Case).where(Case.status == CaseStatus.OPEN))).all()

    assert result.score_source == SOURCE_MODEL
    assert result.scored_cases == len(cases)
    assert len(cases) > 0
    for case in cases:
        assert case.risk_score is not None
        assert 0 <= case.risk_score <= 100, case.risk_score
        assert len(case.risk_factors) == 3, case.risk_factors
        assert case.score_source == SOURCE_MODEL
        assert case.scored_at is not None


async def test_scoring_as_of_segments_follow_thresholds(session: AsyncSession, shared_dir: Path) -> None:
    client = await add_client_row(session, "ibm", as_of=AS_OF)
    await load_ar_sample(session, shared_dir, client)
    await refresh_case_balances(session, client)

    await score_cases(session, client)
    cases = (await session.scalars(select(Case).where(Case.status == CaseStatus.OPEN))).all()

    for case in cases:
        if case.risk_score >= HIGH_RISK_MIN_SCORE:
            assert case.segment == Segment.HIGH, case.risk_score
        elif case.risk_score >= MEDIUM_RISK_MIN_SCORE:
            assert case.segment == Segment.MEDIUM, case.risk_score
        else:
            assert case.segment == Segment.LOW, case.risk_score


async def test_scoring_ignores_settlements_after_as_of(session: AsyncSession, shared_dir: Path) -> None:
    without_dates = await add_client_row(session, "blank", as_of=AS_OF)
    with_dates = await add_client_row(session, "kept", as_of=AS_OF)
    for client, keep in ((without_dates, False), (with_dates, True)):
        await load_ar_sample(session, shared_dir, client, keep_late_settlements=keep)
        await refresh_case_balances(session, client)
        await score_cases(session, client)

    scores = {}
    for client in (without_dates, with_dates):
        rows = (
            await session.execute(
                select(Case.debtor_id, Case.risk_score, Case.risk_factors).where(Case.client_id == client.id)
            )
        ).all()
        scores[client.slug] = sorted((row.risk_score or -1, row.risk_factors) for row in rows)

    assert scores["kept"] == scores["blank"]
