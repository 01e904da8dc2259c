"""A small named base world for web and demo tests, plus helpers to drive the web app.

Client "acme" (as of AS_OF) has three debtors whose cases are scored and
prioritised by hand, so tests do not depend on the scoring model:

- D-100 Harbour Foods Ltd: high risk, highest priority; invoices in the
  over 90, 31-60 (disputed) and current buckets plus one settled invoice.
- D-200 Oak Print Ltd: medium risk, scored with default weights; one
  invoice in the 1-30 bucket.
- D-300 Mill Care LLP: low risk, lowest priority; one invoice in 61-90.

Client "globex" has one debtor, D-900, that acme's agent must not see.
Users: agent@acme.test (acme only) and admin@hub.test (no client, so all).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from httpx import Response
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import Role, User
from hub.accounts.services import hash_password
from hub.app import create_app
from hub.cases.models import Case, Segment
from hub.cases.services import refresh_case_balances
from hub.clients.models import Client
from hub.debtors.models import Debtor
from hub.disputes.models import Dispute, DisputeInvoice, DisputeStatus
from hub.invoices.models import Invoice
from hub.settings import Settings

AS_OF = date(2026, 11, 30)
PASSWORD = "correct-horse-battery"
TEST_SECRET_KEY = "test-secret-key-for-web-tests"
CSRF_INPUT_PATTERN = re.compile(r'name="_csrf_token" value="([^"]+)"')


@dataclass
class World:
    client: Client
    other_client: Client
    agent: User
    admin: User
    debtors: dict[str, Debtor] = field(default_factory=dict)
    cases: dict[str, Case] = field(default_factory=dict)


def new_client(slug: str, name: str) -> Client:
    return Client(slug=slug, name=name, currency="EUR", timezone="Europe/Amsterdam", as_of_date=AS_OF)


def new_user(email: str, role: Role, clients: list[Client], name: str) -> User:
    return User(email=email, display_name=name, password_hash=hash_password(PASSWORD), role=role, clients=clients)


def new_invoice(
    client: Client, debtor: Debtor, number: str, amount_minor: int, open_minor: int, days_past_due: int
) -> Invoice:
    """An invoice ``days_past_due`` days past due on AS_OF; one with nothing open was settled five days late."""
    due = AS_OF - timedelta(days=days_past_due)
    return Invoice(
        client_id=client.id,
        debtor_id=debtor.id,
        number=number,
        currency=client.currency,
        amount_minor=amount_minor,
        open_minor=open_minor,
        issue_date=due - timedelta(days=30),
        due_date=due,
        settled_date=due + timedelta(days=5) if open_minor == 0 else None,
    )


async def add_debtor(
    session: AsyncSession, client: Client, reference: str, name: str, invoices: list[tuple[str, int, int, int]]
) -> Debtor:
    """Insert a debtor with invoices given as (number, amount_minor, open_minor, days past due on AS_OF)."""
    debtor = Debtor(client_id=client.id, reference=reference, name=name, phone="+31201234567", email="ap@example.com")
    session.add(debtor)
    await session.flush()
    session.add_all(new_invoice(client, debtor, *invoice) for invoice in invoices)
    await session.flush()
    return debtor


async def add_dispute(session: AsyncSession, invoices: list[Invoice], **fields: object) -> Dispute:
    """Store a dispute row on ``invoices`` (all of one debtor) with its invoice links; ``fields`` override defaults."""
    values: dict[str, object] = {"reason_code": "other", "status": DisputeStatus.OPEN, "opened_at": datetime.now(UTC)}
    dispute = Dispute(client_id=invoices[0].client_id, debtor_id=invoices[0].debtor_id, **{**values, **fields})
    session.add(dispute)
    await session.flush()
    session.add_all(
        DisputeInvoice(dispute_id=dispute.id, invoice_id=invoice.id, client_id=invoice.client_id)
        for invoice in invoices
    )
    await session.flush()
    return dispute


async def dispute_invoice(session: AsyncSession, client: Client, number: str) -> Dispute:
    invoice = await session.scalar(select(Invoice).where(Invoice.client_id == client.id, Invoice.number == number))
    assert invoice is not None, number
    return await add_dispute(session, [invoice], reason_code="quality")


def set_risk(case: Case, score: int, segment: Segment, priority: float, source: str = "model") -> None:
    case.risk_score = score
    case.segment = segment
    case.priority = priority
    case.score_source = source
    case.risk_factors = [f"first reason for {score}", f"second reason for {score}", f"third reason for {score}"]


WORLD_DEBTORS = (
    (
        "acme",
        "D-100",
        "Harbour Foods Ltd",
        [
            ("A-1", 100_000, 100_000, 120),
            ("A-2", 25_000, 25_000, 45),
            ("A-3", 8_000, 8_000, -10),
            ("A-4", 40_000, 0, 200),
        ],
    ),
    ("acme", "D-200", "Oak Print Ltd", [("B-1", 50_000, 50_000, 20)]),
    ("acme", "D-300", "Mill Care LLP", [("C-1", 7_500, 7_500, 70)]),
    ("globex", "D-900", "Stone Retail Ltd", [("G-1", 99_000, 99_000, 30)]),
)
WORLD_RISK = {
    "D-100": (82, Segment.HIGH, 0.9, "model"),
    "D-200": (45, Segment.MEDIUM, 0.5, "default"),
    "D-300": (20, Segment.LOW, 0.2, "model"),
    "D-900": (60, Segment.MEDIUM, 0.95, "model"),
}


async def build_world(session: AsyncSession) -> World:
    acme, globex = new_client("acme", "Acme Wholesale"), new_client("globex", "Globex Retail")
    session.add_all([acme, globex])
    await session.flush()
    world = World(
        client=acme,
        other_client=globex,
        agent=new_user("agent@acme.test", Role.AGENT, [acme], "Alex Agent"),
        admin=new_user("admin@hub.test", Role.ADMIN, [], "Ada Admin"),
    )
    session.add_all([world.agent, world.admin])
    clients = {"acme": acme, "globex": globex}
    for slug, reference, name, invoices in WORLD_DEBTORS:
        world.debtors[reference] = await add_debtor(session, clients[slug], reference, name, invoices)
    await dispute_invoice(session, acme, "A-2")

    for client in (acme, globex):
        await refresh_case_balances(session, client)
    for reference, debtor in world.debtors.items():
        case = await session.scalar(select(Case).where(Case.client_id == debtor.client_id, Case.debtor_id == debtor.id))
        assert case is not None, reference
        set_risk(case, *WORLD_RISK[reference])
        world.cases[reference] = case
    await session.commit()
    return world


def web_app(database_url: str) -> Litestar:
    return create_app(Settings(database_url=database_url, secret_key=TEST_SECRET_KEY))


def csrf_headers(client: AsyncTestClient) -> dict[str, str]:
    """The header htmx sends with every request; the token comes from the cookie set by an earlier GET."""
    return {"x-csrftoken": client.cookies.get("csrftoken", "")}


def htmx_headers(client: AsyncTestClient, target: str | None = None, current_url: str = "/") -> dict[str, str]:
    headers = {"hx-request": "true", "hx-current-url": f"http://testserver.local{current_url}", **csrf_headers(client)}
    if target:
        headers["hx-target"] = target
    return headers


async def sign_in(client: AsyncTestClient, email: str, password: str = PASSWORD) -> Response:
    await client.get("/login")
    data = {"email": email, "password": password, "next": "/queues/call"}
    return await client.post("/login", data=data, headers=csrf_headers(client), follow_redirects=False)
