"""The unified case timeline: every kind of event in one order, the kind filter, the htmx fragment and the API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hub.accounts.scope import Scope
from hub.accounts.tokens import create_token
from hub.cases.models import Case
from hub.disputes.models import Dispute, DisputeStatus
from hub.errors import NotFoundError
from hub.interactions.models import CallOutcome, Channel, Interaction
from hub.interactions.services import log_call_outcome
from hub.interactions.timeline import TimelineFilterError, list_timeline
from hub.invoices.models import PaymentSource
from hub.payments.models import PaymentCheck, PaymentCheckStatus
from hub.payments.services import PaymentData, record_payment
from hub.promises.models import Promise, PromiseStatus
from hub.promises.services import PromiseTerms, record_promise
from tests.factories import World, build_world, htmx_headers, sign_in, web_app

# Kinds of the seeded events, newest first, with the times seed_timeline gives them.
# Events at the same instant keep the order the timeline adds them in: contacts first.
EXPECTED_KINDS = [
    "payment_check",  # check closed as found, 11-27 06:00
    "payment",  # 11-26
    "call",  # already paid, 11-25 10:00
    "payment_check",  # debtor says already paid, 11-25 10:00
    "payment",  # 11-20
    "dispute",  # under review, 11-16 10:00
    "dispute",  # opened, 11-15 10:00
    "promise",  # partly kept, 11-14 08:00
    "payment",  # 11-12
    "call",  # promise to pay, 11-05 12:00
    "promise",  # made, 11-05 12:00
    "note",  # 11-04
    "email",  # 11-03
    "call",  # 11-02
]


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=UTC)


async def _pay(session: AsyncSession, world: World, reference: str, amount: int, paid_on: date, invoice: str | None):
    data = PaymentData(reference, amount, "EUR", paid_on, invoice_number=invoice, debtor_reference="D-100")
    return (await record_payment(session, world.client, data, PaymentSource.API)).payment


async def _backdate_interaction(session: AsyncSession, interaction_id: int | None, created: datetime) -> None:
    assert interaction_id is not None
    interaction = await session.get_one(Interaction, interaction_id)
    interaction.created_at = created


async def seed_timeline(session: AsyncSession, world: World) -> Case:
    """Give D-100 contacts, a promise, payments, a reviewed dispute and a payment check at known times."""
    case = world.cases["D-100"]
    scope = Scope.for_client(world.client.id, user_id=world.agent.id)
    for created, channel, outcome, note in (
        (at(2, 9), Channel.CALL, CallOutcome.NO_ANSWER, None),
        (at(3, 10), Channel.EMAIL, CallOutcome.RIGHT_PARTY_CONTACT, "Sent a copy of A-1"),
        (at(4, 11), Channel.NOTE, None, "Accounts payable moves to a new system"),
    ):
        session.add(
            Interaction(
                client_id=case.client_id,
                case_id=case.id,
                user_id=world.agent.id,
                channel=channel,
                outcome=outcome,
                note=note,
                created_at=created,
            )
        )
    await session.commit()

    terms = PromiseTerms(amount_minor=50_000, first_due_on=date(2026, 11, 10), invoice_numbers=["A-1"])
    promise = await record_promise(session, scope, case.id, world.agent.id, terms, today=date(2026, 11, 5))
    promise.created_at = at(5, 12)
    await _backdate_interaction(session, promise.interaction_id, at(5, 12))
    await _pay(session, world, "BANK-1", 30_000, date(2026, 11, 12), "A-1")
    promise = await session.get_one(Promise, promise.id, populate_existing=True)
    assert promise.status == PromiseStatus.PARTLY_KEPT
    promise.status_changed_at = at(14, 8)
    await _pay(session, world, "BANK-2", 140_000, date(2026, 11, 20), None)

    dispute = await session.scalar(select(Dispute).where(Dispute.debtor_id == case.debtor_id))
    assert dispute is not None
    dispute.opened_at = at(15, 10)
    dispute.reviewed_at = at(16, 10)
    dispute.status = DisputeStatus.UNDER_REVIEW
    await session.commit()

    await log_call_outcome(
        session, scope, case.id, world.agent.id, outcome="already_paid", note=None, next_action_on=None
    )
    check = await session.scalar(select(PaymentCheck))
    assert check is not None
    check.created_at = at(25, 10)
    await _backdate_interaction(session, check.interaction_id, at(25, 10))
    await _pay(session, world, "BANK-3", 5_000, date(2026, 11, 26), None)
    check = await session.get_one(PaymentCheck, check.id, populate_existing=True)
    assert check.status == PaymentCheckStatus.FOUND
    check.resolved_at = at(27, 6)
    await session.commit()
    return case


@pytest.fixture
async def world(session: AsyncSession) -> World:
    world = await build_world(session)
    await seed_timeline(session, world)
    return world


def scope_of(world: World) -> Scope:
    return Scope.for_client(world.client.id, user_id=world.agent.id)


# The service


async def test_timeline_merges_every_kind(session: AsyncSession, world: World) -> None:
    timeline = await list_timeline(session, scope_of(world), world.cases["D-100"].id)

    assert [entry.kind for entry in timeline] == EXPECTED_KINDS
    assert [entry.at for entry in timeline] == sorted((entry.at for entry in timeline), reverse=True)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("calls", ["call", "call", "call"]),
        ("messages", ["email"]),
        ("notes", ["note"]),
        ("promises", ["promise", "promise"]),
        ("disputes", ["dispute", "dispute"]),
        ("payments", ["payment_check", "payment", "payment_check", "payment", "payment"]),
        ("all", EXPECTED_KINDS),
        ("", EXPECTED_KINDS),
    ],
)
async def test_timeline_filter_by_kind(session: AsyncSession, world: World, kind: str, expected: list[str]) -> None:
    timeline = await list_timeline(session, scope_of(world), world.cases["D-100"].id, kind)

    assert [entry.kind for entry in timeline] == expected
    assert timeline.kind == (kind or "all")


async def test_unknown_kind_lists_allowed(session: AsyncSession, world: World) -> None:
    with pytest.raises(TimelineFilterError) as raised:
        await list_timeline(session, scope_of(world), world.cases["D-100"].id, "faxes")

    assert raised.value.status_code == 400
    assert str(raised.value) == (
        "Unknown timeline kind 'faxes': use one of all, calls, messages, notes, promises, disputes, payments."
    )


async def test_payment_names_allocations(session: AsyncSession, world: World) -> None:
    timeline = await list_timeline(session, scope_of(world), world.cases["D-100"].id, "payments")

    payments = {entry.title: entry.detail for entry in timeline if entry.kind == "payment"}
    assert payments["Payment of €300.00 received"] == "Against A-1\nReference BANK-1"
    # A-1 had €700.00 left and A-3 €80.00. A-2 is disputed, so the rest stays unallocated.
    second = payments["Payment of €1,400.00 received"]
    assert second is not None
    assert second.startswith("Against A-1 (€700.00), A-3 (€80.00)\nUnallocated: €620.00, ")
    third = payments["Payment of €50.00 received"]
    assert third is not None
    assert third.startswith("Unallocated: €50.00, ")


async def test_promise_entries_show_state(session: AsyncSession, world: World) -> None:
    timeline = await list_timeline(session, scope_of(world), world.cases["D-100"].id, "promises")

    changed, made = timeline
    assert made.title == "Promise to pay €500.00 by 2026-11-10"
    assert made.detail == "Covers invoice A-1"
    assert made.user_name == "Alex Agent"
    # The status belongs to the latest entry of the promise only.
    assert made.state is None
    assert changed.state == "Partly kept"
    assert changed.at == at(14, 8)
    assert changed.title == "Promise of €500.00 partly kept"
    assert changed.detail == "€300.00 of €500.00 due paid on time"


async def test_dispute_review_entry(session: AsyncSession, world: World) -> None:
    timeline = await list_timeline(session, scope_of(world), world.cases["D-100"].id, "disputes")

    assert [(entry.title, entry.state) for entry in timeline] == [
        ("Dispute under review (invoice A-2)", "Under review"),
        ("Dispute opened on invoice A-2 (Quality)", None),
    ]


async def test_payment_check_entries(session: AsyncSession, world: World) -> None:
    timeline = await list_timeline(session, scope_of(world), world.cases["D-100"].id, "payments")

    checks = [entry for entry in timeline if entry.kind == "payment_check"]
    assert [(entry.title, entry.state) for entry in checks] == [
        ("Payment check: payment found", "Payment found"),
        ("Debtor says already paid", None),
    ]
    assert checks[0].detail == "Payment BANK-3 of €50.00 on 2026-11-26"
    assert checks[1].detail is not None
    assert checks[1].detail.startswith("No payment details given\nChecking for the payment until ")


async def test_note_entry_title(session: AsyncSession, world: World) -> None:
    timeline = await list_timeline(session, scope_of(world), world.cases["D-100"].id, "notes")

    assert [(entry.title, entry.detail) for entry in timeline] == [("Note", "Accounts payable moves to a new system")]


async def test_call_back_entry_shows_local_time(session: AsyncSession, world: World) -> None:
    case = world.cases["D-200"]
    world.debtors["D-200"].timezone = "America/New_York"
    await session.commit()
    day = datetime.now(UTC).date() + timedelta(days=2)

    await log_call_outcome(
        session,
        scope_of(world),
        case.id,
        world.agent.id,
        outcome="call_back_requested",
        note=None,
        next_action_on=day,
        next_action_time=time(10, 15),
    )

    timeline = await list_timeline(session, scope_of(world), case.id, "calls")
    assert timeline[0].detail == f"Call back at {day.isoformat()} 10:15 America/New_York"


async def test_timeline_outside_scope_not_found(session: AsyncSession, world: World) -> None:
    other = Scope.for_client(world.other_client.id)

    with pytest.raises(NotFoundError, match="not found"):
        await list_timeline(session, other, world.cases["D-100"].id, "calls")


# The workspace and its htmx fragment


@pytest.fixture
async def client(database_url: str, engine: AsyncEngine, world: World) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=web_app(database_url), base_url="http://testserver.local") as client:
        await sign_in(client, "agent@acme.test")
        yield client


def filter_button(html: str, name: str) -> str:
    start = html.index(f'id="timeline-kind-{name}"')
    return html[start : html.index("</button>", start)]


async def test_workspace_kind_filters_page(client: AsyncTestClient, world: World) -> None:
    response = await client.get(f"/cases/{world.cases['D-100'].id}?kind=messages")

    assert response.status_code == 200
    assert "Outbound email: Right-party contact" in response.text
    assert "Outbound call: No answer" not in response.text
    assert "Payment of €300.00 received" not in response.text
    assert 'aria-pressed="true">Messages' in filter_button(response.text, "messages")
    assert 'aria-pressed="false">All' in filter_button(response.text, "all")


async def test_workspace_shows_all_by_default(client: AsyncTestClient, world: World) -> None:
    response = await client.get(f"/cases/{world.cases['D-100'].id}")

    assert "Outbound call: No answer" in response.text
    assert "Payment check: payment found" in response.text
    assert 'aria-pressed="true">All' in filter_button(response.text, "all")


async def test_workspace_unknown_kind_is_400(client: AsyncTestClient, world: World) -> None:
    response = await client.get(f"/cases/{world.cases['D-100'].id}?kind=faxes")

    assert response.status_code == 400
    assert "Unknown timeline kind &#39;faxes&#39;: use one of all, calls, messages" in response.text


async def test_fragment_swaps_only_timeline(client: AsyncTestClient, world: World) -> None:
    case_id = world.cases["D-100"].id
    await client.get(f"/cases/{case_id}")
    headers = htmx_headers(client, "timeline", f"/cases/{case_id}") | {"hx-trigger": "timeline-filter"}

    response = await client.get(f"/cases/{case_id}/timeline?kind=promises", headers=headers)

    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="timeline"')
    assert "<html" not in response.text
    assert "Promise to pay €500.00 by 2026-11-10" in response.text
    assert "Outbound call" not in response.text
    assert response.headers["hx-push-url"] == f"/cases/{case_id}?kind=promises"


async def test_fragment_refresh_keeps_url(client: AsyncTestClient, world: World) -> None:
    case_id = world.cases["D-100"].id
    await client.get(f"/cases/{case_id}")
    headers = htmx_headers(client, "timeline", f"/cases/{case_id}") | {"hx-trigger": "timeline"}

    response = await client.get(f"/cases/{case_id}/timeline?kind=all", headers=headers)

    assert response.status_code == 200
    assert "hx-push-url" not in response.headers


async def test_timeline_reloads_on_event(client: AsyncTestClient, world: World) -> None:
    case_id = world.cases["D-100"].id

    response = await client.get(f"/cases/{case_id}?kind=calls")

    section = response.text[response.text.index('<section id="timeline"') :]
    head = section[: section.index(">")]
    assert f'hx-get="/cases/{case_id}/timeline"' in head
    assert 'hx-trigger="timeline-changed from:body"' in head


async def test_reload_keeps_page_filter(client: AsyncTestClient, world: World) -> None:
    case_id = world.cases["D-100"].id
    await client.get(f"/cases/{case_id}?kind=disputes")
    headers = htmx_headers(client, "timeline", f"/cases/{case_id}?kind=disputes") | {"hx-trigger": "timeline"}

    response = await client.get(f"/cases/{case_id}/timeline", headers=headers)

    assert "Dispute opened on invoice A-2" in response.text
    assert "Outbound call" not in response.text
    assert 'aria-pressed="true">Disputes' in filter_button(response.text, "disputes")


async def test_reload_ignores_stale_filter(client: AsyncTestClient, world: World) -> None:
    case_id = world.cases["D-100"].id
    await client.get(f"/cases/{case_id}")
    headers = htmx_headers(client, "timeline", f"/cases/{case_id}?kind=faxes") | {"hx-trigger": "timeline"}

    response = await client.get(f"/cases/{case_id}/timeline", headers=headers)

    assert response.status_code == 200
    assert 'aria-pressed="true">All' in filter_button(response.text, "all")


async def test_fragment_without_htmx_redirects(client: AsyncTestClient, world: World) -> None:
    case_id = world.cases["D-100"].id

    response = await client.get(f"/cases/{case_id}/timeline?kind=notes", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == f"/cases/{case_id}?kind=notes#timeline"


async def test_fragment_other_client_404(client: AsyncTestClient, world: World) -> None:
    await client.get("/queues/call")
    case_id = world.cases["D-900"].id

    response = await client.get(f"/cases/{case_id}/timeline", headers=htmx_headers(client, "timeline"))

    assert response.status_code == 404


async def test_outcome_keeps_page_filter(client: AsyncTestClient, world: World) -> None:
    case_id = world.cases["D-100"].id
    await client.get(f"/cases/{case_id}?kind=calls")
    data = {"outcome": "voicemail", "channel": "call", "note": "Left a second message"}
    headers = htmx_headers(client, current_url=f"/cases/{case_id}?kind=calls")

    response = await client.post(f"/cases/{case_id}/outcomes", data=data, headers=headers)

    timeline = response.text[response.text.index('<section id="timeline"') :]
    assert "Left a second message" in timeline
    assert "Payment of €300.00 received" not in timeline
    assert 'aria-pressed="true">Calls' in filter_button(timeline, "calls")
    # Rendered with the page's filter already, so it does not reload itself on load.
    assert 'hx-trigger="timeline-changed from:body"' in timeline


async def test_other_panel_copy_reloads(client: AsyncTestClient, world: World) -> None:
    # Another panel's response lists the timeline without the page's filter, so its copy reloads once swapped in.
    case_id = world.cases["D-200"].id
    await client.get(f"/cases/{case_id}")
    data = {"reason": "wrong_amount", "channel": "call", "invoices": "B-1", "note": ""}
    headers = htmx_headers(client, current_url=f"/cases/{case_id}?kind=disputes")

    response = await client.post(f"/cases/{case_id}/disputes", data=data, headers=headers)

    assert response.status_code == 200
    timeline = response.text[response.text.index('<section id="timeline"') :]
    assert 'hx-trigger="load, timeline-changed from:body"' in timeline


# The API


@pytest.fixture
async def token(session: AsyncSession, world: World) -> str:
    _, created = await create_token(session, world.agent, "timeline tests")
    await session.commit()
    return created


async def test_api_timeline_filter(client: AsyncTestClient, world: World, token: str) -> None:
    case_id = world.cases["D-100"].id

    response = await client.get(
        f"/api/v1/cases/{case_id}/timeline?kind=payments", headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 200
    body = response.json()
    assert [entry["kind"] for entry in body] == ["payment_check", "payment", "payment_check", "payment", "payment"]
    assert body[1]["date_only"] is True
    assert body[0]["state"] == "Payment found"


async def test_api_timeline_all(client: AsyncTestClient, world: World, token: str) -> None:
    case_id = world.cases["D-100"].id

    response = await client.get(f"/api/v1/cases/{case_id}/timeline", headers={"Authorization": f"Bearer {token}"})

    assert [entry["kind"] for entry in response.json()] == EXPECTED_KINDS


async def test_api_unknown_kind_is_400(client: AsyncTestClient, world: World, token: str) -> None:
    case_id = world.cases["D-100"].id

    response = await client.get(
        f"/api/v1/cases/{case_id}/timeline?kind=faxes", headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["message"].startswith("Unknown timeline kind 'faxes': use one of all, calls, messages, notes")
    assert "payments" in error["fields"]["kind"]


async def test_api_timeline_kind_documented(client: AsyncTestClient) -> None:
    document = (await client.get("/schema/openapi.json")).json()

    parameters = document["paths"]["/api/v1/cases/{case_id}/timeline"]["get"]["parameters"]
    kind = next(parameter for parameter in parameters if parameter["name"] == "kind")
    assert kind["in"] == "query"
    assert "calls, messages, notes, promises, disputes, payments" in kind["description"]
