"""Disputes in a debtor's export and erasure: invoice numbers listed, notes and resolution notes erased."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hub.disputes.models import Dispute, DisputeStatus
from hub.privacy.erasure import ERASED_TEXT, anonymise_debtor
from hub.privacy.export import build_debtor_export
from hub.privacy.models import ErasureReason
from tests.dispute_factories import DisputeWorld, build_dispute_world, invoice
from tests.factories import add_dispute, sign_in, web_app


@pytest.fixture
async def world(session: AsyncSession) -> DisputeWorld:
    built = await build_dispute_world(session)
    invoices = [await invoice(session, "A-3"), await invoice(session, "A-1")]
    await add_dispute(
        session,
        invoices,
        reason_code="wrong_amount",
        status=DisputeStatus.RESOLVED_DEBTOR,
        note="Owner says the price was agreed by phone",
        resolution_note="Credited after a call with the owner",
    )
    await session.commit()
    return built


async def test_export_lists_invoice_numbers(session: AsyncSession, world: DisputeWorld) -> None:
    export = await build_debtor_export(session, world.base.debtors["D-100"])

    listed = {dispute["reason_code"]: dispute for dispute in export["disputes"]}
    assert listed["quality"]["invoice_numbers"] == ["A-2"]
    assert listed["wrong_amount"]["invoice_numbers"] == ["A-1", "A-3"]
    assert listed["wrong_amount"]["resolution_note"] == "Credited after a call with the owner"


async def test_export_page_shows_numbers(database_url: str, engine: AsyncEngine, world: DisputeWorld) -> None:
    async with AsyncTestClient(app=web_app(database_url), base_url="http://testserver.local") as client:
        await sign_in(client, "admin@hub.test")
        response = await client.get(f"/debtors/{world.base.debtors['D-100'].id}/export")

    assert response.status_code == 200
    assert "A-1, A-3" in response.text
    assert "Credited after a call with the owner" in response.text


async def test_erasure_blanks_dispute_texts(session: AsyncSession, world: DisputeWorld) -> None:
    result = await anonymise_debtor(session, world.base.debtors["D-100"], world.base.admin, ErasureReason.REQUEST)
    await session.commit()

    rows = (
        await session.execute(
            select(Dispute.reason_code, Dispute.note, Dispute.resolution_note).execution_options(populate_existing=True)
        )
    ).all()
    texts = {reason: (note, resolution) for reason, note, resolution in rows}
    assert texts["wrong_amount"] == (ERASED_TEXT, ERASED_TEXT)
    # The base world's dispute has no note, so it stays without one.
    assert texts["quality"] == (None, None)
    assert result.dispute_notes == 1
