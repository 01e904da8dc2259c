"""Run job functions without Redis: the embedded default behind `hub serve`.

The same functions from workers.jobs run on the app's event loop, and the
daily cron entries of workers.settings fire at their hour. With
HUB_REDIS_URL set, jobs go to arq workers instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from arq import create_pool
from arq.connections import RedisSettings

logger = logging.getLogger(__name__)

JobFunction = Callable[..., Awaitable[Any]]


def seconds_until(hour: int, minute: int, now: datetime) -> float:
    """Return the seconds from ``now`` to the next ``hour:minute`` UTC."""
    target = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if target <= now:
        target += timedelta(days=1)
    return (target - now).total_seconds()


class JobRunner(Protocol):
    async def enqueue(self, function: JobFunction, **kwargs: Any) -> Any: ...

    async def close(self) -> None: ...


class InProcessJobRunner:
    """Runs jobs as tasks on the current event loop with an arq-style ``ctx``."""

    def __init__(self, ctx: dict[str, Any]) -> None:
        self.ctx = ctx
        self._tasks: set[asyncio.Task[Any]] = set()

    def _spawn(self, awaitable: Awaitable[Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(awaitable)
        task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _run(self, function: JobFunction, kwargs: dict[str, Any]) -> Any:
        try:
            return await function(self.ctx, **kwargs)
        except Exception:
            logger.exception("job failed function=%s", function.__name__)
            raise

    async def enqueue(self, function: JobFunction, **kwargs: Any) -> asyncio.Task[Any]:
        return self._spawn(self._run(function, kwargs), function.__name__)

    async def _run_daily(self, function: JobFunction, hour: int, minute: int) -> None:
        while True:
            await asyncio.sleep(seconds_until(hour, minute, datetime.now(UTC)))
            # _run has logged a failure; the schedule goes on.
            with contextlib.suppress(Exception):
                await self._run(function, {})

    def start_daily(self, function: JobFunction, hour: int, minute: int = 0) -> None:
        self._spawn(self._run_daily(function, hour, minute), f"daily-{function.__name__}")

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


class ArqJobRunner:
    """Sends jobs to arq workers through Redis."""

    def __init__(self, redis_url: str) -> None:
        self.redis_settings = RedisSettings.from_dsn(redis_url)
        self._pool: Any = None

    async def enqueue(self, function: JobFunction, **kwargs: Any) -> Any:
        if self._pool is None:
            self._pool = await create_pool(self.redis_settings)
        return await self._pool.enqueue_job(function.__name__, **kwargs)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()
