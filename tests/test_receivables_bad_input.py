"""Hostile and messy input for promises, payments and disputes: API bodies, forms and import files.

Each test sends what a careless caller, a broken export or an attacker
would send, and checks for a clear error with nothing stored, or for the
stored state a correct reading of the input gives.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hub.accounts.models import Role, User
from hub.accounts.tokens import create_token
from hub.cases.priority import client_today
from hub.imports.mapping import load_mapping
from hub.imports.reader import read_table
from hub.imports.services import import_table
from hub.interactions.models import CallOutcome, Channel, Interaction
from hub.invoices.models import Payment
from hub.payments.checks import PAYMENT_CHECK_DAYS, expire_payment_checks, open_payment_check
from hub.payments.models import PaymentCheck, PaymentCheckStatus
from hub.promises.evaluation import evaluate_debtor_promises
from hub.promises.models import Promise, PromiseStatus
from tests.factories import World, build_world, csrf_headers, sign_in, web_app
from tests.payments_factories import add_invoice, build_payment_world, case_of, payment_data, record
from tests.promise_factories import add_promise_row

# One above the largest value of the BIGINT money columns.
BEYOND_BIGINT = 2**63


@pytest.fixture
async def world(session: AsyncSession) -> World:
    return await build_world(session)


@pytest.fixture
async def tokens(session: AsyncSession, world: World) -> dict[str, str]:
    """Bearer tokens of acme's agent ("agent") and of a supervisor of acme ("supervisor")."""
    supervisor = User(
        email="supervisor@acme.test",
        display_name="Sam Supervisor",
        password_hash=world.agent.password_hash,
        role=Role.SUPERVISOR,
        clients=[world.client],
    )
    session.add(supervisor)
    await session.flush()
    created = {
        "agent": (await create_token(session, world.agent, "tests"))[1],
        "supervisor": (await create_token(session, supervisor, "tests"))[1],
    }
    await session.commit()
    return created


@pytest.fixture
async def api(database_url: str, engine: AsyncEngine, world: World) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=web_app(database_url), base_url="http://testserver.local") as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def count_rows(session: AsyncSession, model: type) -> int:
    return await session.scalar(select(func.count()).select_from(model)) or 0


def promises_path(world: World) -> str:
    return f"/api/v1/cases/{world.cases['D-100'].id}/promises"


async def test_api_promise_in_year_9999_is_422(
    api: AsyncTestClient, world: World, tokens: dict[str, str], session: AsyncSession
) -> None:
    body = {"amount_minor": 10_000, "first_due_on": "9999-12-31"}

    response = await api.post(promises_path(world), json=body, headers=bearer(tokens["agent"]))

    assert response.status_code == 422
    assert "9999-12-31" in response.json()["error"]["fields"]["first_due_on"]
    assert await count_rows(session, Promise) == 0
    assert await count_rows(session, Interaction) == 0


@pytest.mark.parametrize(
    "fields",
    [
        {"amount_minor": BEYOND_BIGINT},
        {"amount_minor": 2**64 + 5},
        {"amount_minor": BEYOND_BIGINT, "instalments": 2, "frequency": "weekly", "amounts_minor": [1, 2**63 - 1]},
    ],
    ids=["just-beyond-bigint", "beyond-uint64", "plan-beyond-bigint"],
)
async def test_api_promise_beyond_bigint_is_422(
    api: AsyncTestClient, world: World, tokens: dict[str, str], session: AsyncSession, fields: dict[str, object]
) -> None:
    first_due_on = client_today(world.client) + timedelta(days=3)
    body = {"first_due_on": first_due_on.isoformat(), "confirm_above_balance": True, **fields}

    response = await api.post(promises_path(world), json=body, headers=bearer(tokens["agent"]))

    assert response.status_code == 422
    error = response.json()["error"]
    assert "too large" in error["message"]
    assert set(error["fields"]) == {"amount"}
    assert await count_rows(session, Promise) == 0


async def test_api_payment_dated_year_one_is_422(
    api: AsyncTestClient, world: World, tokens: dict[str, str], session: AsyncSession
) -> None:
    body = {"client": "acme", "reference": "OLD-1", "amount_minor": 100, "currency": "EUR", "paid_on": "0001-01-01"}

    response = await api.post("/api/v1/payments", json=body, headers=bearer(tokens["supervisor"]))

    assert response.status_code == 422
    assert "0001-01-01" in response.json()["error"]["fields"]["paid_on"]
    assert await count_rows(session, Payment) == 0


