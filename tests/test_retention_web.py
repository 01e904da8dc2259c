"""The admin retention page and the ``hub retention`` commands."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import date
from typing import TypeVar

import pytest
from click.testing import CliRunner
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hub.accounts.models import Role
from hub.audit.models import AuditEvent
from hub.cli import main
from hub.cli_support import run_in_session
from hub.debtors.models import Debtor
from hub.invoices.models import Invoice, Payment
from hub.privacy.models import RetentionPolicy
from tests.factories import World, build_world, csrf_headers, htmx_headers, new_user, sign_in, web_app

T = TypeVar("T")


@pytest.fixture
async def world(session: AsyncSession) -> World:
    """The base world plus D-400, settled in 2012, so it is past any retention period up to 14 years."""
    world = await build_world(session)
    debtor = Debtor(client_id=world.client.id, reference="D-400", name="Old Settled Ltd")
    session.add(debtor)
    await session.flush()
    session.add(
        Invoice(
            client_id=world.client.id, debtor_id=debtor.id, number="O-1", currency="EUR", amount_minor=1_000,
            open_minor=0, due_date=date(2012, 1, 1), settled_date=date(2012, 2, 1),
        )
    )  # fmt: skip
    session.add(
        Payment(
            client_id=world.client.id, debtor_id=debtor.id, reference="PAY-O-1", currency="EUR",
            amount_minor=1_000, paid_on=date(2012, 2, 1),
        )
    )  # fmt: skip
    world.debtors["D-400"] = debtor
    session.add(new_user("super@acme.test", Role.SUPERVISOR, [world.client], "Sue Supervisor"))
    await session.commit()
    return world


@pytest.fixture
async def client(database_url: str, engine: AsyncEngine, world: World) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=web_app(database_url), base_url="http://testserver.local") as client:
        yield client


def policy_form(enabled: bool = True, years: str = "7", days: str = "90") -> dict[str, str]:
    form = {"settled_case_years": years, "unmatched_inbound_days": days}
    if enabled:
        form["enabled"] = "on"
    return form


async def post_policy(client: AsyncTestClient, world: World, form: dict[str, str], htmx: bool = False):  # type: ignore[no-untyped-def]
    await client.get("/admin/retention")
    headers = htmx_headers(client, "retention-acme") if htmx else csrf_headers(client)
    return await client.post(f"/admin/retention/{world.client.id}", data=form, headers=headers, follow_redirects=False)


def section(html: str, slug: str) -> str:
    match = re.search(rf'<section class="panel retention-client" id="retention-{slug}".*?</section>', html, re.S)
    assert match is not None, slug
    return match.group(0)


async def test_retention_page_shows_preview(client: AsyncTestClient, world: World) -> None:
    await sign_in(client, "admin@hub.test")

    response = await client.get("/admin/retention")

    assert response.status_code == 200
    acme = section(response.text, "acme")
    assert "Disabled" in acme
    assert "<strong>1</strong> settled debtor anonymised" in acme
    assert "D-400" in acme
    assert "<strong>0</strong> settled debtors anonymised" in section(response.text, "globex")


async def test_retention_page_shows_saved_values(client: AsyncTestClient, session: AsyncSession, world: World) -> None:
    session.add(
        RetentionPolicy(client_id=world.client.id, enabled=True, settled_case_years=9, unmatched_inbound_days=45)
    )
    await session.commit()
    await sign_in(client, "admin@hub.test")

    response = await client.get("/admin/retention")

    acme = section(response.text, "acme")
    assert re.search(r'name="settled_case_years"[^>]*value="9"', acme)
    assert re.search(r'name="unmatched_inbound_days"[^>]*value="45"', acme)
    assert re.search(r'name="enabled" checked', acme)
    assert re.search(r'name="settled_case_years"[^>]*value="7"', section(response.text, "globex"))


@pytest.mark.parametrize("email", ["agent@acme.test", "super@acme.test"])
async def test_retention_page_rejects_non_admin(client: AsyncTestClient, email: str) -> None:
    await sign_in(client, email)

    response = await client.get("/admin/retention")

    assert response.status_code == 403


async def test_retention_policy_saved(client: AsyncTestClient, session: AsyncSession, world: World) -> None:
    await sign_in(client, "admin@hub.test")

    response = await post_policy(client, world, policy_form(years="10", days="30"))

    assert response.status_code == 303
    assert response.headers["location"] == "/admin/retention?saved=acme#retention-acme"
    policy = await session.get_one(RetentionPolicy, world.client.id)
    assert policy.enabled is True
    assert policy.settled_case_years == 10
    assert policy.unmatched_inbound_days == 30


async def test_retention_policy_change_audited(client: AsyncTestClient, session: AsyncSession, world: World) -> None:
    await sign_in(client, "admin@hub.test")

    await post_policy(client, world, policy_form(enabled=False, years="8"))

    [event] = (await session.scalars(select(AuditEvent).where(AuditEvent.action == "retention.policy_changed"))).all()
    assert event.user_id == world.admin.id
    assert event.target_id == world.client.id
    assert event.detail == {"enabled": False, "settled_case_years": 8, "unmatched_inbound_days": 90}


async def test_retention_htmx_returns_section(client: AsyncTestClient, world: World) -> None:
    await sign_in(client, "admin@hub.test")

    response = await post_policy(client, world, policy_form(years="15"), htmx=True)

    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section class="panel retention-client" id="retention-acme"')
    assert "Enabled" in response.text
    assert "Policy saved." in response.text
    assert "<strong>0</strong> settled debtors anonymised" in response.text


@pytest.mark.parametrize(
    ("years", "days", "message"), [("0", "90", "out of range"), ("7", "ten", "not a whole number")]
)
async def test_retention_invalid_policy_rejected(
    client: AsyncTestClient, session: AsyncSession, world: World, years: str, days: str, message: str
) -> None:
    await sign_in(client, "admin@hub.test")

    response = await post_policy(client, world, policy_form(years=years, days=days))

    assert response.status_code == 422
    assert message in response.text
    assert await session.get(RetentionPolicy, world.client.id) is None


def test_cli_preview_json(hub_env: dict[str, str], world: World) -> None:
    result = CliRunner().invoke(main, ["retention", "preview", "--client", "acme", "--json"])

    assert result.exit_code == 0, result.output
    [preview] = json.loads(result.output)
    assert preview["client"] == "acme"
    assert preview["enabled"] is False
    assert preview["debtors_to_anonymise"] == 1
    assert preview["debtor_ids"] == [world.debtors["D-400"].id]


def test_cli_preview_text(hub_env: dict[str, str], world: World) -> None:
    result = CliRunner().invoke(main, ["retention", "preview"])

    assert result.exit_code == 0, result.output
    assert "acme: policy disabled, nothing is removed until enabled" in result.output
    assert "1 settled debtors to anonymise" in result.output
    assert "globex: policy disabled" in result.output
    assert "Old Settled" not in result.output


def test_cli_apply_without_policy(hub_env: dict[str, str], world: World) -> None:
    result = CliRunner().invoke(main, ["retention", "apply"])

    assert result.exit_code == 0, result.output
    assert "no client has an enabled retention policy" in result.output


def test_cli_apply_enabled_policy(hub_env: dict[str, str], world: World) -> None:
    async def enable(session: AsyncSession) -> None:
        session.add(
            RetentionPolicy(client_id=world.client.id, enabled=True, settled_case_years=7, unmatched_inbound_days=90)
        )

    async def reference(session: AsyncSession) -> str | None:
        return await session.scalar(select(Debtor.reference).where(Debtor.id == debtor_id))

    debtor_id = world.debtors["D-400"].id
    run_in_session(enable)

    result = CliRunner().invoke(main, ["retention", "apply"])

    assert result.exit_code == 0, result.output
    assert "acme: 1 debtors anonymised, 0 unmatched inbound messages deleted" in result.output
    assert run_in_session(reference) == f"erased-{debtor_id}"
