"""Benchmark ``score_cases`` and the backtest against a raw-SQL fetch of the same invoice rows.

Seeds one client in a temporary SQLite file with a synthetic portfolio:
debtors with one invoice a week, each debtor with its own chance of paying
late, and the last few weeks still open. Then it times:

- floor: ``SELECT`` of the scoring columns of the client's invoices through
  the same driver and session, the least that any scoring must read;
- score_cases: features, model fit and the update of every open case;
- run_backtest: features, fit on 80 % and metrics on the rest.

Each figure is the median of its repetitions, printed as a ratio to the
floor measured in the same run. Run with ``python -m bench.score_bench``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

import hub.models  # noqa: F401  (registers every table for the foreign keys)
from hub.cases.services import refresh_case_balances
from hub.clients.models import Client
from hub.db import create_engine, create_session_factory
from hub.debtors.models import Debtor
from hub.invoices.models import Invoice
from hub.migrate import upgrade_database
from hub.scoring.backtest import run_backtest
from hub.scoring.service import score_cases

AS_OF = date(2026, 3, 10)
TERM_DAYS = 30
OPEN_WEEKS = 4
FLOOR_QUERY = text(
    "SELECT id, debtor_id, issue_date, due_date, settled_date, amount_minor, open_minor, paperless "
    "FROM invoice WHERE client_id = :client_id"
)


def _invoice_rows(client_id: int, debtor_id: int, weeks: int, rng: random.Random) -> list[dict[str, object]]:
    late_chance = rng.random()
    rows = []
    for week in range(weeks):
        issued = AS_OF - timedelta(weeks=weeks - week)
        days_to_settle = TERM_DAYS + rng.randint(1, 40) if rng.random() < late_chance else rng.randint(0, TERM_DAYS)
        settled = issued + timedelta(days=days_to_settle)
        is_open = week >= weeks - OPEN_WEEKS or settled > AS_OF
        amount = rng.randint(1_000, 500_000)
        rows.append(
            {
                "client_id": client_id,
                "debtor_id": debtor_id,
                "number": f"{debtor_id}-{week}",
                "currency": "EUR",
                "amount_minor": amount,
                "open_minor": amount if is_open else 0,
                "issue_date": issued,
                "due_date": issued + timedelta(days=TERM_DAYS),
                "settled_date": None if is_open else settled,
                "paperless": rng.random() < 0.6,
            }
        )
    return rows


async def _seed(session: AsyncSession, debtors: int, weeks: int) -> Client:
    client = Client(slug="bench", name="Bench", as_of_date=AS_OF)
    session.add(client)
    await session.flush()
    await session.execute(insert(Debtor), [{"client_id": client.id, "reference": f"D{n}"} for n in range(debtors)])
    debtor_ids = (await session.scalars(select(Debtor.id).where(Debtor.client_id == client.id))).all()
    rng = random.Random(7)
    rows = [row for debtor_id in debtor_ids for row in _invoice_rows(client.id, debtor_id, weeks, rng)]
    await session.execute(insert(Invoice), rows)
    await refresh_case_balances(session, client)
    await session.commit()
    return client


async def _median_seconds(work: Callable[[], Awaitable[object]], repeats: int) -> float:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        await work()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


async def measure(url: str, debtors: int, weeks: int, repeats: int) -> None:
    engine = create_engine(url)
    async with create_session_factory(engine)() as session:
        client = await _seed(session, debtors, weeks)

        async def floor() -> object:
            return (await session.execute(FLOOR_QUERY, {"client_id": client.id})).all()

        floor_seconds = await _median_seconds(floor, repeats)
        score_seconds = await _median_seconds(lambda: score_cases(session, client), repeats)
        backtest_seconds = await _median_seconds(lambda: run_backtest(session, client), repeats)
    await engine.dispose()

    print(f"{debtors} debtors x {weeks} invoices on SQLite, median of {repeats}")
    print(f"floor        {floor_seconds * 1000:8.1f} ms")
    print(f"score_cases  {score_seconds * 1000:8.1f} ms  {score_seconds / floor_seconds:6.1f}x floor")
    print(f"run_backtest {backtest_seconds * 1000:8.1f} ms  {backtest_seconds / floor_seconds:6.1f}x floor")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--debtors", type=int, default=500, help="Debtors in the portfolio.")
    parser.add_argument("--weeks", type=int, default=40, help="Invoices per debtor, one a week.")
    parser.add_argument("--repeats", type=int, default=5, help="Timed repetitions of each step.")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        # Alembic's env.py runs its own event loop, so the schema is built before ours starts.
        upgrade_database(url)
        asyncio.run(measure(url, arguments.debtors, arguments.weeks, arguments.repeats))


if __name__ == "__main__":
    main()
