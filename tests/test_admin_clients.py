"""Admin screens for clients: list, create, edit details and the queue priority weights."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hub.clients.models import Client
from tests.factories import World, build_world, csrf_headers, htmx_headers, sign_in, web_app

QUEUE_REFERENCE_PATTERN = re.compile(r'<span class="ref">(D-\d+)</span>')


@pytest.fixture
async def world(session: AsyncSession) -> World:
    return await build_world(session)


@pytest.fixture
async def admin(database_url: str, engine: AsyncEngine, world: World) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=web_app(database_url), base_url="http://testserver.local") as client:
        await sign_in(client, "admin@hub.test")
        await client.get("/admin/clients")
        yield client


async def load_client(session: AsyncSession, slug: str) -> Client | None:
    session.expire_all()
    return await session.scalar(select(Client).where(Client.slug == slug))


def new_client_form(**changes: str) -> dict[str, str]:
    form = {
        "slug": "initech",
        "name": "Initech BV",
        "currency": "eur",
        "timezone": "Europe/Amsterdam",
        "language": "nl",
    }
    return {**form, **changes}


def weights_form(risk: str, exposure: str, urgency: str) -> dict[str, str]:
    return {"weight_risk": risk, "weight_exposure": exposure, "weight_urgency": urgency}


async def queue_order(admin: AsyncTestClient) -> list[str]:
    response = await admin.get("/queues/call?client=acme")
    return QUEUE_REFERENCE_PATTERN.findall(response.text)


async def test_client_list_shows_settings(admin: AsyncTestClient) -> None:
    response = await admin.get("/admin/clients")

    assert response.status_code == 200
    assert "Acme Wholesale" in response.text
    assert "Europe/Amsterdam" in response.text
    assert "2026-11-30" in response.text


async def test_client_list_counts_open_cases(admin: AsyncTestClient) -> None:
    response = await admin.get("/admin/clients")

    counts = re.findall(r'<td class="num">(\d+)</td>', response.text)
    assert counts == ["3", "1"]


async def test_create_client_saves_and_redirects(admin: AsyncTestClient, session: AsyncSession) -> None:
    response = await admin.post(
        "/admin/clients", data=new_client_form(), headers=csrf_headers(admin), follow_redirects=False
    )

    created = await load_client(session, "initech")
    assert created is not None
    assert response.status_code == 303
    assert response.headers["location"] == f"/admin/clients/{created.id}"
    assert created.currency == "EUR"
    assert created.timezone == "Europe/Amsterdam"
    assert created.language == "nl"


async def test_create_client_page_shows_flash(admin: AsyncTestClient) -> None:
    response = await admin.post("/admin/clients", data=new_client_form(), headers=csrf_headers(admin))

    assert "Client initech created." in response.text
    assert "<h1>Initech BV" in response.text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("slug", "Bad Slug", "invalid client slug &#39;Bad Slug&#39;"),
        ("slug", "acme", "client &#39;acme&#39; already exists"),
        ("name", "", "missing client name"),
        ("currency", "XXY", "unknown currency &#39;XXY&#39;"),
        ("timezone", "Mars/Base", "unknown time zone &#39;Mars/Base&#39;"),
        ("language", "zz-99", "unknown language &#39;zz-99&#39;"),
    ],
)
async def test_create_client_rejects_bad_field(
    admin: AsyncTestClient, session: AsyncSession, field: str, value: str, message: str
) -> None:
    response = await admin.post("/admin/clients", data=new_client_form(**{field: value}), headers=htmx_headers(admin))

    assert response.status_code == 422
    assert f'id="{field}-error"' in response.text
    assert message in response.text
    assert await load_client(session, "initech") is None


async def test_create_client_lists_every_error(admin: AsyncTestClient) -> None:
    form = new_client_form(currency="XXY", timezone="Mars/Base")

    response = await admin.post("/admin/clients", data=form, headers=htmx_headers(admin))

    assert 'id="currency-error"' in response.text
    assert 'id="timezone-error"' in response.text
    assert 'value="Initech BV"' in response.text


async def test_edit_client_saves_details(admin: AsyncTestClient, world: World, session: AsyncSession) -> None:
    form = {"name": "Acme Group", "timezone": "America/New_York", "language": "en"}

    response = await admin.post(f"/admin/clients/{world.client.id}", data=form, headers=htmx_headers(admin))

    changed = await load_client(session, "acme")
    assert response.status_code == 200
    assert "Settings of acme saved." in response.text
    assert changed is not None
    assert changed.name == "Acme Group"
    assert changed.timezone == "America/New_York"


async def test_edit_client_rejects_bad_timezone(admin: AsyncTestClient, world: World, session: AsyncSession) -> None:
    form = {"name": "Acme Group", "timezone": "Europe/Atlantis", "language": "en"}

    response = await admin.post(f"/admin/clients/{world.client.id}", data=form, headers=htmx_headers(admin))

    unchanged = await load_client(session, "acme")
    assert response.status_code == 422
    assert "unknown time zone &#39;Europe/Atlantis&#39;" in response.text
    assert unchanged is not None
    assert unchanged.name == "Acme Wholesale"


async def test_edit_client_error_full_page(admin: AsyncTestClient, world: World) -> None:
    form = {"name": "", "timezone": "UTC", "language": "en"}

    response = await admin.post(f"/admin/clients/{world.client.id}", data=form, headers=csrf_headers(admin))

    assert response.status_code == 422
    assert "<html" in response.text
    assert 'id="name-error"' in response.text


async def test_weights_are_saved(admin: AsyncTestClient, world: World, session: AsyncSession) -> None:
    response = await admin.post(
        f"/admin/clients/{world.client.id}/weights", data=weights_form("2", "1", "1"), headers=htmx_headers(admin)
    )

    changed = await load_client(session, "acme")
    assert response.status_code == 200
    assert "risk 50 %, exposure 25 %, urgency 25 %" in response.text
    assert changed is not None
    assert (changed.weight_risk, changed.weight_exposure, changed.weight_urgency) == (2.0, 1.0, 1.0)


async def test_weights_change_queue_order(admin: AsyncTestClient, world: World) -> None:
    url = f"/admin/clients/{world.client.id}/weights"

    await admin.post(url, data=weights_form("1", "0", "0"), headers=csrf_headers(admin))
    by_risk = await queue_order(admin)
    await admin.post(url, data=weights_form("0", "0", "1"), headers=csrf_headers(admin))
    by_urgency = await queue_order(admin)

    assert by_risk == ["D-100", "D-200", "D-300"]
    assert by_urgency == ["D-100", "D-300", "D-200"]


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        (weights_form("-1", "1", "1"), "weight_risk", "invalid weight -1.0: use a number from 0 to 1000"),
        (weights_form("1", "lots", "1"), "weight_exposure", "invalid weight &#39;lots&#39;: use a number such as 0.5"),
        (weights_form("1", "1", ""), "weight_urgency", "missing weight: enter 0 to ignore this factor"),
        (weights_form("1", "nan", "1"), "weight_exposure", "invalid weight nan"),
        (weights_form("1", "1", "5000"), "weight_urgency", "invalid weight 5000.0"),
    ],
)
async def test_weights_reject_bad_value(
    admin: AsyncTestClient, world: World, session: AsyncSession, form: dict[str, str], field: str, message: str
) -> None:
    response = await admin.post(f"/admin/clients/{world.client.id}/weights", data=form, headers=htmx_headers(admin))

    unchanged = await load_client(session, "acme")
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.text
    assert message in response.text
    assert unchanged is not None
    assert unchanged.weight_risk == 0.5


async def test_weights_reject_all_zero(admin: AsyncTestClient, world: World, session: AsyncSession) -> None:
    before = await queue_order(admin)

    response = await admin.post(
        f"/admin/clients/{world.client.id}/weights", data=weights_form("0", "0.0", "0"), headers=htmx_headers(admin)
    )

    assert response.status_code == 422
    assert "all three weights are 0: set at least one above 0" in response.text
    assert await queue_order(admin) == before


async def test_unknown_client_is_not_found(admin: AsyncTestClient) -> None:
    response = await admin.get("/admin/clients/99999")

    assert response.status_code == 404
    assert "client 99999 not found" in response.text
