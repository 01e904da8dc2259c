from datetime import UTC, datetime

import pytest
from arq import Worker
from arq.connections import RedisSettings, create_pool
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.cases.models import Case
from hub.db import create_session_factory
from hub.jobs import ArqJobRunner, InProcessJobRunner, seconds_until
from tests.factories_jobs import seed_case_with_stale_priority
from tests.services import require_redis
from workers.jobs import refresh_cases, shutdown, startup


def test_seconds_until_later_today() -> None:
    now = datetime(2026, 1, 5, 1, 30, tzinfo=UTC)

    assert seconds_until(2, 0, now) == 30 * 60


def test_seconds_until_rolls_to_tomorrow() -> None:
    now = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)

    assert seconds_until(2, 0, now) == 24 * 3600


async def test_in_process_runner_refreshes_cases(engine: AsyncEngine) -> None:
    session_factory = create_session_factory(engine)
    case_id = await seed_case_with_stale_priority(session_factory)
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
    case_id = await seed_case_with_stale_priority(session_factory)
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
