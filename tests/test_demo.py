"""The demo portfolio and the ``hub user add`` command."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date
from typing import TypeVar

from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hub.accounts.models import User
from hub.accounts.services import authenticate
from hub.cases.models import Case
from hub.cases.workspace import AGING_BUCKETS, aging_bucket
from hub.cli import main
from hub.clients.models import Client
from hub.db import create_engine, create_session_factory
from hub.debtors.models import Debtor
from hub.demo import DEMO_PASSWORDS, seed_demo_if_empty
from hub.disputes.models import Dispute
from hub.invoices.models import Invoice

T = TypeVar("T")


def run_query(database_url: str, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` on an engine of its own, since sync CLI tests have no event loop to share."""

    async def runner() -> T:
        engine = create_engine(database_url)
        try:
            async with create_session_factory(engine)() as session:
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(runner())


def count_rows(engine: AsyncEngine, model: type) -> int:
    async def work(session: AsyncSession) -> int:
        return await session.scalar(select(func.count()).select_from(model)) or 0

    return run_query(engine.url.render_as_string(hide_password=False), work)


def test_demo_seeds_requested_cases(hub_env: dict[str, str], engine: AsyncEngine) -> None:
    result = CliRunner().invoke(main, ["demo", "--cases", "12", "--client", "sample"])

    assert result.exit_code == 0, result.output
    assert count_rows(engine, Client) == 1
    assert count_rows(engine, Debtor) == 12
    assert count_rows(engine, Case) == 12
    assert count_rows(engine, Dispute) >= 2
    assert "demo portfolio 'sample' seeded: 12 debtors" in result.output


def test_demo_prints_one_login_per_role(hub_env: dict[str, str]) -> None:
    result = CliRunner().invoke(main, ["demo", "--cases", "5"])

    for role, password in DEMO_PASSWORDS.items():
        assert f"{role.value}@demo.test" in result.output
        assert password in result.output


def test_demo_spreads_invoices_over_buckets(hub_env: dict[str, str], engine: AsyncEngine) -> None:
    CliRunner().invoke(main, ["demo"])

    async def open_due_dates(session: AsyncSession) -> list[date]:
        return list((await session.scalars(select(Invoice.due_date).where(Invoice.open_minor > 0))).all())

    due_dates = run_query(hub_env["HUB_DATABASE_URL"], open_due_dates)
    buckets = {aging_bucket((date.today() - due).days) for due in due_dates}
    assert buckets == set(AGING_BUCKETS)


def test_demo_scores_every_open_case(hub_env: dict[str, str], engine: AsyncEngine) -> None:
    CliRunner().invoke(main, ["demo", "--cases", "20"])

    async def unscored(session: AsyncSession) -> int:
        query = select(func.count()).where(Case.status == "open", Case.risk_score.is_(None))
        return await session.scalar(query) or 0

    assert run_query(hub_env["HUB_DATABASE_URL"], unscored) == 0


def test_demo_rejects_existing_client(hub_env: dict[str, str]) -> None:
    runner = CliRunner()
    runner.invoke(main, ["demo", "--cases", "3"])

    result = runner.invoke(main, ["demo", "--cases", "3"])

    assert result.exit_code == 1
    assert "client 'demo' already exists" in result.output


def test_demo_second_client_shares_users(hub_env: dict[str, str], engine: AsyncEngine) -> None:
    runner = CliRunner()
    runner.invoke(main, ["demo", "--cases", "3"])

    result = runner.invoke(main, ["demo", "--cases", "3", "--client", "second"])

    assert result.exit_code == 0, result.output
    assert count_rows(engine, User) == 3


def test_seed_demo_if_empty_is_idempotent(hub_env: dict[str, str], engine: AsyncEngine) -> None:
    first = seed_demo_if_empty()
    second = seed_demo_if_empty()

    assert first is not None
    assert first.debtors == 60
    assert second is None
    assert count_rows(engine, Client) == 1
    assert count_rows(engine, Debtor) == 60


def test_seed_demo_if_empty_skips_existing_client(hub_env: dict[str, str], engine: AsyncEngine) -> None:
    CliRunner().invoke(main, ["client", "add", "acme", "--name", "Acme"])

    assert seed_demo_if_empty() is None
    assert count_rows(engine, Debtor) == 0


def test_user_add_generates_password_once(hub_env: dict[str, str], engine: AsyncEngine) -> None:
    runner = CliRunner()
    runner.invoke(main, ["client", "add", "acme", "--name", "Acme"])

    result = runner.invoke(main, ["user", "add", "Sam@Acme.test", "--role", "agent", "--client", "acme"])

    assert result.exit_code == 0, result.output
    assert "user sam@acme.test added (role agent; clients: acme)" in result.output
    password = result.output.split("password: ", 1)[1].split()[0]

    async def check(session: AsyncSession) -> list[str] | None:
        user = await authenticate(session, "sam@acme.test", password)
        return None if user is None else [client.slug for client in user.clients]

    slugs = run_query(hub_env["HUB_DATABASE_URL"], check)
    assert slugs == ["acme"]


def test_user_add_with_password_prints_none(hub_env: dict[str, str]) -> None:
    result = CliRunner().invoke(
        main, ["user", "add", "boss@acme.test", "--role", "admin", "--password", "long-enough-pw", "--name", "Boss"]
    )

    assert result.exit_code == 0, result.output
    assert "clients: all" in result.output
    assert "password:" not in result.output


def test_user_add_rejects_bad_values(hub_env: dict[str, str]) -> None:
    runner = CliRunner()
    cases = [
        (["not-an-email", "--role", "agent", "--password", "long-enough-pw"], "invalid email 'not-an-email'"),
        (["a@b.test", "--role", "agent", "--password", "short"], "password too short"),
        (["a@b.test", "--role", "agent", "--client", "nope", "--password", "long-enough-pw"], "unknown client 'nope'"),
        (["a@b.test", "--role", "boss"], "Invalid value for '--role'"),
    ]
    for arguments, message in cases:
        result = runner.invoke(main, ["user", "add", *arguments])
        assert result.exit_code != 0, arguments
        assert message in result.output, result.output


def test_user_add_rejects_duplicate_email(hub_env: dict[str, str]) -> None:
    runner = CliRunner()
    runner.invoke(main, ["user", "add", "a@b.test", "--role", "admin", "--password", "long-enough-pw"])

    result = runner.invoke(main, ["user", "add", "A@b.test", "--role", "agent", "--password", "long-enough-pw"])

    assert result.exit_code == 1
    assert "user 'a@b.test' already exists" in result.output
