"""API tokens: creation, storage as a hash, authentication, revocation, expiry and the ``hub token`` CLI."""

from __future__ import annotations

import asyncio
import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.tokens import (
    INVALID_TOKEN_MESSAGE,
    ApiToken,
    InvalidTokenError,
    TokenStatus,
    authenticate_token,
    create_token,
    list_tokens,
    parse_public_id,
    revoke_token,
)
from hub.cli import main
from hub.db import create_engine, create_session_factory
from hub.errors import NotFoundError, ValidationError
from tests.factories import World, build_world

TOKEN_PATTERN = r"^hub_[a-z0-9]{8}_[A-Za-z0-9_-]{43}$"


@pytest.fixture
async def world(session: AsyncSession) -> World:
    return await build_world(session)


async def _token_for_agent(session: AsyncSession, world: World, **options: object) -> tuple[ApiToken, str]:
    record, token = await create_token(session, world.agent, "ERP sync", **options)  # type: ignore[arg-type]
    await session.commit()
    return record, token


async def _invalid_token_message(session: AsyncSession, token: str) -> str:
    with pytest.raises(InvalidTokenError) as raised:
        await authenticate_token(session, token)
    return str(raised.value)


async def test_create_returns_prefixed_token(session: AsyncSession, world: World) -> None:
    record, token = await _token_for_agent(session, world)

    assert token.startswith(f"{record.prefix}_")
    assert record.prefix == f"hub_{record.public_id}"
    assert len(token) == len("hub_") + 8 + 1 + 43


async def test_create_token_matches_format(session: AsyncSession, world: World) -> None:
    _, token = await _token_for_agent(session, world)

    assert re.match(TOKEN_PATTERN, token)


async def test_stored_row_holds_only_hash(session: AsyncSession, world: World) -> None:
    record, token = await _token_for_agent(session, world)

    row = (await session.execute(text("SELECT * FROM api_token WHERE id = :id"), {"id": record.id})).mappings().one()
    stored_values = [str(value) for value in row.values()]
    assert token not in stored_values
    assert not any(token.split("_", 2)[2] in value for value in stored_values)
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()


async def test_two_tokens_differ(session: AsyncSession, world: World) -> None:
    first, first_token = await _token_for_agent(session, world)
    second, second_token = await _token_for_agent(session, world)

    assert first_token != second_token
    assert first.public_id != second.public_id


async def test_authenticate_returns_owner(session: AsyncSession, world: World) -> None:
    _, token = await _token_for_agent(session, world)

    user = await authenticate_token(session, token)

    assert user.id == world.agent.id


async def test_authenticate_records_last_use(session: AsyncSession, world: World) -> None:
    record, token = await _token_for_agent(session, world)
    moment = datetime.now(UTC)

    await authenticate_token(session, token, now=moment)

    assert record.last_used_at == moment


async def test_last_use_written_once_a_minute(session: AsyncSession, world: World) -> None:
    record, token = await _token_for_agent(session, world)
    first = datetime.now(UTC)

    await authenticate_token(session, token, now=first)
    await authenticate_token(session, token, now=first + timedelta(seconds=30))
    assert record.last_used_at == first
    await authenticate_token(session, token, now=first + timedelta(seconds=61))
    assert record.last_used_at == first + timedelta(seconds=61)


async def test_revoked_token_is_rejected(session: AsyncSession, world: World) -> None:
    record, token = await _token_for_agent(session, world)
    await revoke_token(session, world.agent.id, record.id)
    await session.commit()

    assert await _invalid_token_message(session, token) == INVALID_TOKEN_MESSAGE


async def test_expired_token_is_rejected(session: AsyncSession, world: World) -> None:
    created = datetime.now(UTC) - timedelta(days=2)
    _, token = await _token_for_agent(session, world, expires_in_days=1, now=created)

    assert await _invalid_token_message(session, token) == INVALID_TOKEN_MESSAGE


async def test_unexpired_token_is_accepted(session: AsyncSession, world: World) -> None:
    _, token = await _token_for_agent(session, world, expires_in_days=1)

    user = await authenticate_token(session, token)

    assert user.id == world.agent.id


async def test_tampered_secret_is_rejected(session: AsyncSession, world: World) -> None:
    _, token = await _token_for_agent(session, world)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")

    assert await _invalid_token_message(session, tampered) == INVALID_TOKEN_MESSAGE


@pytest.mark.parametrize(
    "token",
    ["", "hub_", "hub_abc_" + "x" * 43, "xyz_abcd1234_" + "x" * 43, "hub_ABCD1234_" + "x" * 43, "hub_abcd1234_short"],
)
async def test_malformed_token_is_rejected(session: AsyncSession, world: World, token: str) -> None:
    assert await _invalid_token_message(session, token) == INVALID_TOKEN_MESSAGE


async def test_unknown_token_is_rejected(session: AsyncSession, world: World) -> None:
    assert await _invalid_token_message(session, "hub_abcd1234_" + "x" * 43) == INVALID_TOKEN_MESSAGE


