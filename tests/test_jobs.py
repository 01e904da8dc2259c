from datetime import UTC, datetime

import pytest
from arq import Worker
from arq.connections import RedisSettings, create_pool
from litestar.testing import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hub.app import create_app
from hub.cases.models import Case
from hub.db import create_session_factory
from hub.jobs import ArqJobRunner, InProcessJobRunner, seconds_until
from hub.settings import Settings
from tests.queue_factories import add_case, add_client
from tests.services import require_redis
from workers.jobs import refresh_cases, shutdown, startup


async def seed_stale_case(session_factory: async_sessionmaker[AsyncSession]) -> int:
    """Insert a case whose stored balance and priority lag behind its 125.00 open invoice."""
    async with session_factory() as session:
        client = await add_client(session)
        case = await add_case(session, client, open_minor=12_500, priority=0.0)
        case.open_minor = 0
        await session.commit()
        return case.id


def test_seconds_until_later_today() -> None:
    now = datetime(2026, 1, 5, 1, 30, tzinfo=UTC)

    assert seconds_until(2, 0, now) == 30 * 60


def test_seconds_until_rolls_to_tomorrow() -> None:
    now = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)

    assert seconds_until(2, 0, now) == 24 * 3600


async def test_in_process_runner_refreshes_cases(engine: AsyncEngine) -> None:
    session_factory = create_session_factory(engine)
    case_id = await seed_stale_case(session_factory)
    runner = InProcessJobRunner({"session_factory": session_factory})

    task = await runner.enqueue(refresh_cases)
    refreshed = await task
    await runner.close()

    assert refreshed == 1
    async with session_factory() as session:
        case = await session.get_one(Case, case_id)
        assert case.open_minor == 12_500
        assert case.priority > 0


@pytest.fixture
async def redis_settings() -> RedisSettings:
    settings = RedisSettings.from_dsn(require_redis())
    pool = await create_pool(settings)
    await pool.flushdb()
    await pool.aclose()
    return settings


async def test_arq_worker_refreshes_cases(
    engine: AsyncEngine, hub_env: dict[str, str], redis_settings: RedisSettings
) -> None:
    session_factory = create_session_factory(engine)
    case_id = await seed_stale_case(session_factory)
    runner = ArqJobRunner(f"redis://{redis_settings.host}:{redis_settings.port}/{redis_settings.database}")
    job = await runner.enqueue(refresh_cases)
    await runner.close()

    worker = Worker(
        functions=[refresh_cases],
        redis_settings=redis_settings,
        on_startup=startup,
        on_shutdown=shutdown,
        burst=True,
        poll_delay=0.05,
        handle_signals=False,
    )
    await worker.main()
    await worker.close()

    assert worker.jobs_complete == 1
    assert worker.jobs_failed == 0
    assert job is not None
    async with session_factory() as session:
        case = await session.get_one(Case, case_id)
        assert case.open_minor == 12_500


def test_app_runs_daily_refresh_in_process(database_url: str, engine: AsyncEngine) -> None:
    app = create_app(Settings(database_url=database_url))
    with TestClient(app) as client:
        assert client.get("/health").status_code == 200
        runner = app.state.jobs
        task_names = {task.get_name() for task in runner._tasks}

    assert isinstance(runner, InProcessJobRunner)
    assert task_names == {
        "daily-refresh_cases",
        "daily-apply_retention",
        "daily-evaluate_promises",
        "daily-expire_payment_checks",
    }


def test_app_sends_jobs_to_arq_with_redis(database_url: str, engine: AsyncEngine) -> None:
    app = create_app(Settings(database_url=database_url, redis_url=require_redis()))
    with TestClient(app):
        runner = app.state.jobs

    assert isinstance(runner, ArqJobRunner)
