"""The daily evaluate_promises job: each client's promises against its own local today."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from hub.cases.models import Case
from hub.cases.priority import client_today
from hub.db import create_session_factory
from hub.jobs import InProcessJobRunner
from hub.promises.models import Promise, PromiseStatus
from tests.promise_factories import add_payment, add_promise_row
from tests.queue_factories import add_case, add_client
from workers.jobs import evaluate_promises
from workers.settings import DAILY_JOBS, PROMISE_HOUR_UTC, WorkerSettings

GRACE = 3


def test_job_scheduled_daily_at_four() -> None:
    assert (evaluate_promises, PROMISE_HOUR_UTC) in DAILY_JOBS
    assert PROMISE_HOUR_UTC == 4
    assert evaluate_promises in WorkerSettings.functions


async def test_job_uses_each_client_today(engine: AsyncEngine) -> None:
    session_factory = create_session_factory(engine)
    async with session_factory() as session:
        # UTC+14 and UTC-11: the two clients' calendar days always differ.
        east = await add_client(session, "east", timezone="Pacific/Kiritimati", as_of_date=None)
        west = await add_client(session, "west", timezone="Pacific/Pago_Pago", as_of_date=None)
        east_today, west_today = client_today(east), client_today(west)
        due = east_today - timedelta(days=GRACE + 1)
        east_case = await add_case(session, east, open_minor=20_000)
        west_case = await add_case(session, west, open_minor=20_000)
        kept_case = await add_case(session, east, open_minor=20_000)
        east_promise = await add_promise_row(session, east_case, [(due, 10_000)], made_on=due - timedelta(days=5))
        west_promise = await add_promise_row(session, west_case, [(due, 10_000)], made_on=due - timedelta(days=5))
        kept_promise = await add_promise_row(session, kept_case, [(due, 10_000)], made_on=due - timedelta(days=5))
        await add_payment(session, kept_case, 10_000, due)
        await session.commit()
        ids = {"east": east_promise.id, "west": west_promise.id, "kept": kept_promise.id}
        east_case_id = east_case.id
    assert west_today < east_today

    runner = InProcessJobRunner({"session_factory": session_factory})
    task = await runner.enqueue(evaluate_promises)
    checked = await task
    await runner.close()

    assert checked == 3
    async with session_factory() as session:
        statuses = {name: (await session.get_one(Promise, promise_id)).status for name, promise_id in ids.items()}
        case = await session.get_one(Case, east_case_id)
    assert statuses == {"east": PromiseStatus.BROKEN, "west": PromiseStatus.OPEN, "kept": PromiseStatus.KEPT}
    assert case.broken_promise_on == east_today
    assert case.next_action_on == east_today


async def test_job_leaves_decided_promises(engine: AsyncEngine) -> None:
    session_factory = create_session_factory(engine)
    async with session_factory() as session:
        client = await add_client(session, as_of_date=None)
        case = await add_case(session, client)
        due = client_today(client) - timedelta(days=30)
        await add_promise_row(session, case, [(due, 5_000)], made_on=due, status=PromiseStatus.CANCELLED)
        await session.commit()

    runner = InProcessJobRunner({"session_factory": session_factory})
    checked = await (await runner.enqueue(evaluate_promises))
    await runner.close()

    assert checked == 0
