"""Benchmark the payments import and the daily promise evaluation against raw-SQL floors.

Seeds one client with a synthetic portfolio in a temporary SQLite file, and
in a temporary PostgreSQL database when one is reachable. Each debtor has
four open invoices, and some cases have an open promise of two or three
instalments. Then it times:

- floor A: a raw executemany ``INSERT`` of N payment rows, committed, the
  least that any import of N payments must write;
- import_table("payments"): the whole import of a CSV file of N payments
  (half quote an invoice, some overpay, some quote unknown invoices), with
  allocation, case refresh and promise evaluation, committed. Each
  repetition runs on a fresh copy of the seeded database;
- floor B: a raw ``SELECT`` of the client's payments;
- evaluate_debtor_promises: one evaluation of every debtor with a promise,
  as the daily job runs it, flushed and then rolled back.

Each figure is the median of its repetitions, printed as a ratio to its
floor measured in the same run. Run with ``python -m bench.payments_bench``.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import random
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

import hub.models  # noqa: F401  (registers every table for the foreign keys)
from bench.queue_claim import DEFAULT_POSTGRES_URL, _admin, _is_listening
from hub.cases.models import Case
from hub.cases.priority import client_today
from hub.cases.refresh import refresh_client
from hub.clients.models import Client
from hub.db import create_engine, create_session_factory
from hub.debtors.models import Debtor
from hub.imports.mapping import Mapping
from hub.imports.reader import CsvTable, read_table
from hub.imports.services import import_table
from hub.invoices.models import Invoice
from hub.migrate import upgrade_database
from hub.promises.evaluation import evaluate_debtor_promises
from hub.promises.models import Frequency, Promise, PromiseInstalment, PromiseInvoice, PromiseStatus
from hub.settings import normalise_database_url

SLUG = "bench"
INVOICES_PER_DEBTOR = 4
INSERT_BATCH_ROWS = 2_000
INSTALMENT_DAYS = 14
# Shares of the payments file: rows quoting an invoice of the debtor, rows quoting a number no invoice has,
# rows paying more than the debtor owes, and rows of debtors with a promise.
QUOTING_SHARE = 0.5
UNKNOWN_INVOICE_SHARE = 0.05
OVERPAYING_SHARE = 0.1
PROMISE_DEBTOR_SHARE = 0.4
FLOOR_INSERT_SQL = text(
    "INSERT INTO payment (client_id, debtor_id, invoice_id, reference, currency, amount_minor, paid_on, source,"
    " invoice_reference, unallocated_minor, unallocated_reason, created_at) VALUES (:client_id, :debtor_id,"
    " :invoice_id, :reference, :currency, :amount_minor, :paid_on, :source, :invoice_reference,"
    " :unallocated_minor, :unallocated_reason, :created_at)"
)
FLOOR_SELECT_SQL = text(
    "SELECT id, debtor_id, invoice_id, reference, currency, amount_minor, paid_on, source, invoice_reference,"
    " unallocated_minor, unallocated_reason FROM payment WHERE client_id = :client_id"
)


@dataclass(frozen=True)
class Portfolio:
    """The facts of the seeded client that the payments file and the timings use."""

    client_id: int
    today: date
    # Per debtor reference: the numbers and open amounts of its invoices.
    invoices: dict[str, list[tuple[str, int]]]
    debtor_ids: dict[str, int]
    promise_debtors: list[str]


@dataclass(frozen=True)
class Measurement:
    name: str
    median_seconds: float
    repeats: int


async def _insert_batches(session: AsyncSession, model: type, rows: list[dict[str, object]]) -> None:
    for start in range(0, len(rows), INSERT_BATCH_ROWS):
        await session.execute(insert(model), rows[start : start + INSERT_BATCH_ROWS])


async def seed(session: AsyncSession, debtor_count: int, promise_count: int) -> Portfolio:
    """Insert the client, its debtors, open invoices and promises, then bring cases and promises up to date."""
    rng = random.Random(20261204)
    client = Client(slug=SLUG, name="Bench", currency="EUR")
    session.add(client)
    await session.flush()
    today = client_today(client)
    await _insert_batches(
        session, Debtor, [{"client_id": client.id, "reference": f"D{n:06d}"} for n in range(debtor_count)]
    )
    debtor_rows = await session.execute(select(Debtor.reference, Debtor.id).where(Debtor.client_id == client.id))
    debtor_ids = {reference: debtor_id for reference, debtor_id in debtor_rows}
    invoice_rows = []
    invoices: dict[str, list[tuple[str, int]]] = {}
    for reference, debtor_id in debtor_ids.items():
        for index in range(INVOICES_PER_DEBTOR):
            amount = rng.randint(5_000, 200_000)
            invoices.setdefault(reference, []).append((f"{reference}-{index}", amount))
            due = today - timedelta(days=rng.randint(-20, 200))
            invoice_rows.append(
                {
                    "client_id": client.id,
                    "debtor_id": debtor_id,
                    "number": f"{reference}-{index}",
                    "currency": "EUR",
                    "amount_minor": amount,
                    "open_minor": amount,
                    "issue_date": due - timedelta(days=30),
                    "due_date": due,
                }
            )
    await _insert_batches(session, Invoice, invoice_rows)
    await refresh_client(session, client)

    promise_debtors = rng.sample(sorted(debtor_ids), promise_count)
    await _seed_promises(session, client, today, promise_debtors, debtor_ids, invoices, rng)
    await evaluate_debtor_promises(session, client, [debtor_ids[reference] for reference in promise_debtors], today)
    await session.commit()
    return Portfolio(client.id, today, invoices, debtor_ids, promise_debtors)


async def _seed_promises(
    session: AsyncSession,
    client: Client,
    today: date,
    promise_debtors: list[str],
    debtor_ids: dict[str, int],
    invoices: dict[str, list[tuple[str, int]]],
    rng: random.Random,
) -> None:
    with_promise = {debtor_ids[reference] for reference in promise_debtors}
    case_rows = await session.execute(select(Case.debtor_id, Case.id).where(Case.client_id == client.id))
    case_of = {debtor_id: case_id for debtor_id, case_id in case_rows if debtor_id in with_promise}

    promise_rows = []
    for reference in promise_debtors:
        total = sum(amount for _, amount in invoices[reference])
        promise_rows.append(
            {
                "client_id": client.id,
                "case_id": case_of[debtor_ids[reference]],
                "debtor_id": debtor_ids[reference],
                "currency": "EUR",
                "amount_minor": rng.randint(total // 4, total),
                "frequency": Frequency.FORTNIGHTLY,
                "made_on": today - timedelta(days=rng.randint(5, 40)),
                "status": PromiseStatus.OPEN,
            }
        )
    await _insert_batches(session, Promise, promise_rows)

    promises = (
        await session.execute(
            select(Promise.id, Promise.debtor_id, Promise.amount_minor, Promise.made_on).where(
                Promise.client_id == client.id
            )
        )
    ).all()
    reference_of = {debtor_id: reference for reference, debtor_id in debtor_ids.items()}
    number_ids = dict(
        (await session.execute(select(Invoice.number, Invoice.id).where(Invoice.client_id == client.id))).all()
    )

    instalment_rows = []
    covered_rows = []
    for promise_id, debtor_id, amount, made_on in promises:
        count = rng.choice((2, 3))
        share = amount // count
        for sequence in range(1, count + 1):
            instalment_rows.append(
                {
                    "client_id": client.id,
                    "promise_id": promise_id,
                    "sequence": sequence,
                    "due_on": made_on + timedelta(days=INSTALMENT_DAYS * sequence),
                    "amount_minor": share if sequence < count else amount - share * (count - 1),
                }
            )
        for number, _ in invoices[reference_of[debtor_id]]:
            covered_rows.append({"promise_id": promise_id, "invoice_id": number_ids[number], "client_id": client.id})
    await _insert_batches(session, PromiseInstalment, instalment_rows)
    await _insert_batches(session, PromiseInvoice, covered_rows)


def write_payments_file(path: Path, portfolio: Portfolio, count: int) -> None:
    """Write ``count`` payments: quoting, overpaying, unknown-invoice and debtor-only rows."""
    rng = random.Random(4)
    others = sorted(set(portfolio.debtor_ids) - set(portfolio.promise_debtors))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["payment_reference", "amount", "paid_on", "invoice_number", "debtor_reference"])
        for n in range(count):
            pool = portfolio.promise_debtors if rng.random() < PROMISE_DEBTOR_SHARE else others
            debtor = rng.choice(pool)
            invoices = portfolio.invoices[debtor]
            number, amount = rng.choice(invoices)
            draw = rng.random()
            if draw < UNKNOWN_INVOICE_SHARE:
                number, amount = f"X{n:06d}", rng.randint(1_000, 50_000)
            elif draw < QUOTING_SHARE:
                amount = rng.choice((amount, amount // 2))
            else:
                number = ""
                amount = rng.randint(1_000, amount)
            if rng.random() < OVERPAYING_SHARE:
                amount = sum(open_amount for _, open_amount in invoices) + rng.randint(100, 10_000)
            paid_on = portfolio.today - timedelta(days=rng.randint(0, 30))
            writer.writerow([f"P{n:07d}", f"{amount / 100:.2f}", paid_on.isoformat(), number, debtor])


def _floor_rows(portfolio: Portfolio, count: int, prefix: str) -> list[dict[str, object]]:
    rng = random.Random(5)
    debtor_ids = list(portfolio.debtor_ids.values())
    now = datetime.now(UTC)
    return [
        {
            "client_id": portfolio.client_id,
            "debtor_id": rng.choice(debtor_ids),
            "invoice_id": None,
            "reference": f"{prefix}{n:07d}",
            "currency": "EUR",
            "amount_minor": rng.randint(1_000, 100_000),
            "paid_on": portfolio.today,
            "source": "import",
            "invoice_reference": None,
            "unallocated_minor": 0,
            "unallocated_reason": None,
            "created_at": now,
        }
        for n in range(count)
    ]


async def _median(name: str, repeats: int, call: Callable[[int], Awaitable[float]]) -> Measurement:
    """Return the median of ``repeats`` calls. Each call returns the seconds its timed part took."""
    return Measurement(name, statistics.median([await call(index) for index in range(repeats)]), repeats)


class Backend:
    """A place for the seeded database and its fresh copies: one server or one folder."""

    label = ""

    def seeded_url(self) -> str:
        raise NotImplementedError

    def fresh_copy(self) -> str:
        raise NotImplementedError

    def drop_copy(self, url: str) -> None:
        raise NotImplementedError


class SqliteBackend(Backend):
    label = "SQLite"

    def __init__(self, folder: Path):
        self.folder = folder
        self.seeded = folder / "seeded.db"

    def seeded_url(self) -> str:
        return f"sqlite+aiosqlite:///{self.seeded}"

    def fresh_copy(self) -> str:
        target = self.folder / f"copy-{uuid.uuid4().hex[:8]}.db"
        shutil.copyfile(self.seeded, target)
        wal = Path(f"{self.seeded}-wal")
        if wal.exists():
            shutil.copyfile(wal, Path(f"{target}-wal"))
        return f"sqlite+aiosqlite:///{target}"

    def drop_copy(self, url: str) -> None:
        path = Path(make_url(url).database or "")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


class PostgresBackend(Backend):
    label = "PostgreSQL"

    def __init__(self, admin_url: str):
        self.admin_url = normalise_database_url(admin_url)
        self.seeded = f"hub_bench_{uuid.uuid4().hex[:8]}"
        self.databases: list[str] = []

    def _url(self, name: str) -> str:
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def _create(self, name: str, template: str | None = None) -> str:
        clause = f' TEMPLATE "{template}"' if template else ""
        asyncio.run(_admin(self.admin_url, f'CREATE DATABASE "{name}"{clause}'))
        self.databases.append(name)
        return self._url(name)

    def seeded_url(self) -> str:
        return self._create(self.seeded)

    def fresh_copy(self) -> str:
        return self._create(f"{self.seeded}_{uuid.uuid4().hex[:6]}", template=self.seeded)

    def drop_copy(self, url: str) -> None:
        name = make_url(url).database
        asyncio.run(_admin(self.admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if name in self.databases:
            self.databases.remove(name)

    def drop_all(self) -> None:
        for name in list(self.databases):
            self.drop_copy(self._url(name))


async def _seed_database(url: str, debtors: int, promises: int) -> Portfolio:
    engine = create_engine(url)
    try:
        async with create_session_factory(engine)() as session:
            portfolio = await seed(session, debtors, promises)
            # Fresh planner statistics, as autovacuum or a nightly ANALYZE would leave them.
            await session.execute(text("ANALYZE"))
            await session.commit()
            return portfolio
    finally:
        await engine.dispose()


async def _floor_insert(url: str, portfolio: Portfolio, count: int, repeats: int) -> Measurement:
    engine = create_engine(url)
    try:
        async with create_session_factory(engine)() as session:
            await session.execute(text("SELECT 1"))

            async def write(index: int) -> float:
                rows = _floor_rows(portfolio, count, f"F{index}-")
                started = time.perf_counter()
                await session.execute(FLOOR_INSERT_SQL, rows)
                await session.commit()
                return time.perf_counter() - started

            return await _median(f"floor A: raw INSERT of {count} payments", repeats, write)
    finally:
        await engine.dispose()


async def _import_once(url: str, table: CsvTable) -> tuple[float, str]:
    engine = create_engine(url)
    try:
        async with create_session_factory(engine)() as session:
            await session.execute(text("SELECT 1"))
            started = time.perf_counter()
            summary = await import_table(session, "payments", SLUG, table, Mapping(source="default"))
            await session.commit()
            return time.perf_counter() - started, summary.as_text()
    finally:
        await engine.dispose()


async def _after_import(url: str, portfolio: Portfolio, repeats: int) -> list[Measurement]:
    engine = create_engine(url)
    sessions = create_session_factory(engine)
    debtor_ids = [portfolio.debtor_ids[reference] for reference in portfolio.promise_debtors]
    try:

        async def floor(_: int) -> float:
            async with sessions() as session:
                await session.execute(text("SELECT 1"))
                started = time.perf_counter()
                (await session.execute(FLOOR_SELECT_SQL, {"client_id": portfolio.client_id})).all()
                return time.perf_counter() - started

        async def evaluate(_: int) -> float:
            # A fresh session each time, like the daily job's, rolled back so every run reads the same records.
            async with sessions() as session:
                client = await session.get_one(Client, portfolio.client_id)
                started = time.perf_counter()
                await evaluate_debtor_promises(session, client, debtor_ids)
                await session.flush()
                seconds = time.perf_counter() - started
                await session.rollback()
                return seconds

        return [
            await _median("floor B: raw SELECT of payments", repeats, floor),
            await _median(f"evaluate_debtor_promises({len(debtor_ids)})", repeats, evaluate),
        ]
    finally:
        await engine.dispose()


def run_backend(backend: Backend, args: argparse.Namespace, folder: Path) -> tuple[list[Measurement], str]:
    url = backend.seeded_url()
    upgrade_database(url)
    portfolio = asyncio.run(_seed_database(url, args.debtors, args.promises))
    payments_file = folder / f"payments-{backend.label}.csv"
    write_payments_file(payments_file, portfolio, args.payments)
    table = read_table(payments_file, Mapping(source="default"))

    floor_copy = backend.fresh_copy()
    try:
        floor_a = asyncio.run(_floor_insert(floor_copy, portfolio, args.payments, args.repeats))
    finally:
        backend.drop_copy(floor_copy)

    timings = []
    last_copy = ""
    for index in range(args.repeats):
        copy = backend.fresh_copy()
        seconds, summary = asyncio.run(_import_once(copy, table))
        timings.append(seconds)
        if index < args.repeats - 1:
            backend.drop_copy(copy)
        last_copy = copy
    imported = Measurement(f"import_table(payments, {args.payments})", statistics.median(timings), args.repeats)
    try:
        floor_b, evaluated = asyncio.run(_after_import(last_copy, portfolio, args.repeats))
    finally:
        backend.drop_copy(last_copy)
    return [floor_a, imported, floor_b, evaluated], summary


def print_report(label: str, args: argparse.Namespace, result: tuple[list[Measurement], str]) -> None:
    (floor_a, imported, floor_b, evaluated), summary = result
    print(
        f"\n{label}: {args.debtors} debtors, {args.debtors * INVOICES_PER_DEBTOR} open invoices, "
        f"{args.promises} promises; medians"
    )
    for item, floor in ((floor_a, floor_a), (imported, floor_a), (floor_b, floor_b), (evaluated, floor_b)):
        ratio = item.median_seconds / floor.median_seconds
        print(f"  {item.name:40} {item.median_seconds * 1000:10.1f} ms  {ratio:8.1f}x floor  (n={item.repeats})")
    print(f"  import summary: {summary}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--debtors", type=int, default=5_000, help="Debtors, each with four open invoices.")
    parser.add_argument("--promises", type=int, default=2_000, help="Debtors with an open promise.")
    parser.add_argument("--payments", type=int, default=1_000, help="Payments in the imported file (default: 1000).")
    parser.add_argument("--repeats", type=int, default=3, help="Timed repetitions of each step (default: 3).")
    parser.add_argument(
        "--postgres-url", default=DEFAULT_POSTGRES_URL, help="Server database used to create temporary databases."
    )
    parser.add_argument("--no-postgres", action="store_true", help="Measure SQLite only.")
    args = parser.parse_args()
    if args.promises > args.debtors:
        parser.error(f"--promises {args.promises} is more than --debtors {args.debtors}: lower --promises")

    with tempfile.TemporaryDirectory(prefix="hub-bench-") as name:
        folder = Path(name)
        print_report("SQLite", args, run_backend(SqliteBackend(folder), args, folder))
        if args.no_postgres:
            return
        if not _is_listening(args.postgres_url):
            print(f"\nPostgreSQL: skipped, nothing listens at {args.postgres_url}")
            return
        backend = PostgresBackend(args.postgres_url)
        try:
            print_report("PostgreSQL", args, run_backend(backend, args, folder))
        finally:
            backend.drop_all()


if __name__ == "__main__":
    main()
