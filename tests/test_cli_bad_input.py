"""Client, user and queue commands given malformed input: newlines, long values, repeats, huge numbers."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.sql import Executable

from hub.accounts.models import User
from hub.clients.models import Client
from hub.db import create_engine
from tests.test_import_cli import add_client, fetch, hub


def execute(hub_env: dict[str, str], statement: Executable) -> None:
    """Run a writing ``statement`` on the test database from a synchronous CLI test."""

    async def run() -> None:
        engine = create_engine(hub_env["HUB_DATABASE_URL"])
        try:
            async with engine.begin() as connection:
                await connection.execute(statement)
        finally:
            await engine.dispose()

    asyncio.run(run())


def has_no_traceback(exception: BaseException | None) -> bool:
    """True when the command ended normally or through a clean exit (click's error message)."""
    return exception is None or isinstance(exception, SystemExit)


def slugs(hub_env: dict[str, str]) -> list[Any]:
    return fetch(hub_env, select(Client.slug))


# hub client add


@pytest.mark.parametrize("slug", ["acme\n", "acme\r", "\nacme"])
def test_client_add_rejects_slug_newline(hub_env: dict[str, str], slug: str) -> None:
    result = hub("client", "add", slug, "--name", "Acme")

    assert result.exit_code != 0
    assert slugs(hub_env) == []


def test_client_add_rejects_long_name(hub_env: dict[str, str]) -> None:
    result = hub("client", "add", "acme", "--name", "x" * 201)

    assert "at most 200" in result.output
    assert slugs(hub_env) == []


@pytest.mark.parametrize("name", ["", "   "])
def test_client_add_rejects_empty_name(hub_env: dict[str, str], name: str) -> None:
    result = hub("client", "add", "acme", "--name", name)

    assert "client name" in result.output
    assert slugs(hub_env) == []


def test_client_add_rejects_long_language(hub_env: dict[str, str]) -> None:
    result = hub("client", "add", "acme", "--name", "Acme", "--language", "zh_Hant_HK")

    assert has_no_traceback(result.exception), result.output
    assert "'zh_Hant_HK'" in result.output


def test_client_add_strips_currency_newline(hub_env: dict[str, str]) -> None:
    hub("client", "add", "acme", "--name", "Acme", "--currency", "eur\n")

    assert fetch(hub_env, select(Client.currency)) == [("EUR",)]


# hub user add


def test_user_add_repeated_client(hub_env: dict[str, str]) -> None:
    add_client("acme")

    result = hub("user", "add", "a@acme.test", "--role", "agent", "--client", "acme", "--client", "acme")

    assert has_no_traceback(result.exception), result.output
    assert fetch(hub_env, select(User.email)) == [("a@acme.test",)]


def test_user_add_rejects_long_email(hub_env: dict[str, str]) -> None:
    result = hub("user", "add", "a" * 250 + "@acme.test", "--role", "agent")

    assert has_no_traceback(result.exception), result.output
    assert "at most 254" in result.output


def test_user_add_rejects_long_name(hub_env: dict[str, str]) -> None:
    result = hub("user", "add", "a@acme.test", "--role", "agent", "--name", "n" * 121)

    assert "at most 120" in result.output


# hub queue


def test_queue_rejects_huge_limit(hub_env: dict[str, str]) -> None:
    add_client("acme")

    result = hub("queue", "call", "--client", "acme", "--limit", str(2**64))

    assert has_no_traceback(result.exception), result.output
    assert result.exit_code != 0
