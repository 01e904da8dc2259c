"""One agent pressing "Next case" several times at once keeps one claim."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hub.accounts.scope import Scope
from hub.cases.models import Case
from hub.cases.queue import claim_next_case
from hub.db import create_session_factory
from tests.queue_factories import NOW, add_case, add_client, add_user

PRESSES = 10


async def _press(engine: AsyncEngine, scope: Scope, user_id: int) -> int | None:
    async with create_session_factory(engine)() as session:
        return await claim_next_case(session, scope, user_id, now=NOW)


async def _seed(session: AsyncSession) -> tuple[Scope, int]:
    client = await add_client(session)
    for index in range(20):
        await add_case(session, client, priority=float(index))
    user = await add_user(session)
    await session.commit()
    return Scope.for_client(client.id, user.id), user.id


async def test_parallel_presses_give_one_case(session: AsyncSession, engine: AsyncEngine) -> None:
    scope, user_id = await _seed(session)

    claimed = await asyncio.gather(*(_press(engine, scope, user_id) for _ in range(PRESSES)))

    assert len(set(claimed)) == 1


async def test_parallel_presses_hold_one_claim(session: AsyncSession, engine: AsyncEngine) -> None:
    scope, user_id = await _seed(session)

    await asyncio.gather(*(_press(engine, scope, user_id) for _ in range(PRESSES)))

    claimed_count = await session.scalar(select(func.count(Case.id)).where(Case.claimed_by_id == user_id))
    assert claimed_count == 1
