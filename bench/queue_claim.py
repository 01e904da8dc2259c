"""Benchmark the call queue page and "next case" claims against a raw-SQL floor.

Seeds one client with N open cases in a temporary SQLite file (and in a
temporary PostgreSQL database when one is reachable), then times:

- floor: ``SELECT id, priority FROM case_file WHERE client_id = :c AND
  status = 'open' ORDER BY priority DESC LIMIT 50`` through the same driver
  and session, the cheapest query that reads a page in priority order;
- list_call_queue(limit=50): the queue page with its workable filter and joins;
- raw one-row UPDATE + COMMIT: the cost of a durable write, which every claim pays;
- claim_next_case: one claim each by distinct agents, so every call claims a new case;
- refresh_priorities: one full recompute of the client's priorities (raw seconds, no floor).

Each figure is the median of its repetitions, printed as a ratio to the
floor measured in the same run. Run with ``python -m bench.queue_claim``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import socket
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
from sqlalchemy import insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import User
from hub.accounts.scope import Scope
from hub.cases.models import Case, Segment
from hub.cases.priority import refresh_priorities
from hub.cases.queue import claim_next_case, list_call_queue
from hub.clients.models import Client
from hub.db import create_engine, create_session_factory
from hub.debtors.models import Debtor
from hub.migrate import upgrade_database
from hub.settings import normalise_database_url

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
AS_OF = date(2026, 3, 10)
PAGE_SIZE = 50
INSERT_BATCH_ROWS = 2_000
# The cost of any durable write on the backend: it sets and clears nothing the queue reads.
UPDATE_FLOOR_SQL = text("UPDATE client SET name = :name WHERE id = :client_id")
FLOOR_SQL = text(
    "SELECT id, priority FROM case_file WHERE client_id = :client_id AND status = 'open'"
    " ORDER BY priority DESC LIMIT 50"
)


@dataclass(frozen=True)
class Measurement:
    name: str
    median_seconds: float
    repeats: int


async def _insert_batches(session: AsyncSession, model: type, rows: list[dict[str, object]]) -> None:
    for start in range(0, len(rows), INSERT_BATCH_ROWS):
        await session.execute(insert(model), rows[start : start + INSERT_BATCH_ROWS])


def _case_row(client_id: int, debtor_id: int, rng: random.Random) -> dict[str, object]:
    return {
        "client_id": client_id,
        "debtor_id": debtor_id,
        "currency": "EUR",
        "open_minor": rng.randint(1_000, 5_000_000),
        "oldest_due_date": AS_OF - timedelta(days=rng.randint(-30, 365)),
        "risk_score": rng.randint(0, 100),
        "segment": rng.choice(list(Segment)),
        "risk_factors": [],
        # One case in ten waits for a later next action, as after a logged call.
        "next_action_on": AS_OF + timedelta(days=5) if rng.random() < 0.1 else None,
    }


async def seed(session: AsyncSession, case_count: int, agent_count: int) -> tuple[Client, list[int]]:
    """Insert one client with ``case_count`` debtors and cases and ``agent_count`` users."""
    rng = random.Random(20261204)
    client = Client(slug="bench", name="Bench", currency="EUR", as_of_date=AS_OF)
    session.add(client)
    await session.flush()
    debtors = [{"client_id": client.id, "reference": f"D{n:06d}"} for n in range(case_count)]
    await _insert_batches(session, Debtor, debtors)
    debtor_ids = (await session.scalars(select(Debtor.id).where(Debtor.client_id == client.id))).all()
    await _insert_batches(session, Case, [_case_row(client.id, debtor_id, rng) for debtor_id in debtor_ids])
    users = [
        {"email": f"agent{n}@bench.test", "display_name": f"Agent {n}", "password_hash": "-"}
        for n in range(agent_count)
    ]
    await _insert_batches(session, User, users)
    await session.commit()
    user_ids = (await session.scalars(select(User.id).order_by(User.id))).all()
    return client, list(user_ids)


async def _median(name: str, repeats: int, call: Callable[[int], Awaitable[object]]) -> Measurement:
    await call(0)
    timings = []
    for index in range(1, repeats + 1):
        started = time.perf_counter()
        await call(index)
        timings.append(time.perf_counter() - started)
    return Measurement(name, statistics.median(timings), repeats)


async def measure(session: AsyncSession, client: Client, user_ids: list[int], repeats: int) -> list[Measurement]:
    scope = Scope.for_client(client.id)
    now = datetime.combine(AS_OF, datetime.min.time(), UTC) + timedelta(hours=12)

    async def floor(_: int) -> object:
        return (await session.execute(FLOOR_SQL, {"client_id": client.id})).all()

    async def queue_page(_: int) -> object:
        return await list_call_queue(session, scope, limit=PAGE_SIZE, now=now)

    async def claim(index: int) -> object:
        return await claim_next_case(session, scope, user_ids[index], now=now)

    async def write_floor(index: int) -> object:
        await session.execute(UPDATE_FLOOR_SQL, {"name": f"Bench {index}", "client_id": client.id})
        return await session.commit()

    claim_repeats = min(repeats, len(user_ids) - 1)
    return [
        await _median("floor: raw SELECT ... LIMIT 50", repeats, floor),
        await _median("raw one-row UPDATE + COMMIT", claim_repeats, write_floor),
        await _median("list_call_queue(limit=50)", repeats, queue_page),
        await _median("claim_next_case", claim_repeats, claim),
    ]


async def _refresh(session: AsyncSession, client: Client) -> Measurement:
    started = time.perf_counter()
    await refresh_priorities(session, client, today=AS_OF)
    await session.commit()
    return Measurement("refresh_priorities (all cases)", time.perf_counter() - started, 1)


async def _analyze(session: AsyncSession) -> None:
    # Fresh planner statistics, as autovacuum or a nightly ANALYZE would leave them;
    # without them PostgreSQL guesses one row per client and sorts the whole queue.
    await session.execute(text("ANALYZE"))
    await session.commit()


async def run_backend(database_url: str, case_count: int, repeats: int) -> list[Measurement]:
    engine = create_engine(database_url)
    sessions = create_session_factory(engine)
    try:
        async with sessions() as session:
            client, user_ids = await seed(session, case_count, agent_count=repeats + 1)
            refresh = await _refresh(session, client)
            await _analyze(session)
        # A fresh session, like a request's, so the 20,000 cases loaded by the refresh are not in its identity map.
        async with sessions() as session:
            return [*await measure(session, client, user_ids, repeats), refresh]
    finally:
        await engine.dispose()


def print_report(label: str, case_count: int, measurements: list[Measurement]) -> None:
    floor = measurements[0].median_seconds
    print(f"\n{label}: {case_count} open cases, medians")
    for item in measurements:
        ratio = "" if item.repeats == 1 else f"{item.median_seconds / floor:8.1f}x floor"
        print(f"  {item.name:34} {item.median_seconds * 1000:10.3f} ms  {ratio}  (n={item.repeats})")


def bench_sqlite(case_count: int, repeats: int) -> None:
    with tempfile.TemporaryDirectory(prefix="hub-bench-") as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        upgrade_database(url)
        print_report("SQLite", case_count, asyncio.run(run_backend(url, case_count, repeats)))


def _is_listening(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), timeout=1):
            return True
    except OSError:
        return False


async def _admin(admin_url: str, statement: str) -> None:
    url = make_url(admin_url)
    connection = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, password=url.password, database=url.database
    )
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def bench_postgres(admin_url: str, case_count: int, repeats: int) -> None:
    if not _is_listening(admin_url):
        print(f"\nPostgreSQL: skipped, nothing listens at {admin_url}")
        return
    admin_url = normalise_database_url(admin_url)
    name = f"hub_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(admin_url, f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        upgrade_database(url)
        print_report("PostgreSQL", case_count, asyncio.run(run_backend(url, case_count, repeats)))
    finally:
        asyncio.run(_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000, help="Open cases to seed (default: 20000).")
    parser.add_argument("--repeats", type=int, default=200, help="Timed calls per measurement (default: 200).")
    parser.add_argument(
        "--postgres-url", default=DEFAULT_POSTGRES_URL, help="Server database used to create a temporary database."
    )
    parser.add_argument("--no-postgres", action="store_true", help="Measure SQLite only.")
    args = parser.parse_args()

    bench_sqlite(args.cases, args.repeats)
    if not args.no_postgres:
        bench_postgres(args.postgres_url, args.cases, args.repeats)


if __name__ == "__main__":
    main()
