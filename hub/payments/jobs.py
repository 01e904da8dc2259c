"""The daily job that closes payment checks whose payment never arrived, run by the arq worker and in-process."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.clients.models import Client
from hub.payments.checks import clients_with_open_checks
from hub.payments.checks import expire_payment_checks as expire_client_checks

logger = logging.getLogger(__name__)


async def expire_payment_checks(ctx: dict[str, Any], today: date | None = None) -> int:
    """Close as not found the open payment checks past their due day; return how many were closed.

    Each client runs in a transaction of its own, with its local today
    unless ``today`` is given. One client's failure leaves the others
    done, and the job raises once the rest have run.
    """
    session_factory: async_sessionmaker[AsyncSession] = ctx["session_factory"]
    async with session_factory() as session:
        client_ids = await clients_with_open_checks(session)

    closed = 0
    failed: list[int] = []
    for client_id in client_ids:
        try:
            async with session_factory() as session:
                client = await session.get_one(Client, client_id)
                expired = await expire_client_checks(session, client, today=today)
                await session.commit()
            closed += len(expired)
        except Exception:
            logger.exception("expire_payment_checks failed client_id=%d", client_id)
            failed.append(client_id)
    logger.info("expire_payment_checks done clients=%d failed=%d closed=%d", len(client_ids), len(failed), closed)
    if failed:
        raise RuntimeError(f"expiring payment checks failed for client ids {failed}: see the log for each error")
    return closed
