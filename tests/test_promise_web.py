"""The promise panel of the case workspace: recording, errors, cancelling and the queue marker."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hub.accounts.scope import Scope
from hub.cases.models import Case
from hub.cases.priority import client_today
from hub.interactions.models import CallOutcome, Interaction
from hub.invoices.models import Invoice
from hub.promises.evaluation import evaluate_debtor_promises
from hub.promises.models import Promise, PromiseInstalment, PromiseInvoice, PromiseStatus
from hub.promises.services import PromiseTerms, record_promise
from tests.factories import World, build_world, csrf_headers, htmx_headers, sign_in, web_app
from tests.promise_factories import add_promise_row


@pytest.fixture
async def world(session: AsyncSession) -> World:
    return await build_world(session)


@pytest.fixture
async def client(database_url: str, engine: AsyncEngine, world: World) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=web_app(database_url), base_url="http://testserver.local") as client:
        await sign_in(client, "agent@acme.test")
        yield client


def today(world: World) -> date:
    return client_today(world.client)


def case_url(world: World, reference: str = "D-100") -> str:
    return f"/cases/{world.cases[reference].id}"


def form_data(world: World, **fields: object) -> dict[str, object]:
    values: dict[str, object] = {
        "amount": "300,00",
        "first_due_on": (today(world) + timedelta(days=7)).isoformat(),
        "instalments": "1",
        "frequency": "monthly",
        "amounts": "",
        "invoices": ["A-1", "A-3"],
        "channel": "call",
        "note": "Pays by bank transfer",
    }
    return values | fields


async def post_promise(
    client: AsyncTestClient, world: World, *, htmx: bool = False, reference: str = "D-100", **fields: object
):  # type: ignore[no-untyped-def]
    url = case_url(world, reference)
    await client.get(url)
    headers = htmx_headers(client, "promises-panel", url) if htmx else csrf_headers(client)
    return await client.post(
        f"{url}/promises", data=form_data(world, **fields), headers=headers, follow_redirects=False
    )


async def stored_promises(session: AsyncSession) -> list[Promise]:
    return list((await session.scalars(select(Promise).order_by(Promise.id))).all())


def field_tag(html: str, element_id: str) -> str:
    match = re.search(rf'<(?:input|select|textarea)[^>]*id="{element_id}"[^>]*>', html)
    assert match is not None, element_id
    return match.group(0)


async def test_panel_shows_form_with_defaults(client: AsyncTestClient, world: World) -> None:
    response = await client.get(case_url(world))

    assert response.status_code == 200
    assert 'id="promise-form"' in response.text
    assert 'id="promise-amount"' in response.text
    assert "checked" in re.search(r'<input type="checkbox" name="invoices" value="A-1"[^>]*>', response.text).group(0)
    assert "checked" in re.search(r'<input type="checkbox" name="invoices" value="A-3"[^>]*>', response.text).group(0)
    assert "checked" not in re.search(r'<input type="checkbox" name="invoices" value="A-2"[^>]*>', response.text).group(
        0
    )


async def test_plain_post_records_and_redirects(client: AsyncTestClient, world: World, session: AsyncSession) -> None:
    response = await post_promise(client, world)

    assert response.status_code == 303
    assert response.headers["location"] == f"{case_url(world)}#promises-panel"
    [promise] = await stored_promises(session)
    assert promise.amount_minor == 30_000
    assert promise.case_id == world.cases["D-100"].id
    interaction = await session.get_one(Interaction, promise.interaction_id)
    assert interaction.outcome == CallOutcome.PROMISE_TO_PAY
    covered = await session.scalars(
        select(Invoice.number)
        .join(PromiseInvoice, PromiseInvoice.invoice_id == Invoice.id)
        .where(PromiseInvoice.promise_id == promise.id)
        .order_by(Invoice.number)
    )
    assert list(covered) == ["A-1", "A-3"]


@pytest.mark.parametrize("typed", ["300", "300.00", "300,00", "€ 300,00"])
async def test_amount_formats_accepted(
    client: AsyncTestClient, world: World, session: AsyncSession, typed: str
) -> None:
    response = await post_promise(client, world, amount=typed)

    assert response.status_code == 303
    [promise] = await stored_promises(session)
    assert promise.amount_minor == 30_000


async def test_htmx_plan_swaps_panel_and_timeline(client: AsyncTestClient, world: World, session: AsyncSession) -> None:
    response = await post_promise(client, world, htmx=True, amount="300", instalments="3", frequency="weekly")

    assert response.status_code == 200
    assert response.text.count('id="promises-panel"') == 1
    assert re.search(r'<section id="timeline"[^>]*hx-swap-oob="true"', response.text)
    [promise] = await stored_promises(session)
    assert f"Promise #{promise.id} recorded." in response.text
    rows = (await session.scalars(select(PromiseInstalment).where(PromiseInstalment.promise_id == promise.id))).all()
    assert len(rows) == 3
    for row in rows:
        assert f"<td>{row.due_on.isoformat()}</td>" in response.text
    assert "Pays by bank transfer" in response.text


async def test_htmx_errors_keep_typed_values(client: AsyncTestClient, world: World, session: AsyncSession) -> None:
    past = (today(world) - timedelta(days=1)).isoformat()
    response = await post_promise(client, world, htmx=True, amount="abc", first_due_on=past, note="Keep me")

    assert response.status_code == 422
    assert response.headers["hx-retarget"] == "#promises-panel"
    amount = field_tag(response.text, "promise-amount")
    assert 'aria-invalid="true"' in amount
    assert 'value="abc"' in amount
    assert 'aria-describedby="promise-amount-error"' in amount
    assert "autofocus" in amount
    date_field = field_tag(response.text, "promise-first-due-on")
    assert 'aria-invalid="true"' in date_field
    assert f'value="{past}"' in date_field
    assert "Invalid amount &#39;abc&#39;" in response.text
    assert "Keep me" in response.text
    assert await stored_promises(session) == []


async def test_plain_post_error_renders_page(client: AsyncTestClient, world: World, session: AsyncSession) -> None:
    past = (today(world) - timedelta(days=3)).isoformat()
    response = await post_promise(client, world, first_due_on=past)

    assert response.status_code == 422
    assert "Harbour Foods Ltd" in response.text
    assert f"First payment date {past} is in the past" in response.text
    assert 'aria-invalid="true"' in field_tag(response.text, "promise-first-due-on")
    assert await stored_promises(session) == []
    assert await session.scalar(select(func.count()).select_from(Interaction)) == 0


async def test_amounts_not_adding_up(client: AsyncTestClient, world: World) -> None:
    response = await post_promise(
        client, world, htmx=True, amount="300", instalments="3", frequency="monthly", amounts="100; 100; 90"
    )

    assert response.status_code == 422
    assert "Instalments add up to €290.00, not the promised €300.00" in response.text
    assert 'value="100; 100; 90"' in field_tag(response.text, "promise-amounts")


async def test_bad_frequency_named(client: AsyncTestClient, world: World) -> None:
    response = await post_promise(client, world, htmx=True, instalments="2", frequency="daily")

    assert response.status_code == 422
    assert "Unknown frequency &#39;daily&#39;" in response.text


async def test_too_many_instalments(client: AsyncTestClient, world: World) -> None:
    response = await post_promise(client, world, htmx=True, instalments="37")

    assert response.status_code == 422
    assert "37 instalments is more than the 36" in response.text


async def test_above_balance_asks_confirmation(client: AsyncTestClient, world: World, session: AsyncSession) -> None:
    response = await post_promise(client, world, htmx=True, amount="2000")

    assert response.status_code == 422
    confirm = field_tag(response.text, "promise-confirm")
    assert 'aria-invalid="true"' in confirm
    assert "The promised €2,000.00 is more than the open balance of €1,080.00" in response.text
    assert await stored_promises(session) == []

    confirmed = await post_promise(client, world, amount="2000", confirm_above_balance="1")
    assert confirmed.status_code == 303
    [promise] = await stored_promises(session)
    assert promise.amount_minor == 200_000


async def test_no_invoice_chosen(client: AsyncTestClient, world: World) -> None:
    response = await post_promise(client, world, htmx=True, invoices=[])

    assert response.status_code == 422
    assert "Pick at least one open invoice" in response.text


async def test_cancel_from_panel(client: AsyncTestClient, world: World, session: AsyncSession) -> None:
    await post_promise(client, world)
    [promise] = await stored_promises(session)
    url = case_url(world)

    missing = await client.post(
        f"{url}/promises/{promise.id}/cancel", data={"reason": ""}, headers=htmx_headers(client, "promises-panel", url)
    )
    assert missing.status_code == 422
    assert 'aria-invalid="true"' in field_tag(missing.text, f"cancel-reason-{promise.id}")

    response = await client.post(
        f"{url}/promises/{promise.id}/cancel",
        data={"reason": "Debtor withdrew the offer"},
        headers=csrf_headers(client),
        follow_redirects=False,
    )
    assert response.status_code == 303
    await session.refresh(promise)
    assert promise.status == PromiseStatus.CANCELLED
    assert "Debtor withdrew the offer" in (promise.note or "")
    page = await client.get(url)
    assert "Cancelled" in page.text


async def test_other_client_case_is_404(client: AsyncTestClient, world: World, session: AsyncSession) -> None:
    response = await client.post(
        f"{case_url(world, 'D-900')}/promises", data=form_data(world), headers=csrf_headers(client)
    )

    assert response.status_code == 404
    assert await stored_promises(session) == []


async def test_other_client_promise_cancel_is_404(client: AsyncTestClient, world: World, session: AsyncSession) -> None:
    globex_case = world.cases["D-900"]
    scope = Scope.for_client(world.other_client.id, user_id=world.admin.id)
    terms = PromiseTerms(amount_minor=10_000, first_due_on=client_today(world.other_client) + timedelta(days=3))
    promise = await record_promise(session, scope, globex_case.id, world.admin.id, terms)
    await client.get(case_url(world))

    response = await client.post(
        f"{case_url(world)}/promises/{promise.id}/cancel", data={"reason": "not mine"}, headers=csrf_headers(client)
    )

    assert response.status_code == 404
    await session.refresh(promise)
    assert promise.status == PromiseStatus.OPEN


async def test_broken_promise_marked_in_queue(client: AsyncTestClient, world: World, session: AsyncSession) -> None:
    case = world.cases["D-200"]
    day = today(world)
    await add_promise_row(session, case, [(day - timedelta(days=10), 20_000)], made_on=day - timedelta(days=12))
    await evaluate_debtor_promises(session, world.client, [case.debtor_id], day)
    await session.commit()

    queue = await client.get("/queues/call")
    workspace = await client.get(case_url(world, "D-200"))

    row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*Oak Print Ltd(?:(?!</tr>).)*</tr>", queue.text, re.S)
    assert row is not None
    assert "promise broken" in row.group(0)
    other_row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*Harbour Foods Ltd(?:(?!</tr>).)*</tr>", queue.text, re.S)
    assert other_row is not None
    assert "promise broken" not in other_row.group(0)
    assert f"Promise broken on {day.isoformat()}" in workspace.text
    refreshed = await session.get_one(Case, case.id)
    assert refreshed.broken_promise_on == day
