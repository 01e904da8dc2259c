"""Job functions shared by the arq worker and the in-process runner.

Each job takes arq's ``ctx`` dict, which carries ``session_factory``.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.cases.refresh import refresh_client
from hub.clients.models import Client
from hub.db import create_engine, create_session_factory
from hub.settings import Settings

logger = logging.getLogger(__name__)


async def startup(ctx: dict[str, Any]) -> None:
    settings = ctx.get("settings") or Settings.from_env()
    engine = create_engine(settings.database_url)
    ctx["engine"] = engine
    ctx["session_factory"] = create_session_factory(engine)


async def shutdown(ctx: dict[str, Any]) -> None:
    await ctx["engine"].dispose()


async def refresh_cases(ctx: dict[str, Any], client_id: int | None = None) -> int:
    """Recompute balances, risk scores and queue priorities; return how many clients were refreshed.

    Urgency grows with days past due, so this runs daily as well as after imports.
    """
    session_factory: async_sessionmaker[AsyncSession] = ctx["session_factory"]
    async with session_factory() as session:
        query = select(Client.id).order_by(Client.id)
        if client_id is not None:
            query = query.where(Client.id == client_id)
        client_ids = (await session.scalars(query)).all()

    for refreshed_id in client_ids:
        # One transaction per client, so one client's failure leaves the others refreshed.
        async with session_factory() as session:
            client = await session.get_one(Client, refreshed_id)
            await refresh_client(session, client)
            await session.commit()
    logger.info("refresh_cases done clients=%d", len(client_ids))
    return len(client_ids)