async def test_promise_counts_settled_bank_payment_once(session: AsyncSession, tmp_path: Path) -> None:
    """A bank file and an invoice file that marks the same invoice settled describe one payment, not two."""
    payment_world = await build_payment_world(session)
    debtor = payment_world.debtors["D1"]
    await add_invoice(session, payment_world.client, debtor, "F-1", 10_000, -40)
    await add_invoice(session, payment_world.client, debtor, "F-2", 10_000, -40)
    today = payment_world.today
    case = await case_of(session, debtor)
    first_due, second_due = today - timedelta(days=10), today - timedelta(days=3)
    promise = await add_promise_row(
        session, case, [(first_due, 10_000), (second_due, 10_000)], made_on=today - timedelta(days=20)
    )
    await session.commit()
    paid_on = today - timedelta(days=12)
    await record(session, payment_world.client, payment_data("BANK-1", 10_000, invoice="F-1", paid_on=paid_on))
    due = (today - timedelta(days=40)).isoformat()
    path = tmp_path / "invoices.csv"
    path.write_text(
        "debtor_reference,debtor_name,invoice_number,due_date,amount,settled_date\n"
        f"D1,Debtor D1,F-1,{due},100.00,{paid_on.isoformat()}\n"
        f"D1,Debtor D1,F-2,{due},100.00,\n"
    )
    mapping = load_mapping(None)
    await import_table(session, "invoices", "acme", read_table(path, mapping), mapping)
    await evaluate_debtor_promises(session, payment_world.client, [debtor.id], today)
    await session.commit()

    stored = await session.get_one(Promise, promise.id, populate_existing=True)
    assert stored.paid_minor == 10_000
    assert stored.status == PromiseStatus.OPEN


@pytest.mark.parametrize("amount", ["12,5,0", "1.2.3,4", "1,00,000", "0,001"])
async def test_form_amount_with_misplaced_separators_is_422(
    database_url: str, engine: AsyncEngine, world: World, session: AsyncSession, amount: str
) -> None:
    """Thousands separators stand between groups of three digits; anything else is a typing error, not a number."""
    url = f"/cases/{world.cases['D-100'].id}"
    data = {
        "amount": amount,
        "first_due_on": (client_today(world.client) + timedelta(days=7)).isoformat(),
        "invoices": ["A-1", "A-3"],
        "confirm_above_balance": "1",
    }
    async with AsyncTestClient(app=web_app(database_url), base_url="http://testserver.local") as web:
        await sign_in(web, "agent@acme.test")
        await web.get(url)
        response = await web.post(f"{url}/promises", data=data, headers=csrf_headers(web), follow_redirects=False)

    assert response.status_code == 422
    assert "aria-invalid" in response.text
    assert f"{amount!r}".replace("'", "&#39;") in response.text
    assert await count_rows(session, Promise) == 0


async def test_check_finds_payment_recorded_before_it(session: AsyncSession) -> None:
    """The bank file came in the morning and the debtor called at noon: the payment is there, so it is found."""
    payment_world = await build_payment_world(session)
    debtor = payment_world.debtors["D1"]
    await add_invoice(session, payment_world.client, debtor, "F-1", 10_000, -20)
    today = payment_world.today
    await record(session, payment_world.client, payment_data("BANK-1", 10_000, debtor="D1", paid_on=today))
    case = await case_of(session, debtor)
    interaction = Interaction(
        client_id=case.client_id, case_id=case.id, channel=Channel.CALL, outcome=CallOutcome.ALREADY_PAID
    )
    session.add(interaction)
    check = await open_payment_check(
        session,
        case,
        interaction,
        claimed_paid_on=today,
        claimed_amount_minor=None,
        claimed_reference=None,
        today=today,
    )
    await session.commit()

    await expire_payment_checks(session, payment_world.client, today=today + timedelta(days=PAYMENT_CHECK_DAYS + 1))
    await session.commit()

    stored = await session.get_one(PaymentCheck, check.id, populate_existing=True)
    payment = await session.scalar(select(Payment).where(Payment.reference == "BANK-1"))
    assert stored.status == PaymentCheckStatus.FOUND
    assert payment is not None and stored.payment_id == payment.id