async def test_deactivated_user_token_is_rejected(session: AsyncSession, world: World) -> None:
    _, token = await _token_for_agent(session, world)
    world.agent.is_active = False
    await session.commit()

    assert await _invalid_token_message(session, token) == INVALID_TOKEN_MESSAGE


def test_parse_public_id_reads_token() -> None:
    assert parse_public_id("hub_ab12cd34_" + "s" * 43) == "ab12cd34"


async def test_status_follows_revocation_and_expiry(session: AsyncSession, world: World) -> None:
    record, _ = await _token_for_agent(session, world, expires_in_days=30)
    now = datetime.now(UTC)

    assert record.status(now) == TokenStatus.ACTIVE
    assert record.status(now + timedelta(days=31)) == TokenStatus.EXPIRED
    await revoke_token(session, world.agent.id, record.id)
    assert record.status(now) == TokenStatus.REVOKED


async def test_list_shows_newest_first(session: AsyncSession, world: World) -> None:
    older, _ = await _token_for_agent(session, world, now=datetime.now(UTC) - timedelta(days=1))
    newer, _ = await _token_for_agent(session, world)
    await create_token(session, world.admin, "admin token")

    listed = await list_tokens(session, world.agent.id)

    assert [token.id for token in listed] == [newer.id, older.id]


async def test_revoke_other_users_token_not_found(session: AsyncSession, world: World) -> None:
    record, _ = await _token_for_agent(session, world)

    with pytest.raises(NotFoundError):
        await revoke_token(session, world.admin.id, record.id)


async def test_blank_name_is_rejected(session: AsyncSession, world: World) -> None:
    with pytest.raises(ValidationError) as raised:
        await create_token(session, world.agent, "   ")

    assert "name" in raised.value.field_errors


@pytest.mark.parametrize("days", [0, -5, 3651])
async def test_expiry_out_of_range_is_rejected(session: AsyncSession, world: World, days: int) -> None:
    with pytest.raises(ValidationError) as raised:
        await create_token(session, world.agent, "sync", days)

    assert "expires_in_days" in raised.value.field_errors


def _stored_tokens(database_url: str) -> list[ApiToken]:
    async def read() -> list[ApiToken]:
        engine = create_engine(database_url)
        try:
            async with create_session_factory(engine)() as session:
                return list((await session.scalars(select(ApiToken).order_by(ApiToken.id))).all())
        finally:
            await engine.dispose()

    return asyncio.run(read())


def _seed_world(database_url: str) -> None:
    async def seed() -> None:
        engine = create_engine(database_url)
        try:
            async with create_session_factory(engine)() as session:
                await build_world(session)
        finally:
            await engine.dispose()

    asyncio.run(seed())


def test_cli_create_prints_token_once(hub_env: dict[str, str]) -> None:
    _seed_world(hub_env["HUB_DATABASE_URL"])

    result = CliRunner().invoke(main, ["token", "create", "Agent@acme.test", "--name", "ERP sync"])

    assert result.exit_code == 0, result.output
    token = next(line.removeprefix("token: ") for line in result.output.splitlines() if line.startswith("token: "))
    stored = _stored_tokens(hub_env["HUB_DATABASE_URL"])
    assert len(stored) == 1
    assert stored[0].name == "ERP sync"
    assert stored[0].token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert "shown only once" in result.output


def test_cli_create_sets_expiry(hub_env: dict[str, str]) -> None:
    _seed_world(hub_env["HUB_DATABASE_URL"])

    result = CliRunner().invoke(main, ["token", "create", "agent@acme.test", "--name", "CI", "--expires-days", "7"])

    assert result.exit_code == 0, result.output
    stored = _stored_tokens(hub_env["HUB_DATABASE_URL"])[0]
    assert stored.expires_at is not None
    remaining = stored.expires_at - datetime.now(UTC)
    assert timedelta(days=6, hours=23) < remaining <= timedelta(days=7)


def test_cli_create_unknown_user_fails(hub_env: dict[str, str]) -> None:
    _seed_world(hub_env["HUB_DATABASE_URL"])

    result = CliRunner().invoke(main, ["token", "create", "nobody@acme.test", "--name", "CI"])

    assert result.exit_code == 1
    assert "user 'nobody@acme.test' not found" in result.output


def test_cli_revoke_by_prefix(hub_env: dict[str, str]) -> None:
    _seed_world(hub_env["HUB_DATABASE_URL"])
    CliRunner().invoke(main, ["token", "create", "agent@acme.test", "--name", "CI"])
    prefix = _stored_tokens(hub_env["HUB_DATABASE_URL"])[0].prefix

    result = CliRunner().invoke(main, ["token", "revoke", prefix])

    assert result.exit_code == 0, result.output
    assert f"token {prefix} revoked" in result.output
    assert _stored_tokens(hub_env["HUB_DATABASE_URL"])[0].revoked_at is not None


def test_cli_revoke_unknown_prefix_fails(hub_env: dict[str, str]) -> None:
    _seed_world(hub_env["HUB_DATABASE_URL"])

    result = CliRunner().invoke(main, ["token", "revoke", "hub_zzzzzzzz"])

    assert result.exit_code == 1
    assert "API token 'hub_zzzzzzzz' not found" in result.output
