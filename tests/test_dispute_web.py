"""Dispute pages over HTTP: the workspace panel, the dispute queue and a dispute's page with its actions."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hub.disputes.models import Dispute, DisputeInvoice, DisputeStatus
from tests.dispute_factories import DisputeWorld, build_dispute_world, fresh_case, fresh_dispute, invoice
from tests.factories import add_dispute, csrf_headers, htmx_headers, sign_in, web_app


@pytest.fixture
async def world(session: AsyncSession) -> DisputeWorld:
    return await build_dispute_world(session)


@pytest.fixture
async def client(database_url: str, engine: AsyncEngine, world: DisputeWorld) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=web_app(database_url), base_url="http://testserver.local") as client:
        await sign_in(client, "agent@acme.test")
        yield client


def case_url(world: DisputeWorld, reference: str) -> str:
    return f"/cases/{world.case(reference).id}"


def form_html(html: str, form_id: str) -> str:
    match = re.search(rf'<form id="{form_id}".*?</form>', html, re.DOTALL)
    assert match is not None, form_id
    return match.group(0)


def checkbox_values(html: str) -> list[str]:
    return re.findall(r'<input type="checkbox" name="invoices" value="([^"]+)"', html)


def balance_line(html: str) -> str:
    match = re.search(r'<div id="case-balance"[^>]*>\s*<p class="subtitle">(.*?)</p>', html, re.DOTALL)
    assert match is not None
    return re.sub(r"\s+", " ", match.group(1)).strip()


async def _post_dispute(
    client: AsyncTestClient, world: DisputeWorld, data: dict[str, object], *, htmx: bool = True
) -> object:
    url = f"{case_url(world, 'D-100')}/disputes"
    await client.get(case_url(world, "D-100"))
    headers = htmx_headers(client, "dispute-panel") if htmx else csrf_headers(client)
    return await client.post(url, data=data, headers=headers, follow_redirects=False)


async def _stored_disputes(session: AsyncSession, number: str) -> list[Dispute]:
    target = await invoice(session, number)
    query = (
        select(Dispute)
        .join(DisputeInvoice, DisputeInvoice.dispute_id == Dispute.id)
        .where(DisputeInvoice.invoice_id == target.id)
        .execution_options(populate_existing=True)
    )
    return list((await session.scalars(query)).all())


async def test_panel_form_fields(client: AsyncTestClient, world: DisputeWorld) -> None:
    response = await client.get(case_url(world, "D-100"))

    form = form_html(response.text, "dispute-form")
    first_control = re.search(r'<(select|input|textarea)\b(?![^>]*type="hidden")[^>]*id="([^"]+)"', form)
    assert first_control is not None
    assert first_control.group(2) == "dispute-reason"
    assert f'action="{case_url(world, "D-100")}/disputes"' in form
    assert 'method="post"' in form
    # A-2 is in an open dispute already and A-4 is settled.
    assert checkbox_values(form) == ["A-1", "A-3"]
    channel_select = re.search(r'<select id="dispute-channel".*?</select>', form, re.DOTALL)
    assert channel_select is not None
    assert re.findall(r'<option value="(\w+)"', channel_select.group(0)) == ["call", "email", "sms", "letter"]


async def test_panel_lists_existing_dispute(client: AsyncTestClient, world: DisputeWorld) -> None:
    response = await client.get(case_url(world, "D-100"))

    panel = response.text.split('id="dispute-panel"')[1].split("</section>")[0]
    assert re.search(r'<a href="/disputes/\d+">Dispute \d+</a>', panel)
    assert "<td>A-2</td>" in panel
    assert "Quality" in panel


async def test_htmx_dispute_swaps_panel(client: AsyncTestClient, world: DisputeWorld, session: AsyncSession) -> None:
    data = {"reason": "not_received", "invoices": ["A-1"], "channel": "email", "note": "Never delivered"}

    response = await _post_dispute(client, world, data)

    assert response.status_code == 200
    assert response.headers["hx-trigger"] == "timeline-changed"
    html = response.text
    assert html.lstrip().startswith('<section id="dispute-panel"')
    assert 'id="invoices" class="panel" aria-labelledby="invoices-title" hx-swap-oob="true"' in html
    assert '<div id="case-balance" hx-swap-oob="true">' in html
    assert 'id="timeline" class="panel"' in html
    assert "Never delivered" in html
    # are paused now; A-3 alone stays collectible.
    assert balance_line(html) == (
        "Acme Wholesale · collectible <strong>€80.00</strong> · disputed <strong>€1,250.00</strong> (paused)"
        " · aging as of 2026-11-30"
    )
    assert checkbox_values(form_html(html, "dispute-form")) == ["A-3"]
    disputes = await _stored_disputes(session, "A-1")
    assert [d.reason_code for d in disputes] == ["not_received"]
    assert f"Dispute {disputes[0].id} recorded on invoice A-1" in html


async def test_htmx_dispute_lowers_case(client: AsyncTestClient, world: DisputeWorld, session: AsyncSession) -> None:
    await _post_dispute(client, world, {"reason": "quality", "invoices": ["A-1", "A-3"], "channel": "call"})

    case = await fresh_case(session, world.case("D-100").id)
    assert case.open_minor == 0


async def test_plain_post_redirects(client: AsyncTestClient, world: DisputeWorld, session: AsyncSession) -> None:
    data = {"reason": "wrong_amount", "invoices": ["A-3"], "channel": "call", "note": ""}

    response = await _post_dispute(client, world, data, htmx=False)

    assert response.status_code == 303
    assert response.headers["location"] == f"{case_url(world, 'D-100')}#dispute-panel"
    assert [d.reason_code for d in await _stored_disputes(session, "A-3")] == ["wrong_amount"]


async def test_htmx_error_keeps_values(client: AsyncTestClient, world: DisputeWorld, session: AsyncSession) -> None:
    data = {"reason": "quality", "channel": "sms", "note": "Debtor was upset"}

    response = await _post_dispute(client, world, data)

    assert response.status_code == 422
    assert response.headers["hx-retarget"] == "#dispute-panel"
    assert response.headers["hx-reswap"] == "outerHTML"
    form = form_html(response.text, "dispute-form")
    assert '<option value="quality" selected>' in form
    assert '<option value="sms" selected>' in form
    assert "Debtor was upset</textarea>" in form
    assert 'aria-invalid="true"' in form
    assert 'id="dispute-invoices-error">Pick at least one open invoice to dispute.' in form
    assert await _stored_disputes(session, "A-1") == []


async def test_htmx_error_on_disputed_invoice(client: AsyncTestClient, world: DisputeWorld) -> None:
    data = {"reason": "quality", "invoices": ["A-2"], "channel": "call"}

    response = await _post_dispute(client, world, data)

    assert response.status_code == 422
    assert "Invoice A-2 is already in open dispute" in response.text


async def test_plain_error_renders_page(client: AsyncTestClient, world: DisputeWorld) -> None:
    data = {"reason": "made_up", "invoices": ["A-1"], "channel": "call", "note": "kept"}

    response = await _post_dispute(client, world, data, htmx=False)

    assert response.status_code == 422
    assert "<h1>" in response.text
    form = form_html(response.text, "dispute-form")
    assert "Unknown dispute reason &#39;made_up&#39;" in form
    assert re.search(r'value="A-1" id="dispute-invoice-1"\s+checked', form)
    assert "kept</textarea>" in form


async def test_dispute_on_other_client_404(client: AsyncTestClient, world: DisputeWorld) -> None:
    await client.get("/queues/dispute")
    data = {"reason": "quality", "invoices": ["G-1"], "channel": "call"}

    response = await client.post(f"{case_url(world, 'D-900')}/disputes", data=data, headers=htmx_headers(client))

    assert response.status_code == 404


async def test_dispute_on_claimed_case_409(client: AsyncTestClient, world: DisputeWorld, session: AsyncSession) -> None:
    case = world.case("D-100")
    case.claimed_by_id = world.colleague.id
    case.claimed_until = datetime.now(UTC) + timedelta(minutes=10)
    await session.commit()

    response = await _post_dispute(client, world, {"reason": "quality", "invoices": ["A-1"], "channel": "call"})

    assert response.status_code == 409
    assert response.headers["hx-retarget"] == "#flash"
    assert "Sam Second" in response.text


async def test_panel_locked_by_other_claim(client: AsyncTestClient, world: DisputeWorld, session: AsyncSession) -> None:
    case = world.case("D-100")
    case.claimed_by_id = world.colleague.id
    case.claimed_until = datetime.now(UTC) + timedelta(minutes=10)
    await session.commit()

    response = await client.get(case_url(world, "D-100"))

    form = form_html(response.text, "dispute-form")
    assert 'disabled aria-describedby="dispute-locked"' in form
    assert "Claimed by Sam Second" in form


async def _dispute_on(session: AsyncSession, numbers: list[str], sla_due_on: date, **fields: object) -> Dispute:
    invoices = [await invoice(session, number) for number in numbers]
    opened = datetime.combine(date(2026, 11, 20), time(9), UTC)
    dispute = await add_dispute(session, invoices, opened_at=opened, sla_due_on=sla_due_on, **fields)
    await session.commit()
    return dispute


async def test_queue_page_lists_disputes(client: AsyncTestClient, world: DisputeWorld, session: AsyncSession) -> None:
    late = await _dispute_on(session, ["A-1"], date(2020, 1, 6), reason_code="not_received")
    await _dispute_on(session, ["G-1"], date(2020, 1, 6))

    response = await client.get("/queues/dispute")

    assert response.status_code == 200
    assert '<a href="/queues/dispute" aria-current="page">Dispute queue</a>' in response.text
    rows = re.findall(r'<td class="dispute-id"><a href="/disputes/(\d+)">', response.text)
    assert rows[0] == str(late.id)
    assert "G-1" not in response.text
    first_row = response.text.split('<td class="dispute-id">')[1].split("</tr>")[0]
    assert "Not received" in first_row
    assert "€1,000.00" in first_row
    assert '<span class="badge sla-breached">Breached</span>' in first_row


async def test_queue_page_filters(client: AsyncTestClient, world: DisputeWorld, session: AsyncSession) -> None:
    reviewed = await _dispute_on(session, ["A-1"], date(2099, 1, 5), status=DisputeStatus.UNDER_REVIEW)
    mine = await _dispute_on(session, ["A-3"], date(2099, 1, 5), owner_id=world.agent_id)

    by_status = await client.get("/queues/dispute?status=under_review")
    by_owner = await client.get("/queues/dispute?mine=1")

    assert re.findall(r'<td class="dispute-id"><a href="/disputes/(\d+)">', by_status.text) == [str(reviewed.id)]
    assert re.findall(r'<td class="dispute-id"><a href="/disputes/(\d+)">', by_owner.text) == [str(mine.id)]


async def test_queue_page_htmx_fragment(client: AsyncTestClient, world: DisputeWorld) -> None:
    await client.get("/queues/dispute")

    response = await client.get("/queues/dispute", headers=htmx_headers(client, "dispute-queue-results"))

    assert response.status_code == 200
    assert "<html" not in response.text
    assert "Open disputes" in response.text


@pytest.mark.parametrize(("query", "status"), [("status=resolved_debtor", 422), ("client=globex", 404)])
async def test_queue_page_bad_filter(client: AsyncTestClient, world: DisputeWorld, query: str, status: int) -> None:
    response = await client.get(f"/queues/dispute?{query}")

    assert response.status_code == status


async def test_detail_page_shows_dispute(client: AsyncTestClient, world: DisputeWorld, session: AsyncSession) -> None:
    dispute = await _dispute_on(session, ["A-3", "A-1"], date(2099, 1, 5), note="Wrong delivery address")

    response = await client.get(f"/disputes/{dispute.id}")

    assert response.status_code == 200
    assert f"<h1>Dispute {dispute.id}" in response.text
    assert response.text.index("<td>A-1") < response.text.index("<td>A-3")
    assert "Wrong delivery address" in response.text
    assert 'id="dispute-resolve-form"' in response.text
    assert 'id="start-review"' in response.text


async def test_detail_of_other_client_404(client: AsyncTestClient, world: DisputeWorld, session: AsyncSession) -> None:
    dispute = await _dispute_on(session, ["G-1"], date(2099, 1, 5))

    response = await client.get(f"/disputes/{dispute.id}")

    assert response.status_code == 404


async def _act(
    client: AsyncTestClient, dispute_id: int, action: str, data: dict[str, str], htmx: bool = True
) -> object:
    await client.get(f"/disputes/{dispute_id}")
    headers = htmx_headers(client, "dispute-detail") if htmx else csrf_headers(client)
    return await client.post(f"/disputes/{dispute_id}/{action}", data=data, headers=headers, follow_redirects=False)


async def test_review_button(client: AsyncTestClient, world: DisputeWorld, session: AsyncSession) -> None:
    dispute = await _dispute_on(session, ["A-1"], date(2099, 1, 5))

    response = await _act(client, dispute.id, "review", {})

    assert response.status_code == 200
    assert "Review started." in response.text
    assert 'id="start-review"' not in response.text
    assert (await fresh_dispute(session, dispute.id)).status == DisputeStatus.UNDER_REVIEW


async def test_review_twice_409(client: AsyncTestClient, world: DisputeWorld, session: AsyncSession) -> None:
    dispute = await _dispute_on(session, ["A-1"], date(2099, 1, 5), status=DisputeStatus.UNDER_REVIEW)

    response = await _act(client, dispute.id, "review", {})

    assert response.status_code == 409
    assert "is already under review" in response.text


async def test_resolve_credit_error_kept(client: AsyncTestClient, world: DisputeWorld, session: AsyncSession) -> None:
    dispute = await _dispute_on(session, ["A-1"], date(2099, 1, 5))
    data = {"outcome": "debtor", "credit": "1000.01", "resolution_note": "Half the pallets were broken"}

    response = await _act(client, dispute.id, "resolve", data)

    assert response.status_code == 422
    assert response.headers["hx-retarget"] == "#dispute-detail"
    form = form_html(response.text, "dispute-resolve-form")
    assert 'value="1000.01"' in form
    assert 'aria-invalid="true" aria-describedby="resolve-credit-error"' in form
    assert "Credit of €1,000.01 is more than the €1,000.00 open" in form
    assert "Half the pallets were broken</textarea>" in form
    assert re.search(r'value="debtor" required checked', form)
    assert (await fresh_dispute(session, dispute.id)).status == DisputeStatus.OPEN


async def test_resolve_for_debtor_credits(client: AsyncTestClient, world: DisputeWorld, session: AsyncSession) -> None:
    dispute = await _dispute_on(session, ["A-1"], date(2099, 1, 5))
    data = {"outcome": "debtor", "credit": "250,50", "resolution_note": "Two pallets arrived broken"}

    response = await _act(client, dispute.id, "resolve", data, htmx=False)

    assert response.status_code == 303
    assert response.headers["location"] == f"/disputes/{dispute.id}"
    stored = await fresh_dispute(session, dispute.id)
    assert stored.status == DisputeStatus.RESOLVED_DEBTOR
    assert stored.credited_minor == 25_050
    assert (await invoice(session, "A-1")).open_minor == 100_000 - 25_050


async def test_resolve_needs_outcome(client: AsyncTestClient, world: DisputeWorld, session: AsyncSession) -> None:
    dispute = await _dispute_on(session, ["A-1"], date(2099, 1, 5))

    response = await _act(client, dispute.id, "resolve", {"outcome": "", "credit": "", "resolution_note": ""})

    assert response.status_code == 422
    assert 'id="resolve-outcome-error">Pick who the dispute is resolved for' in response.text


@pytest.mark.parametrize("outcome", ["debtor", "creditor"])
async def test_resolve_needs_a_note(
    client: AsyncTestClient, world: DisputeWorld, session: AsyncSession, outcome: str
) -> None:
    dispute = await _dispute_on(session, ["A-1"], date(2099, 1, 5))

    response = await _act(client, dispute.id, "resolve", {"outcome": outcome, "credit": "", "resolution_note": " "})

    assert response.status_code == 422
    form = form_html(response.text, "dispute-resolve-form")
    assert 'aria-invalid="true" aria-describedby="resolve-note-error"' in form
    assert 'id="resolve-note-error">A resolution note is required' in form
    assert (await fresh_dispute(session, dispute.id)).status == DisputeStatus.OPEN
    assert (await invoice(session, "A-1")).credited_minor == 0


async def test_resolved_page_is_final(client: AsyncTestClient, world: DisputeWorld, session: AsyncSession) -> None:
    dispute = await _dispute_on(session, ["A-1"], date(2099, 1, 5))
    await _act(client, dispute.id, "resolve", {"outcome": "creditor", "credit": "", "resolution_note": "Paid"})

    page = await client.get(f"/disputes/{dispute.id}")
    again = await _act(client, dispute.id, "resolve", {"outcome": "creditor", "credit": "", "resolution_note": ""})

    assert "A resolved dispute is final" in page.text
    assert 'id="dispute-resolve-form"' not in page.text
    assert again.status_code == 409
    assert "already resolved for the creditor" in again.text


async def test_owner_change(client: AsyncTestClient, world: DisputeWorld, session: AsyncSession) -> None:
    dispute = await _dispute_on(session, ["A-1"], date(2099, 1, 5), owner_id=world.agent_id)

    page = await client.get(f"/disputes/{dispute.id}")
    response = await _act(client, dispute.id, "owner", {"owner": str(world.colleague.id)})

    assert f'<option value="{world.colleague.id}"' in page.text
    assert f'<option value="{world.outsider.id}"' not in page.text
    assert response.status_code == 200
    assert "Owner changed." in response.text
    assert (await fresh_dispute(session, dispute.id)).owner_id == world.colleague.id


async def test_owner_outsider_rejected(client: AsyncTestClient, world: DisputeWorld, session: AsyncSession) -> None:
    dispute = await _dispute_on(session, ["A-1"], date(2099, 1, 5), owner_id=world.agent_id)

    response = await _act(client, dispute.id, "owner", {"owner": str(world.outsider.id)})

    assert response.status_code == 422
    assert 'id="dispute-owner-error">User' in response.text
    assert (await fresh_dispute(session, dispute.id)).owner_id == world.agent_id
