"""Job functions shared by the arq worker and the in-process runner.

Each job takes arq's ``ctx`` dict, which carries ``session_factory``.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.cases.priority import client_today
from hub.cases.refresh import refresh_client
from hub.clients.models import Client
from hub.db import create_engine, create_session_factory
from hub.promises.evaluation import debtors_with_open_promises, evaluate_debtor_promises
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


async def evaluate_promises(ctx: dict[str, Any]) -> int:
    """Evaluate every client's promises with open instalments against payments; return how many debtors were checked.

    Each client is evaluated with its own local today, so an instalment turns
    broken on the first day after its due date plus grace in that client's
    time zone.
    """
    session_factory: async_sessionmaker[AsyncSession] = ctx["session_factory"]
    async with session_factory() as session:
        client_ids = (await session.scalars(select(Client.id).order_by(Client.id))).all()

    checked = 0
    for client_id in client_ids:
        # One transaction per client, so one client's failure leaves the others evaluated.
        async with session_factory() as session:
            client = await session.get_one(Client, client_id)
            debtor_ids = await debtors_with_open_promises(session, client)
            await evaluate_debtor_promises(session, client, debtor_ids, client_today(client))
            await session.commit()
        checked += len(debtor_ids)
    logger.info("evaluate_promises done clients=%d debtors=%d", len(client_ids), checked)
    return checked
