"""The case workspace page and logging a call outcome from it."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hub.interactions.models import CallOutcome, Interaction
from hub.invoices.models import Payment
from tests.factories import World, build_world, csrf_headers, htmx_headers, sign_in, web_app


@pytest.fixture
async def world(session: AsyncSession) -> World:
    return await build_world(session)


@pytest.fixture
async def client(database_url: str, engine: AsyncEngine, world: World) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=web_app(database_url), base_url="http://testserver.local") as client:
        await sign_in(client, "agent@acme.test")
        yield client


def case_url(world: World, reference: str) -> str:
    return f"/cases/{world.cases[reference].id}"


def bucket_amount(html: str, label: str) -> str:
    match = re.search(
        rf'<dt>{label}</dt>\s*<dd><span class="amount">([^<]+)</span> <span class="muted">(\d+) inv.', html
    )
    assert match is not None, label
    return f"{match.group(1)} x{match.group(2)}"


async def test_workspace_shows_debtor_and_contacts(client: AsyncTestClient, world: World) -> None:
    response = await client.get(case_url(world, "D-100"))

    assert response.status_code == 200
    assert "Harbour Foods Ltd" in response.text
    assert 'href="tel:+31201234567"' in response.text


async def test_workspace_sums_aging_buckets(client: AsyncTestClient, world: World) -> None:
    response = await client.get(case_url(world, "D-100"))

    assert bucket_amount(response.text, "Current") == "€80.00 x1"
    assert bucket_amount(response.text, "1-30 days") == "€0.00 x0"
    assert bucket_amount(response.text, "31-60 days") == "€250.00 x1"
    assert bucket_amount(response.text, "61-90 days") == "€0.00 x0"
    assert bucket_amount(response.text, "over 90 days") == "€1,000.00 x1"


async def test_workspace_marks_disputed_invoice(client: AsyncTestClient, world: World) -> None:
    response = await client.get(case_url(world, "D-100"))

    row = re.search(r'<tr class="is-disputed">\s*<td>([^<]+)', response.text)
    assert row is not None
    assert row.group(1).strip() == "A-2"


async def test_workspace_lists_settled_invoice(client: AsyncTestClient, world: World) -> None:
    response = await client.get(case_url(world, "D-100"))

    assert "Settled invoices (1)" in response.text


async def test_workspace_shows_risk_factors(client: AsyncTestClient, world: World) -> None:
    response = await client.get(case_url(world, "D-100"))

    assert '<span class="score-big">82</span>' in response.text
    for factor in ("first reason for 82", "second reason for 82", "third reason for 82"):
        assert f"<li>{factor}</li>" in response.text
    assert "not enough history" not in response.text


async def test_workspace_notes_default_weights(client: AsyncTestClient, world: World) -> None:
    response = await client.get(case_url(world, "D-200"))

    assert "Scored with default weights: not enough history." in response.text


async def test_workspace_lists_every_outcome(client: AsyncTestClient, world: World) -> None:
    response = await client.get(case_url(world, "D-100"))

    for outcome in CallOutcome:
        assert f'<option value="{outcome.value}" >{outcome.label}</option>' in response.text


async def test_workspace_of_other_client_is_404(client: AsyncTestClient, world: World) -> None:
    response = await client.get(case_url(world, "D-900"))

    assert response.status_code == 404
    assert f"Case {world.cases['D-900'].id} not found" in response.text


async def test_workspace_404_fragment_for_htmx(client: AsyncTestClient, world: World) -> None:
    response = await client.get(case_url(world, "D-900"), headers=htmx_headers(client))

    assert response.status_code == 404
    assert response.headers["hx-retarget"] == "#flash"
    assert response.headers["hx-reswap"] == "innerHTML"
    assert "<html" not in response.text


async def test_unknown_page_is_404_page(client: AsyncTestClient) -> None:
    response = await client.get("/no/such/page")

    assert response.status_code == 404
    assert "page not found" in response.text


async def test_outcome_updates_timeline_fragment(client: AsyncTestClient, world: World) -> None:
    await client.get(case_url(world, "D-100"))
    data = {"outcome": "no_answer", "note": "Rang twice, no pick-up", "next_action_on": ""}

    response = await client.post(f"{case_url(world, 'D-100')}/outcomes", data=data, headers=htmx_headers(client))

    assert response.status_code == 200
    assert '<section id="timeline"' in response.text
    assert 'hx-swap-oob="true"' in response.text
    assert "Rang twice, no pick-up" in response.text
    assert '<form id="outcome-form"' in response.text
    assert "Outcome logged: No answer." in response.text


async def test_outcome_is_stored(client: AsyncTestClient, world: World, session: AsyncSession) -> None:
    await client.get(case_url(world, "D-100"))
    next_day = (date.today() + timedelta(days=7)).isoformat()
    data = {"outcome": "promise_to_pay", "note": "", "next_action_on": next_day}

    await client.post(f"{case_url(world, 'D-100')}/outcomes", data=data, headers=htmx_headers(client))

    interaction = await session.scalar(select(Interaction).where(Interaction.case_id == world.cases["D-100"].id))
    assert interaction is not None
    assert interaction.outcome == CallOutcome.PROMISE_TO_PAY
    assert interaction.next_action_on == date.fromisoformat(next_day)
    assert interaction.user_id == world.agent.id


async def test_outcome_without_js_redirects(client: AsyncTestClient, world: World) -> None:
    await client.get(case_url(world, "D-100"))
    data = {"outcome": "voicemail", "note": "Left a message"}

    response = await client.post(
        f"{case_url(world, 'D-100')}/outcomes", data=data, headers=csrf_headers(client), follow_redirects=False
    )

    assert response.status_code == 303
    assert response.headers["location"] == case_url(world, "D-100")


async def test_outcome_invalid_returns_form_422(client: AsyncTestClient, world: World) -> None:
    await client.get(case_url(world, "D-100"))
    data = {"outcome": "hung_up", "note": "keep this note", "next_action_on": ""}

    response = await client.post(f"{case_url(world, 'D-100')}/outcomes", data=data, headers=htmx_headers(client))

    assert response.status_code == 422
    assert response.headers["hx-retarget"] == "#outcome-form"
    assert "Unknown call outcome &#39;hung_up&#39;" in response.text
    assert 'id="outcome-error"' in response.text
    assert "keep this note</textarea>" in response.text


async def test_outcome_invalid_date_names_value(client: AsyncTestClient, world: World) -> None:
    await client.get(case_url(world, "D-100"))
    data = {"outcome": "no_answer", "note": "", "next_action_on": "31-12-2026"}

    response = await client.post(f"{case_url(world, 'D-100')}/outcomes", data=data, headers=htmx_headers(client))

    assert response.status_code == 422
    assert "Invalid next action date &#39;31-12-2026&#39;" in response.text
    assert 'value="31-12-2026"' in response.text


async def test_outcome_invalid_without_js_renders_page(client: AsyncTestClient, world: World) -> None:
    await client.get(case_url(world, "D-100"))
    data = {"outcome": "", "note": "typed before the mistake"}

    response = await client.post(f"{case_url(world, 'D-100')}/outcomes", data=data, headers=csrf_headers(client))

    assert response.status_code == 422
    assert "Harbour Foods Ltd" in response.text
    assert "typed before the mistake</textarea>" in response.text


async def test_outcome_on_other_client_case_is_404(client: AsyncTestClient, world: World) -> None:
    await client.get("/queues/call")
    data = {"outcome": "no_answer"}

    response = await client.post(f"{case_url(world, 'D-900')}/outcomes", data=data, headers=htmx_headers(client))

    assert response.status_code == 404
    assert response.headers["hx-retarget"] == "#flash"


def subtitle(html: str) -> str:
    match = re.search(r'<p class="subtitle">(.*?)</p>', html, re.DOTALL)
    assert match is not None
    return re.sub(r"\s+", " ", match.group(1)).strip()


async def test_workspace_splits_disputed_balance(client: AsyncTestClient, world: World) -> None:
    response = await client.get(case_url(world, "D-100"))

    assert subtitle(response.text) == (
        "Acme Wholesale · collectible <strong>€1,080.00</strong> · disputed <strong>€250.00</strong> (paused)"
        " · aging as of 2026-11-30"
    )


async def test_workspace_without_dispute_hides_it(client: AsyncTestClient, world: World) -> None:
    response = await client.get(case_url(world, "D-200"))

    assert subtitle(response.text) == "Acme Wholesale · collectible <strong>€500.00</strong> · aging as of 2026-11-30"


async def test_workspace_from_next_focuses_outcome(client: AsyncTestClient, world: World) -> None:
    response = await client.get(f"{case_url(world, 'D-100')}?from=next")

    assert '<select id="outcome" name="outcome" required autofocus' in response.text


async def test_workspace_opened_directly_not_focused(client: AsyncTestClient, world: World) -> None:
    response = await client.get(case_url(world, "D-100"))

    assert "autofocus" not in response.text


async def test_workspace_holder_sees_release(client: AsyncTestClient, world: World) -> None:
    await client.get("/queues/call")
    await client.post("/queues/call/next", headers=csrf_headers(client))

    response = await client.get(case_url(world, "D-100"))

    assert f'action="{case_url(world, "D-100")}/release"' in response.text
    assert "Yours until " in response.text


async def test_workspace_non_holder_has_no_release(client: AsyncTestClient, world: World) -> None:
    response = await client.get(case_url(world, "D-100"))

    assert "/release" not in response.text


async def test_timeline_payment_shows_date_only(client: AsyncTestClient, world: World, session: AsyncSession) -> None:
    debtor = world.debtors["D-100"]
    payment = Payment(
        client_id=world.client.id,
        debtor_id=debtor.id,
        reference="PAY-9",
        currency="EUR",
        amount_minor=4_956,
        paid_on=date(2026, 8, 1),
    )
    session.add(payment)
    await session.commit()

    response = await client.get(case_url(world, "D-100"))

    assert '<time datetime="2026-08-01">2026-08-01</time>' in response.text
    assert "Payment of €49.56 received" in response.text
    assert "2026-07-31" not in response.text
