"""The demo portfolio's promises: one kept, one open and one broken, decided by evaluation."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.cases.models import Case
from hub.demo import seed_demo
from hub.promises.models import Promise, PromiseStatus


async def test_demo_seeds_each_promise_status(session: AsyncSession) -> None:
    await seed_demo(session)
    await session.commit()

    promises = (await session.scalars(select(Promise).order_by(Promise.id))).all()

    assert sorted(promise.status.value for promise in promises) == ["broken", "kept", "open"]
    for promise in promises:
        assert promise.interaction_id is not None
    broken = next(promise for promise in promises if promise.status == PromiseStatus.BROKEN)
    case = await session.get_one(Case, broken.case_id)
    assert case.broken_promise_on is not None
