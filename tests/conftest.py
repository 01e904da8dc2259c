"""Fixtures shared by the whole suite.

The main database is SQLite in a temporary file unless
``HUB_TEST_DATABASE_URL`` names a PostgreSQL server. On PostgreSQL the
suite creates and drops a database of its own. Every test starts from
empty tables.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from argon2 import PasswordHasher
from playwright.sync_api import Browser
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hub.accounts import services as account_services
from hub.db import create_engine, create_session_factory
from hub.migrate import upgrade_database
from hub.models import Base
from hub.settings import PROJECT_ROOT, normalise_database_url
from tests.browser import LiveServer, launch_chromium, run_live_server
from tests.services import skip_or_fail

SHARED_DIR = Path(os.environ.get("HUB_SHARED_DIR", PROJECT_ROOT.parent / "shared"))


@pytest.fixture(scope="session", autouse=True)
def light_password_hashing() -> Iterator[None]:
    """Hash passwords with argon2 at its lowest cost, since the default cost takes about 0.3 s per hash here.

    The algorithm and code paths stay the same; only the cost parameters
    stored in each hash differ from production.
    """
    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(account_services, "PASSWORD_HASHER", hasher)
        patch.setattr(account_services, "_UNKNOWN_USER_HASH", hasher.hash("unknown-user"))
        yield


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The folder of public receivables data and real-world cases beside the project."""
    if not SHARED_DIR.is_dir():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{SHARED_DIR} is missing; CI must run with the shared folder beside the project")
        pytest.skip(f"{SHARED_DIR} is missing")
    return SHARED_DIR


async def _recreate_postgres_database(admin_url: str, name: str, drop_only: bool = False) -> None:
    url = make_url(admin_url)
    connection = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, password=url.password, database=url.database
    )
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, empty database for this test session."""
    configured = os.environ.get("HUB_TEST_DATABASE_URL")
    if not configured:
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'hub.db'}"
        upgrade_database(url)
        yield url
        return

    admin_url = normalise_database_url(configured)
    name = f"hub_test_{uuid.uuid4().hex[:8]}"
    try:
        asyncio.run(_recreate_postgres_database(admin_url, name))
    except (OSError, asyncpg.PostgresError) as error:
        skip_or_fail(f"PostgreSQL at {admin_url} is not usable: {error}")
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    upgrade_database(url)
    yield url
    asyncio.run(_recreate_postgres_database(admin_url, name, drop_only=True))


async def _empty_all_tables(engine: AsyncEngine) -> None:
    tables = list(reversed(Base.metadata.sorted_tables))
    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in tables)
            await connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                await connection.execute(table.delete())


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    await _empty_all_tables(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    async with create_session_factory(engine)() as session:
        yield session


@pytest.fixture
def live_server(database_url: str, engine: AsyncEngine) -> Iterator[LiveServer]:
    """The real app on uvicorn on 127.0.0.1, serving the base world from the test database."""
    yield from run_live_server(database_url)


@pytest.fixture
def browser() -> Iterator[Browser]:
    yield from launch_chromium()


@pytest.fixture
def hub_env(database_url: str, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Environment for running the ``hub`` CLI in-process against the test database."""
    monkeypatch.setenv("HUB_DATABASE_URL", database_url)
    return {"HUB_DATABASE_URL": database_url}
