"""The audit log service: inserts with ids only, and rows that cannot change."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.scope import Scope
from hub.audit.models import AuditEvent
from hub.audit.queries import AuditFilter, list_audit_events
from hub.audit.services import CASE_VIEWED, DEBTOR_EXPORTED, check_detail, record_audit
from hub.errors import ValidationError
from tests.factories import World, build_world


@pytest.fixture
async def world(session: AsyncSession) -> World:
    return await build_world(session)


async def test_record_audit_stores_ids(session: AsyncSession, world: World) -> None:
    case = world.cases["D-100"]

    event = await record_audit(session, world.agent, CASE_VIEWED, "case", case.id, case.client_id, {"debtor_id": 7})
    await session.commit()

    stored = await session.get_one(AuditEvent, event.id)
    assert stored.user_id == world.agent.id
    assert stored.client_id == world.client.id
    assert stored.action == "case.viewed"
    assert stored.target_type == "case"
    assert stored.target_id == case.id
    assert stored.detail == {"debtor_id": 7}
    assert stored.at.tzinfo is not None


async def test_record_audit_takes_scope_user(session: AsyncSession, world: World) -> None:
    scope = Scope.for_client(world.client.id, user_id=world.admin.id)

    event = await record_audit(session, scope, DEBTOR_EXPORTED, "debtor", 1, world.client.id)

    assert event.user_id == world.admin.id


async def test_record_audit_job_has_no_user(session: AsyncSession, world: World) -> None:
    event = await record_audit(session, None, DEBTOR_EXPORTED, "debtor", 1, world.client.id)

    assert event.user_id is None


async def test_record_audit_rejects_unknown_action(session: AsyncSession, world: World) -> None:
    with pytest.raises(ValidationError, match="unknown audit action 'case.deleted'"):
        await record_audit(session, world.agent, "case.deleted", "case", 1, world.client.id)


async def test_record_audit_rejects_unknown_target(session: AsyncSession, world: World) -> None:
    with pytest.raises(ValidationError, match="unknown audit target type 'person'"):
        await record_audit(session, world.agent, CASE_VIEWED, "person", 1, world.client.id)


@pytest.mark.parametrize(
    "detail",
    [
        {"email": "ap@example.com"},
        {"name": "Harbour Foods Ltd"},
        {"phone": "+31201234567"},
        {"phone": "0201234567"},
        {"amount": "1234.56"},
        {"nested": {"name": "x"}},
        {"Bad Key": 1},
    ],
)
def test_check_detail_rejects_personal_data(detail: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="never personal data"):
        check_detail(detail)


def test_check_detail_accepts_ids_and_codes() -> None:
    check_detail({"case_id": 3, "format": "json", "reason": "retention", "ids": [1, 2], "enabled": True})


async def test_audit_row_update_rejected(session: AsyncSession, world: World) -> None:
    event = await record_audit(session, world.agent, CASE_VIEWED, "case", 1, world.client.id)
    await session.commit()
    event_id = event.id

    with pytest.raises(DBAPIError, match="cannot be changed"):
        statement = update(AuditEvent).where(AuditEvent.id == event_id).values(action="debtor.erased")
        await session.execute(statement.execution_options(synchronize_session=False))
    await session.rollback()

    assert await session.scalar(select(AuditEvent.action).where(AuditEvent.id == event_id)) == "case.viewed"


async def test_audit_row_delete_rejected_postgres(session: AsyncSession, world: World) -> None:
    if session.bind.dialect.name != "postgresql":
        pytest.skip("the DELETE trigger exists on PostgreSQL only; SQLite test runs empty tables with DELETE")
    await record_audit(session, world.agent, CASE_VIEWED, "case", 1, world.client.id)
    await session.commit()

    with pytest.raises(DBAPIError, match="cannot be changed or deleted"):
        await session.execute(delete(AuditEvent).execution_options(synchronize_session=False))
    await session.rollback()

    assert await session.scalar(select(func.count(AuditEvent.id))) == 1


async def test_audit_filter_by_date_range(session: AsyncSession, world: World) -> None:
    await record_audit(session, world.agent, CASE_VIEWED, "case", 1, world.client.id)
    await session.commit()
    scope = Scope.for_client(world.client.id)

    today = (await session.scalar(select(AuditEvent.at))).date()  # type: ignore[union-attr]
    inside = await list_audit_events(session, scope, AuditFilter(date_from=today, date_to=today))
    before = await list_audit_events(session, scope, AuditFilter(date_to=today.replace(year=today.year - 1)))

    assert inside.total == 1
    assert before.total == 0


async def test_audit_events_scoped_to_clients(session: AsyncSession, world: World) -> None:
    await record_audit(session, world.agent, CASE_VIEWED, "case", 1, world.client.id)
    await record_audit(session, world.admin, CASE_VIEWED, "case", 2, world.other_client.id)
    await record_audit(session, None, DEBTOR_EXPORTED, "debtor", 3, None)
    await session.commit()

    acme_only = await list_audit_events(session, Scope.for_client(world.client.id), AuditFilter())
    with_unscoped = await list_audit_events(
        session, Scope.for_client(world.client.id), AuditFilter(), include_unscoped=True
    )

    assert [row.event.target_id for row in acme_only.rows] == [1]
    assert sorted(row.event.target_id for row in with_unscoped.rows) == [1, 3]
