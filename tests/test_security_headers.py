"""Security headers on every response, and markup that a strict Content-Security-Policy allows."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hub.settings import PROJECT_ROOT
from hub.web.security import CONTENT_SECURITY_POLICY
from tests.factories import World, build_world, sign_in, web_app

TEMPLATES_DIR = PROJECT_ROOT / "templates"
EXPECTED_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}
CSP_DIRECTIVES = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
]
INLINE_SCRIPT_PATTERN = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE_PATTERN = re.compile(r"<style\b|\sstyle=", re.IGNORECASE)
EVENT_HANDLER_PATTERN = re.compile(r"\son[a-z]+=|\shx-on[:-]", re.IGNORECASE)


@pytest.fixture
async def world(session: AsyncSession) -> World:
    return await build_world(session)


@pytest.fixture
async def client(database_url: str, engine: AsyncEngine) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=web_app(database_url), base_url="http://testserver.local") as client:
        yield client


def blocked_markup(html: str) -> list[str]:
    """Return the pieces of ``html`` that the policy would block: inline scripts, styles and handlers."""
    found = INLINE_SCRIPT_PATTERN.findall(html) + INLINE_STYLE_PATTERN.findall(html)
    return found + EVENT_HANDLER_PATTERN.findall(html)


@pytest.mark.parametrize("directive", CSP_DIRECTIVES)
def test_policy_has_directive(directive: str) -> None:
    assert directive in CONTENT_SECURITY_POLICY.split("; ")


def test_policy_allows_no_inline_code() -> None:
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert "unsafe-eval" not in CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("path", ["/login", "/health", "/static/app.css", "/no/such/page", "/queues/call"])
async def test_signed_out_responses_carry_headers(client: AsyncTestClient, path: str) -> None:
    response = await client.get(path, follow_redirects=False)

    for name, value in EXPECTED_HEADERS.items():
        assert response.headers.get(name) == value, name
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


async def test_signed_in_pages_carry_headers(client: AsyncTestClient, world: World) -> None:
    await sign_in(client, "agent@acme.test")
    paths = ["/queues/call", f"/cases/{world.cases['D-100'].id}", "/account/password", "/cases/999999"]

    for path in paths:
        response = await client.get(path)
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY, path
        assert response.headers["x-frame-options"] == "DENY", path


async def test_csrf_failure_carries_headers(client: AsyncTestClient) -> None:
    response = await client.post("/login", data={"email": "a@b.test"})

    assert response.status_code == 403
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


async def test_rendered_pages_have_no_inline_code(client: AsyncTestClient, world: World) -> None:
    login = (await client.get("/login")).text
    await sign_in(client, "agent@acme.test")
    pages = {
        "/login": login,
        "/queues/call": (await client.get("/queues/call")).text,
        "workspace": (await client.get(f"/cases/{world.cases['D-100'].id}")).text,
        "/account/password": (await client.get("/account/password")).text,
        "404 page": (await client.get("/cases/999999")).text,
    }

    for name, html in pages.items():
        assert blocked_markup(html) == [], name


@pytest.mark.parametrize("template", sorted(TEMPLATES_DIR.rglob("*.html")), ids=lambda path: path.name)
def test_template_has_no_inline_code(template: Path) -> None:
    html = template.read_text()

    assert blocked_markup(html) == []


def test_htmx_injects_no_indicator_style() -> None:
    base = (TEMPLATES_DIR / "base.html").read_text()

    assert '"includeIndicatorStyles":false' in base
