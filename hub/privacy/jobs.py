"""The daily retention job, run by the arq worker and by the in-process runner."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.clients.models import Client
from hub.privacy.retention import RetentionReport, apply_client_policy, list_enabled_client_ids

logger = logging.getLogger(__name__)


async def apply_retention(ctx: dict[str, Any], today: date | None = None) -> list[dict[str, Any]]:
    """Apply every enabled retention policy; return the counts removed per client.

    Each client runs in a transaction of its own, so one client's failure
    leaves the others applied; the job then raises after the rest ran.
    """
    session_factory: async_sessionmaker[AsyncSession] = ctx["session_factory"]
    async with session_factory() as session:
        client_ids = await list_enabled_client_ids(session)

    reports: list[RetentionReport] = []
    failed: list[int] = []
    for client_id in client_ids:
        try:
            reports.append(await _apply_one(session_factory, client_id, today))
        except Exception:
            logger.exception("retention failed client_id=%d", client_id)
            failed.append(client_id)

    anonymised = sum(report.debtors_anonymised for report in reports)
    deleted = sum(report.inbound_deleted for report in reports)
    logger.info(
        "apply_retention done clients=%d failed=%d anonymised=%d inbound_deleted=%d",
        len(reports), len(failed), anonymised, deleted,
    )  # fmt: skip
    if failed:
        raise RuntimeError(f"retention failed for client ids {failed}: see the log for each error")
    return [report.as_dict() for report in reports]


async def _apply_one(
    session_factory: async_sessionmaker[AsyncSession], client_id: int, today: date | None
) -> RetentionReport:
    async with session_factory() as session:
        client = await session.get_one(Client, client_id)
        report = await apply_client_policy(session, client, today)
        await session.commit()
    logger.info(
        "retention applied client_id=%d anonymised=%d inbound_deleted=%d",
        client_id, report.debtors_anonymised, report.inbound_deleted,
    )  # fmt: skip
    return report
